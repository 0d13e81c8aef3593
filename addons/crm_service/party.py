# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, check_access

from .case import OPEN_STATES


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    crm_recent_cases = fields.Function(fields.One2Many(
            'crm.service.case', None, "Recent Cases",
            help="The last service cases of the customer."),
        'get_crm_360_list', setter='set_crm_360_list')
    crm_open_case_count = fields.Function(
        fields.Integer("Open Cases",
            help="The service cases not yet resolved."),
        'get_crm_360_count')

    _crm_case_fields = {'crm_recent_cases', 'crm_open_case_count'}

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

    @classmethod
    def get_crm_360_list(cls, parties, names):
        return cls._crm_case_360(
            super().get_crm_360_list, parties, names, list)

    @classmethod
    def get_crm_360_count(cls, parties, names):
        return cls._crm_case_360(
            super().get_crm_360_count, parties, names, int)

    @classmethod
    def _crm_case_360(cls, getter, parties, names, empty):
        """Call the getter for the case fields as the reader

        Function getters run without access check, so the search of the
        360° getters would list and count every case of the company; the
        cases are those the reader may read, none without read access.
        """
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        case_names = [n for n in names if n in cls._crm_case_fields]
        other_names = [n for n in names if n not in cls._crm_case_fields]
        result = getter(parties, other_names) if other_names else {}
        if not case_names:
            return result
        if not Transaction().user:
            result.update(getter(parties, case_names))
            return result
        with check_access():
            if ModelAccess.check(
                    'crm.service.case', 'read', raise_exception=False):
                result.update(getter(parties, case_names))
            else:
                result.update({
                        n: {p.id: empty() for p in parties}
                        for n in case_names})
        return result
