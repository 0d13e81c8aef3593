# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_employee
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .tools import create_segment_parties, with_company


class AssignmentTestCase(unittest.TestCase):
    "Test assignment rules"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    @classmethod
    def setup_class_company(cls, company):
        pool = Pool()
        Team = pool.get('crm.sales.team')
        one, two, three = [
            create_employee(company, name) for name in ["One", "Two", "Three"]]
        team, = Team.create([{
                    'name': "North",
                    'company': company.id,
                    'members': [('add', [one.id, two.id, three.id])],
                    }])
        return {'one': one, 'two': two, 'three': three, 'team': team}

    def _rule(self, name, sequence=10, **values):
        Rule = Pool().get('crm.assignment.rule')
        values.setdefault('employee', self.one.id)
        rule, = Rule.create([dict(
                    name=name, sequence=sequence, company=self.company.id,
                    **values)])
        return rule

    def _lead(self, **values):
        Opportunity = Pool().get('sale.opportunity')
        lead, = Opportunity.create([values])
        return lead

    @with_company
    def test_priority(self):
        "The first matching rule by sequence wins"
        self._rule("Second", sequence=20, employee=self.two.id)
        self._rule("First", sequence=10, employee=self.three.id,
            amount_min=Decimal(100))

        big = self._lead(amount=Decimal(500))
        small = self._lead(amount=Decimal(50))

        self.assertEqual(big.employee, self.three)
        self.assertEqual(small.employee, self.two)

    @with_company
    def test_given_employee_kept(self):
        "A lead created with a salesperson is not assigned"
        self._rule("All", employee=self.two.id)

        lead = self._lead(employee=self.one.id)

        self.assertEqual(lead.employee, self.one)
        self.assertFalse(lead.crm_assignment_logs)

    @with_company
    def test_condition_territory(self):
        "A territory condition matches its sub-territories"
        pool = Pool()
        Territory = pool.get('crm.territory')
        Party = pool.get('party.party')
        europe, other = Territory.create([
                {'name': "Europe"}, {'name': "Asia"}])
        france, = Territory.create([{'name': "France", 'parent': europe.id}])
        self._rule("Europe", territories=[('add', [europe.id])],
            employee=self.two.id)
        party = Party(name="Customer")
        party.save()

        inside = self._lead(party=party.id, crm_territory=france.id)
        outside = self._lead(party=party.id, crm_territory=other.id)

        self.assertEqual(inside.employee, self.two)
        self.assertIsNone(outside.employee)

    @with_company
    def test_condition_marketing(self):
        "Campaign, source and medium conditions"
        pool = Pool()
        Campaign = pool.get('marketing.campaign')
        Source = pool.get('marketing.source')
        Medium = pool.get('marketing.medium')
        campaign, = Campaign.create([{'name': "spring"}])
        source, = Source.create([{'name': "web"}])
        medium, = Medium.create([{'name': "email"}])
        self._rule("Campaign", sequence=1, employee=self.one.id,
            campaigns=[('add', [campaign.id])])
        self._rule("Source", sequence=2, employee=self.two.id,
            sources=[('add', [source.id])])
        self._rule("Medium", sequence=3, employee=self.three.id,
            media=[('add', [medium.id])])

        self.assertEqual(
            self._lead(marketing_campaign=campaign.id).employee, self.one)
        self.assertEqual(
            self._lead(marketing_source=source.id).employee, self.two)
        self.assertEqual(
            self._lead(marketing_medium=medium.id).employee, self.three)
        self.assertIsNone(self._lead().employee)

    @with_company
    def test_condition_product_category(self):
        "A product category condition matches the lines' products"
        pool = Pool()
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        parent, = Category.create([{'name': "Machines"}])
        child, = Category.create([{'name': "Lathes", 'parent': parent.id}])
        unit, = Uom.search([('name', '=', "Unit")])
        template, = Template.create([{
                    'name': "Lathe",
                    'default_uom': unit.id,
                    'salable': True,
                    'sale_uom': unit.id,
                    'categories': [('add', [child.id])],
                    'products': [('create', [{}])],
                    }])
        product, = template.products
        self._rule("Machines", employee=self.two.id,
            product_categories=[('add', [parent.id])])

        lead = self._lead(lines=[('create', [{
                            'product': product.id,
                            'quantity': 1,
                            'unit': unit.id,
                            }])])
        empty = self._lead()

        self.assertEqual(lead.employee, self.two)
        self.assertIsNone(empty.employee)

    @with_company
    def test_condition_amount(self):
        "Amount range bounds are inclusive"
        self._rule("Range", employee=self.two.id,
            amount_min=Decimal(100), amount_max=Decimal(200))

        self.assertEqual(self._lead(amount=Decimal(100)).employee, self.two)
        self.assertEqual(self._lead(amount=Decimal(200)).employee, self.two)
        self.assertIsNone(self._lead(amount=Decimal(201)).employee)
        self.assertIsNone(self._lead(amount=Decimal(99)).employee)
        self.assertIsNone(self._lead().employee)

    @with_company
    def test_condition_segment(self):
        "A customer segment condition reads the party's value segment"
        top, low = create_segment_parties(
            self.company, {"Top": 'A', "Low": 'C'})
        self._rule("Key accounts", employee=self.two.id, segments=['A'])

        self.assertEqual(self._lead(party=top.id).employee, self.two)
        self.assertIsNone(self._lead(party=low.id).employee)

    @with_company
    def test_round_robin(self):
        "Round robin cycles through the members across batches"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        rule = self._rule("Team", employee=None, team=self.team.id,
            method='round_robin')

        leads = Opportunity.create([{} for _ in range(4)])
        lead = self._lead()

        self.assertEqual(
            [l.employee for l in leads] + [lead.employee],
            [self.one, self.two, self.three, self.one, self.two])
        self.assertEqual(rule.last_employee, self.two)
        self.assertTrue(all(l.crm_team == self.team for l in leads))

    @with_company
    def test_least_loaded(self):
        "Least loaded picks the member with the fewest open leads"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Opportunity.create(
            [{'employee': self.one.id}] * 2 + [{'employee': self.two.id}])
        Opportunity.create([{'employee': self.three.id, 'state': 'cancelled'}])
        self._rule("Team", employee=None, team=self.team.id,
            method='least_loaded')

        leads = Opportunity.create([{} for _ in range(4)])

        # loads: one 2, two 1, three 0 (cancelled does not count)
        self.assertEqual(
            [l.employee for l in leads],
            [self.three, self.two, self.three, self.one])
        self.assertIn("0", leads[0].crm_assignment_logs[0].reason)

    @with_company
    def test_no_target(self):
        "A rule without target is refused"
        with self.assertRaises(ValidationError):
            self._rule("Nobody", employee=None)
        with self.assertRaises(ValidationError):
            self._rule("No method", employee=None, team=self.team.id,
                method=None)

    @with_company
    def test_wizard(self):
        "The wizard assigns the selected leads, reassigning on demand"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Assign = pool.get('crm.assignment.assign', type='wizard')
        assigned = self._lead(employee=self.one.id)
        free = self._lead()
        won = self._lead(employee=self.one.id)
        Opportunity.write([won], {'state': 'cancelled'})
        self._rule("All", employee=self.two.id)
        leads = [assigned, free, won]

        for reassign, expected in [
                (False, [self.one, self.two, self.one]),
                (True, [self.two, self.two, self.one])]:
            session_id, _, _ = Assign.create()
            assign = Assign(session_id)
            with Transaction().set_context(
                    active_model='sale.opportunity',
                    active_ids=[l.id for l in leads], active_id=leads[0].id):
                assign.start.reassign = reassign
                assign.transition_assign()
            self.assertEqual(
                [l.employee for l in Opportunity.browse(leads)], expected)

    @with_company
    def test_log(self):
        "Every assignment is logged with its rule"
        pool = Pool()
        Log = pool.get('crm.assignment.log')
        rule = self._rule("Team", employee=None, team=self.team.id,
            method='round_robin')

        lead = self._lead()

        log, = Log.search([('opportunity', '=', lead.id)])
        self.assertEqual(log.rule, rule)
        self.assertEqual(log.employee, self.one)
        self.assertEqual(log.team, self.team)
        self.assertEqual(log.trigger, 'automatic')
        self.assertEqual(log.user.id, Transaction().user)
        self.assertIn("Team", log.reason)
        self.assertEqual(lead.crm_assignment_logs, (log,))
