# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of proposals: a handful of opportunities with their proposal,
one of them re-issued after the customer changed the quotation."""
from trytond.transaction import Transaction

PROPOSALS = 6
TERMS = (
    "Prices are in the company currency and exclude taxes.\n"
    "Delivery within 30 days of the order confirmation.")
REVISED_TERMS = TERMS + "\nA second visit is included free of charge."


def populate(pool, rng, today):
    Configuration = pool.get('crm.configuration')
    Opportunity = pool.get('sale.opportunity')
    Proposal = pool.get('crm.proposal')
    SaleLine = pool.get('sale.line')
    company = Transaction().context['company']

    configuration = Configuration(1)
    configuration.proposal_validity = 30
    configuration.proposal_terms = TERMS
    configuration.save()

    candidates = [o for o in Opportunity.search([
                ('company', '=', company),
                ('state', 'in', ['opportunity', 'converted']),
                ], order=[('id', 'ASC')])
        if o.lines and (o.state == 'opportunity' or o.proposal_quotation)]
    chosen = rng.sample(candidates, min(PROPOSALS, len(candidates)))
    proposals = Opportunity.create_proposals(chosen)

    Proposal.send(proposals[:4])
    Proposal.accept(proposals[:1])
    Proposal.reject(proposals[1:2])

    # The customer asked for one more unit: the quotation is re-issued
    revised = proposals[2]
    line = revised.sale.lines[0]
    SaleLine.write([line], {'quantity': line.quantity + 1})
    Opportunity.create_proposals([revised.opportunity], terms=REVISED_TERMS)
