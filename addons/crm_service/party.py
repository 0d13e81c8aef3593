# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta

from .case import OPEN_STATES


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    crm_recent_cases = fields.Function(fields.One2Many(
            'crm.service.case', None, "Recent Cases", readonly=True,
            help="The last service cases of the customer."),
        'get_crm_360_list', setter='set_crm_360_list')
    crm_open_case_count = fields.Function(
        fields.Integer("Open Cases",
            help="The service cases not yet resolved."),
        'get_crm_360_count')

    @classmethod
    def _crm_360_lists(cls):
        return super()._crm_360_lists() | {
            'crm_recent_cases': ('crm.service.case', [], 'create_date'),
            }

    @classmethod
    def _crm_360_counts(cls):
        return super()._crm_360_counts() | {
            'crm_open_case_count': (
                'crm.service.case', [('state', 'in', OPEN_STATES)]),
            }
