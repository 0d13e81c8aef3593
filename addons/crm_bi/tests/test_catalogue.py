# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The figures of the territory, campaign, segment, competitor and channel
reports on crafted data made once for the class"""
import datetime as dt
import json
from decimal import Decimal

from trytond.model.exceptions import RequiredValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_staff, create_teams, post_invoice, set_up_class_data,
    setup_accounting)
from trytond.modules.currency.tests import add_currency_rate, create_currency
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import ANALYST, PASSWORD, SELLER

REPORTS = [
    'crm.bi.territory', 'crm.bi.campaign', 'crm.bi.segment',
    'crm.bi.competitor', 'crm.bi.channel']


def money(*values):
    return tuple(
        None if v is None else Decimal(v).quantize(Decimal('0.01'))
        for v in values)


def create_company_catalogue():
    """Create a company and its catalogue (see create_catalogue); return the
    ids of the catalogue and of the company"""
    company = create_company()
    with set_company(company):
        return create_catalogue(company), company.id


def create_catalogue(company):
    """Create the crafted data of the catalogue; return the ids by name

    Company currency USD; EUR at 2 per USD. Territories North (team North)
    and South (team South). Alpha (segment A, XA / S1 / Alpha City) and Beta
    (segment B, XB / Beta Town).
    O1 North, Alpha, web, campaign Spring, won 1,000, invoiced 1,000 USD
    with a product costing 300, touched by Summer after its start.
    O2 South, Beta, phone, won, sold 2,000 USD, invoiced 2,000 EUR
    (1,000 USD), touched by Summer.
    O3 North, Alpha, web, open opportunity of 500 EUR (250 USD).
    O4 South, Beta, partner, campaign Spring, lead of 800 USD.
    Targets: North 2,000 invoiced, South 1,500 confirmed, in the months of
    the documents. Costs: Spring 400 USD, Summer 600 EUR, phone 100 USD,
    web 50 USD. Cases: phone resolved, e-mail open, chat open."""
    pool = Pool()
    Date = pool.get('ir.date')
    Country = pool.get('country.country')
    Subdivision = pool.get('country.subdivision')
    Party = pool.get('party.party')
    PartyValue = pool.get('crm.party.value')
    Campaign = pool.get('marketing.campaign')
    Territory = pool.get('crm.territory')
    Opportunity = pool.get('sale.opportunity')
    Touch = pool.get('crm.campaign.touch')
    Cost = pool.get('crm.bi.cost')
    Target = pool.get('crm.target')
    Sale = pool.get('sale.sale')
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    Case = pool.get('crm.service.case')
    today = Date.today()
    day = dt.timedelta(days=1)
    setup_accounting(company, today)
    eur = create_currency('eur')
    add_currency_rate(eur, 2)
    users = create_staff(company, {
            'north': ("North Seller", SELLER),
            'south': ("South Seller", SELLER),
            'analyst': ("Analyst", ANALYST),
            'bi': ("BI", ['crm_bi.group_crm_bi_analyst']),
            }, PASSWORD)
    north_team, south_team = create_teams(
        {"North": [users['north']], "South": [users['south']]})
    north_territory, south_territory = Territory.create([
            {'name': "North", 'team': north_team.id},
            {'name': "South", 'team': south_team.id}])
    xa, xb = Country.create([
            {'name': "Xanadu", 'code': 'XA'},
            {'name': "Xebec", 'code': 'XB'}])
    s1, = Subdivision.create([{
                'name': "Shangri", 'code': 'XA-S1', 'country': xa.id,
                'type': 'province'}])
    alpha, beta = Party.create([{
                'name': "Alpha",
                'addresses': [('create', [{
                                'city': "Alpha City", 'country': xa.id,
                                'subdivision': s1.id}])],
                }, {
                'name': "Beta",
                'addresses': [('create', [{
                                'city': "Beta Town", 'country': xb.id}])],
                }])
    PartyValue.create([
            {'party': alpha.id, 'company': company.id, 'segment': 'A'},
            {'party': beta.id, 'company': company.id, 'segment': 'B'}])
    spring, summer = Campaign.create([{'name': "Spring"}, {'name': "Summer"}])
    north, south = users['north'].employee, users['south'].employee

    def opportunity(employee, party, territory, channel, state, amount,
            start, end=None, **values):
        return dict(
            party=party.id, company=company.id, employee=employee.id,
            crm_territory=territory.id, crm_channel=channel,
            description="Deal", state=state, amount=Decimal(amount),
            conversion_probability=0.5, start_date=start, end_date=end,
            **values)
    o1, o2, o3, o4 = Opportunity.create([
            opportunity(north, alpha, north_territory, 'web', 'won', 1000,
                today - 30 * day, today - 10 * day,
                marketing_campaign=spring.id),
            opportunity(south, beta, south_territory, 'phone', 'won', 2000,
                today - 25 * day, today - 6 * day),
            opportunity(north, alpha, north_territory, 'web', 'opportunity',
                500, today - 3 * day, currency=eur.id),
            opportunity(south, beta, south_territory, 'partner', 'lead', 800,
                today - 2 * day, marketing_campaign=spring.id),
            ])
    Touch.create([
            {'opportunity': o1.id, 'campaign': summer.id,
                'date': today - 20 * day},
            {'opportunity': o2.id, 'campaign': summer.id,
                'date': today - 15 * day}])

    # The sales: confirming needs products and stock, the reports read
    # only what confirmation stores
    def sale(opportunity, amount, date):
        sale, = Sale.create([{
                    'company': company.id, 'party': opportunity.party.id,
                    'invoice_address': opportunity.party.addresses[0].id,
                    'shipment_address': opportunity.party.addresses[0].id,
                    'currency': company.currency.id,
                    'origin': str(opportunity),
                    'lines': [('create', [{
                                    'type': 'line', 'quantity': 1,
                                    'unit_price': Decimal(amount),
                                    'description': "Service"}])],
                    }])
        cursor = Transaction().connection.cursor()
        table = Sale.__table__()
        cursor.execute(*table.update(
                [table.state, table.sale_date, table.untaxed_amount_cache],
                ['confirmed', date, Decimal(amount)],
                where=table.id == sale.id))
        return sale.lines[0]
    o1_line = sale(o1, 1000, today - 10 * day)
    o2_line = sale(o2, 2000, today - 6 * day)
    unit, = Uom.search([('name', '=', "Unit")])
    template, = Template.create([{
                'name': "Service", 'type': 'service',
                'default_uom': unit.id, 'list_price': Decimal(1000),
                'products': [('create', [{}])]}])
    product, = template.products
    product.cost_price = Decimal(300)
    product.save()
    invoice1 = post_invoice(company, alpha, today - 5 * day, 1000,
        origin=o1_line)
    invoice2 = post_invoice(company, beta, today - 5 * day, 2000,
        origin=o2_line)
    cursor = Transaction().connection.cursor()
    line_table = InvoiceLine.__table__()
    cursor.execute(*line_table.update(
            [line_table.product], [product.id],
            where=line_table.invoice == invoice1.id))
    invoice_table = Invoice.__table__()
    cursor.execute(*invoice_table.update(
            [invoice_table.currency], [eur.id],
            where=invoice_table.id == invoice2.id))

    Target.create([{
                'team': north_team.id, 'company': company.id,
                'period_type': 'month', 'start_date': today - 5 * day,
                'basis': 'invoiced', 'target_amount': Decimal(2000),
                }, {
                'team': south_team.id, 'company': company.id,
                'period_type': 'month', 'start_date': today - 6 * day,
                'basis': 'confirmed', 'target_amount': Decimal(1500),
                }])
    Cost.create([{
                'company': company.id, 'channel': channel,
                'campaign': campaign and campaign.id,
                'date': today - 20 * day, 'amount': Decimal(amount),
                'currency': currency.id,
                } for channel, campaign, amount, currency in [
                ('campaign', spring, 400, company.currency),
                ('campaign', summer, 600, eur),
                ('phone', None, 100, company.currency),
                ('web', None, 50, company.currency),
                ]])
    phone, _, _ = Case.create([{
                'subject': "Case %s" % channel, 'company': company.id,
                'channel': channel, 'team': south_team.id,
                } for channel in ['phone', 'email', 'chat']])
    case_table = Case.__table__()
    cursor.execute(*case_table.update(
            [case_table.resolved_at], [dt.datetime.now()],
            where=case_table.id == phone.id))
    create_changes(today)
    return {
        'users': {k: u.id for k, u in users.items()},
        'north_territory': north_territory.id,
        'south_territory': south_territory.id,
        'north_team': north_team.id,
        'spring': spring.id, 'summer': summer.id,
        'xa': xa.id, 'xb': xb.id, 's1': s1.id,
        }


def create_changes(today):
    """Acme: two changes this month on one page, one with a keyword that
    appeared and one that disappeared; Globex: one change 40 days ago"""
    pool = Pool()
    Party = pool.get('party.party')
    Competitor = pool.get('crm.competitor')
    Page = pool.get('crm.competitor.page')
    Snapshot = pool.get('crm.competitor.snapshot')
    Change = pool.get('crm.competitor.change')
    Keyword = pool.get('crm.competitor.keyword')
    Hit = pool.get('crm.competitor.keyword.hit')
    acme_party, globex_party = Party.create([
            {'name': "Acme"}, {'name': "Globex"}])
    acme, globex = Competitor.create([
            {'party': acme_party.id}, {'party': globex_party.id}])
    acme_page, globex_page = Page.create([{
                'name': name, 'competitor': competitor.id,
                'url': 'https://www.example.com/%s' % name,
                } for name, competitor in [
                ('acme', acme), ('globex', globex)]])
    keyword, = Keyword.create([{'keyword': "price", 'scope': 'all'}])
    now = dt.datetime.combine(today.replace(day=1), dt.time(12))
    changes = []
    for page, competitor, when, added, removed in [
            (acme_page, acme, now, 5, 2),
            (acme_page, acme, now + dt.timedelta(hours=1), 1, 0),
            (globex_page, globex, now - dt.timedelta(days=40), 3, 0)]:
        snapshot, = Snapshot.create([{'page': page.id, 'fetched_at': when}])
        changes.extend(Change.create([{
                        'page': page.id, 'competitor': competitor.id,
                        'snapshot': snapshot.id, 'detected_at': when,
                        'added_lines': added, 'removed_lines': removed}]))
    Hit.create([
            {'change': changes[0].id, 'keyword': keyword.id,
                'event': 'appeared'},
            {'change': changes[1].id, 'keyword': keyword.id,
                'event': 'disappeared'}])


class CatalogueTestCase(RouteTestCase):
    "The territory, campaign, segment, competitor and channel reports"
    module = 'crm_bi'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ids, cls.company_id = set_up_class_data(
            cls, create_company_catalogue)

    def rows(self, name, fields, user='analyst', **context):
        "Return the rows of the report as the user as sorted tuples"
        pool = Pool()
        Report = pool.get(name)
        User = pool.get('res.user')
        user = User(self.ids['users'][user])
        context.setdefault('company', self.company_id)
        with as_user(user, **context):
            records = Report.search([])
            return sorted(
                (tuple(getattr(r, f) for f in fields) for r in records),
                key=repr)

    def name(self, model, id_):
        return Pool().get(model)(id_).rec_name if id_ else None

    @with_transaction()
    def test_territory(self):
        "Territories: leads, won, pipeline, target and revenue achieved"
        rows = self.rows('crm.bi.territory', [
                'territory', 'leads', 'won', 'pipeline_amount',
                'target_amount', 'achieved_amount', 'achievement'])
        self.assertEqual(
            [(t.name, l, w) + money(p, ta, a) + (pct,)
                for t, l, w, p, ta, a, pct in rows],
            [("North", 2, 1) + money(250, 2000, 1000) + (50.0,),
                ("South", 2, 1) + money(800, 1500, 2000) + (133.3,)])

    @with_transaction()
    def test_territory_filters(self):
        "The team filter and another team's salesperson"
        self.assertEqual(
            [t.name for t, in self.rows('crm.bi.territory', ['territory'],
                    team=self.ids['north_team'])],
            ["North"])
        # South reads neither North's target nor North's opportunities
        self.assertEqual(
            [t.name for t, in self.rows(
                    'crm.bi.territory', ['territory'], user='south')],
            ["South"])

    @with_transaction()
    def test_campaign(self):
        "Campaigns: revenue and margin by attribution model, cost, ROI"
        rows = self.rows('crm.bi.campaign', [
                'campaign', 'opportunities', 'won',
                'revenue_first', 'revenue_last', 'revenue_linear',
                'margin_first', 'margin_last', 'margin_linear', 'cost',
                'roi_linear'])
        self.assertEqual(
            [(c.name, o, w) + money(*amounts) + (roi,)
                for c, o, w, *amounts, roi in rows],
            [("spring", 2, 1) + money(1000, 0, 500, 700, 0, 350, 400)
                + (-12.5,),
                ("summer", 2, 2) + money(1000, 2000, 1500, 1000, 1700, 1350,
                    300) + (350.0,)])
        self.assertEqual(
            [c.name for c, in self.rows('crm.bi.campaign', ['campaign'],
                    campaign=self.ids['summer'])],
            ["summer"])

    @with_transaction()
    def test_campaign_period(self):
        "Revenue and costs out of the period are not counted"
        today = Pool().get('ir.date').today()
        rows = self.rows('crm.bi.campaign',
            ['campaign', 'revenue_linear', 'cost'],
            from_date=today - dt.timedelta(days=4))
        self.assertEqual(
            [(c.name,) + money(r, k) for c, r, k in rows],
            [("spring",) + money(0, 0), ("summer",) + money(0, 0)])

    @with_transaction()
    def test_segment(self):
        "Segments and geography: customers, revenue, open pipeline"
        rows = self.rows('crm.bi.segment', [
                'segment', 'country', 'subdivision', 'city', 'customers',
                'revenue', 'opportunities', 'pipeline_amount'])
        self.assertEqual(
            [(s, c.code, d and d.code, city, n) + money(r) + (o,) + money(p)
                for s, c, d, city, n, r, o, p in rows],
            [('A', 'XA', 'XA-S1', "Alpha City", 1) + money(1000) + (1,)
                + money(250),
                ('B', 'XB', None, "Beta Town", 1) + money(1000) + (1,)
                + money(800)])
        self.assertEqual(
            self.rows('crm.bi.segment', ['segment'],
                territory=self.ids['north_territory']),
            [])

    @with_transaction()
    def test_competitor(self):
        "Competitors: changes, pages, lines and keyword hits per month"
        today = Pool().get('ir.date').today()
        rows = self.rows('crm.bi.competitor', [
                'competitor', 'month', 'changes', 'pages', 'added_lines',
                'removed_lines', 'keyword_hits', 'keywords_appeared',
                'keywords_disappeared'])
        month = today.replace(day=1)
        before = (month - dt.timedelta(days=40)).replace(day=1)
        self.assertEqual(
            [(c.rec_name,) + tuple(r) for c, *r in rows],
            [("Acme", month, 2, 1, 6, 2, 2, 1, 1),
                ("Globex", before, 1, 1, 3, 0, 0, 0, 0)])
        self.assertEqual(
            [c.rec_name for c, in self.rows('crm.bi.competitor',
                    ['competitor'], from_date=month)],
            ["Acme"])

    @with_transaction()
    def test_channel(self):
        "Channels: leads, conversions, cases, revenue, cost per outcome"
        rows = self.rows('crm.bi.channel', [
                'channel', 'leads', 'conversions', 'cases', 'resolved',
                'revenue', 'cost', 'cost_per_lead', 'cost_per_conversion',
                'cost_per_outcome'])
        self.assertEqual(
            [tuple(r[:5]) + money(*r[5:]) for r in rows], [
                ('campaign', 0, 0, 0, 0) + money(0, 700, None, None, None),
                ('email', 0, 0, 1, 0) + money(0, 0, None, None, None),
                ('partner', 1, 0, 0, 0) + money(0, 0, 0, None, None),
                ('phone', 1, 1, 1, 1) + money(1000, 100, 100, 100, 50),
                ('web', 2, 1, 1, 0) + money(1000, 50, 25, 50, 50),
                ])
        self.assertEqual(
            self.rows('crm.bi.channel', ['channel', 'cases'],
                channel='mobile'),
            [('phone', 1)])

    @with_transaction()
    def test_cost_needs_campaign(self):
        "A cost of the campaign channel names its campaign"
        pool = Pool()
        Cost = pool.get('crm.bi.cost')
        Company = pool.get('company.company')
        company = Company(self.company_id)
        with set_company(company):
            with self.assertRaises(RequiredValidationError):
                Cost.create([{
                            'company': company.id, 'channel': 'campaign',
                            'amount': Decimal(10),
                            'currency': company.currency.id}])

    @with_transaction()
    def test_pipeline_currency(self):
        "The existing reports convert other currencies at the start date"
        rows = self.rows('crm.bi.pipeline', ['state', 'number', 'amount'])
        self.assertEqual(
            [(s, n) + money(a) for s, n, a in rows],
            [('lead', 1) + money(800), ('opportunity', 1) + money(250)])
        rows = self.rows('crm.bi.funnel', ['won_amount'])
        self.assertEqual(
            money(sum(a for a, in rows)), money(1000 + 2000))

    @with_transaction()
    def test_other_company(self):
        "Nothing of the company shows in the context of another"
        pool = Pool()
        Company = pool.get('company.company')
        other = create_company(
            "Other", currency=Company(self.company_id).currency)
        for name in REPORTS[:-2] + REPORTS[-1:]:
            with self.subTest(report=name):
                self.assertEqual(
                    self.rows(name, ['id'], user='bi', company=other.id), [])

    @with_transaction()
    def test_bi_analyst_reads(self):
        "A CRM BI Analyst reads every new report"
        for name in REPORTS:
            with self.subTest(report=name):
                self.assertTrue(self.rows(name, ['id'], user='bi'))

    @with_transaction()
    def test_show_sql_every_report(self):
        "The SQL shown, with parameters and with values, gives the rows"
        pool = Pool()
        User = pool.get('res.user')
        ShowSQL = pool.get('crm.bi.show_sql', type='wizard')
        today = pool.get('ir.date').today()
        cursor = Transaction().connection.cursor()
        for login, names in [
                ('analyst', REPORTS),
                # The channel report counts service cases
                ('south', REPORTS[:-1])]:
            user = User(self.ids['users'][login])
            for name in names:
                for context in [{}, {
                            'from_date': today - dt.timedelta(days=365),
                            'to_date': today,
                            'team': self.ids['north_team']}]:
                    with self.subTest(report=name, user=login,
                            context=context):
                        with as_user(user, access_check=False,
                                company=self.company_id, active_model=name,
                                **context):
                            session_id, _, _ = ShowSQL.create()
                            values = ShowSQL(session_id).default_start(None)
                        expected = self.rows(name, ['id'], user=login,
                            **context)
                        cursor.execute(values['sql'],
                            json.loads(values['parameters']))
                        self.assertEqual(
                            sorted((r[0],) for r in cursor), expected)
                        cursor.execute(values['sql_with_values'])
                        self.assertEqual(
                            sorted((r[0],) for r in cursor), expected)
