# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_employee
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module

from .tools import create_segment_parties, with_company


class ScoringTestCase(unittest.TestCase):
    "Test lead scoring"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def setup_company(self):
        self.employee = create_employee(self.company, "Seller")

    def _rule(self, field, operator, value, points):
        Rule = Pool().get('crm.scoring.rule')
        rule, = Rule.create([{
                    'name': "%s %s %s" % (field, operator, value),
                    'company': self.company.id,
                    'field': field,
                    'operator': operator,
                    'value': value,
                    'points': points,
                    }])
        return rule

    def _leads(self, count, **values):
        Opportunity = Pool().get('sale.opportunity')
        values.setdefault('employee', self.employee.id)
        return Opportunity.create([values] * count)

    @with_company
    def test_rules(self):
        "Rules add their points to the neutral score"
        pool = Pool()
        Campaign = pool.get('marketing.campaign')
        campaign, = Campaign.create([{'name': "spring"}])
        self._rule('amount', '>=', '1000', 20)
        self._rule('marketing_campaign', '=', 'Spring', 15)
        self._rule('amount', '<', '10', -60)

        big, = self._leads(1, amount=Decimal(5000))
        both, = self._leads(
            1, amount=Decimal(5000), marketing_campaign=campaign.id)
        tiny, = self._leads(1, amount=Decimal(1))
        plain, = self._leads(1)

        self.assertEqual(big.crm_score, 70)
        self.assertEqual(both.crm_score, 85)
        self.assertEqual(tiny.crm_score, 0)
        self.assertEqual(plain.crm_score, 50)
        self.assertEqual(
            [(f.kind, f.contribution) for f in both.crm_score_factors],
            [('model', 50), ('rule', 20), ('rule', 15)])

    @with_company
    def test_rule_segment_path(self):
        "A rule follows a field path to the party's value segment"
        top, low = create_segment_parties(
            self.company, {"Top": 'A', "Low": 'C'})
        self._rule('party.crm_value_segment', 'in', 'A,B', 30)

        a, = self._leads(1, party=top.id)
        c, = self._leads(1, party=low.id)

        self.assertEqual(a.crm_score, 80)
        self.assertEqual(c.crm_score, 50)

    @with_company
    def test_bad_rules(self):
        "Rules on non-existent fields or with bad values are refused"
        for field in ['nonexistent', 'party.nonexistent', 'amount.value', '']:
            with self.subTest(field=field):
                with self.assertRaises(ValidationError):
                    self._rule(field, '=', '1', 10)
        with self.assertRaises(ValidationError):
            self._rule('amount', '>', 'many', 10)

    @with_company
    def test_naive_bayes(self):
        "A source that always wins scores higher than one that always loses"
        pool = Pool()
        Source = pool.get('marketing.source')
        Party = pool.get('party.party')
        Model = pool.get('crm.scoring.model')
        web, fair = Source.create([{'name': "web"}, {'name': "fair"}])
        party, = Party.create([{'name': "Customer"}])
        closed = dict(party=party.id, amount=Decimal(100))
        self._leads(8, state='won', marketing_source=web.id, **closed)
        self._leads(2, state='lost', marketing_source=web.id, **closed)
        self._leads(8, state='lost', marketing_source=fair.id, **closed)
        self._leads(2, state='won', marketing_source=fair.id, **closed)

        model = Model(company=self.company)
        model.save()
        Model.train([model])

        self.assertEqual((model.won, model.lost), (10, 10))
        weights = {
            (f.feature, f.value_name): f.weight for f in model.features}
        # log(((8 + 1) / (10 + 2)) / ((2 + 1) / (10 + 2)))
        self.assertAlmostEqual(weights[('source', "Web")], 1.0986, places=4)
        self.assertLess(weights[('source', "Fair")], 0)
        bands = {
            f.value: f.weight for f in model.features
            if f.feature == 'amount_band'}
        self.assertEqual(bands, {'0': 0})

        good, = self._leads(1, marketing_source=web.id)
        bad, = self._leads(1, marketing_source=fair.id)
        unknown, = self._leads(1)

        self.assertEqual(good.crm_score, 75)
        self.assertEqual(bad.crm_score, 25)
        self.assertEqual(unknown.crm_score, 50)
        self.assertEqual(
            [(f.label, f.contribution) for f in good.crm_score_factors],
            [("Base rate of won opportunities", 50), ("Source: Web", 25)])

    @with_company
    def test_cron_rescore(self):
        "The cron scores again the open leads only"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        lead, = self._leads(1, amount=Decimal(2000))
        lost, = self._leads(1, amount=Decimal(2000))
        Opportunity.write([lost], {'state': 'lost'})
        self.assertEqual(lead.crm_score, 50)

        self._rule('amount', '>', '1000', 10)
        Opportunity.crm_score_open()

        lead, lost = Opportunity.browse([lead, lost])
        self.assertEqual(lead.crm_score, 60)
        self.assertEqual(lost.crm_score, 50)

    @with_company
    def test_rescore_on_write(self):
        "Changing a relevant field scores again"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self._rule('amount', '>', '1000', 10)
        lead, = self._leads(1, amount=Decimal(10))
        self.assertEqual(lead.crm_score, 50)

        Opportunity.write([lead], {'amount': Decimal(2000)})

        self.assertEqual(lead.crm_score, 60)
        self.assertEqual(len(lead.crm_score_factors), 2)
