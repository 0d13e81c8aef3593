# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Null, Union, Values
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

from .common import CompanyCurrencyGraphMixin

PERIOD_MONTHS = {'month': 1, 'quarter': 3, 'year': 12}
BASES = [
    ('confirmed', "Confirmed Sales"),
    ('invoiced', "Invoiced Revenue"),
    ]
SALE_STATES = ['confirmed', 'processing', 'done']
INVOICE_STATES = ['posted', 'paid']


def period_dates(period_type, date):
    "Return the first and last day of the period of type containing date"
    months = PERIOD_MONTHS[period_type]
    month = (date.month - 1) // months * months + 1
    start = date.replace(month=month, day=1)
    return start, start + relativedelta(months=months, days=-1)


def attribution_query(basis):
    """Return a query of the revenue credited to employees with columns
    employee, company, date, document and amount.

    Confirmed sales and posted invoice lines are attributed through the
    opportunity they come from, split between its co-sellers."""
    pool = Pool()
    CoSeller = pool.get('crm.opportunity.co_seller')
    Opportunity = pool.get('sale.opportunity')
    Sale = pool.get('sale.sale')
    SaleLine = pool.get('sale.line')
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    opportunity = Opportunity.__table__()
    sale = Sale.__table__()
    share = CoSeller.share_query()

    from_item = (sale
        .join(opportunity, condition=(
                sale.origin == Concat('sale.opportunity,', opportunity.id)))
        .join(share, condition=share.opportunity == opportunity.id))
    if basis == 'confirmed':
        return from_item.select(
            share.employee.as_('employee'),
            sale.company.as_('company'),
            sale.sale_date.as_('date'),
            sale.id.as_('document'),
            (Coalesce(sale.untaxed_amount_cache, 0) * share.share
                ).as_('amount'),
            where=sale.state.in_(SALE_STATES))
    sale_line = SaleLine.__table__()
    invoice_line = InvoiceLine.__table__()
    invoice = Invoice.__table__()
    from_item = (from_item
        .join(sale_line, condition=sale_line.sale == sale.id)
        .join(invoice_line, condition=(
                invoice_line.origin == Concat('sale.line,', sale_line.id)))
        .join(invoice, condition=invoice_line.invoice == invoice.id))
    return from_item.select(
        share.employee.as_('employee'),
        invoice.company.as_('company'),
        invoice.invoice_date.as_('date'),
        invoice.id.as_('document'),
        (InvoiceLine.unit_price.sql_cast(invoice_line.quantity)
            * invoice_line.unit_price * share.share).as_('amount'),
        where=invoice.state.in_(INVOICE_STATES)
        & (invoice.type == 'out')
        & (invoice_line.type == 'line'))


def member_query():
    "Return a query of (target, employee) credited to each target"
    pool = Pool()
    Target = pool.get('crm.target')
    TeamMember = pool.get('crm.sales.team-company.employee')
    target = Target.__table__()
    team_target = Target.__table__()
    team_member = TeamMember.__table__()
    return (
        target.select(
            target.id.as_('target'), target.employee.as_('employee'),
            where=target.employee != Null)
        | team_target.join(team_member,
            condition=team_member.team == team_target.team).select(
            team_target.id.as_('target'), team_member.employee.as_('employee'))
        )


