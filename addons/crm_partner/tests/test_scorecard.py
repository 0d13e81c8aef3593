# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    create_customer, post_invoice, setup_accounting, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .tools import create_lead, create_partner


class ScorecardTestCase(unittest.TestCase):
    "Test partner scorecards"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_partner'])

    def setup_company(self):
        pool = Pool()
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        self.unit, = Uom.search([('name', '=', "Unit")])
        self.employee = create_employee(self.company, "Manager")
        self.products = [Template.create([{
                        'name': name, 'default_uom': self.unit.id,
                        'salable': True, 'sale_uom': self.unit.id,
                        'products': [('create', [{}])],
                        }])[0].products[0] for name in ["A", "B"]]

    def _won_lead(self, partner, customer, state='won'):
        "Return a lead of the customer the partner accepted"
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        Opportunity = pool.get('sale.opportunity')
        lead = create_lead(
            self.company, party=customer, employee=self.employee)
        assignment, = Assignment.distribute([lead], partner=partner)
        Assignment.accept([assignment])
        Opportunity.write([lead], {'state': state})
        return lead

    def _sale(self, lead, date, amount, product):
        """Return a sale of the lead with one line marked as confirmed on the
        date: confirming needs a full stock set-up, the scorecard only what
        confirmation stores"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        party = lead.party
        sale = Sale(
            company=self.company, party=party,
            invoice_address=party.addresses[0],
            shipment_address=party.addresses[0],
            currency=self.company.currency, origin=lead,
            lines=[SaleLine(
                    type='line', product=product, unit=self.unit,
                    quantity=1, unit_price=Decimal(amount))])
        sale.save()
        table = Sale.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.state, table.sale_date, table.untaxed_amount_cache],
                ['confirmed', date, Decimal(amount)],
                where=table.id == sale.id))
        return Sale(sale.id)

    @with_company
    def test_scorecard(self):
        "Revenue, growth, new customers, breadth, rates and tier proposal"
        pool = Pool()
        Tier = pool.get('crm.partner.tier')
        Deal = pool.get('crm.partner.deal')
        Scorecard = pool.get('crm.partner.scorecard')
        Date = pool.get('ir.date')
        today = Date.today()
        setup_accounting(self.company, today)
        silver, gold, _ = Tier.create([
                {'name': "Silver", 'sequence': 10},
                {'name': "Gold", 'sequence': 20,
                    'min_revenue': Decimal(1000),
                    'currency': self.company.currency.id,
                    'min_new_customers': 2, 'min_products': 2},
                {'name': "Platinum", 'sequence': 30,
                    'min_revenue': Decimal(1_000_000),
                    'currency': self.company.currency.id},
                ])
        partner = create_partner("Reseller", tier=silver)
        rival = create_partner("Rival", tier=silver)
        first, second, old = [create_customer(n) for n in "XYZ"]
        a, b = self.products
        from_date = today - datetime.timedelta(days=10)
        to_date = today + datetime.timedelta(days=10)
        before = from_date - datetime.timedelta(days=5)

        sale = self._sale(self._won_lead(partner, first), today, 600, a)
        post_invoice(
            self.company, first, today, 600, origin=sale.lines[0])
        self._sale(self._won_lead(partner, second), today, 500, b)
        old_lead = self._won_lead(partner, old)
        self._sale(old_lead, before, 400, a)
        self._sale(old_lead, today, 100, a)
        self._won_lead(partner, create_customer("W"), state='lost')
        self._sale(self._won_lead(rival, old), today, 999, a)
        approved, rejected = [Deal(
                company=self.company, partner=partner, customer_name=n,
                reject_reason="Known") for n in ["P", "Q"]]
        Deal.save([approved, rejected])
        Deal.submit([approved, rejected])
        Deal.approve([approved])
        Deal.reject([rejected])

        with Transaction().set_context(
                company=self.company.id,
                from_date=from_date, to_date=to_date):
            scorecard, = Scorecard.search([('partner', '=', partner.id)])
            self.assertEqual(scorecard.revenue, Decimal(1200))
            self.assertEqual(scorecard.previous_revenue, Decimal(400))
            self.assertEqual(scorecard.growth, 2)
            self.assertEqual(scorecard.invoiced, Decimal(600))
            self.assertEqual(scorecard.new_customers, 2)
            self.assertEqual(scorecard.products, 2)
            self.assertEqual(scorecard.won, 3)
            self.assertEqual(scorecard.lost, 1)
            self.assertEqual(scorecard.win_rate, 0.75)
            self.assertEqual(scorecard.deals_approved, 1)
            self.assertEqual(scorecard.deals_rejected, 1)
            self.assertEqual(scorecard.approval_rate, 0.5)
            self.assertIsNotNone(scorecard.response_hours)
            self.assertEqual(scorecard.proposed_tier, gold)

            rival_card, = Scorecard.search([('partner', '=', rival.id)])
            self.assertEqual(rival_card.revenue, Decimal(999))
            self.assertEqual(rival_card.new_customers, 0)
            self.assertEqual(rival_card.proposed_tier, silver)
