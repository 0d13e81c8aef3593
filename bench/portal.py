# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal under load: requests/s and p95 per page on loopback.

Builds a database bench_portal with --partners partners (10,000), each
with a portal account, --opportunities leads (1,000,000) of 1,000
customers proposed to them (a lead, its assignment), five orders of a
line for each partner and 200 published articles. The bulk of the rows is
inserted by raw SQL, copies of one record made through the ORM. Then a
real trytond server answers --sessions portal sessions (50) of partners,
logged in through the login form, browsing: their leads (a random page
of the list, then one lead), their orders (the list, one order) and the
articles (the list or a search, one article), and an authenticated no-op:
the login page of a logged-in session, which checks the session and
redirects home.

Two runs of --seconds (60) each, as bench/mobile_api.py runs the phones:
- people browsing: each session takes 1 to 3 s to read a page before it
  asks the next: requests/s, the p50/p95 latency of each page with the
  ratio of its p95 to the target (p95 < 200 ms: a ratio under 1 meets it)
  and to the no-op's p95 (what the page costs beyond the server's queueing
  and session check), and the errors (zero);
- saturation: each session asks its next page as soon as it gets one: the
  throughput the server reaches, and the latency that many requests at
  once queue for (mean = sessions / throughput).

    .venv/bin/python bench/portal.py [--postgresql] [--partners 200]
        [--opportunities 20000] [--sessions 50] [--seconds 15]
