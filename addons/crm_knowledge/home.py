# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The personal home: the boxes of Tryton's dashboard (act_windows of usage
"dashboard", their domains on the current user and employee) and the default
arrangement given to the users who have none."""
from collections import defaultdict

from sql import Literal

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# The boxes of the home in their default order; a box is given to the users
# of its groups only
HOME_ACTIONS = [
    'act_home_activities',
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
    def set_default_home(cls, users):
        """Give the users without dashboard actions the home boxes that
        their groups may open; they rearrange them in their preferences"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ActWindow = pool.get('ir.action.act_window')
        users = [u for u in cls.browse(users) if not u.dashboard_actions]
        if not users:
            return
        boxes = ActWindow.browse([
                ModelData.get_id('crm_knowledge', name)
                for name in HOME_ACTIONS])
        groups = cls.all_groups(users)
        by_groups = defaultdict(list)
        for user in users:
            by_groups[frozenset(groups[user.id])].append(user)
        for user_groups, members in by_groups.items():
            actions = [a for a in boxes
                if not a.groups or user_groups & {g.id for g in a.groups}]
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
