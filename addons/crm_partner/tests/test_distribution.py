# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.exceptions import UserError
from trytond.model.modelview import AccessButtonError
from trytond.modules.crm_sales.tests.tools import (
    SALESPERSON, as_user, create_customer, create_staff, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .tools import CHANNEL_MANAGER, create_lead, create_partner


def fresh(record):
    "Return the record read again"
    return record.__class__(record.id)


class DistributionTestCase(unittest.TestCase):
    "Test the distribution of leads to partners"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_partner'])

    def setup_company(self):
        pool = Pool()
        Territory = pool.get('crm.territory')
        Tier = pool.get('crm.partner.tier')
        self.east, self.west = Territory.create([
                {'name': "East"}, {'name': "West"}])
        self.city, = Territory.create([
                {'name': "City", 'parent': self.east.id}])
        self.gold, self.silver = Tier.create([
                {'name': "Gold", 'weight': 2, 'sequence': 20},
                {'name': "Silver", 'weight': 1, 'sequence': 10}])

    def _customer(self):
        return create_customer(latitude=31.23, longitude=121.47)

    @with_company
    def test_best_partner(self):
        "The partner covering the territory, near and of a high tier wins"
        pool = Pool()
        Log = pool.get('crm.partner.assignment.log')
        near = create_partner("Near", [self.east], self.gold,
            latitude=31.3, longitude=121.5)
        far = create_partner("Far", [self.east], self.gold,
            latitude=39.9, longitude=116.4)
        create_partner("Elsewhere", [self.west], self.gold,
            latitude=31.3, longitude=121.5)
        lead = create_lead(self.company, self.city, self._customer())

        Assignment = pool.get('crm.partner.assignment')
        assignment, = Assignment.distribute([lead])

        self.assertEqual(assignment.partner, near)
        self.assertEqual(lead.partner, near)
        self.assertEqual(lead.partner_state, 'proposed')
        self.assertIn("Covers the territory", lead.partner_reasons)
        self.assertIn("km from the customer", lead.partner_reasons)
        self.assertGreater(assignment.score, 60)
        self.assertTrue(assignment.deadline)
        self.assertNotEqual(assignment.partner, far)
        log, = Log.search([('assignment', '=', assignment.id)])
        self.assertEqual(log.event, 'proposed')
        self.assertEqual(
            Pool().get('sale.opportunity').search(
                [('partner', '=', near.id)]), [lead])

    @with_company
    def test_live_lead_not_distributed_again(self):
        "A lead proposed already keeps its proposal"
        Assignment = Pool().get('crm.partner.assignment')
        create_partner("One", [self.east])
        lead = create_lead(self.company, self.east)
        Assignment.distribute([lead])

        self.assertEqual(Assignment.distribute([lead]), [])

    @with_company
    def test_capacity(self):
        "A partner at capacity gets no more leads"
        Assignment = Pool().get('crm.partner.assignment')
        small = create_partner("Small", [self.east], self.gold, capacity=1)
        big = create_partner("Big", [self.east], self.silver, capacity=10)
        leads = [create_lead(self.company, self.east) for _ in range(3)]

        assignments = Assignment.distribute(leads)

        self.assertEqual(
            sorted(a.partner.name for a in assignments),
            ["Big", "Big", "Small"])
        self.assertEqual(len([a for a in assignments if a.partner == big]), 2)
        self.assertIn(small, [a.partner for a in assignments])

    @with_company
    def test_speciality(self):
        "Without a territory match, the partner knowing the products wins"
        pool = Pool()
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Assignment = pool.get('crm.partner.assignment')
        Line = pool.get('sale.opportunity.line')
        solar, = Category.create([{'name': "Solar"}])
        panels, = Category.create([{'name': "Panels", 'parent': solar.id}])
        unit, = Uom.search([('name', '=', "Unit")])
        template, = Template.create([{
                    'name': "Panel", 'default_uom': unit.id,
                    'salable': True, 'sale_uom': unit.id,
                    'categories': [('add', [panels.id])],
                    'products': [('create', [{}])]}])
        create_partner("Generalist", [self.west])
        expert = create_partner("Expert", [self.west], specialities=[solar])
        lead = create_lead(self.company, self.east, lines=[Line(
                    product=template.products[0], quantity=1, unit=unit)])

        assignment, = Assignment.distribute([lead])

        self.assertEqual(assignment.partner, expert)
        self.assertIn("1 of the 1 product categories", assignment.reasons)

    @with_company
    def test_accept(self):
        "The partner accepts a proposed lead, once"
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        partner = create_partner("One", [self.east])
        lead = create_lead(self.company, self.east)
        assignment, = Assignment.distribute([lead])

        Assignment.accept([assignment], partner=partner)

        self.assertEqual(assignment.state, 'accepted')
        self.assertTrue(assignment.response_date)
        self.assertEqual(
            [l.event for l in assignment.logs], ['accepted', 'proposed'])
        with self.assertRaises(UserError):
            Assignment.accept([assignment])
        with self.assertRaises(UserError):
            Assignment.decline([assignment], "Too late")

    @with_company
    def test_accept_other_partner(self):
        "A partner cannot answer for a lead proposed to another"
        Assignment = Pool().get('crm.partner.assignment')
        create_partner("One", [self.east])
        other = create_partner("Other", [self.west])
        lead = create_lead(self.company, self.east)
        assignment, = Assignment.distribute([lead])

        with self.assertRaisesRegex(UserError, "not proposed to you"):
            Assignment.accept([assignment], partner=other)
        with self.assertRaisesRegex(UserError, "not proposed to you"):
            Assignment.decline([assignment], "No", partner=other)
        self.assertEqual(assignment.state, 'proposed')

    @with_company
    def test_accept_closed_or_reassigned(self):
        "A lead closed or given to another partner cannot be answered"
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        Opportunity = pool.get('sale.opportunity')
        first = create_partner("First", [self.east], self.gold)
        second = create_partner("Second", [self.west], self.silver)
        closed, moved = [create_lead(self.company, self.east)
            for _ in range(2)]
        proposal, old = sorted(Assignment.distribute([closed, moved]),
            key=lambda a: a.opportunity != closed)
        Opportunity.lost([closed])
        Assignment.distribute([moved], partner=second, trigger='manual')

        for method, args in [('accept', ()), ('decline', ("No",))]:
            with self.assertRaisesRegex(UserError, "is no longer open"):
                getattr(Assignment, method)(
                    [proposal], *args, partner=first)
            with self.assertRaisesRegex(
                    UserError, "given to another partner"):
                getattr(Assignment, method)([old], *args, partner=first)
        self.assertEqual(
            (proposal.state, proposal.decline_reason, proposal.user),
            ('proposed', None, None))
        self.assertEqual(fresh(old).state, 'withdrawn')
        self.assertEqual(fresh(moved).partner, second)

    @with_company
    def test_decline_goes_to_next(self):
        "A declined lead goes to the next best partner, never back"
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        first = create_partner("First", [self.east], self.gold)
        second = create_partner("Second", [self.east], self.silver)
        lead = create_lead(self.company, self.east)
        assignment, = Assignment.distribute([lead])
        self.assertEqual(assignment.partner, first)

        Assignment.decline([assignment], "Too far")

        self.assertEqual(assignment.state, 'declined')
        self.assertEqual(assignment.decline_reason, "Too far")
        self.assertEqual(fresh(lead).partner, second)
        current = fresh(lead).partner_assignment

        Assignment.decline([current], "Busy")

        self.assertIsNone(fresh(lead).partner)
        with self.assertRaisesRegex(UserError, "no longer proposed"):
            Assignment.decline([assignment], "Again")

    @with_company
    def test_expire_overdue(self):
        "Proposals past their deadline expire and go to the next partner"
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        first = create_partner("First", [self.east], self.gold)
        second = create_partner("Second", [self.east], self.silver)
        lead = create_lead(self.company, self.east)
        assignment, = Assignment.distribute([lead])
        self.assertEqual(assignment.partner, first)
        Assignment.write([assignment], {
                'deadline': datetime.datetime.now()
                - datetime.timedelta(hours=1)})

        with self.assertRaisesRegex(UserError, "had to be answered"):
            Assignment.accept([assignment])
        Assignment.expire_overdue()

        self.assertEqual(assignment.state, 'expired')
        self.assertEqual(fresh(lead).partner, second)
        self.assertEqual(
            [l.event for l in assignment.logs], ['expired', 'proposed'])

    @with_company
    def test_manual(self):
        "The channel manager gives a lead to a partner of their choice"
        Assignment = Pool().get('crm.partner.assignment')
        create_partner("Best", [self.east], self.gold)
        chosen = create_partner("Chosen", [self.west], self.silver,
            capacity=0)
        lead = create_lead(self.company, self.east)
        first, = Assignment.distribute([lead])

        second, = Assignment.distribute(
            [lead], partner=chosen, trigger='manual')

        self.assertEqual(first.state, 'withdrawn')
        self.assertEqual(second.partner, chosen)
        self.assertEqual(fresh(lead).partner, chosen)

    @with_company
    def test_wizard(self):
        "The wizard proposes the leads to their best or to a chosen partner"
        pool = Pool()
        Wizard = pool.get('crm.partner.assignment.distribute', type='wizard')
        best = create_partner("Best", [self.east], self.gold)
        chosen = create_partner("Chosen", [self.west])
        leads = [create_lead(self.company, self.east) for _ in range(2)]

        def run(partner):
            session_id, _, _ = Wizard.create()
            with Transaction().set_context(
                    active_model='sale.opportunity',
                    active_id=leads[0].id,
                    active_ids=[l.id for l in leads]):
                Wizard.execute(session_id, {
                        'start': {'partner': partner and partner.id},
                        }, 'distribute')
        run(None)
        self.assertEqual([fresh(l).partner for l in leads], [best, best])
        run(chosen)
        self.assertEqual(
            [fresh(l).partner for l in leads], [chosen, chosen])
        self.assertEqual(
            [a.trigger for a in fresh(leads[0]).partner_assignments],
            ['manual', 'manual'])

    @with_company
    def test_salesperson_cannot_answer(self):
        "A salesperson reads the proposals but cannot answer them"
        Assignment = Pool().get('crm.partner.assignment')
        users = create_staff(self.company, {
                'sales': ("Sales", SALESPERSON),
                'channel': ("Channel", CHANNEL_MANAGER),
                }, 'secret-password-1')
        create_partner("One", [self.east])
        lead = create_lead(
            self.company, self.east, employee=users['sales'].employee)
        assignment, = Assignment.distribute([lead])

        with as_user(users['sales']):
            Assignment.read([assignment.id], ['state'])
            with self.assertRaises(AccessButtonError):
                Assignment.accept([Assignment(assignment.id)])
        with as_user(users['channel']):
            Assignment.accept([Assignment(assignment.id)])
        self.assertEqual(Assignment(assignment.id).state, 'accepted')
