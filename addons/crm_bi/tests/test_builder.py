# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The no-code builder writes a saved query like the others"
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import create_pipeline, reading_uncommitted


class BuilderTestCase(unittest.TestCase):
    "Test the query builder"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    def _field(self, model, name):
        Field = Pool().get('ir.model.field')
        field, = Field.search([
                ('model.model', '=', model), ('name', '=', name)])
        return field

    def _start(self, model='sale.opportunity'):
        pool = Pool()
        Start = pool.get('crm.bi.query.builder.start')
        Measure = pool.get('crm.bi.query.builder.measure')
        Filter = pool.get('crm.bi.query.builder.filter')
        field = lambda n: self._field('sale.opportunity', n)  # noqa: E731
        return Start(
            name="Built", model=model,
            group_by=[field('state')],
            measures=[
                Measure(aggregate='count', field=None),
                Measure(aggregate='sum', field=field('amount')),
                ],
            filters=[
                Filter(field=field('company'), operator='=', value=None)])

    @with_transaction()
    def test_build_and_run(self):
        "The built query groups, measures and filters as asked"
        pool = Pool()
        Query = pool.get('crm.bi.query')
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            create_pipeline(company)
        start = self._start()
        start.filters[0].value = str(company.id)
        sql, parameters = start.build()
        self.assertEqual(sql,
            'SELECT "state", COUNT(*) AS "count", '
            'SUM("amount") AS "sum_amount" FROM "sale_opportunity" '
            'WHERE "company" = :company_1 GROUP BY "state" ORDER BY "state"')
        query, = Query.create([{
                    'name': "Built", 'sql': sql,
                    'parameters': [('create', parameters)],
                    }])
        self.assertEqual(
            [(p.name, p.type, p.default) for p in query.parameters],
            [('company_1', 'integer', str(company.id))])
        with reading_uncommitted():
            _, rows, _ = query.execute(query.values())
        # Independently: the opportunities counted and summed in Python
        expected = {}
        for opportunity in Opportunity.search(
                [('company', '=', company.id)]):
            count, amount = expected.get(opportunity.state, (0, 0))
            expected[opportunity.state] = (
                count + 1, amount + opportunity.amount)
        self.assertEqual(
            {s: (c, Decimal(str(a))) for s, c, a in rows}, expected)

    @with_transaction()
    def test_refused(self):
        "No model, nothing to select, or another model's field: refused"
        start = self._start(model=None)
        with self.assertRaises(ValidationError):
            start.build()
        start = self._start(model='res.user')
        with self.assertRaises(ValidationError):
            start.build()
        start = self._start()
        start.group_by = [self._field('res.user', 'login')]
        with self.assertRaises(ValidationError):
            start.build()
        start = self._start()
        start.group_by, start.measures = [], []
        with self.assertRaisesRegex(ValidationError, 'group by or a measure'):
            start.build()
