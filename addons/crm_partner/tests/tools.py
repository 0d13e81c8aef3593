# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers shared by the tests of crm_partner"
from trytond.pool import Pool

CHANNEL_MANAGER = [
    'crm_partner.group_crm_channel_manager',
    'crm_sales.group_crm_salesperson',
    'sale_opportunity.group_opportunity',
    ]


def create_partner(name, territories=(), tier=None, capacity=None,
        specialities=(), latitude=None, longitude=None, **values):
    "Return a partner party with an address at the coordinates"
    pool = Pool()
    Party = pool.get('party.party')
    Address = pool.get('party.address')
    party = Party(
        name=name, is_partner=True, partner_type='reseller',
        partner_tier=tier, partner_capacity=capacity,
        partner_territories=list(territories),
        partner_specialities=list(specialities),
        addresses=[Address(latitude=latitude, longitude=longitude)],
        **values)
    party.save()
    return party


def create_lead(company, territory=None, party=None, **values):
    "Return a lead of the company in the territory"
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    lead = Opportunity(
        company=company, party=party, crm_territory=territory,
        description="Lead", **values)
    lead.save()
    return lead
