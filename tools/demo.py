# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data: a believable company with two years of back-office history.

Usable from the command line (``python -m tools.demo -c CONF -d DB``), from
tests and from benchmarks (``generate(database, scale=..., seed=...)``). The
same seed and the same reference date give the same data. The accounting
set-up uses Tryton's own scenario tools (proteus); the volume is created
through the models in batches.
"""
import argparse
import contextlib
import datetime as dt
import importlib
import random
import sys
import time
from decimal import Decimal

from dateutil.relativedelta import relativedelta

COMPANY_NAME = "Tryton CRM Demo"
# login: (employee name, CRM role groups, upstream groups)
USERS = {
    'manager': ("Sales Manager", [
            'crm_sales.group_crm_sales_manager'], [
            'sale.group_sale', 'sale.group_sale_admin',
            'sale_opportunity.group_opportunity', 'party.group_party_admin',
            'marketing.group_marketing', 'company.group_employee_admin',
            'product.group_product_admin']),
    'sales1': ("Salesperson One", ['crm_sales.group_crm_salesperson'], [
            'sale.group_sale', 'sale_opportunity.group_opportunity']),
    'sales2': ("Salesperson Two", ['crm_sales.group_crm_salesperson'], [
            'sale.group_sale', 'sale_opportunity.group_opportunity']),
    # A service agent is no salesperson: the service groups come with
    # crm_service (EXTRA_GROUPS)
    'agent': ("Service Agent", [], ['sale.group_sale']),
    'analyst': ("BI Analyst", ['crm_sales.group_crm_analyst'], []),
    }
# Later modules' groups, given to the roles when the module is activated
EXTRA_GROUPS = {
    'agent': ['crm_service.group_crm_service_agent'],
    'manager': ['crm_service.group_crm_service_manager',
        'crm_knowledge.group_crm_competitive_intelligence',
        'crm_partner.group_crm_channel_manager'],
    'analyst': ['crm_bi.group_crm_bi_analyst'],
    }
# (country code, name, [(subdivision code, name, [(city, zip, lat, lon)])])
GEOGRAPHY = [
    ('CN', "China", [
            ('CN-SH', "Shanghai", [("Shanghai", "200000", 31.2304, 121.4737)]),
            ('CN-BJ', "Beijing", [("Beijing", "100000", 39.9042, 116.4074)]),
            ('CN-GD', "Guangdong", [
                    ("Guangzhou", "510000", 23.1291, 113.2644),
                    ("Shenzhen", "518000", 22.5431, 114.0579)]),
            ('CN-ZJ', "Zhejiang", [("Hangzhou", "310000", 30.2741, 120.1551)]),
            ]),
    ('US', "United States", [
            ('US-CA', "California", [
                    ("San Francisco", "94103", 37.7749, -122.4194),
                    ("Los Angeles", "90012", 34.0522, -118.2437)]),
            ('US-NY', "New York", [("New York", "10001", 40.7128, -74.0060)]),
            ('US-TX', "Texas", [("Austin", "73301", 30.2672, -97.7431)]),
            ]),
    ('DE', "Germany", [
            ('DE-BY', "Bavaria", [("Munich", "80331", 48.1351, 11.5820)]),
            ('DE-BE', "Berlin", [("Berlin", "10115", 52.5200, 13.4050)]),
            ]),
    ('FR', "France", [
            ('FR-75', "Paris", [("Paris", "75001", 48.8566, 2.3522)]),
            ('FR-69', "Rhône", [("Lyon", "69001", 45.7640, 4.8357)]),
            ]),
    ]
NAME_FIRST = ["Acme", "Blue River", "Cedar", "Delta", "Eastwind", "Falcon",
    "Golden Gate", "Harbor", "Ion", "Jade", "Keystone", "Lotus", "Meridian",
    "Northstar", "Orchid", "Pioneer", "Quantum", "Redwood", "Summit",
    "Tianhe", "Unity", "Vertex", "Westlake", "Xinhua", "Yangtze", "Zenith"]
NAME_SECOND = ["Logistics", "Manufacturing", "Retail", "Foods", "Pharma",
    "Energy", "Textiles", "Robotics", "Media", "Bank", "Hotels", "Motors",
    "Software", "Construction", "Chemicals", "Electronics"]
NAME_SUFFIX = ["Ltd", "GmbH", "Inc.", "SA", "Co., Ltd", "Group", "LLC"]
STREETS = ["Main Street", "Park Avenue", "Industrial Road", "Harbour Way",
    "Century Avenue", "Station Road", "Market Street", "River Road"]
PERSON_FIRST = ["Anna", "Bo", "Carlos", "Diane", "Emil", "Fang", "Grace",
    "Hiro", "Ines", "Jun", "Karl", "Li", "Maria", "Nina", "Omar", "Ping"]
PERSON_LAST = ["Schmidt", "Wang", "Garcia", "Martin", "Chen", "Smith",
    "Dubois", "Zhang", "Miller", "Liu", "Bernard", "Huang"]
# (category, [(code, name, type, list price, cost price)])
PRODUCTS = [
    ("Hardware", [
            ('HW-LAP', "Business Laptop", 'goods', '1200', '850'),
            ('HW-SRV', "Rack Server", 'goods', '6800', '4900'),
            ('HW-SW24', "Network Switch 24 ports", 'goods', '950', '610'),
            ('HW-NAS', "Storage Appliance", 'goods', '4200', '3100'),
            ]),
    ("Software", [
            ('SW-ERP', "ERP Licence (per user)", 'service', '480', '60'),
            ('SW-SEC', "Security Suite (per device)", 'service', '90', '25'),
            ]),
    ("Services", [
            ('SV-INST', "Installation (day)", 'service', '900', '400'),
            ('SV-SUP', "Support Contract (year)", 'service', '3600', '1500'),
            ('SV-TRN', "Training (day)", 'service', '1100', '450'),
            ]),
    ]
CAMPAIGNS = ["Spring Expo", "Cloud Webinar Series", "Partner Roadshow",
    "Year-End Promotion"]
MEDIA = ["Trade show", "Webinar", "E-mail", "Search ads"]
SOURCES = ["Website", "Referral", "Cold call", "Partner"]


def setup_accounting(today):
    "Company, chart of accounts and fiscal years through proteus"
    from proteus import Model
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import create_company

    Party = Model.get('party.party')
    Currency = Model.get('currency.currency')
    currency, = Currency.find([('code', '=', 'USD')]) or [None]
    if not currency:
        currency = Currency(
            name="U.S. Dollar", code='USD', symbol='$', rounding=Decimal(
                '0.01'), digits=2)
        currency.save()
    party = Party(name=COMPANY_NAME)
    party.save()
    create_company(party, currency)
    create_chart()
    for year in range(today.year - 2, today.year + 1):
        fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(
                today=(dt.date(year, 1, 1), dt.date(year, 12, 31))))
        fiscalyear.name = str(year)
        fiscalyear.click('create_period')


class Generator:
    "The volume part of the demo, inside one transaction"

    def __init__(self, pool, rng, today, scale):
        self.pool = pool
        self.rng = rng
        self.today = today
        self.scale = scale

    STEPS = ['geography', 'catalogue', 'people', 'customers', 'marketing',
        'history', 'pipeline']

    def run(self, progress):
        self.company = self.pool.get('company.company').search([])[0]
        for name in self.STEPS:
            with progress(name):
                getattr(self, name)()

    def geography(self):
        Country = self.pool.get('country.country')
        Subdivision = self.pool.get('country.subdivision')
        self.cities = []
        for code, name, subdivisions in GEOGRAPHY:
            country, = (Country.search([('code', '=', code)])
                or Country.create([{'code': code, 'name': name}]))
            for s_code, s_name, cities in subdivisions:
                subdivision, = (
                    Subdivision.search([('code', '=', s_code)])
                    or Subdivision.create([{
                                'code': s_code, 'name': s_name,
                                'country': country.id, 'type': 'province',
                                }]))
                for city in cities:
                    self.cities.append((country, subdivision) + city)

    def catalogue(self):
        pool = self.pool
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Account = pool.get('account.account')
        Term = pool.get('account.invoice.payment_term')
        Method = pool.get('account.invoice.payment.method')
        Journal = pool.get('account.journal')
        unit, = Uom.search([('name', '=', 'Unit')])
        open_ = [('closed', '!=', True), ('company', '=', self.company.id)]
        revenue, = Account.search(
            [('type.revenue', '=', True)] + open_, limit=1)
        expense, = Account.search(
            [('type.expense', '=', True)] + open_, limit=1)
        cash, = Account.search([('code', '=', '1.1.1')], limit=1)
        self.products, self.prices = [], {}
        for c_name, products in PRODUCTS:
            category, = Category.create([{
                        'name': c_name, 'accounting': True,
                        'account_revenue': revenue.id,
                        'account_expense': expense.id,
                        }])
            templates = Template.create([{
                        'name': name, 'code': code, 'type': type_,
                        'list_price': Decimal(price),
                        'default_uom': unit.id, 'salable': True,
                        'sale_uom': unit.id,
                        'account_category': category.id,
                        'categories': [('add', [category.id])],
                        'products': [('create', [{
                                        'suffix_code': '',
                                        'cost_price': Decimal(cost),
                                        }])],
                        } for code, name, type_, price, cost in products])
            for template, (_, _, _, price, _) in zip(templates, products):
                self.products.extend(template.products)
                self.prices[template.products[0]] = Decimal(price)
        self.payment_term, = Term.create([{
                    'name': "30 days",
                    'lines': [('create', [{
                                    'type': 'remainder',
                                    'relativedeltas': [('create', [{
                                                    'days': 30}])],
                                    }])],
                    }])
        journal, = Journal.search([('type', '=', 'cash')], limit=1)
        self.payment_method, = Method.create([{
                    'name': "Bank transfer", 'company': self.company.id,
                    'journal': journal.id, 'debit_account': cash.id,
                    'credit_account': cash.id,
                    }])

    def people(self):
        pool = self.pool
        Party = pool.get('party.party')
        Employee = pool.get('company.employee')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        activated = _activated(pool)
        self.employees = {}
        to_create = []
        for login, (name, crm_groups, groups) in USERS.items():
            party, = Party.create([{'name': name}])
            employee, = Employee.create([{
                        'party': party.id, 'company': self.company.id,
                        'start_date': self.today - relativedelta(years=3),
                        }])
            self.employees[login] = employee
            group_ids = [
                ModelData.get_id(*xml_id.split('.'))
                for xml_id in crm_groups + groups
                + EXTRA_GROUPS.get(login, [])
                if xml_id.split('.')[0] in activated]
            to_create.append({
                    'login': login, 'name': name,
                    'email': f'{login}@crm-demo.example.com',
                    'companies': [('add', [self.company.id])],
                    'company': self.company.id,
                    'employees': [('add', [employee.id])],
                    'employee': employee.id,
                    'groups': [('add', group_ids)],
                    })
        User.create(to_create)
        self.salespeople = [
            self.employees[l] for l in ['manager', 'sales1', 'sales2']]

    def customers(self):
        Party = self.pool.get('party.party')
        rng = self.rng
        count = max(10, int(200 * self.scale))
        names, values = set(), []
        while len(values) < count:
            name = (f"{rng.choice(NAME_FIRST)} {rng.choice(NAME_SECOND)} "
                f"{rng.choice(NAME_SUFFIX)}")
            if name in names:
                continue
            names.add(name)
            country, subdivision, city, zip_, lat, lon = rng.choice(
                self.cities)
            domain = name.split()[0].lower().replace(' ', '') + (
                f"{len(values)}.example.com")
            contact = (f"{rng.choice(PERSON_FIRST)} "
                f"{rng.choice(PERSON_LAST)}")
            values.append({
                    'name': name,
                    'addresses': [('create', [{
                                    'street': (f"{rng.randint(1, 300)} "
                                        f"{rng.choice(STREETS)}"),
                                    'postal_code': zip_, 'city': city,
                                    'country': country.id,
                                    'subdivision': subdivision.id,
                                    }])],
                    'contact_mechanisms': [('create', [
                                {'type': 'phone',
                                    'value': self._phone(country.code)},
                                {'type': 'email',
                                    'value': f'info@{domain}'},
                                {'type': 'email', 'name': contact,
                                    'value': (contact.split()[0].lower()
                                        + f'@{domain}')},
                                {'type': 'website',
                                    'value': f'https://www.{domain}'},
                                ])],
                    })
        self.customers = Party.create(values)
        self._set_coordinates(self.customers)
        # A long tail: a fifth of the customers make most of the revenue
        self.weights = [
            rng.paretovariate(1.2) for _ in self.customers]

    def _phone(self, country_code):
        prefix = {'CN': '+86 21', 'US': '+1 415', 'DE': '+49 89',
            'FR': '+33 1'}[country_code]
        # Valid numbers: the party module checks them with phonenumbers
        exchange = (200, 999) if country_code == 'US' else (1000, 9999)
        return f"{prefix} {self.rng.randint(*exchange)} " \
            f"{self.rng.randint(1000, 9999)}"

    def _set_coordinates(self, parties):
        "Scatter the addresses around their city (when the fields exist)"
        Address = self.pool.get('party.address')
        if 'latitude' not in Address._fields:
            return
        by_city = {c[2]: c for c in self.cities}
        to_write = []
        for party in parties:
            for address in party.addresses:
                city = by_city[address.city]
                to_write.extend([[address], {
                            'latitude': round(
                                city[4] + self.rng.uniform(-0.08, 0.08), 6),
                            'longitude': round(
                                city[5] + self.rng.uniform(-0.08, 0.08), 6),
                            }])
        Address.write(*to_write)

    def marketing(self):
        pool = self.pool
        self.campaigns = pool.get('marketing.campaign').create(
            [{'name': n} for n in CAMPAIGNS])
        self.media = pool.get('marketing.medium').create(
            [{'name': n} for n in MEDIA])
        self.sources = pool.get('marketing.source').create(
            [{'name': n} for n in SOURCES])

    def _lines(self, count):
        rng = self.rng
        products = rng.sample(self.products, count)
        return [(p, rng.choice([1, 2, 3, 5, 10, 20])) for p in products]

    def _opportunity(self, party, employee, start, lines):
        return {
            'party': party.id, 'company': self.company.id,
            'currency': self.company.currency.id,
            'address': party.addresses[0].id,
            'description': f"{lines[0][0].name} for {party.name}",
            'employee': employee.id,
            'start_date': start,
            'amount': sum(self.prices[p] * q for p, q in lines),
            'payment_term': self.payment_term.id,
            'lines': [('create', [{
                            'product': p.id, 'quantity': q,
                            'unit': p.default_uom.id,
                            } for p, q in lines])],
            }

    def history(self):
        """Opportunities won over the last 24 months, their sales confirmed
        and invoiced: a salesperson is credited with a sale through the
        opportunity it comes from, so the targets of every month have
        something achieved"""
        pool = self.pool
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        rng = self.rng
        start = self.today - relativedelta(months=24)
        count = max(24, int(360 * self.scale))
        values, dates = [], []
        for i in range(count):
            party = rng.choices(self.customers, weights=self.weights)[0]
            date = start + dt.timedelta(
                days=rng.randint(0, (self.today - start).days - 1))
            dates.append(date)
            values.append(self._opportunity(
                    party, rng.choice(self.salespeople),
                    date - dt.timedelta(days=rng.randint(7, 60)),
                    self._lines(rng.randint(1, 3))))
        opportunities = Opportunity.create(values)
        Opportunity.opportunity(opportunities)
        Opportunity.convert(opportunities)
        sales = []
        for opportunity, date in zip(
                Opportunity.browse(opportunities), dates):
            for sale in opportunity.sales:
                sale.sale_date = date
                sales.append(sale)
        Sale.save(sales)
        self._confirm_and_invoice(sales)
        Opportunity.process(Opportunity.browse(opportunities))
        # Won on the day of their sale, not on the day of the demo
        for opportunity, date in zip(opportunities, dates):
            opportunity.end_date = date
        Opportunity.save(opportunities)

    def _confirm_and_invoice(self, sales):
        pool = self.pool
        Sale = pool.get('sale.sale')
        Invoice = pool.get('account.invoice')
        Sale.quote(sales)
        Sale.confirm(sales)
        Sale.process(sales)
        invoices = []
        for sale in Sale.browse(sales):
            for invoice in sale.invoices:
                invoice.invoice_date = min(self.today,
                    sale.sale_date + dt.timedelta(
                        days=self.rng.randint(0, 10)))
                invoice.accounting_date = invoice.invoice_date
                invoices.append(invoice)
        # Invoice numbers follow the invoice dates
        invoices.sort(key=lambda i: i.invoice_date)
        Invoice.save(invoices)
        Invoice.post(invoices)
        self._pay(Invoice.browse(invoices))

    def _pay(self, invoices):
        "Customers pay late or not at all, so receivables exist"
        pool = self.pool
        Invoice = pool.get('account.invoice')
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Period = pool.get('account.period')
        method = self.payment_method
        paid, moves = [], []
        for invoice in invoices:
            age = (self.today - invoice.invoice_date).days
            if age < 45 or self.rng.random() < 0.06:
                continue
            date = min(
                self.today, invoice.invoice_date + dt.timedelta(
                    days=self.rng.randint(15, 60)))
            amount = invoice.total_amount
            paid.append(invoice)
            moves.append(Move(
                    journal=method.journal, date=date, origin=invoice,
                    period=Period.find(self.company, date=date),
                    company=self.company, lines=[
                        Line(account=invoice.account, party=invoice.party,
                            debit=0, credit=amount),
                        Line(account=method.debit_account, debit=amount,
                            credit=0),
                        ]))
        Move.save(moves)
        Move.post(moves)
        Line.reconcile(*(
                list(i.lines_to_pay)
                + [l for l in m.lines if l.account == i.account]
                for i, m in zip(paid, Move.browse(moves))))
        Invoice.process(invoices)

    def pipeline(self):
        "Opportunities in every state"
        pool = self.pool
        Opportunity = pool.get('sale.opportunity')
        rng = self.rng
        count = max(12, int(90 * self.scale))
        values = []
        for i in range(count):
            party = rng.choice(self.customers)
            lines = self._lines(rng.randint(1, 2))
            start = self.today - dt.timedelta(days=rng.randint(0, 300))
            employee = rng.choice(self.salespeople)
            values.append(self._opportunity(party, employee, start, lines))
            values[-1].update({
                    'conversion_probability': rng.choice(
                        [0.1, 0.25, 0.5, 0.75]),
                    'marketing_campaign': rng.choice(self.campaigns).id,
                    'marketing_medium': rng.choice(self.media).id,
                    'marketing_source': rng.choice(self.sources).id,
                    })
        opportunities = Opportunity.create(values)
        # lead, opportunity, converted, won, lost, cancelled
        chunks = [opportunities[i::6] for i in range(6)]
        leads, opps, converted, won, lost, cancelled = chunks
        Opportunity.opportunity(opps + converted + won + lost)
        Opportunity.convert(converted + won)
        sales = [s for o in Opportunity.browse(won) for s in o.sales]
        self._confirm_and_invoice(sales)
        Opportunity.process(Opportunity.browse(won))
        Opportunity.write(lost, {'lost_reason': "Chose a cheaper offer"})
        Opportunity.lost(lost)
        Opportunity.cancel(cancelled)


def log(message):
    print(f"demo: {message}", file=sys.stderr, flush=True)


# The suite modules' demos (tools/demo_<concept>.py), in the order they
# build on one another: teams and territories first
DEMOS = ['territory', 'activity', 'target', 'assignment', 'proposal',
    'service', 'knowledge_base', 'knowledge_home', 'knowledge_watch',
    'service_intake', 'service_route', 'service_sla', 'service_visit',
    'partner', 'portal', 'bi_query', 'bi', 'mobile']


def module_demos(activated):
    "The demos of the activated suite modules, in order"
    demos = (importlib.import_module(f'tools.demo_{d}') for d in DEMOS)
    return [d for d in demos
        if getattr(d, 'MODULE', 'crm_sales') in activated]


class Progress:
    "Numbered steps on stderr, read by ./crm: 'demo: [3/20] customers'"

    def __init__(self, total):
        self.total = total
        self.number = 0

    @contextlib.contextmanager
    def __call__(self, name):
        self.number += 1
        log(f"[{self.number}/{self.total}] {name}")
        start = time.monotonic()
        yield
        log(f"{name}: {time.monotonic() - start:.1f}s")


def _activated(pool):
    Module = pool.get('ir.module')
    return {m.name for m in Module.search([('state', '=', 'activated')])}


def set_passwords(pool, password):
    from tools.demo_portal import LOGINS
    User = pool.get('res.user')
    users = User.search([('login', 'in', list(USERS))])
    User.write(users, {'password': password})
    if 'crm_partner' in _activated(pool):
        WebUser = pool.get('web.user')
        WebUser.write(WebUser.search([('email', 'in', LOGINS)]),
            {'password': password})


def generate(database, config_file=None, scale=1.0, seed=42, today=None,
        password=None):
    "Fill an activated database with the demo, in one transaction"
    from proteus import config as pconfig
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    today = today or dt.date.today()
    pconfig.set_trytond(database, config_file=config_file)
    pool = Pool(database)
    with Transaction().start(database, 0, readonly=True):
        demos = module_demos(_activated(pool))
    progress = Progress(
        1 + len(Generator.STEPS) + len(demos))
    with progress('accounting'):
        setup_accounting(today)
    extras = {'_lock_tables': _locked_tables(pool)}
    while True:
        with Transaction().start(database, 0, **extras) as transaction:
            try:
                _populate(pool, transaction, scale, seed, today, password,
                    demos, progress)
            except TransactionError as error:
                # Not expected: every lock is taken upfront
                log(f"restart: {error.__dict__}")
                transaction.rollback()
                error.fix(extras)
                progress.number = 1
                continue
            # The sales were processed above: drop their queued duplicates
            Queue = pool.get('ir.queue')
            Queue.delete(Queue.browse(transaction.tasks))
            transaction.tasks.clear()
            transaction.commit()
            break


def _locked_tables(pool):
    """The tables the demo locks, taken when its transaction starts so that
    it never restarts: the sequences, the journal periods and the singletons
    (creating a singleton locks its table)"""
    from trytond.model import ModelSingleton, ModelSQL
    tables = ['ir_sequence', 'ir_sequence_strict', 'account_journal_period']
    for _, model in pool.iterobject():
        if (issubclass(model, ModelSingleton) and issubclass(model, ModelSQL)
                and not callable(model.table_query)):
            tables.append(model._table)
    return tables


def _populate(pool, transaction, scale, seed, today, password, demos,
        progress):
    rng = random.Random(seed)
    company, = pool.get('company.company').search([])
    with transaction.set_context(
            company=company.id, companies=[company.id],
            queue_batch=False, _skip_warnings=True):
        Generator(pool, rng, today, scale).run(progress)
        for demo in demos:
            with progress(demo.__name__.split('.demo_')[1]):
                demo.populate(pool, rng, today)
        if password:
            set_passwords(pool, password)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', dest='config_file')
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--scale', type=float, default=1.0,
        help="1.0 = ~200 customers, ~500 sales over 24 months")
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--today', type=dt.date.fromisoformat,
        help="reference date of the history (default: today)")
    parser.add_argument('--password-file',
        help="file holding the demo users' password")
    options = parser.parse_args(argv)
    password = None
    if options.password_file:
        with open(options.password_file) as f:
            password = f.read().strip()
    generate(options.database, options.config_file, options.scale,
        options.seed, options.today, password)


if __name__ == '__main__':
    sys.exit(main())
