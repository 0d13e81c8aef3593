# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal, Null, Union
from sql.operators import Or

from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .common import check_readable


class Team(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'crm.sales.team'
    __string__ = "Sales Team"

    name = fields.Char("Name", required=True)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    leader = fields.Many2One(
        'company.employee', "Leader",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The employee who leads the team and sees its records.")
    members = fields.Many2Many(
        'crm.sales.team-company.employee', 'team', 'employee', "Members",
        domain=[
            ('company', '=', Eval('company', -1)),
            ])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def on_modification(cls, mode, teams, field_names=None):
        pool = Pool()
        Rule = pool.get('ir.rule')
        super().on_modification(mode, teams, field_names=field_names)
        # Teams define what a salesperson sees
        Rule._domain_get_cache.clear()

    @classmethod
    def teams_of(cls, employee_ids):
        """Return the query of the active teams led by or including
        the employees"""
        pool = Pool()
        Member = pool.get('crm.sales.team-company.employee')
        team = cls.__table__()
        member = Member.__table__()
        employee_ids = list(employee_ids) or [-1]
        return team.select(team.id,
            where=(team.active == Literal(True))
            & (team.leader.in_(employee_ids)
                | team.id.in_(member.select(member.team,
                        where=member.employee.in_(employee_ids)))))

    @classmethod
    def teams_led_by(cls, employee_ids):
        "Return the query of the active teams led by the employees"
        team = cls.__table__()
        employee_ids = list(employee_ids) or [-1]
        return team.select(team.id,
            where=(team.active == Literal(True))
            & team.leader.in_(employee_ids))

    @classmethod
    def employees_of(cls, team_query):
        "Return the query of the leaders and members of the teams"
        pool = Pool()
        Member = pool.get('crm.sales.team-company.employee')
        team = cls.__table__()
        member = Member.__table__()
        return Union(
            team.select(team.leader.as_('employee'),
                where=team.id.in_(team_query) & (team.leader != Null)),
            member.select(member.employee.as_('employee'),
                where=member.team.in_(team_query)))


class TeamMember(ModelSQL):
    __name__ = 'crm.sales.team-company.employee'
    __string__ = "Sales Team Member"

    team = fields.Many2One(
        'crm.sales.team', "Team", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.employee, Index.Range())),
                Index(t, (t.team, Index.Range())),
                })

    @classmethod
    def on_modification(cls, mode, members, field_names=None):
        pool = Pool()
        Rule = pool.get('ir.rule')
        super().on_modification(mode, members, field_names=field_names)
        Rule._domain_get_cache.clear()


