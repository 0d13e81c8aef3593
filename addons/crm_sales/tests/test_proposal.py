# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import check_access

from .tools import (
    SALESPERSON, as_user, create_customer, create_opportunity, create_user,
    with_company)


def create_product(name, price):
    "Return a salable service sold per unit"
    pool = Pool()
    Category = pool.get('product.category')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    unit, = Uom.search([('name', '=', "Unit")])
    # An accounting category without taxes spares a chart of accounts
    category = Category(name="Services", accounting=True)
    category.save()
    template = Template(
        name=name, type='service', default_uom=unit, salable=True,
        sale_uom=unit, account_category=category,
        list_price=Decimal(price), products=[{}])
    template.save()
    product, = template.products
    return product


class ProposalTestCase(unittest.TestCase):
    "Test proposals"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def setup_company(self):
        self.employee = create_employee(self.company)

    def _opportunity(
            self, employee=None, party_name="Customer",
            lines=(("Consulting", '100', 2),)):
        "Return an opportunity in state opportunity with lines"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        OpportunityLine = pool.get('sale.opportunity.line')
        employee = employee or self.employee
        party = create_customer(party_name, city="Paris")
        opportunity_lines = []
        for name, price, quantity in lines:
            product = create_product(name, price)
            opportunity_lines.append(OpportunityLine(
                    product=product, quantity=quantity, unit=product.sale_uom,
                    description=name))
        opportunity = create_opportunity(
            employee.company, employee, party, lines=opportunity_lines)
        Opportunity.opportunity([opportunity])
        return opportunity

    @with_company
    def test_generate(self):
        "Generating converts the opportunity and issues version 1"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = self._opportunity(lines=[
                ("Consulting", '100', 2), ("Training", '50', 1)])

        proposal, = Opportunity.create_proposals([opportunity])

        opportunity = Opportunity(opportunity.id)
        self.assertEqual(opportunity.state, 'converted')
        sale, = opportunity.sales
        self.assertEqual(sale.state, 'draft')
        self.assertEqual(
            sorted((l.product.name, l.quantity) for l in sale.lines),
            [("Consulting", 2), ("Training", 1)])
        self.assertEqual(proposal.sale, sale)
        self.assertEqual(proposal.version, 1)
        self.assertEqual(proposal.state, 'draft')
        self.assertEqual(proposal.party, opportunity.party)
        self.assertEqual(proposal.total_amount, Decimal('250'))
        self.assertEqual(
            (proposal.valid_until - proposal.date).days, 30)
        self.assertTrue(proposal.document_name.endswith('.html'))
        document = proposal.document.decode('utf-8')
        for text in [
                self.company.party.name, "Customer", "Consulting",
                "Training", "Paris", opportunity.number]:
            self.assertIn(text, document)
        self.assertEqual(opportunity.proposals, (proposal,))

    @with_company
    def test_regenerate(self):
        "Regenerating issues a new version and keeps the previous one"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        SaleLine = pool.get('sale.line')
        opportunity = self._opportunity()
        first, = Opportunity.create_proposals([opportunity])
        first.send([first])
        first_document = first.document
        sale = first.sale
        line, = sale.lines
        SaleLine.write([line], {'quantity': 5})

        second, = Opportunity.create_proposals(
            [opportunity], terms="Net price, no discount.")

        first = first.__class__(first.id)
        self.assertEqual(second.version, 2)
        self.assertEqual(second.sale, sale)
        self.assertEqual(second.state, 'draft')
        self.assertEqual(second.total_amount, Decimal('500'))
        self.assertEqual(first.state, 'superseded')
        self.assertEqual(first.total_amount, Decimal('200'))
        self.assertEqual(first.document, first_document)
        self.assertNotEqual(second.document, first_document)
        self.assertIn("Net price, no discount.",
            second.document.decode('utf-8'))
        self.assertEqual(len(Opportunity(opportunity.id).sales), 1)

        # The terms of the previous version carry over
        third, = Opportunity.create_proposals([opportunity])
        self.assertEqual(third.terms, "Net price, no discount.")

    @with_company
    def test_default_terms(self):
        "The configuration gives the default validity and terms"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Opportunity = pool.get('sale.opportunity')
        Configuration.write([Configuration(1)], {
                'proposal_validity': 10,
                'proposal_terms': "Payable in advance.",
                })
        opportunity = self._opportunity()

        proposal, = Opportunity.create_proposals([opportunity])

        self.assertEqual((proposal.valid_until - proposal.date).days, 10)
        self.assertEqual(proposal.terms, "Payable in advance.")
        self.assertIn(
            "Payable in advance.", proposal.document.decode('utf-8'))

    @with_company
    def test_print_stored_document(self):
        "Printing a proposal gives its document as issued"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ProposalReport = pool.get('crm.proposal', type='report')
        SaleLine = pool.get('sale.line')
        opportunity = self._opportunity()
        proposal, = Opportunity.create_proposals([opportunity])
        line, = proposal.sale.lines
        SaleLine.write([line], {'quantity': 7})

        extension, content, _, _ = ProposalReport.execute(
            [proposal.id], {})

        self.assertEqual(extension, 'html')
        self.assertEqual(bytes(content), proposal.document)

    @with_company
    def test_escaping(self):
        "Text entered by users cannot inject markup in the document"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        SaleLine = pool.get('sale.line')
        opportunity = self._opportunity(
            party_name='<script>alert("party")</script>')
        Opportunity.create_proposals([opportunity])
        line, = Opportunity(opportunity.id).sales[0].lines
        SaleLine.write([line], {
                'description': '<img src=x onerror="alert(1)">',
                })

        proposal, = Opportunity.create_proposals(
            [opportunity], terms='</div><b onclick="x()">terms</b>')

        document = proposal.document.decode('utf-8')
        self.assertNotIn('<script', document)
        self.assertNotIn('<img', document)
        self.assertNotIn('<b ', document)
        self.assertIn('&lt;script&gt;', document)
        self.assertIn('&lt;img src=x', document)
        self.assertIn('&lt;/div&gt;&lt;b onclick=', document)

    @with_company
    def test_wrong_state(self):
        "A lead cannot have a proposal"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Proposal = pool.get('crm.proposal')
        opportunity = self._opportunity()
        Opportunity.lead([opportunity])

        with self.assertRaisesRegex(UserError, "only for an opportunity"):
            Opportunity.create_proposals([opportunity])
        self.assertEqual(Proposal.search([], count=True), 0)

    @with_company
    def test_no_lines(self):
        "An opportunity without lines cannot have a proposal"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = self._opportunity(lines=[])
        other = self._opportunity()

        with self.assertRaisesRegex(UserError, "at least one line"):
            Opportunity.create_proposals([other, opportunity])
        # Nothing is written for the valid opportunity either
        self.assertEqual(Opportunity(other.id).state, 'opportunity')
        self.assertEqual(Opportunity(other.id).sales, ())

    @with_company
    def test_no_party(self):
        "An opportunity without party cannot have a proposal"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = self._opportunity()
        # The workflow requires a party: only old data can miss it
        opportunity.party = None

        with self.assertRaisesRegex(UserError, "needs a party"):
            Opportunity.create_proposals([opportunity])

    @with_company
    def test_no_quotation(self):
        "A converted opportunity whose sale is confirmed has no quotation"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        opportunity = self._opportunity()
        proposal, = Opportunity.create_proposals([opportunity])
        Sale.write([proposal.sale], {
                'state': 'confirmed', 'sale_date': proposal.date})

        with self.assertRaisesRegex(UserError, "no draft or quotation"):
            Opportunity.create_proposals([opportunity])
        self.assertEqual(len(Opportunity(opportunity.id).proposals), 1)

    @with_company
    def test_reopened_opportunity(self):
        "A reopened opportunity gets a new quotation from its lines"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        opportunity = self._opportunity()
        first, = Opportunity.create_proposals([opportunity])
        Sale.cancel([first.sale])
        Opportunity.write([opportunity], {'state': 'opportunity'})

        second, = Opportunity.create_proposals([opportunity])

        self.assertNotEqual(second.sale, first.sale)
        self.assertEqual(second.sale.state, 'draft')
        self.assertEqual(second.version, 2)
        self.assertEqual(
            Opportunity(opportunity.id).state, 'converted')

    @with_company
    def test_issued_readonly(self):
        "An issued proposal cannot be changed from outside"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Proposal = pool.get('crm.proposal')
        opportunity = self._opportunity()
        proposal, = Opportunity.create_proposals([opportunity])

        with check_access():
            with self.assertRaises(AccessError):
                Proposal.write([proposal], {'terms': "Changed"})
            with self.assertRaises(AccessError):
                Proposal.write([proposal], {'document': b'forged'})

    @with_company
    def test_workflow(self):
        "A sent proposal is accepted or rejected"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Proposal = pool.get('crm.proposal')
        first = self._opportunity()
        second = self._opportunity()
        accepted, rejected = Opportunity.create_proposals(
            [first, second])
        Proposal.accept([accepted])
        self.assertEqual(accepted.state, 'draft')

        Proposal.send([accepted, rejected])
        Proposal.accept([accepted])
        Proposal.reject([rejected])
        self.assertEqual(
            [accepted.state, rejected.state], ['accepted', 'rejected'])

        # A rejected version stays rejected when a new one is issued
        Opportunity.create_proposals([second])
        self.assertEqual(Proposal(rejected.id).state, 'rejected')

    @with_transaction()
    def test_salesperson_generates(self):
        "A salesperson generates, prints and sends but cannot forge"
        pool = Pool()
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')
        Opportunity = pool.get('sale.opportunity')
        Proposal = pool.get('crm.proposal')
        ProposalReport = pool.get('crm.proposal', type='report')
        Generate = pool.get('crm.proposal.generate', type='wizard')
        company = create_company()
        with set_company(company):
            employee = create_employee(company, "Alice")
            opportunity = self._opportunity(employee)
        alice = create_user('alice', company, employee, SALESPERSON)

        # The client runs the wizard without model access checks
        with as_user(alice, access_check=False,
                active_model='sale.opportunity',
                active_id=opportunity.id, active_ids=[opportunity.id]):
            with check_access():
                action_id = Opportunity.generate_proposal([opportunity])
            self.assertEqual(
                action_id, Action.get_action_id(ModelData.get_id(
                        'crm_sales', 'wizard_proposal_generate')))
            session_id, _, _ = Generate.create()
            result = Generate.execute(session_id, {}, 'start')
            start = result['view']['defaults']
            start['terms'] = "Valid for Alice's customer only."
            result = Generate.execute(session_id, {'start': start}, 'generate')
            Generate.delete(session_id)
        (_, data), = result['actions']
        proposal, = Proposal.browse(data['ids'])
        self.assertEqual(proposal.terms, "Valid for Alice's customer only.")

        with as_user(alice):
            extension, content, _, _ = ProposalReport.execute(
                data['ids'], data)
            self.assertEqual(bytes(content), proposal.document)
            Proposal.send([proposal])
            with self.assertRaises(AccessError):
                Proposal.create([{
                            'opportunity': opportunity.id,
                            'company': company.id,
                            'party': opportunity.party.id,
                            'version': 9,
                            'date': proposal.date,
                            'valid_until': proposal.date,
                            'currency': company.currency.id,
                            }])
            with self.assertRaises(AccessError):
                Proposal.delete([proposal])

    @with_transaction()
    def test_other_salesperson(self):
        "A salesperson limited to their own records cannot see others' ones"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Opportunity = pool.get('sale.opportunity')
        Proposal = pool.get('crm.proposal')
        ProposalReport = pool.get('crm.proposal', type='report')
        company = create_company()
        with set_company(company):
            Configuration.write([Configuration(1)], {
                    'salesperson_scope': 'own'})
            alice_employee = create_employee(company, "Alice")
            bob_employee = create_employee(company, "Bob")
            opportunity = self._opportunity(alice_employee)
            proposal, = Opportunity.create_proposals([opportunity])
        bob = create_user('bob', company, bob_employee, SALESPERSON)
        name = proposal.rec_name

        with as_user(bob):
            self.assertEqual(Proposal.search([]), [])
            with self.assertRaises(AccessError):
                Proposal.read([proposal.id], ['terms'])
            with self.assertRaises(AccessError):
                ProposalReport.execute([proposal.id], {})
            # The access error comes before the one of an issued proposal,
            # which names it
            for modify in [
                    lambda: Proposal.write([proposal], {'terms': "Forged"}),
                    lambda: Proposal.delete([proposal]),
                    ]:
                with self.assertRaises(AccessError) as cm:
                    modify()
                self.assertNotIn(name, cm.exception.message)

    @with_transaction()
    def test_other_company(self):
        "Proposals of another company are hidden"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Proposal = pool.get('crm.proposal')
        company = create_company()
        other_company = create_company("Other")
        with set_company(company):
            employee = create_employee(company)
            opportunity = self._opportunity(employee)
            Opportunity.create_proposals([opportunity])
        with set_company(other_company):
            other_employee = create_employee(other_company, "Eve")
        eve = create_user(
            'eve', other_company, other_employee,
            ['crm_sales.group_crm_sales_manager'])
        with as_user(eve):
            self.assertEqual(Proposal.search([]), [])
