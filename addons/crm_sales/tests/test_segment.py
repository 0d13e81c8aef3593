# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import (
    create_customer, post_invoice, setup_accounting, with_company)


def create_payment_term(days):
    pool = Pool()
    PaymentTerm = pool.get('account.invoice.payment_term')
    Line = pool.get('account.invoice.payment_term.line')
    Delta = pool.get('account.invoice.payment_term.line.delta')
    term = PaymentTerm(name="%s days" % days, lines=[
            Line(type='remainder', relativedeltas=[Delta(days=days)])])
    term.save()
    return term


class SegmentTestCase(unittest.TestCase):
    "Test customer value segments"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    @classmethod
    def setup_class_company(cls, company):
        setup_accounting(company, datetime.date.today())

    def _crafted_customers(self, company, today):
        """Return parties whose revenue is 50, 30, 10, 5, 5 and 0 where the
        last one is overdue (invoiced before the window, due at once)"""
        day = datetime.timedelta(days=1)
        term = create_payment_term(60)
        at_once = create_payment_term(0)
        parties = [create_customer('P%s' % i) for i in range(1, 7)]
        p1, p2, p3, p4, p5, p6 = parties
        # Invoices are numbered in date order
        post_invoice(company, p6, today - 90 * day, 7, at_once)
        post_invoice(company, p5, today - 40 * day, 5, term)
        post_invoice(company, p4, today - 30 * day, 5, term)
        post_invoice(company, p2, today - 20 * day, 30, term)
        post_invoice(company, p1, today - 10 * day, 30, term)
        post_invoice(company, p1, today - 5 * day, 20, term)
        post_invoice(company, p3, today - 3 * day, 10, term)
        return parties

    def _values(self, company):
        PartyValue = Pool().get('crm.party.value')
        return {v.party.name: v for v in PartyValue.search([
                    ('company', '=', company.id),
                    ])}

    @with_company
    def test_segments_rfm_and_credit_risk(self):
        "ABC boundaries, RFM quintiles and credit risk on crafted revenue"
        pool = Pool()
        PartyValue = pool.get('crm.party.value')
        Party = pool.get('party.party')
        Configuration = pool.get('crm.configuration')
        Date = pool.get('ir.date')
        company = self.company
        today = Date.today()
        self._crafted_customers(company, today)
        config = Configuration(1)
        config.segment_window_months = 2
        config.save()

        PartyValue.recompute([company.id])
        values = self._values(company)

        self.assertEqual(
            {n: v.segment for n, v in values.items()},
            {'P1': 'A', 'P2': 'A', 'P3': 'B', 'P4': 'B',
                'P5': 'C', 'P6': 'C'})
        self.assertEqual(
            {n: v.revenue for n, v in values.items()},
            {'P1': 50, 'P2': 30, 'P3': 10, 'P4': 5, 'P5': 5, 'P6': 0})
        self.assertEqual(
            {n: v.rfm_score for n, v in values.items()},
            {'P1': '555', 'P2': '455', 'P3': '554', 'P4': '353',
                'P5': '253', 'P6': '111'})
        self.assertEqual(values['P1'].invoice_count, 2)
        self.assertEqual(values['P6'].invoice_count, 0)
        self.assertEqual(
            {n for n, v in values.items() if v.credit_risk}, {'P6'})
        self.assertEqual(values['P6'].overdue_amount, 7)
        self.assertEqual(values['P1'].overdue_amount, 0)
        self.assertEqual(values['P1'].computed_date, today)

        # The party fields read and search the values
        p1, = Party.search([('name', '=', 'P1')])
        self.assertEqual(p1.crm_value_segment, 'A')
        self.assertEqual(p1.crm_rfm_score, '555')
        self.assertEqual(p1.crm_revenue, Decimal('50.00'))
        self.assertFalse(p1.crm_credit_risk)
        self.assertEqual(
            {p.name for p in Party.search([
                        ('crm_value_segment', '=', 'A')])},
            {'P1', 'P2'})
        self.assertEqual(
            {p.name for p in Party.search([
                        ('crm_value_segment', 'in', ['B', 'C']),
                        ('name', 'like', 'P%'),
                        ])},
            {'P3', 'P4', 'P5', 'P6'})
        self.assertEqual(
            {p.name for p in Party.search([
                        ('crm_credit_risk', '=', True)])},
            {'P6'})
        self.assertIn(
            company.party,
            Party.search([('crm_value_segment', '=', '')]))

        # A higher threshold clears the flag; recompute replaces rows
        config.credit_risk_threshold = Decimal(10)
        config.save()
        PartyValue.recompute([company.id])
        self.assertEqual(PartyValue.search([], count=True), 6)
        self.assertFalse(
            any(v.credit_risk for v in self._values(company).values()))

    @with_company
    def test_other_company(self):
        "Values are per company"
        pool = Pool()
        PartyValue = pool.get('crm.party.value')
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        company = self.company
        other = create_company("Other")
        customer = create_customer("Customer")
        post_invoice(company, customer, Date.today(), 100)
        PartyValue.recompute([company.id])
        self.assertEqual(customer.crm_value_segment, 'A')
        with set_company(other), \
                Transaction().set_context(company=other.id):
            PartyValue.recompute([other.id])
            customer = Party(customer.id)
            self.assertEqual(customer.crm_value_segment, '')
            self.assertEqual(
                Party.search([('crm_value_segment', '=', 'A')]), [])

    @with_company
    def test_cron(self):
        "The cron recomputes the values of its companies"
        pool = Pool()
        Cron = pool.get('ir.cron')
        PartyValue = pool.get('crm.party.value')
        Date = pool.get('ir.date')
        company = self.company
        customer = create_customer("Customer")
        post_invoice(company, customer, Date.today(), 100)
        cron, = Cron.search([
                ('method', '=', 'crm.party.value|recompute_cron'),
                ])
        self.assertTrue(cron.active)
        Cron.write([cron], {'companies': [('add', [company.id])]})
        with Transaction().set_context(company=None):
            Cron.run_once([cron])
        value, = PartyValue.search([])
        self.assertEqual(value.party, customer)
        self.assertEqual(value.segment, 'A')

    @with_transaction()
    def test_value_graph_opens_on_all_segments(self):
        "Customers by Value opens on every segment: its pie is not all A"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action.act_window')
        action = Action(ModelData.get_id('crm_sales', 'act_party_by_value'))
        (name, domain, _), *_ = action.domains
        self.assertEqual((name, domain), ("All", '[]'))
