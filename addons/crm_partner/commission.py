# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Partners paid by commission: a partner is a commission agent of the
company with the plan of its tier, and the sales it brings (its portal
orders, its protected opportunities once converted) carry it as agent, so
the commission module computes what it earns from their invoices."""
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    def partner_agent(self, company):
        """Return the commission agent of the partner in the company, made
        the first time, with the commission plan of its tier"""
        pool = Pool()
        Agent = pool.get('commission.agent')
        if not self.is_partner:
            return None
        plan = self.partner_tier.commission_plan if self.partner_tier else None
        with without_check_access():
            agents = Agent.search([
                    ('party', '=', self.id),
                    ('company', '=', company.id),
                    ('type_', '=', 'agent'),
                    ], order=[('id', 'ASC')], limit=1)
            if agents:
                agent, = agents
                if plan and agent.plan != plan:
                    agent.plan = plan
                    agent.save()
            else:
                agent = Agent(party=self, company=company, type_='agent',
                    plan=plan, currency=company.currency)
                agent.save()
        return agent


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    def partner_deal(self):
        "Return the approved deal by which a partner protects it, or None"
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        Date = pool.get('ir.date')
        with without_check_access():
            deals = Deal.search([
                    ('opportunity', '=', self.id),
                    ('state', '=', 'approved'),
                    ('protected_until', '>=', Date.today()),
                    ], limit=1)
        return deals[0] if deals else None

    def _get_sale_opportunity(self):
        sale = super()._get_sale_opportunity()
        deal = self.partner_deal()
        if deal:
            sale.agent = deal.partner.partner_agent(self.company)
        return sale
