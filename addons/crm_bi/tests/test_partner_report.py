# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The partner report, with crm_partner activated"
import datetime as dt
import json

from trytond.modules.company.tests import set_company
from trytond.modules.crm_sales.tests.tools import as_user, set_up_class_data
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction

from .test_catalogue import create_company_catalogue, money


class PartnerReportTestCase(RouteTestCase):
    "Partner performance: leads assigned, accepted, won, revenue, response"
    module = 'crm_bi'
    extras = ['crm_partner']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ids, cls.company_id = set_up_class_data(cls, cls.create_data)

    @staticmethod
    def create_data():
        pool = Pool()
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Assignment = pool.get('crm.partner.assignment')
        ids, company_id = create_company_catalogue()
        company = pool.get('company.company')(company_id)
        with set_company(company):
            pat, quinn = Party.create([{
                        'name': name, 'is_partner': True,
                        'partner_type': 'reseller',
                        'addresses': [('create', [{}])],
                        } for name in ["Pat", "Quinn"]])
            o1, o2, o4 = [Opportunity.search([
                            ('company', '=', company.id),
                            ('crm_channel', '=', channel),
                            ('state', '=', state)])[0]
                for channel, state in [
                    ('web', 'won'), ('phone', 'won'), ('partner', 'lead')]]
            now = dt.datetime.now()
            hour = dt.timedelta(hours=1)
            # Pat: O1 accepted in 4 h, O2 declined in 2 h; Quinn: O2
            # accepted in 1 h, O4 not answered
            assignments = Assignment.create([{
                        'company': company.id, 'opportunity': o.id,
                        'partner': partner.id, 'date': now - proposed * hour,
                        } for o, partner, proposed in [
                        (o1, pat, 10), (o2, pat, 5), (o2, quinn, 2),
                        (o4, quinn, 1)]])
            table = Assignment.__table__()
            cursor = Transaction().connection.cursor()
            for assignment, (state, answered) in zip(assignments, [
                        ('accepted', 6), ('declined', 3), ('accepted', 1),
                        ('proposed', None)]):
                cursor.execute(*table.update(
                        [table.state, table.response_date],
                        [state, answered and now - answered * hour],
                        where=table.id == assignment.id))
        return ids, company_id

    def context(self, **context):
        pool = Pool()
        User = pool.get('res.user')
        user = User(self.ids['users']['analyst'])
        return as_user(user, company=self.company_id, **context)

    @with_transaction()
    def test_partner(self):
        "Each partner's leads, acceptances, wins, revenue and response time"
        Report = Pool().get('crm.bi.partner')
        with self.context():
            rows = sorted(
                (r.partner.name, r.leads, r.accepted, r.won)
                + money(r.revenue) + (r.answered, round(r.response_hours, 1))
                for r in Report.search([]))
        self.assertEqual(rows, [
                ("Pat", 2, 1, 1) + money(1000) + (2, 3.0),
                ("Quinn", 2, 1, 1) + money(1000) + (1, 1.0)])
        today = Pool().get('ir.date').today()
        with self.context(to_date=today - dt.timedelta(days=30)):
            self.assertEqual(Report.search([]), [])

    @with_transaction()
    def test_partner_show_sql(self):
        "The SQL shown gives the rows of the report"
        pool = Pool()
        Report = pool.get('crm.bi.partner')
        ShowSQL = pool.get('crm.bi.show_sql', type='wizard')
        with self.context(active_model='crm.bi.partner'):
            session_id, _, _ = ShowSQL.create()
            values = ShowSQL(session_id).default_start(None)
            expected = sorted(r.id for r in Report.search([]))
        self.assertEqual(len(expected), 2)
        cursor = Transaction().connection.cursor()
        cursor.execute(values['sql'], json.loads(values['parameters']))
        self.assertEqual(sorted(r[0] for r in cursor), expected)
        cursor.execute(values['sql_with_values'])
        self.assertEqual(sorted(r[0] for r in cursor), expected)