class Target(CompanyCurrencyGraphMixin, ModelSQL, ModelView):
    __name__ = 'crm.target'
    __string__ = "Sales Target"

    employee = fields.Many2One(
        'company.employee', "Employee", ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'required': ~Eval('team'),
            'invisible': Bool(Eval('team')),
            })
    team = fields.Many2One(
        'crm.sales.team', "Team", ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'required': ~Eval('employee'),
            'invisible': Bool(Eval('employee')),
            })
    company = fields.Many2One(
        'company.company', "Company", required=True,
        domain=[
            ('id', If(Eval('context', {}).contains('company'), '=', '!='),
                Eval('context', {}).get('company', -1)),
            ])
    period_type = fields.Selection([
            ('month', "Month"),
            ('quarter', "Quarter"),
            ('year', "Year"),
            ], "Period", required=True)
    start_date = fields.Date(
        "Start Date", required=True,
        help="Moved to the first day of its period when saved.")
    end_date = fields.Date("End Date", readonly=True)
    basis = fields.Selection(
        BASES, "Basis", required=True,
        help="Which back-office documents count as achievement.")
    target_amount = Monetary(
        "Amount Target", currency='currency', digits='currency',
        domain=[
            If(Eval('target_amount'), ('target_amount', '>=', 0), ()),
            ])
    target_count = fields.Integer(
        "Count Target",
        domain=[
            If(Eval('target_count'), ('target_count', '>=', 0), ()),
            ],
        help="Number of sales (confirmed basis) or invoices (invoiced basis).")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    achieved_amount = fields.Function(Monetary(
            "Achieved Amount", currency='currency', digits='currency'),
        'get_achievement')
    achieved_count = fields.Function(
        fields.Integer("Achieved Count"), 'get_achievement')
    amount_achievement = fields.Function(
        fields.Float("Amount Achievement (%)", digits=(16, 1)),
        'get_achievement')
    count_achievement = fields.Function(
        fields.Float("Count Achievement (%)", digits=(16, 1)),
        'get_achievement')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('start_date', 'DESC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_period_type(cls):
        return 'month'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today().replace(day=1)

    @classmethod
    def default_basis(cls):
        Configuration = Pool().get('crm.configuration')
        return Configuration(1).target_basis or 'confirmed'

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('period_type', 'start_date')
    def on_change_with_end_date(self):
        if self.period_type and self.start_date:
            return period_dates(self.period_type, self.start_date)[1]

    def get_rec_name(self, name):
        who = self.employee or self.team
        return '%s - %s' % (who.rec_name if who else '', self.start_date)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, *_ = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('employee.rec_name',) + tuple(clause[1:]),
            ('team.rec_name',) + tuple(clause[1:]),
            ]

    @classmethod
    def _period_values(cls, values, record=None):
        period_type = values.get('period_type') or (
            record.period_type if record else cls.default_period_type())
        start_date = values.get('start_date') or (
            record.start_date if record else None)
        if start_date:
            values['start_date'], values['end_date'] = period_dates(
                period_type, start_date)
        return values

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values = cls._period_values(values)
        return values

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = []
        for targets, values in zip(actions, actions):
            if {'period_type', 'start_date'} & values.keys():
                for target in targets:
                    args.extend(
                        ([target], cls._period_values(values.copy(), target)))
            else:
                args.extend((targets, values))
        super().write(*args)

    @classmethod
    def validate(cls, targets):
        super().validate(targets)
        for target in targets:
            if bool(target.employee) == bool(target.team):
                raise ValidationError(gettext(
                        'crm_sales.msg_target_employee_xor_team'))
        cls.check_overlap(targets)

    @classmethod
    def check_overlap(cls, targets):
        "Raise ValidationError when periods overlap for the same assignee"
        cursor = Transaction().connection.cursor()
        target = cls.__table__()
        other = cls.__table__()
        cursor.execute(*target.join(other, condition=(
                    (target.id != other.id)
                    & (target.company == other.company)
                    & (target.basis == other.basis)
                    & (Coalesce(target.employee, -1)
                        == Coalesce(other.employee, -1))
                    & (Coalesce(target.team, -1)
                        == Coalesce(other.team, -1))
                    & (target.start_date <= other.end_date)
                    & (other.start_date <= target.end_date))).select(
                target.id, other.id,
                where=fields.SQL_OPERATORS['in'](
                    target.id, [t.id for t in targets]),
                limit=1))
        row = cursor.fetchone()
        if row:
            target, other = cls.browse(row)
            raise ValidationError(gettext(
                    'crm_sales.msg_target_overlap',
                    target=target.rec_name, other=other.rec_name))

    @classmethod
    def achievement_query(cls, target_ids):
        "Return a query of (target, amount, count) achieved by each target"
        target = cls.__table__()
        member = member_query()
        queries = []
        for basis, _ in BASES:
            attribution = attribution_query(basis)
            queries.append(member
                .join(target, condition=target.id == member.target)
                .join(attribution, condition=(
                        (attribution.employee == member.employee)
                        & (attribution.company == target.company)
                        & (attribution.date >= target.start_date)
                        & (attribution.date <= target.end_date)))
                .select(
                    target.id.as_('target'),
                    Sum(attribution.amount).as_('amount'),
                    Count(attribution.document, distinct=True).as_('count'),
                    where=(target.basis == basis)
                    & fields.SQL_OPERATORS['in'](target.id, target_ids),
                    group_by=target.id))
        return Union(*queries, all_=True)

    @classmethod
    def get_achievement(cls, targets, names):
        cursor = Transaction().connection.cursor()
        result = {name: {t.id: None for t in targets} for name in names}
        cursor.execute(*cls.achievement_query([t.id for t in targets]))
        achieved = {t: (a, c) for t, a, c in cursor}
        for target in targets:
            amount, count = achieved.get(target.id, (Decimal(0), 0))
            amount = target.currency.round(Decimal(str(amount or 0)))
            values = {
                'achieved_amount': amount,
                'achieved_count': count,
                'amount_achievement': (
                    round(float(amount / target.target_amount * 100), 1)
                    if target.target_amount else None),
                'count_achievement': (
                    round(count / target.target_count * 100, 1)
                    if target.target_count else None),
                }
            for name in names:
                result[name][target.id] = values[name]
        return result


