# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class PartyTimeline(metaclass=PoolMeta):
    __name__ = 'crm.party.timeline'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('competitor', "Competitor Note"))

    @classmethod
    def _sources(cls):
        "A competitor's change noted on an opportunity is the customer's"
        def competitor_change(table):
            pool = Pool()
            opportunity = pool.get('sale.opportunity').__table__()
            competitor = pool.get('crm.competitor').__table__()
            party = pool.get('party.party').__table__()
            return {
                'from': table
                .join(opportunity,
                    condition=opportunity.id == table.opportunity)
                .join(competitor,
                    condition=competitor.id == table.competitor)
                .join(party, condition=party.id == competitor.party),
                'party': opportunity.party,
                'date': table.detected_at,
                'summary': party.name,
                }
        return super()._sources() | {
            'competitor': (6, 'crm.competitor.change',
                [('opportunity', '!=', None)], competitor_change),
            }
