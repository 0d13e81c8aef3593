# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


def create_opportunity(company, employee, party=None, description="Deal"):
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Party = pool.get('party.party')
    if party is None:
        party = Party(name="Customer")
        party.save()
    opportunity = Opportunity(
        party=party, company=company, employee=employee,
        description=description)
    opportunity.save()
    return opportunity


class CoSellerTestCase(unittest.TestCase):
    "Test opportunity co-sellers"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    @with_transaction()
    def test_splits_sum_to_100(self):
        "Co-seller splits summing to 100 are saved"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            alice = create_employee(company, "Alice")
            bob = create_employee(company, "Bob")
            opportunity = create_opportunity(company, alice)
            Opportunity.write([opportunity], {
                    'co_sellers': [('create', [
                                {'employee': alice.id, 'role': 'lead',
                                    'split': Decimal('60')},
                                {'employee': bob.id, 'role': 'technical',
                                    'split': Decimal('40')},
                                ])],
                    })
            self.assertEqual(
                sorted(c.split for c in opportunity.co_sellers),
                [Decimal('40'), Decimal('60')])

            # Moving share from one to the other in one save is valid
            lead, = [c for c in opportunity.co_sellers if c.employee == alice]
            tech, = [c for c in opportunity.co_sellers if c.employee == bob]
            Opportunity.write([opportunity], {
                    'co_sellers': [
                        ('write', [lead.id], {'split': Decimal('50')}),
                        ('write', [tech.id], {'split': Decimal('50')}),
                        ],
                    })

    @with_transaction()
    def test_splits_not_100(self):
        "Splits not summing to 100 raise and write nothing"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            alice = create_employee(company, "Alice")
            bob = create_employee(company, "Bob")
            opportunity = create_opportunity(company, alice)
            with self.assertRaises(ValidationError) as cm:
                Opportunity.write([opportunity], {
                        'co_sellers': [('create', [
                                    {'employee': alice.id, 'split': 60},
                                    {'employee': bob.id, 'split': 30},
                                    ])],
                        })
            self.assertIn('90', cm.exception.message)

    @with_transaction()
    def test_co_seller_direct_change(self):
        "Changing a co-seller outside its opportunity checks the total"
        pool = Pool()
        CoSeller = pool.get('crm.opportunity.co_seller')
        company = create_company()
        with set_company(company):
            alice = create_employee(company, "Alice")
            bob = create_employee(company, "Bob")
            opportunity = create_opportunity(company, alice)
            _, tech = CoSeller.create([
                    {'opportunity': opportunity.id, 'employee': alice.id,
                        'split': 70},
                    {'opportunity': opportunity.id, 'employee': bob.id,
                        'split': 30},
                    ])
            with self.assertRaises(ValidationError):
                CoSeller.write([tech], {'split': 20})
            with self.assertRaises(ValidationError):
                CoSeller.delete([tech])

    @with_transaction()
    def test_split_range_and_unique(self):
        "A split must be in (0, 100] and an employee appears once"
        pool = Pool()
        CoSeller = pool.get('crm.opportunity.co_seller')
        company = create_company()
        with set_company(company):
            alice = create_employee(company, "Alice")
            opportunity = create_opportunity(company, alice)
            for split in [0, -10, 101]:
                with self.assertRaises(ValidationError):
                    CoSeller.create([{
                                'opportunity': opportunity.id,
                                'employee': alice.id, 'split': split}])

    @with_transaction()
    def test_split_unique_employee(self):
        "An employee is co-seller once per opportunity"
        pool = Pool()
        CoSeller = pool.get('crm.opportunity.co_seller')
        company = create_company()
        with set_company(company):
            alice = create_employee(company, "Alice")
            opportunity = create_opportunity(company, alice)
            with self.assertRaises(ValidationError):
                CoSeller.create([
                        {'opportunity': opportunity.id,
                            'employee': alice.id, 'split': 50},
                        {'opportunity': opportunity.id,
                            'employee': alice.id, 'split': 50},
                        ])

    @with_transaction()
    def test_share_query(self):
        "Revenue goes to the co-sellers or else to the opportunity employee"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        CoSeller = pool.get('crm.opportunity.co_seller')
        company = create_company()
        with set_company(company):
            alice = create_employee(company, "Alice")
            bob = create_employee(company, "Bob")
            alone = create_opportunity(company, alice)
            shared = create_opportunity(company, alice)
            Opportunity.write([shared], {
                    'co_sellers': [('create', [
                                {'employee': alice.id, 'split': 25},
                                {'employee': bob.id, 'split': 75},
                                ])],
                    })
            cursor = Transaction().connection.cursor()
            query = CoSeller.share_query()
            cursor.execute(*query.select(
                    query.opportunity, query.employee, query.share))
            shares = {(o, e): Decimal(str(s)) for o, e, s in cursor}
            self.assertEqual(shares, {
                    (alone.id, alice.id): 1,
                    (shared.id, alice.id): Decimal('0.25'),
                    (shared.id, bob.id): Decimal('0.75'),
                    })
