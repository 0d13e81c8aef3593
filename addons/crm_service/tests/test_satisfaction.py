# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import hashlib
import hmac
import unittest
from unittest.mock import patch
from urllib.parse import quote

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_user, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

AGENT = ['crm_service.group_crm_service_agent']
MANAGER = ['crm_service.group_crm_service_manager']
SENDER = 'trytond.modules.crm_service.satisfaction.send_message_transactional'


class SatisfactionTestCase(unittest.TestCase):
    "Test the rating requests and the CSAT reports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def setup_company(self):
        self.agent = create_employee(self.company, "Agent")

    def closed_case(self, email=None, **values):
        pool = Pool()
        Case = pool.get('crm.service.case')
        Party = pool.get('party.party')
        party, = Party.create([{
                    'name': "Customer",
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': email}]
                            if email else [])],
                    }])
        values.setdefault('agent', self.agent)
        case = Case(
            subject="Printer jams", party=party, resolution="Fixed",
            contact=party.contact_mechanisms[0] if email else None,
            **values)
        case.save()
        with patch(SENDER) as send:
            Case.start([case])
            Case.resolve([case])
            Case.close([case])
        self.sent = send
        return case

    @with_company
    def test_rating_requested_on_close(self):
        "Closing a case asks for a rating; reopening keeps it"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Team = pool.get('crm.sales.team')
        team, = Team.create([{'name': "Desk"}])
        case = self.closed_case(team=team.id)
        rating, = case.ratings
        self.assertEqual(
            (rating.party, rating.agent, rating.team, rating.company,
                rating.score, rating.rated_at),
            (case.party, self.agent, team, self.company, None, None))
        self.assertTrue(rating.requested_at)
        self.assertTrue(rating.nonce)

        # A case without e-mail sends no links
        self.sent.assert_not_called()
        links = rating.links().splitlines()
        self.assertEqual(len(links), 5)
        database = quote(Transaction().database.name)
        self.assertRegex(
            links[2],
            rf'^3: https?://[^/]+/{database}/crm_service/rate/'
            rf'{rating.id}\.[0-9a-f]{{64}}\?score=3$')

        Case.reopen([case])
        case.resolution = "Fixed again"
        case.save()
        Case.resolve([case])
        Case.close([case])
        case = Case(case.id)
        self.assertEqual(len(case.ratings), 2)
        self.assertIn(rating, case.ratings)
        # Each request has its own links
        latest, = [r for r in case.ratings if r != rating]
        self.assertNotEqual(latest.links(), '\n'.join(links))

    @with_company
    def test_close_twice_one_rating(self):
        "A refused second close asks for no rating"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.closed_case()
        with self.assertRaises(UserError):
            Case.close([case])
        self.assertEqual(len(Case(case.id).ratings), 1)

    @with_company
    def test_email_sent(self):
        "The links are e-mailed to the contact of the case"
        case = self.closed_case(email='customer@example.com')
        rating, = case.ratings
        self.sent.assert_called_once()
        msg, from_, to = self.sent.call_args.args
        self.assertEqual(to, ['customer@example.com'])
        self.assertEqual(msg['To'], 'customer@example.com')
        self.assertIn(case.number, msg['Subject'])
        body = msg.get_content()
        for score in range(1, 6):
            self.assertIn(rating.url(score), body)
        # Its replies go to the case
        email, = case.emails
        self.assertEqual(
            (email.message_id, email.direction),
            (msg['Message-ID'], 'outgoing'))

    @with_company
    def test_token_signature(self):
        "Only the token signed with the database's secret finds the rating"
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        Configuration = pool.get('crm.service.configuration')
        rating, = self.closed_case().ratings
        other, = self.closed_case().ratings
        key = Configuration.signing_key_for('crm.service.rating')
        self.assertEqual(len(key), 32)
        # The same key every time, and another one for another purpose
        self.assertEqual(
            Configuration.signing_key_for('crm.service.rating'), key)
        self.assertNotEqual(
            Configuration.signing_key_for('crm.service.request'), key)

        self.assertEqual(Rating.from_token(rating.token), rating)
        id_, signature = rating.token.split('.')
        expected = hmac.new(
            key, f'{rating.id}:{rating.nonce}'.encode(),
            hashlib.sha256).hexdigest()
        self.assertEqual(signature, expected)

        nonce_only = hashlib.sha256(
            f'{rating.id}:{rating.nonce}'.encode()).hexdigest()
        flipped = ('0' if signature[0] != '0' else '1') + signature[1:]
        for forged in [
                f'{other.id}.{signature}',
                f'{rating.id}.{flipped}',
                f'{rating.id}.{signature[:-1]}',
                f'{rating.id}.{nonce_only}',
                f'{rating.id}.{rating.nonce}',
                f'{rating.id}.',
                f'{rating.id}',
                f'99999.{signature}',
                f'-{rating.id}.{signature}',
                'x.y', '', None]:
            self.assertIsNone(Rating.from_token(forged), forged)

    @with_company
    def test_rate_once(self):
        "The first score and the first comment are kept"
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        rating, = self.closed_case().ratings
        self.assertTrue(rating.rate(4))
        self.assertFalse(rating.rate(1))
        self.assertTrue(rating.add_comment("Quick"))
        self.assertFalse(rating.add_comment("Changed my mind"))
        rating = Rating(rating.id)
        self.assertEqual((rating.score, rating.comment), (4, "Quick"))
        self.assertTrue(rating.rated_at)

    @with_company
    def test_parse_score(self):
        "A score is a whole number from 1 to 5"
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        self.assertEqual(Rating.parse_score('5'), 5)
        for value in ['0', '6', 'x', '', '4.5', '-1', None]:
            with self.assertRaisesRegex(UserError, "from 1 to 5"):
                Rating.parse_score(value)

    @with_company
    def test_csat(self):
        "CSAT per agent, team and month: average, share of 4-5, response"
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        CSAT = pool.get('crm.service.csat')
        CSATMonth = pool.get('crm.service.csat.month')
        Team = pool.get('crm.sales.team')
        team, = Team.create([{'name': "Desk"}])
        other = create_employee(self.company, "Other Agent")
        march, april = dt.datetime(2026, 3, 10), dt.datetime(2026, 4, 2)
        plan = [
            (self.agent, march, 5), (self.agent, march, 4),
            (self.agent, march, 2), (self.agent, march, None),
            (self.agent, april, 3),
            (other, march, 1), (other, march, None),
            ]
        for agent, requested_at, score in plan:
            rating, = self.closed_case(agent=agent, team=team.id).ratings
            Rating.write([rating], {
                    'requested_at': requested_at,
                    'score': score,
                    })

        with Transaction().set_context(company=self.company.id):
            rows = {(r.agent, r.month): r for r in CSAT.search([])}
            months = {r.month: r for r in CSATMonth.search([])}
        self.assertEqual(len(rows), 3)
        row = rows[self.agent, dt.date(2026, 3, 1)]
        self.assertEqual(
            (row.team, row.requested, row.rated, row.satisfied),
            (team, 4, 3, 2))
        self.assertAlmostEqual(row.average_score, 11 / 3)
        self.assertAlmostEqual(row.csat, 200 / 3)
        self.assertAlmostEqual(row.response_rate, 75.0)
        row = rows[other, dt.date(2026, 3, 1)]
        self.assertEqual((row.rated, row.csat, row.response_rate),
            (1, 0.0, 50.0))

        march = months[dt.date(2026, 3, 1)]
        self.assertEqual(
            (march.requested, march.rated, march.satisfied), (6, 4, 2))
        self.assertAlmostEqual(march.csat, 50.0)
        self.assertAlmostEqual(march.average_score, 3.0)

        with Transaction().set_context(
                company=self.company.id, from_date=dt.date(2026, 4, 1)):
            self.assertEqual(
                [r.month for r in CSATMonth.search([])],
                [dt.date(2026, 4, 1)])
        with Transaction().set_context(company=-1):
            self.assertEqual(CSAT.search([]), [])

    @with_company
    def test_rules_other_team(self):
        "An agent of another team sees neither the ratings nor the CSAT"
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        CSAT = pool.get('crm.service.csat')
        Configuration = pool.get('crm.service.configuration')
        Team = pool.get('crm.sales.team')
        other = create_employee(self.company, "Agent South")
        north, south = Team.create([
                {'name': "North", 'members': [('add', [self.agent.id])]},
                {'name': "South", 'members': [('add', [other.id])]},
                ])
        rating, = self.closed_case(team=north.id).ratings
        own_user = create_user('north', self.company, self.agent, AGENT)
        other_user = create_user('south', self.company, other, AGENT)
        manager = create_user('boss', self.company, other, MANAGER)

        with as_user(own_user):
            self.assertEqual(Rating.search([]), [rating])
            with self.assertRaises(AccessError):
                Rating.write([Rating(rating.id)], {'score': 5})
            with self.assertRaises(AccessError):
                CSAT.search([])
        with as_user(other_user):
            self.assertEqual(Rating.search([]), [])
            with self.assertRaises(AccessError):
                Rating.read([rating.id], ['score'])
        # The key exists once a link was signed
        Configuration.signing_key_for('crm.service.rating')
        with as_user(manager):
            self.assertEqual(len(CSAT.search([])), 1)
            # The key signing the links is never read by a user
            with self.assertRaises(AccessError):
                Configuration.read([1], ['signing_key'])
        self.assertIsNone(Rating(rating.id).score)
