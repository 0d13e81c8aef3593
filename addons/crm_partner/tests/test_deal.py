# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import create_company, create_employee
from trytond.modules.crm_sales.tests.tools import (
    SALESPERSON, as_user, create_staff, create_user, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module

from ..deal import email_domain, name_key, phone_key, tax_key
from .tools import CHANNEL_MANAGER, create_lead, create_partner


class DealTestCase(unittest.TestCase):
    "Test deal registration"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_partner'])

    @classmethod
    def setup_class_company(cls, company):
        return {
            'partner': create_partner("Reseller One"),
            'rival': create_partner("Reseller Two"),
            }

    def _deal(self, partner=None, **values):
        Deal = Pool().get('crm.partner.deal')
        values.setdefault('customer_name', "Acme Ltd.")
        deal, = Deal.create([dict(
                    partner=(partner or self.partner).id,
                    company=self.company.id, **values)])
        return deal

    def _customer(self, name, email=None, phone=None, tax=None):
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        Identifier = pool.get('party.identifier')
        mechanisms = []
        if email:
            mechanisms.append(ContactMechanism(type='email', value=email))
        if phone:
            mechanisms.append(ContactMechanism(type='phone', value=phone))
        party = Party(name=name, contact_mechanisms=mechanisms,
            identifiers=[Identifier(code=tax)] if tax else [])
        party.save()
        return party

    def test_keys(self):
        "Customers are recognised whatever the spelling"
        self.assertEqual(name_key("ACME Ltd."), name_key("acme"))
        self.assertEqual(name_key("Acme Trading Co., Ltd"), "acmetrading")
        self.assertEqual(name_key("上海宏达有限公司"), name_key("上海宏达"))
        self.assertEqual(tax_key("fr 40-303.265.045"), "FR40303265045")
        self.assertEqual(email_domain("Li@Acme.example"), "acme.example")
        self.assertIsNone(email_domain("someone@gmail.com"))
        self.assertIsNone(email_domain("someone@qq.com"))
        for phone in ["+86 (21) 6123-4567", "021 61234567", "6123-4567",
                "0086 21 6123 4567", "+86 21 6123 4567 ext. 89",
                "021-6123-4567 转 89", "０２１－６１２３４５６７"]:
            with self.subTest(phone=phone):
                self.assertEqual(phone_key(phone), "61234567")
        self.assertEqual(phone_key("+86 138 0013 8000"), "00138000")
        self.assertEqual(phone_key("13800138000"), "00138000")
        self.assertIsNone(phone_key("4567"))

    @with_company
    def test_conflicts(self):
        "Submitting finds the customers and leads the deal may clash with"
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        Assignment = pool.get('crm.partner.assignment')
        by_name = self._customer("ACME limited")
        by_email = self._customer("Other", email="buyer@acme.example")
        by_phone = self._customer("Third", phone="+86 21 6123 4567")
        by_tax = self._customer("Fourth", tax="CN123456789")
        self._customer("Near number", phone="+86 21 7123 4567")
        self._customer("Unrelated", email="x@gmail.com")
        lead = create_lead(self.company, party=by_name)
        Assignment.distribute([lead], partner=self.rival)
        deal = self._deal(
            email="li@acme.example", phone="6123-4567 转 89",
            tax_identifier="cn 123456789")

        Deal.submit([deal])

        self.assertEqual(deal.state, 'submitted')
        conflicts = {(c.party, c.opportunity): c.reasons
            for c in deal.conflicts}
        self.assertEqual(conflicts[(by_name, None)], "same name")
        self.assertEqual(
            conflicts[(by_email, None)], "same e-mail domain")
        self.assertEqual(conflicts[(by_phone, None)], "same phone number")
        self.assertEqual(conflicts[(by_tax, None)], "same tax identifier")
        self.assertEqual(conflicts[(by_name, lead)],
            "same name, proposed to partner Reseller Two")
        self.assertEqual(len(conflicts), 5)

    @with_company
    def test_free_mail_no_conflict(self):
        "A free-mail address says nothing about the company"
        Deal = Pool().get('crm.partner.deal')
        self._customer("Someone", email="boss@gmail.com")
        deal = self._deal(customer_name="Nobody Known",
            email="buyer@gmail.com")

        Deal.submit([deal])

        self.assertEqual(deal.conflicts, ())

    @with_company
    def test_approve(self):
        "Approval gives the customer to the partner on an accepted lead"
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        Date = pool.get('ir.date')
        deal = self._deal(email="li@acme.example", protection_days=30)
        Deal.submit([deal])

        Deal.approve([deal])

        self.assertEqual(deal.state, 'approved')
        self.assertEqual(deal.customer.name, "Acme Ltd.")
        self.assertEqual(
            deal.protected_until,
            Date.today() + datetime.timedelta(days=30))
        opportunity = deal.opportunity
        self.assertEqual(opportunity.party, deal.customer)
        self.assertEqual(opportunity.partner, self.partner)
        self.assertEqual(opportunity.partner_state, 'accepted')

    @with_company
    def test_approve_links_open_lead(self):
        "The customer's open lead without partner becomes the deal's"
        Deal = Pool().get('crm.partner.deal')
        customer = self._customer("Acme")
        lead = create_lead(self.company, party=customer)
        deal = self._deal(customer=customer.id)
        Deal.submit([deal])

        Deal.approve([deal])

        self.assertEqual(deal.opportunity, lead)
        self.assertEqual(deal.customer, customer)

    @with_company
    def test_protected(self):
        "Another partner cannot register a customer protected for a rival"
        Deal = Pool().get('crm.partner.deal')
        held = self._deal(partner=self.rival, customer_name="ACME limited")
        Deal.submit([held])
        Deal.approve([held])
        deal = self._deal(customer_name="Acme Ltd")

        with self.assertRaisesRegex(UserError, "protected for partner"):
            Deal.submit([deal])
        self.assertEqual(deal.state, 'draft')

        Deal.write([held], {'protected_until': datetime.date(2000, 1, 1)})
        Deal.submit([deal])
        self.assertEqual(deal.state, 'submitted')
        self.assertIn(held, [c.other_deal for c in deal.conflicts])

    @with_company
    def test_reject_needs_reason(self):
        "A deal is rejected with a reason only"
        Deal = Pool().get('crm.partner.deal')
        deal = self._deal()
        Deal.submit([deal])

        with self.assertRaisesRegex(UserError, "reason"):
            Deal.reject([deal])
        deal.reject_reason = "Already our customer"
        deal.save()
        Deal.reject([deal])

        self.assertEqual(deal.state, 'rejected')

    @with_company
    def test_state(self):
        "Each step only from its state"
        Deal = Pool().get('crm.partner.deal')
        deal = self._deal()

        with self.assertRaisesRegex(UserError, "not possible"):
            Deal.approve([deal])
        Deal.submit([deal])
        with self.assertRaisesRegex(UserError, "not possible"):
            Deal.submit([deal])

    @with_company
    def test_salesperson_cannot_approve(self):
        "Only the channel manager decides, and not on their own partner"
        Deal = Pool().get('crm.partner.deal')
        users = create_staff(self.company, {
                'sales': ("Sales", SALESPERSON),
                'channel': ("Channel", CHANNEL_MANAGER),
                }, 'secret-password-1')
        deal = self._deal()
        Deal.submit([deal])

        with as_user(users['sales']):
            Deal.read([deal.id], ['state'])
            with self.assertRaises(AccessButtonError):
                Deal.approve([Deal(deal.id)])
        self.assertEqual(Deal(deal.id).state, 'submitted')

        staff_party = users['channel'].employee.party
        staff_party.is_partner = True
        staff_party.partner_type = 'referral'
        staff_party.save()
        own = self._deal(partner=staff_party)
        Deal.submit([own])
        with as_user(users['channel']):
            with self.assertRaisesRegex(UserError, "your own partner"):
                Deal.approve([Deal(own.id)])
            Deal.approve([Deal(deal.id)])
        self.assertEqual(Deal(deal.id).state, 'approved')

    @with_company
    def test_salesperson_reads_only(self):
        "A salesperson reads the deals but neither registers nor changes them"
        Deal = Pool().get('crm.partner.deal')
        users = create_staff(self.company, {
                'sales': ("Sales", SALESPERSON),
                }, 'secret-password-1')
        deal = self._deal()

        with as_user(users['sales']):
            Deal.read([deal.id], ['customer_name'])
            with self.assertRaises(AccessError):
                Deal.write([Deal(deal.id)], {'customer_name': "Mine"})
            with self.assertRaises(AccessError):
                Deal.create([{
                            'partner': self.partner.id,
                            'company': self.company.id,
                            'customer_name': "Mine"}])
            with self.assertRaises(AccessButtonError):
                Deal.submit([Deal(deal.id)])

    @with_company
    def test_other_company(self):
        "The deals of another company are out of sight"
        Deal = Pool().get('crm.partner.deal')
        deal = self._deal()
        other = create_company("Other")
        user = create_user(
            'channel', other, create_employee(other, "Channel"),
            CHANNEL_MANAGER)

        with as_user(user, company=other.id):
            self.assertEqual(Deal.search([]), [])
            with self.assertRaises(AccessError):
                Deal.read([deal.id], ['customer_name'])
