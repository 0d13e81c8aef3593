# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_employee
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .tools import create_opportunity, with_company


class CoSellerTestCase(unittest.TestCase):
    "Test opportunity co-sellers"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def setup_company(self):
        self.alice = create_employee(self.company, "Alice")
        self.bob = create_employee(self.company, "Bob")

    @with_company
    def test_splits_sum_to_100(self):
        "Co-seller splits summing to 100 are saved"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = create_opportunity(self.company, self.alice)
        Opportunity.write([opportunity], {
                'co_sellers': [('create', [
                            {'employee': self.alice.id, 'role': 'lead',
                                'split': Decimal('60')},
                            {'employee': self.bob.id, 'role': 'technical',
                                'split': Decimal('40')},
                            ])],
                })
        self.assertEqual(
            sorted(c.split for c in opportunity.co_sellers),
            [Decimal('40'), Decimal('60')])

        # Moving share from one to the other in one save is valid
        lead, = [c for c in opportunity.co_sellers if c.employee == self.alice]
        tech, = [c for c in opportunity.co_sellers if c.employee == self.bob]
        Opportunity.write([opportunity], {
                'co_sellers': [
                    ('write', [lead.id], {'split': Decimal('50')}),
                    ('write', [tech.id], {'split': Decimal('50')}),
                    ],
                })

    @with_company
    def test_splits_not_100(self):
        "Splits not summing to 100 raise and write nothing"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = create_opportunity(self.company, self.alice)
        with self.assertRaises(ValidationError) as cm:
            Opportunity.write([opportunity], {
                    'co_sellers': [('create', [
                                {'employee': self.alice.id, 'split': 60},
                                {'employee': self.bob.id, 'split': 30},
                                ])],
                    })
        self.assertIn('90', cm.exception.message)

    @with_company
    def test_co_seller_direct_change(self):
        "Changing a co-seller outside its opportunity checks the total"
        pool = Pool()
        CoSeller = pool.get('crm.opportunity.co_seller')
        opportunity = create_opportunity(self.company, self.alice)
        _, tech = CoSeller.create([
                {'opportunity': opportunity.id, 'employee': self.alice.id,
                    'split': 70},
                {'opportunity': opportunity.id, 'employee': self.bob.id,
                    'split': 30},
                ])
        with self.assertRaises(ValidationError):
            CoSeller.write([tech], {'split': 20})
        with self.assertRaises(ValidationError):
            CoSeller.delete([tech])

    @with_company
    def test_split_range(self):
        "A split must be in (0, 100]"
        pool = Pool()
        CoSeller = pool.get('crm.opportunity.co_seller')
        for split in [0, -10, 101]:
            # Each in its own opportunity: a failed create leaves its row
            # until the transaction is rolled back
            opportunity = create_opportunity(self.company, self.alice)
            with self.assertRaises(ValidationError):
                CoSeller.create([{
                            'opportunity': opportunity.id,
                            'employee': self.alice.id, 'split': split}])

    @with_company
    def test_split_unique_employee(self):
        "An employee is co-seller once per opportunity"
        pool = Pool()
        CoSeller = pool.get('crm.opportunity.co_seller')
        opportunity = create_opportunity(self.company, self.alice)
        with self.assertRaises(ValidationError):
            CoSeller.create([
                    {'opportunity': opportunity.id,
                        'employee': self.alice.id, 'split': 50},
                    {'opportunity': opportunity.id,
                        'employee': self.alice.id, 'split': 50},
                    ])

    @with_company
    def test_share_query(self):
        "Revenue goes to the co-sellers or else to the opportunity employee"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        CoSeller = pool.get('crm.opportunity.co_seller')
        alone = create_opportunity(self.company, self.alice)
        shared = create_opportunity(self.company, self.alice)
        Opportunity.write([shared], {
                'co_sellers': [('create', [
                            {'employee': self.alice.id, 'split': 25},
                            {'employee': self.bob.id, 'split': 75},
                            ])],
                })
        cursor = Transaction().connection.cursor()
        query = CoSeller.share_query()
        cursor.execute(*query.select(
                query.opportunity, query.employee, query.share))
        shares = {(o, e): Decimal(str(s)) for o, e, s in cursor}
        self.assertEqual(shares, {
                (alone.id, self.alice.id): 1,
                (shared.id, self.alice.id): Decimal('0.25'),
                (shared.id, self.bob.id): Decimal('0.75'),
                })