class TargetAchievementContext(ModelView):
    __name__ = 'crm.target.achievement.context'
    __string__ = "Target Achievement Context"

    from_date = fields.Date(
        "From Date", required=True,
        domain=[
            ('from_date', '<=', Eval('to_date')),
            ])
    to_date = fields.Date(
        "To Date", required=True,
        domain=[
            ('to_date', '>=', Eval('from_date')),
            ])

    @classmethod
    def default_from_date(cls):
        today = Pool().get('ir.date').today()
        return datetime.date(today.year - 1, 1, 1)

    @classmethod
    def default_to_date(cls):
        today = Pool().get('ir.date').today()
        return datetime.date(today.year, 12, 31)


class TargetAchievement(CompanyCurrencyGraphMixin, ModelSQL, ModelView):
    __name__ = 'crm.target.achievement'
    __string__ = "Target Achievement"

    target = fields.Many2One('crm.target', "Target")
    employee = fields.Many2One('company.employee', "Employee")
    team = fields.Many2One('crm.sales.team', "Team")
    company = fields.Many2One('company.company', "Company")
    basis = fields.Selection(BASES, "Basis")
    month = fields.Date("Month")
    target_amount = Monetary(
        "Target Amount", currency='currency', digits='currency')
    achieved_amount = Monetary(
        "Achieved Amount", currency='currency', digits='currency')
    target_count = fields.Float("Target Count", digits=(16, 2))
    achieved_count = fields.Integer("Achieved Count")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('month', 'ASC'),
            ('target', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def _months(cls):
        "Return a VALUES of (index, first day, last day) for the context"
        pool = Pool()
        Context = pool.get('crm.target.achievement.context')
        context = Transaction().context
        from_date = context.get('from_date') or Context.default_from_date()
        to_date = context.get('to_date') or Context.default_to_date()
        months = []
        month = from_date.replace(day=1)
        while month <= to_date:
            months.append(
                [len(months), month, month + relativedelta(months=1, days=-1)])
            month += relativedelta(months=1)
        return Values(months or [[0, from_date, from_date]])

    @classmethod
    def table_query(cls):
        pool = Pool()
        Target = pool.get('crm.target')
        target = Target.__table__()
        months = cls._months()
        # The VALUES columns are named column1, column2... on both backends
        month_index, month_start, month_end = (
            months.column1, months.column2, months.column3)

        achieved = []
        for basis, _ in BASES:
            member = member_query()
            target_b = Target.__table__()
            attribution = attribution_query(basis)
            months_b = cls._months()
            achieved.append(member
                .join(target_b, condition=target_b.id == member.target)
                .join(attribution, condition=(
                        (attribution.employee == member.employee)
                        & (attribution.company == target_b.company)
                        & (attribution.date >= target_b.start_date)
                        & (attribution.date <= target_b.end_date)))
                .join(months_b, condition=(
                        (attribution.date >= months_b.column2)
                        & (attribution.date <= months_b.column3)))
                .select(
                    target_b.id.as_('target'),
                    months_b.column1.as_('month_index'),
                    Sum(attribution.amount).as_('amount'),
                    Count(attribution.document, distinct=True).as_('count'),
                    where=target_b.basis == basis,
                    group_by=[target_b.id, months_b.column1]))
        achieved = Union(*achieved, all_=True)

        # SQLite divides integers as integers
        to_number = float if backend.name == 'sqlite' else int
        period_months = Case(*(
                (target.period_type == p, to_number(m))
                for p, m in PERIOD_MONTHS.items()))
        return (target
            .join(months, condition=(
                    (month_start >= target.start_date)
                    & (month_end <= target.end_date)))
            .join(achieved, 'LEFT', condition=(
                    (achieved.target == target.id)
                    & (achieved.month_index == month_index)))
            .select(
                (target.id * 10000 + month_index).as_('id'),
                target.id.as_('target'),
                target.employee.as_('employee'),
                target.team.as_('team'),
                target.company.as_('company'),
                target.basis.as_('basis'),
                month_start.as_('month'),
                (target.target_amount / period_months).as_('target_amount'),
                Coalesce(achieved.amount, 0).as_('achieved_amount'),
                (Target.target_amount.sql_cast(target.target_count)
                    / period_months
                    ).as_('target_count'),
                Coalesce(achieved.count, 0).as_('achieved_count')))

    @classmethod
    def get_currency(cls, records, name):
        return {r.id: r.company.currency.id for r in records}


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    target_basis = fields.Selection(
        BASES, "Target Basis",
        help="The default basis of new targets.")

    @classmethod
    def default_target_basis(cls):
        return 'confirmed'
