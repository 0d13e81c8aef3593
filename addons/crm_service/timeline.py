# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class PartyTimeline(metaclass=PoolMeta):
    __name__ = 'crm.party.timeline'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('case', "Service Case"))

    @classmethod
    def _sources(cls):
        def case(table):
            return {
                'date': table.create_date,
                'summary': table.subject,
                'state': table.state,
                'employee': table.agent,
                }
        return super()._sources() | {
            'case': (5, 'crm.service.case', [], case),
            }
