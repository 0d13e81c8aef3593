# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The reports on the homes of crm_knowledge: the forecast of the sales
manager and the KPI goals of the analyst."""
from trytond.pool import PoolMeta


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def role_homes(cls):
        homes = [(g, list(a)) for g, a in super().role_homes()]
        for group, actions in homes:
            if group == 'crm_sales.group_crm_sales_manager':
                actions.insert(1, 'crm_bi.act_home_forecast')
        # The analyst is no salesperson: their role comes after the others
        homes.append(('crm_sales.group_crm_analyst', [
                    'crm_bi.act_home_goals',
                    'crm_bi.act_home_forecast',
                    ]))
        return homes