class Rule(metaclass=PoolMeta):
    """Record rules scoped by sales team

    The context of every rule domain gets:

    - ``crm_scope``: the salesperson scope of the configuration for the
      current company (``own``, ``team`` or ``all``);
    - ``crm_employees``: the ids of the employees whose records the user
      sees: the user's employees, plus the leaders and members of the
      teams the user belongs to or leads when the scope is ``team``;
    - ``crm_teams``: the ids of those teams (empty unless scope is
      ``team``);
    - ``user_id``: the user, for the records they created;
    - ``crm_own_employees``: the user's employees;
    - ``crm_led_teams`` and ``crm_led_employees``: the teams the user
      leads and their leaders and members (empty unless scope is
      ``team``), for what only a team's leader sees of its members
      (their targets).

    To restrict a model with an ``employee`` field to this scope, add a
    non-global ``ir.rule.group`` for ``crm_sales.group_crm_salesperson``
    with the domain::

        [If(Eval('crm_scope', 'team') == 'all',
            ('company', 'in', Eval('companies', [])),
            ('employee', 'in', Eval('crm_employees', [])))]

    and one for ``crm_sales.group_crm_sales_manager`` with
    ``[('company', 'in', Eval('companies', []))]`` (see security.xml).
    The cached domains are cleared whenever a team, its members or the
    configuration change.
    """
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += (
            '\n- "crm_scope", "crm_employees" and "crm_teams" '
            'for the salesperson\'s scope')

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        # The domain depends on the user and their employees, not only on
        # groups
        transaction = Transaction()
        return (*key, transaction.user, User.get_employees(),
            transaction.context.get('company'))

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        context.update(cls._get_crm_context())
        return context

    @classmethod
    def _get_crm_context(cls):
        pool = Pool()
        User = pool.get('res.user')
        Configuration = pool.get('crm.configuration')
        Team = pool.get('crm.sales.team')
        transaction = Transaction()
        employees = own_employees = list(User.get_employees())
        teams, led_teams, led_employees = [], [], []
        # Reading without access checks prevents rule recursion
        with without_check_access():
            scope = Configuration(1).get_multivalue(
                'salesperson_scope',
                company=transaction.context.get('company'))
            if scope == 'team' and employees:
                cursor = transaction.connection.cursor()
                team_query = Team.teams_of(employees)
                cursor.execute(*team_query)
                teams = [t for t, in cursor]
                if teams:
                    cursor.execute(*Team.employees_of(teams))
                    employees = sorted(
                        set(employees) | {e for e, in cursor})
                    cursor.execute(*Team.teams_led_by(own_employees))
                    led_teams = [t for t, in cursor]
                if led_teams:
                    cursor.execute(*Team.employees_of(led_teams))
                    led_employees = sorted({e for e, in cursor})
        return {
            'crm_scope': scope,
            'crm_employees': employees,
            'crm_teams': teams,
            'crm_own_employees': own_employees,
            'crm_led_teams': led_teams,
            'crm_led_employees': led_employees,
            'user_id': transaction.user,
            }


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    crm_team = fields.Many2One(
        'crm.sales.team', "Sales Team",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'readonly': Eval('state').in_(
                ['converted', 'won', 'lost', 'cancelled']),
            },
        help="The team responsible for the opportunity.")
    pipeline = fields.Function(fields.Selection([
                (None, ""),
                ('mine', "Mine"),
                ('team', "My Teams"),
                ], "Pipeline",
            help="Whose pipeline the opportunity is in: the user's own or "
            "that of the teams the user belongs to or leads."),
        'get_pipeline', searcher='search_pipeline')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.crm_team, Index.Range())))

    @classmethod
    def _pipeline_scope(cls):
        """Return the user's employees, the employees of the user's teams
        (the user's included) and those teams"""
        pool = Pool()
        User = pool.get('res.user')
        Team = pool.get('crm.sales.team')
        employees = list(User.get_employees())
        cursor = Transaction().connection.cursor()
        with without_check_access():
            cursor.execute(*Team.teams_of(employees))
            teams = [t for t, in cursor]
            cursor.execute(*Team.employees_of(teams or [-1]))
            members = sorted({e for e, in cursor} | set(employees))
        return employees, members, teams

    @classmethod
    def get_pipeline(cls, opportunities, name):
        employees, members, teams = cls._pipeline_scope()
        pipelines = {}
        for opportunity in opportunities:
            employee = opportunity.employee
            team = opportunity.crm_team
            if employee and employee.id in employees:
                pipelines[opportunity.id] = 'mine'
            elif ((employee and employee.id in members)
                    or (team and team.id in teams)):
                pipelines[opportunity.id] = 'team'
            else:
                pipelines[opportunity.id] = None
        return pipelines

    @classmethod
    def search_pipeline(cls, name, clause):
        _, operator, value = clause[:3]
        employees, members, teams = cls._pipeline_scope()
        table = cls.__table__()
        conditions = {
            'mine': table.employee.in_(employees or [-1]),
            'team': (table.employee.in_(members or [-1])
                | table.crm_team.in_(teams or [-1])),
            }
        values = value if operator in {'in', 'not in'} else [value]
        # A query of ids, so that the negation keeps the unassigned
        query = table.select(table.id, where=Or(
                [conditions[v] for v in values if v in conditions]
                or [Literal(False)]))
        return [('id',
                'not in' if operator in {'!=', 'not in'} else 'in', query)]

    @classmethod
    def check_modification(
            cls, mode, opportunities, values=None, external=False):
        # Before sale_opportunity's "must cancel" on delete
        if external and mode == 'delete':
            check_readable(opportunities)
        super().check_modification(
            mode, opportunities, values=values, external=external)

    @classmethod
    def _employee_team(cls, employee_id):
        "Return the id of the first active team of the employee or None"
        pool = Pool()
        Team = pool.get('crm.sales.team')
        cursor = Transaction().connection.cursor()
        team = Team.__table__()
        cursor.execute(*team.select(team.id,
                where=team.id.in_(Team.teams_of([employee_id])),
                order_by=[team.name.asc, team.id.asc], limit=1))
        row = cursor.fetchone()
        return row[0] if row else None

    @fields.depends('employee', 'crm_team')
    def on_change_with_crm_team(self):
        pool = Pool()
        Team = pool.get('crm.sales.team')
        if not self.employee:
            return self.crm_team
        if self.crm_team and (self.crm_team.leader == self.employee
                or self.employee in self.crm_team.members):
            return self.crm_team
        team_id = self._employee_team(self.employee.id)
        return Team(team_id) if team_id else None

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and not values.get('crm_team')
                and values.get('employee')):
            values['crm_team'] = cls._employee_team(values['employee'])
        return values
