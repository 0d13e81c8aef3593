# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    setup_accounting, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module

from .tools import create_partner


class CommissionTestCase(unittest.TestCase):
    "Test the commissions of the partners on the sales they bring"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_partner'])

    @classmethod
    def setup_class_company(cls, company):
        setup_accounting(company, Pool().get('ir.date').today())

    def setup_company(self):
        pool = Pool()
        Account = pool.get('account.account')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        ModelData = pool.get('ir.model.data')
        Plan = pool.get('commission.plan')
        Tier = pool.get('crm.partner.tier')
        revenue, expense = [Account.search([
                    (f'type.{kind}', '=', True),
                    ('closed', '!=', True),
                    ('company', '=', self.company.id),
                    ], limit=1)[0] for kind in ['revenue', 'expense']]
        category, = Category.create([{
                    'name': "Services", 'accounting': True,
                    'account_revenue': revenue.id,
                    'account_expense': expense.id}])
        unit = ModelData.get_id('product', 'uom_unit')
        commission, service = Template.create([{
                    'name': name, 'type': 'service', 'salable': True,
                    'list_price': Decimal('100'), 'default_uom': unit,
                    'sale_uom': unit, 'account_category': category.id,
                    'products': [('create', [{}])],
                    } for name in ["Commission", "Installation"]])
        self.product = service.products[0]
        self.plan, = Plan.create([{
                    'name': "Partners",
                    'commission_product': commission.products[0].id,
                    'commission_method': 'posting',
                    'lines': [('create', [{'formula': 'amount * 0.1'}])],
                    }])
        self.tier, = Tier.create([{
                    'name': "Gold", 'commission_plan': self.plan.id}])
        self.partner = create_partner("Reseller", tier=self.tier)

    def _post_invoice(self, sale):
        "Confirm and invoice the sale, post its invoice and return it"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        Sale.confirm([sale])
        Sale.process([sale])
        invoice, = sale.invoices
        invoice.invoice_date = Date.today()
        invoice.save()
        Invoice.post([invoice])
        return invoice

    @with_company
    def test_agent(self):
        "A partner is one commission agent of the company, on its tier's plan"
        agent = self.partner.partner_agent(self.company)

        self.assertEqual(
            (agent.party, agent.type_, agent.plan, agent.company),
            (self.partner, 'agent', self.plan, self.company))
        self.assertEqual(self.partner.partner_agent(self.company), agent)
        customer, = Pool().get('party.party').create([{'name': "Customer"}])
        self.assertIsNone(customer.partner_agent(self.company))

    @with_company
    def test_portal_order(self):
        "A portal order carries the partner as agent: commission on posting"
        pool = Pool()
        WebUser = pool.get('web.user')
        CartLine = pool.get('crm.partner.portal.cart.line')
        Commission = pool.get('commission')
        user, = WebUser.create([{
                    'email': 'reseller@example.com',
                    'party': self.partner.id}])
        CartLine.create([{
                    'user': user.id, 'product': self.product.id,
                    'quantity': 2}])

        sale = user.portal_cart_order()

        self.assertEqual(sale.agent.party, self.partner)
        invoice = self._post_invoice(sale)
        self.assertEqual(invoice.agent, sale.agent)
        commission, = Commission.search([('agent', '=', sale.agent.id)])
        self.assertEqual(commission.base_amount, Decimal('200'))
        self.assertEqual(commission.amount, Decimal('20'))

    @with_company
    def test_protected_opportunity(self):
        """The sale of a protected opportunity carries its partner as agent,
        another opportunity none"""
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        Opportunity = pool.get('sale.opportunity')
        OpportunityLine = pool.get('sale.opportunity.line')
        employee = create_employee(self.company, "Channel Manager")
        deal, = Deal.create([{
                    'company': self.company.id, 'partner': self.partner.id,
                    'customer_name': "Acme Ltd.", 'protection_days': 30}])
        Deal.submit([deal])
        Deal.approve([deal])
        protected = deal.opportunity
        other, = Opportunity.copy([protected])
        for opportunity in [protected, other]:
            opportunity.employee = employee
            opportunity.lines = [OpportunityLine(
                    product=self.product, quantity=1,
                    unit=self.product.sale_uom)]
            opportunity.save()
        Opportunity.opportunity([protected, other])

        Opportunity.convert([protected, other])

        sale, = protected.sales
        self.assertEqual(sale.agent.party, self.partner)
        self.assertIsNone(other.sales[0].agent)
