# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.model.exceptions import ValidationError
from trytond.modules.crm_sales.tests.tools import with_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .tools import create_partner


class PartyTestCase(unittest.TestCase):
    "Test the partner profile"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_partner'])

    @with_company
    def test_certification_state(self):
        "A certification past its expiry is expired, and found so"
        pool = Pool()
        Certification = pool.get('crm.partner.certification')
        Date = pool.get('ir.date')
        today = Date.today()
        partner = create_partner("Partner")
        valid, expired, forever = Certification.create([{
                    'party': partner.id, 'name': name, 'date': date,
                    'expiry_date': expiry,
                    } for name, date, expiry in [
                    ("Valid", today, today + datetime.timedelta(days=1)),
                    ("Expired", today - datetime.timedelta(days=9),
                        today - datetime.timedelta(days=1)),
                    ("Forever", today, None)]])

        self.assertEqual(
            [c.state for c in [valid, expired, forever]],
            ['valid', 'expired', 'valid'])
        self.assertEqual(
            Certification.search([('state', '=', 'expired')]), [expired])
        self.assertEqual(
            set(Certification.search([('state', '=', 'valid')])),
            {valid, forever})
        self.assertEqual(
            Certification.search([('state', '!=', 'valid')]), [expired])

    @with_company
    def test_tier_needs_partner(self):
        "Only a partner has a tier"
        pool = Pool()
        Party = pool.get('party.party')
        Tier = pool.get('crm.partner.tier')
        tier, = Tier.create([{'name': "Gold"}])

        with self.assertRaises(ValidationError):
            Party.create([{'name': "Customer", 'partner_tier': tier.id}])

    @with_company
    def test_create_portal_user(self):
        "A contact of the partner gets a portal user of the partner, once"
        pool = Pool()
        WebUser = pool.get('web.user')
        Wizard = pool.get('crm.partner.portal_user.create', type='wizard')
        partner = create_partner("Partner")

        def run(email):
            session_id, _, _ = Wizard.create()
            with Transaction().set_context(
                    active_model='party.party', active_id=partner.id,
                    active_ids=[partner.id]):
                Wizard.execute(session_id, {
                        'start': {'party': partner.id, 'email': email},
                        }, 'create_')
        run("li@partner.example")

        user, = WebUser.search([('email', '=', "li@partner.example")])
        self.assertEqual(user.party, partner)
        self.assertTrue(user.reset_password_token)
        with self.assertRaises(ValidationError):
            run("li@partner.example")
