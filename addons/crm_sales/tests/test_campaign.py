# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest
from decimal import Decimal

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.currency.tests import add_currency_rate, create_currency
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import create_opportunity, create_sale


def set_state(opportunity, state):
    "Force the state: it is the data under test, not how it is reached"
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Opportunity.write([opportunity], {'state': state})


class CampaignAttributionTestCase(unittest.TestCase):
    "Test campaign attribution"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def _attribution(self, company, **context):
        pool = Pool()
        Attribution = pool.get('crm.campaign.attribution')
        Context = pool.get('crm.campaign.attribution.context')
        values = Context.default_get(
            list(Context._fields), with_rec_name=False)
        values.update(company=company.id, **context)
        with Transaction().set_context(**values):
            return {
                (r.marketing_campaign.name if r.marketing_campaign else None,
                    r.marketing_medium.name if r.marketing_medium else None,
                    r.marketing_source.name if r.marketing_source else None):
                (r.number, r.opportunities, r.converted, r.won,
                    r.won_revenue, r.conversion_rate, r.winning_rate)
                for r in Attribution.search([])}

    def _data(self):
        "Return the company of crafted opportunities of two campaigns"
        pool = Pool()
        Campaign = pool.get('marketing.campaign')
        Medium = pool.get('marketing.medium')
        Source = pool.get('marketing.source')
        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            spring, fair = Campaign.create([
                    {'name': 'spring'}, {'name': 'fair'}])
            email, event = Medium.create([
                    {'name': 'email'}, {'name': 'event'}])
            newsletter, = Source.create([{'name': 'newsletter'}])
            spring_email = {
                'marketing_campaign': spring, 'marketing_medium': email,
                'marketing_source': newsletter}
            fair_event = {
                'marketing_campaign': fair, 'marketing_medium': event}

            won = create_opportunity(company, employee, **spring_email)
            create_sale(won, ['60', '40'], 'confirmed')
            create_sale(won, ['40'], 'confirmed')
            set_state(won, 'won')
            lost = create_opportunity(company, employee, **spring_email)
            create_sale(lost, ['999'], 'confirmed')
            create_sale(lost, ['30'], 'cancelled')
            set_state(lost, 'lost')
            lead = create_opportunity(company, employee, **spring_email)
            set_state(lead, 'lead')

            converted = create_opportunity(company, employee, **fair_event)
            create_sale(converted, ['70'], 'confirmed')
            # 100 EUR at 2 EUR per company currency unit
            euro = create_currency('EUR')
            add_currency_rate(euro, 2)
            create_sale(converted, ['100'], 'confirmed', currency=euro)
            create_sale(converted, ['500'], 'draft')
            create_sale(converted, ['30'], 'cancelled')
            set_state(converted, 'converted')
            opportunity = create_opportunity(company, employee, **fair_event)
            set_state(opportunity, 'opportunity')

            unattributed = create_opportunity(company, employee)
            create_sale(unattributed, ['10'], 'confirmed')
            set_state(unattributed, 'won')

            old = create_opportunity(
                company, employee, start_date=datetime.date(2000, 1, 1),
                **spring_email)
            create_sale(old, ['1000'], 'confirmed')
            set_state(old, 'won')
        return company

    @with_transaction()
    def test_attribution(self):
        "Won revenue is attributed once per confirmed sale of won deals"
        company = self._data()
        other_company = create_company("Other")
        with set_company(other_company):
            employee = create_employee(other_company)
            campaign, = Pool().get('marketing.campaign').search(
                [('name', '=', 'spring')])
            won = create_opportunity(
                other_company, employee, marketing_campaign=campaign)
            create_sale(won, ['5'], 'confirmed')
            set_state(won, 'won')

        with set_company(company):
            rows = self._attribution(company)

        self.assertEqual(rows, {
                ('spring', 'email', 'newsletter'): (
                    3, 2, 1, 1, Decimal('140'), 0.3333, 0.3333),
                ('fair', 'event', None): (
                    2, 2, 1, 0, Decimal('120'), 0.5, 0.0),
                (None, None, None): (
                    1, 1, 1, 1, Decimal('10'), 1.0, 1.0),
                })

    @with_transaction()
    def test_grouping_and_filter(self):
        "Attribution follows the grouping and the filters of the context"
        pool = Pool()
        Campaign = pool.get('marketing.campaign')
        company = self._data()
        spring, = Campaign.search([('name', '=', 'spring')])
        with set_company(company):
            by_campaign = self._attribution(
                company, group_by_marketing_medium=False,
                group_by_marketing_source=False)
            spring_only = self._attribution(
                company, marketing_campaign=spring.id)
            all_time = self._attribution(
                company, from_date=None, marketing_campaign=spring.id)

        self.assertEqual(
            {k: v[4] for k, v in by_campaign.items()}, {
                ('spring', None, None): Decimal('140'),
                ('fair', None, None): Decimal('120'),
                (None, None, None): Decimal('10'),
                })
        self.assertEqual(
            list(spring_only), [('spring', 'email', 'newsletter')])
        self.assertEqual(
            all_time[('spring', 'email', 'newsletter')][4], Decimal('1140'))
