# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The personal home: the boxes of Tryton's dashboard (act_windows of usage
"dashboard", their domains on the current user and employee), the home of
each role given to the users who have none, opened at login."""
from collections import defaultdict

from sql import Literal

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Every box of the home, for the tests and the translations
HOME_ACTIONS = [
    'act_home_pipeline',
    'act_home_team_pipeline',
    'act_home_activities',
    'act_home_targets',
    'act_home_team_targets',
    'act_home_queue',
    'act_home_cases',
    'act_home_changes',
    'act_home_articles',
    ]


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        if mode == 'create' or (
                mode == 'write' and 'groups' in (field_names or set())):
            cls.set_default_home(users)

    @classmethod
    def role_homes(cls):
        """The home of each role, the first role of a user's groups wins:
        [(group xml id, [box xml ids])], the boxes in their order"""
        return [
            ('crm_sales.group_crm_sales_manager', [
                    'crm_knowledge.act_home_team_pipeline',
                    'crm_knowledge.act_home_team_targets',
                    'crm_knowledge.act_home_activities',
                    ]),
            ('crm_sales.group_crm_salesperson', [
                    'crm_knowledge.act_home_pipeline',
                    'crm_knowledge.act_home_activities',
                    'crm_knowledge.act_home_targets',
                    'crm_knowledge.act_home_articles',
                    ]),
            ('crm_service.group_crm_service_agent', [
                    'crm_knowledge.act_home_queue',
                    'crm_knowledge.act_home_cases',
                    'crm_knowledge.act_home_articles',
                    ]),
            ('crm_knowledge.group_crm_competitive_intelligence', [
                    'crm_knowledge.act_home_changes',
                    ]),
            ('crm_knowledge.group_crm_knowledge_editor', [
                    'crm_knowledge.act_home_articles',
                    ]),
            ]

    @classmethod
    def set_default_home(cls, users):
        """Give the users without dashboard actions the home of their role
        and open it at login; they rearrange it in their preferences"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ActWindow = pool.get('ir.action.act_window')
        users = [u for u in cls.browse(users) if not u.dashboard_actions]
        if not users:
            return
        homes = [
            (ModelData.get_id(group),
                ActWindow.browse([ModelData.get_id(a) for a in actions]))
            for group, actions in cls.role_homes()]
        dashboard = ActWindow(
            ModelData.get_id('dashboard', 'act_dashboard')).action.id
        groups = cls.all_groups(users)
        by_groups = defaultdict(list)
        for user in users:
            by_groups[frozenset(groups[user.id])].append(user)
        for user_groups, members in by_groups.items():
            actions = next(
                (a for g, a in homes if g in user_groups), [])
            # A box the user's groups may not open is left out: an analyst
            # without the BI groups has no KPI goals to see
            actions = [a for a in actions
                if not a.groups or {g.id for g in a.groups} & user_groups]
            if not actions:
                continue
            # The domain of dashboard.action checks the groups of the context
            with Transaction().set_context(groups=list(user_groups)):
                cls.write(members, {
                        'dashboard_actions': [('create', [{
                                        'act_window': a.id,
                                        'sequence': i,
                                        } for i, a in enumerate(actions, 1)])],
                        })
            without_actions = [u for u in members if not u.actions]
            if without_actions:
                cls.write(without_actions, {
                        'actions': [('add', [dashboard])],
                        })

    @classmethod
    def all_groups(cls, users):
        "The groups of each user, with the groups they inherit: {id: set}"
        pool = Pool()
        UserGroup = pool.get('res.user-res.group')
        Group = pool.get('res.group')
        user_group = UserGroup.user_group_all_table()
        group = Group.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*user_group
            .join(group, condition=user_group.group == group.id)
            .select(
                user_group.user, user_group.group,
                where=fields.SQL_OPERATORS['in'](
                    user_group.user, [u.id for u in users])
                & (group.active == Literal(True))))
        result = defaultdict(set)
        for user_id, group_id in cursor:
            result[user_id].add(group_id)
        return result