"""
import argparse
import collections
import datetime
import http.client
import itertools
import json
import os
import random
import re
import statistics
import threading
import time
import urllib.parse

import common  # noqa: F401 (the repository on the path)

DATABASE = 'bench_portal'
PASSWORD = 'bench-portal-42'
CUSTOMERS = 1_000
ORDERS = 5
ARTICLES = 200
TARGET_P95 = 0.200
BATCH = 20_000
WORDS = ("printer toner drum paper jam network driver warranty return "
    "installation invoice discount rebate training solar panel battery "
    "inverter cable mounting").split()
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGES = ['leads', 'lead', 'orders', 'order', 'articles', 'article', 'no-op']
PAUSE = (1, 3)  # seconds a person takes to read a page


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--postgresql', action='store_true')
    parser.add_argument('--partners', type=int, default=10_000)
    parser.add_argument('--opportunities', type=int, default=1_000_000)
    parser.add_argument('--sessions', type=int, default=50)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--warm-up', type=float, default=5,
        help="seconds of browsing before the measure (default: 5)")
    args = parser.parse_args()
    args.backend = 'postgresql' if args.postgresql else 'sqlite'
    return args


def build(backend, partners, opportunities):
    """Create the database and its records, unless the one of an earlier
    run of the same code and size is there"""
    from tools import crmctl
    stamp = backend.db_path() / f'{DATABASE}.bench.json'
    state = {'code': crmctl.addons_hash(), 'partners': partners,
        'opportunities': opportunities}
    (crmctl.VAR / 'log').mkdir(parents=True, exist_ok=True)
    log_path = crmctl.VAR / 'log' / 'bench-portal.log'
    built = {}
    if backend.exists(DATABASE) and stamp.exists():
        built = json.loads(stamp.read_text())
        if (built['partners'], built['opportunities']) == (
                partners, opportunities):
            if built['code'] != state['code']:
                with open(log_path, 'w') as log:
                    crmctl._admin(backend, DATABASE, '-u', 'crm_partner',
                        log=log)
                stamp.write_text(json.dumps(state))
            return
    if built.get('partners', 0) is not None:
        # Not a database with the modules and without records
        stamp.unlink(missing_ok=True)
        backend.drop(DATABASE)
        backend.create(DATABASE)
        password = crmctl.secret('bench-password')
        with open(log_path, 'w') as log:
            print(f"creating {DATABASE} on {backend.name} (a few minutes)",
                flush=True)
            crmctl._admin(backend, DATABASE, '--all', '--email',
                'admin@example.com', log=log,
                env=backend.env(TRYTONPASSFILE=str(password)))
            crmctl._admin(backend, DATABASE, '-u', 'crm_partner',
                '--activate-dependencies', log=log)
        stamp.write_text(json.dumps(
                dict(state, partners=None, opportunities=None)))
    started = time.monotonic()
    populate(backend, partners, opportunities)
    print(f"records inserted in {time.monotonic() - started:.0f} s",
        flush=True)
    stamp.write_text(json.dumps(state))


def copies(table, template_id, rows):
    """Insert for each row (a dict of columns, an iterable of them read by
    batches) a copy of the template row of the table with the row's
    values; return the new ids in order"""
    from sql import Flavor
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    cursor.execute(f'SELECT * FROM "{table}" WHERE id = {int(template_id)}')
    template = dict(zip(
            [d[0] for d in cursor.description], cursor.fetchone()))
    del template['id']
    columns = list(template)
    param = Flavor.get().param
    query = (f'INSERT INTO "{table}" ('
        + ', '.join(f'"{c}"' for c in columns) + ') VALUES ('
        + ', '.join([param] * len(columns)) + ')')
    cursor.execute(f'SELECT MAX(id) FROM "{table}"')
    last, = cursor.fetchone()
    rows = iter(rows)
    while batch := [tuple(row.get(c, template[c]) for c in columns)
            for row in itertools.islice(rows, BATCH)]:
        cursor.executemany(query, batch)
    cursor.execute(f'SELECT id FROM "{table}" WHERE id > {int(last)} '
        'ORDER BY id')
    return [i for i, in cursor]


def populate(backend, partners, opportunities):
    os.environ['TRYTOND_CONFIG'] = str(backend.config_file())
    if backend.postgresql:
        os.environ['TRYTOND_DATABASE__URI'] = backend.uri
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=True):
        pool.init()
    with Transaction().start(DATABASE, 0, _lock_tables=[
                'ir_sequence', 'ir_sequence_strict']) as transaction:
        from trytond.modules.company.tests import create_company, set_company
        User = pool.get('res.user')
        company = create_company()
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {
                'companies': [('add', [company.id])],
                'company': company.id})
        with set_company(company):
            _populate(pool, company, admin, partners, opportunities)
        transaction.commit()


def _populate(pool, company, admin, partners, opportunities):
    Party = pool.get('party.party')
    WebUser = pool.get('web.user')
    Opportunity = pool.get('sale.opportunity')
    Assignment = pool.get('crm.partner.assignment')
    Sale = pool.get('sale.sale')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    Article = pool.get('crm.knowledge.article')
    Lang = pool.get('ir.lang')
    rng = random.Random(14)
    now = datetime.datetime.now()

    partner, customer = Party.create([
            {'name': "Partner 0", 'is_partner': True,
                'partner_type': 'reseller',
                'addresses': [('create', [{'city': "Shanghai"}])]},
            {'name': "Customer 0",
                'addresses': [('create', [{'city': "Suzhou"}])]}])
    partner_ids = [partner.id] + copies('party_party', partner.id, [
            {'name': f"Partner {i}", 'code': f"BP{i}"}
            for i in range(1, partners)])
    customer_ids = [customer.id] + copies('party_party', customer.id, [
            {'name': f"Customer {i}", 'code': f"BC{i}"}
            for i in range(1, CUSTOMERS)])
    print(f"  {partners} partners, {CUSTOMERS} customers", flush=True)

    # One password hash for all: hashing is the login's cost, not the
    # portal's
    user, = WebUser.create([{
                'email': 'partner0@example.com', 'password': PASSWORD,
                'party': partner.id}])
    copies('web_user', user.id, [
            {'email': f'partner{i}@example.com', 'party': p}
            for i, p in enumerate(partner_ids) if i])

    lead, = Opportunity.create([{
                'company': company.id, 'party': customer.id,
                'description': "Lead 0"}])
    states = ['lead'] * 3 + ['opportunity']
    opportunity_ids = [lead.id] + copies('sale_opportunity', lead.id, (
            {'party': rng.choice(customer_ids),
                'description': f"Lead {i} " + ' '.join(rng.sample(WORDS, 3)),
                'number': f"L{i}", 'state': rng.choice(states)}
            for i in range(1, opportunities)))
    assignment, = Assignment.create([{
                'company': company.id, 'opportunity': lead.id,
                'partner': partner.id, 'date': now,
                'deadline': now + datetime.timedelta(days=7),
                'score': 50, 'reasons': "Covers the territory"}])
    copies('crm_partner_assignment', assignment.id, (
            {'opportunity': o, 'partner': partner_ids[i % partners],
                'state': 'accepted' if i % 5 == 0 else 'proposed',
                'score': rng.randint(20, 95)}
            for i, o in enumerate(opportunity_ids) if i))
    print(f"  {opportunities} leads proposed", flush=True)

    unit, = Uom.search([('name', '=', "Unit")])
    template, = Template.create([{
                'name': "Toner cartridge", 'code': 'TON-1',
                'type': 'service', 'salable': True,
                'list_price': 100, 'default_uom': unit.id,
                'sale_uom': unit.id, 'products': [('create', [{}])]}])
    sale, = Sale.create([{
                'company': company.id, 'party': partner.id,
                'invoice_address': partner.addresses[0].id,
                'shipment_address': partner.addresses[0].id,
                'reference': "PO 0",
                'lines': [('create', [{
                                'product': template.products[0].id,
                                'quantity': 2, 'unit': unit.id,
                                'unit_price': 80}])]}])
    Sale.quote([sale])
    sale_ids = copies('sale_sale', sale.id, [
            {'party': p, 'number': f"S{i}-{j}", 'reference': f"PO {i}-{j}"}
            for i, p in enumerate(partner_ids) for j in range(ORDERS)
            if i or j])
    line, = sale.lines
    copies('sale_line', line.id, [{'sale': s} for s in sale_ids])
    print(f"  {len(sale_ids) + 1} orders", flush=True)

    en, = Lang.search([('code', '=', 'en')])
    Article.create([{
                'title': ' '.join(rng.sample(WORDS, 4)).capitalize(),
                'body': '<p>' + ' '.join(rng.choices(WORDS, k=120)) + '</p>',
                'audience': 'partners' if i % 2 else 'public',
                'language': en.id, 'state': 'published',
                'published_at': now, 'author': admin.id,
                } for i in range(ARTICLES)])


class Session:
    "A partner's browser: its connection and cookies"

    def __init__(self, port, partner):
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', port, timeout=60)
        self.base = f'/{DATABASE}/crm_partner/portal/'
        self.cookies = {}
        self.email = f'partner{partner}@example.com'

    def request(self, method, path, body=None):
        headers = {'Cookie': '; '.join(
                f'{k}={v}' for k, v in self.cookies.items())}
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        try:
            self.connection.request(method, self.base + path, body, headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError,
                BrokenPipeError):
            # The server closed the kept-alive connection: once again on
            # a new one
            self.connection.close()
            self.connection.request(method, self.base + path, body, headers)
            response = self.connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all('Set-Cookie') or []:
            name, _, value = header.split(';', 1)[0].partition('=')
            self.cookies[name.strip()] = value.strip().strip('"')
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status}")
        return text

    def login(self):
        token = CSRF_RE.search(self.request('GET', 'login')).group(1)
        self.request('POST', 'login', {
                'email': self.email, 'password': PASSWORD,
                'csrf_token': token, 'next': ''})
        if 'crm_portal_session' not in self.cookies:
            raise RuntimeError(f"{self.email} could not log in")


def browse(session, rng, deadline, latencies, errors, pause):
    """Browse the portal until the deadline, pausing between pages (None:
    no pause): latencies of each page"""
    def get(page, path):
        started = time.monotonic()
        try:
            text = session.request('GET', path)
        except (RuntimeError, OSError) as e:
            errors.append(f"{page}: {e}")
            session.connection.close()
            return ''
        latencies[page].append(time.monotonic() - started)
        if pause:
            time.sleep(rng.uniform(*pause))
        return text

    # The sessions do not all start in the same millisecond
    time.sleep(rng.uniform(0, pause[1] if pause else 0.1))

    while time.monotonic() < deadline:
        text = get('leads', f'leads?page={rng.randint(1, 3)}')
        ids = re.findall(r'href="[^"]*/leads/(\d+)"', text)
        if ids:
            get('lead', f'leads/{rng.choice(ids)}')
        text = get('orders', 'orders')
        ids = re.findall(r'href="[^"]*/orders/(\d+)"', text)
        if ids:
            get('order', f'orders/{rng.choice(ids)}')
        text = get('articles', 'articles' if rng.random() < 0.5
            else f'articles?q={rng.choice(WORDS)}')
        ids = re.findall(r'href="[^"]*/articles/(\d+)"', text)
        if ids:
            get('article', f'articles/{rng.choice(ids)}')
        # The login page of a logged-in session: 303 home, nothing else
        get('no-op', 'login')


def run_sessions(sessions, seconds, seed, pause):
    "Browse with all the sessions at once; the latencies and errors"
    latencies = collections.defaultdict(list)
    errors = []
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=browse, args=(
                session, random.Random(seed + i), deadline, latencies,
                errors, pause))
        for i, session in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def p95(values):
    if len(values) < 2:
        return values[0] if values else float('nan')
    return statistics.quantiles(values, n=100)[94]


def main():
    args = parse_args()
    from tools import crmctl
    backend = crmctl.Backend(args.backend)
    build(backend, args.partners, args.opportunities)
    workers = (os.cpu_count() or 1) if backend.postgresql else 1
    threads = min(args.sessions, 16)
    server = crmctl.Server(
        backend, DATABASE, crmctl.free_port(), cron=False, workers=workers,
        threads=threads)
    rng = random.Random(50)
    with open(crmctl.VAR / 'log' / 'bench-portal-server.log', 'w') as log:
        server.start(log=log)
        try:
            sessions = [Session(server.port, p) for p in rng.sample(
                    range(args.partners),
                    min(args.sessions, args.partners))]
            for session in sessions:
                session.login()
            run_sessions(sessions, args.warm_up, 1000, None)
            print(f"portal on {args.backend}: {args.partners} partners, "
                f"{args.opportunities} leads, {workers} server processes of "
                f"{threads} threads, {len(sessions)} sessions for "
                f"{args.seconds:.0f} s", flush=True)
            for name, pause in [
                    ('people browsing', PAUSE), ('saturation', None)]:
                started = time.monotonic()
                latencies, errors = run_sessions(
                    sessions, args.seconds, 0, pause)
                report(name, time.monotonic() - started, latencies, errors,
                    pause, len(sessions))
        finally:
            server.stop()


def report(name, elapsed, latencies, errors, pause, sessions):
    total = sum(len(v) for v in latencies.values())
    noop = p95(latencies['no-op'])
    print(f"  {name}: {total} requests ({total / elapsed:.1f}/s), "
        f"errors: {len(errors)}"
        + (f" {sorted(set(errors))[:3]}" if errors else ''))
    print(f"    {'page':10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'/target':>7} {'/no-op':>7}")
    for page in PAGES:
        values = latencies[page]
        if not values:
            continue
        print(f"    {page:10} {len(values) / elapsed:7.1f} "
            f"{statistics.median(values) * 1000:7.0f} "
            f"{p95(values) * 1000:7.0f} {p95(values) / TARGET_P95:7.2f} "
            f"{p95(values) / noop:7.1f}")
    if pause:
        worst = max(p95(v) for v in latencies.values() if v)
        print(f"    worst p95 {worst * 1000:.0f} ms, ratio to the target "
            f"{worst / TARGET_P95:.2f} (target < {TARGET_P95 * 1000:.0f} ms"
            f" and zero errors: "
            f"{'met' if worst < TARGET_P95 and not errors else 'NOT met'})")
    else:
        print(f"    {sessions} sessions without a pause: mean latency = "
            f"sessions / throughput = {sessions / (total / elapsed) * 1000:.0f}"
            f" ms (Little's law)")


if __name__ == '__main__':
    main()
