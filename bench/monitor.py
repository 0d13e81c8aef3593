# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Competitor monitoring: pages checked per minute, memory, precision/recall.

Serves 2,000 pages (times --scale) of about 100 KB each on 127.0.0.1 from a
separate process, with noise on every request (session id in a script,
rotating banner, time stamp and visitor counter, random markup) and 20% of
the pages really changed between rounds; a quarter of those changes make
the keyword "限时降价" appear or disappear.  Each round moves every page's
next check into the past and runs the cron (crm.competitor.page|check_due):
it enqueues queue tasks of 50 pages that real `trytond-worker` processes
execute on PostgreSQL (fetch, extract, hash, diff, store snapshots and
changes, notify).  The round ends when the queue is empty.

Prints pages/minute per round (target >= 6,000; the best open-source peer
checks ~2,900 here), the peak RSS of every process (target < 400 MiB) and
precision/recall of the changes and keyword events (target 1.0).

    .venv/bin/python bench/monitor.py --postgresql [--scale 0.1] \
        [--workers=2] [--rounds=3]
"""
import asyncio
import hashlib
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time

from common import parse_args

PAGES = 2000
TARGET = 6000
PEER = 2900
KEYWORD = '限时降价'
WORDS = ('cloud platform service pricing enterprise support migration '
    'analytics security 产品 价格 服务 客户 方案 支持 企业 数据 安全 平台').split()


def changed(page, round_):
    "Whether the bench changes page before round_ (20%)"
    if round_ == 0:
        return False
    digest = hashlib.blake2b(
        b'%d-%d' % (page, round_), digest_size=4).digest()
    return int.from_bytes(digest, 'big') % 5 == 0


def version(page, round_):
    return sum(changed(page, r) for r in range(round_ + 1))


def _blocks():
    "Product blocks of ~1.6 KB shared by the pages"
    rng = random.Random(42)
    blocks = []
    for k in range(97):
        features = ''.join(
            '<li class="feature">%s</li>' % ' '.join(
                rng.choice(WORDS) for _ in range(12)) for _ in range(8))
        blocks.append((
                '<div class="product" data-k="%d"><h3>Product %d</h3>'
                '<p>%s</p><ul>%s</ul><span class="price">¥%d</span></div>\n'
                % (k, k, ' '.join(rng.choice(WORDS) for _ in range(60)),
                    features, rng.randint(10, 9999))).encode('utf-8'))
    return blocks


def body(page, round_, counter, blocks):
    "The HTML of page at round_, with fresh noise"
    v = version(page, round_)
    noise = random.Random(counter)
    parts = [(
            '<html><head><title>Competitor %d</title>'
            '<script>var session="%x";</script><style>.a{}</style></head>'
            '<body><nav><a href="/">Home</a><a href="/p">Products</a></nav>'
            '<div class="banner">Offer %d of the day</div>'
            '<div class="w%d"><h1>Competitor %d catalogue</h1>\n' % (
                page, noise.getrandbits(64), noise.randint(1, 9),
                noise.randint(1, 9), page)).encode('utf-8')]
    for k in range(66):
        parts.append(blocks[(page * 7 + k * 13) % len(blocks)])
    news = '<div class="news"><p>Update %d of page %d: price ¥%d</p>' % (
        v, page, 100 + v)
    if page % 4 == 0 and v % 2:
        news += '<p>%s 活动进行中</p>' % KEYWORD
    parts.append((news + '</div></div><footer>Generated at %s visitor %d'
            '</footer></body></html>' % (
                time.strftime('%H:%M:%S'), counter)).encode('utf-8'))
    return b''.join(parts)


def serve(port_value, round_value, ready):
    "The web server process: keep-alive HTTP/1.1 on 127.0.0.1"
    blocks = _blocks()
    counter = [0]

    async def handle(reader, writer):
        try:
            while True:
                request = await reader.readuntil(b'\r\n\r\n')
                path = request.split(b' ', 2)[1].decode()
                counter[0] += 1
                if path.startswith('/p/'):
                    content = body(
                        int(path[3:]), round_value.value, counter[0], blocks)
                    head = b'200 OK'
                else:
                    content, head = b'not found', b'404 Not Found'
                writer.write(
                    b'HTTP/1.1 %s\r\nContent-Type: text/html; charset=utf-8'
                    b'\r\nContent-Length: %d\r\n\r\n' % (head, len(content))
                    + content)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(
            handle, '127.0.0.1', 0, backlog=512)
        port_value.value = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await server.serve_forever()
    asyncio.run(main())


def peak_rss(pid):
    "VmHWM of a process in MiB"
    try:
        with open('/proc/%s/status' % pid) as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open('/proc/%s/task/%s/children' % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def main():
    workers, rounds = 2, 3
    for option in sys.argv[1:]:
        if option.startswith('--workers='):
            workers = int(option.split('=')[1])
        elif option.startswith('--rounds='):
            rounds = int(option.split('=')[1])
        else:
            continue
        sys.argv.remove(option)
    args = parse_args(__doc__, 'bench_monitor')
    if args.backend != 'postgresql':
        sys.exit("trytond-worker needs PostgreSQL: use --postgresql")
    count = int(PAGES * args.scale)
    os.environ['TRYTOND_QUEUE__WORKER'] = 'True'
    os.environ['TRYTOND_CRM_KNOWLEDGE__ALLOWED_HOSTS'] = '127.0.0.1'

    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.transaction import Transaction

    activate_module(['crm_knowledge'])

    port_value = multiprocessing.Value('i', 0)
    round_value = multiprocessing.Value('i', 0)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve, args=(port_value, round_value, ready), daemon=True)
    server.start()
    ready.wait(30)
    port = port_value.value

    with Transaction().start(DB_NAME, 1) as transaction:
        pool = Pool()
        Party = pool.get('party.party')
        Competitor = pool.get('crm.competitor')
        Page = pool.get('crm.competitor.page')
        Keyword = pool.get('crm.competitor.keyword')
        Competitor.delete(Competitor.search([]))
        Keyword.delete(Keyword.search([]))
        parties = Party.create([{'name': 'Rival %d' % i} for i in range(20)])
        competitors = Competitor.create([{'party': p.id} for p in parties])
        pages = Page.create([{
                    'name': 'Page %d' % i,
                    'competitor': competitors[i % 20].id,
                    'url': 'http://127.0.0.1:%d/p/%d' % (port, i),
                    'ignore_selectors': '.banner',
                    'ignore_regexes': r'Generated at [^\n]*',
                    'respect_robots': False,
                    'subscribers': [('add', [1])],
                    } for i in range(count)])
        Keyword.create([
                {'keyword': KEYWORD, 'scope': 'all', 'user': 1},
                {'keyword': 'Enterprise Support', 'scope': 'all',
                    'user': 1}])
        page_index = {p.id: i for i, p in enumerate(pages)}
        transaction.commit()

    worker = subprocess.Popen([
            os.path.join(os.path.dirname(sys.executable), 'trytond-worker'),
            '-d', DB_NAME, '-n', str(workers), '--timeout', '1'],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(3)
    load_before = os.getloadavg()
    print("load average before: %.2f %.2f %.2f" % load_before)
    results = []
    try:
        for round_ in range(rounds + 1):
            round_value.value = round_
            results.append(run_round(
                    DB_NAME, round_, count, page_index, worker))
    finally:
        rss = {'trytond-worker': peak_rss(worker.pid)}
        pool_processes = children(worker.pid)
        for i, child in enumerate(pool_processes):
            rss['worker process %d' % (i + 1)] = peak_rss(child)
        rss['web server (bench)'] = peak_rss(server.pid)
        rss['bench + cron'] = peak_rss(os.getpid())
        worker.terminate()
        worker.wait(10)
        for child in pool_processes:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass
        server.terminate()
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    report(results, rss, count, workers)


def run_round(database, round_, count, page_index, worker):
    import datetime

    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(database, 0) as transaction:
        pool = Pool()
        Page = pool.get('crm.competitor.page')
        Change = pool.get('crm.competitor.change')
        table = Page.__table__()
        cursor = transaction.connection.cursor()
        past = datetime.datetime.now() - datetime.timedelta(seconds=1)
        cursor.execute(*table.update([table.next_check], [past]))
        last = Change.search([], order=[('id', 'DESC')], limit=1)
        last = last[0].id if last else 0
        transaction.commit()
    start = time.perf_counter()
    with Transaction().start(database, 0) as transaction:
        Pool().get('crm.competitor.page').check_due()
        transaction.commit()
    queued = time.perf_counter() - start
    while True:
        time.sleep(0.2)
        if worker.poll() is not None:
            sys.exit(worker.stderr.read().decode())
        with Transaction().start(database, 0, readonly=True):
            Queue = Pool().get('ir.queue')
            if not Queue.search_count([('finished_at', '=', None)]):
                break
    elapsed = time.perf_counter() - start
    with Transaction().start(database, 0, readonly=True):
        pool = Pool()
        Change = pool.get('crm.competitor.change')
        Snapshot = pool.get('crm.competitor.snapshot')
        changes = Change.search([('id', '>', last)])
        found = {page_index[c.page.id] for c in changes}
        events = {(page_index[c.page.id], h.keyword.keyword, h.event)
            for c in changes for h in c.hits}
        errors = Snapshot.search_count([
                ('outcome', '!=', 'ok'),
                ('fetched_at', '>=', past)])
    expected = {i for i in range(count) if changed(i, round_)}
    expected_events = {
        (i, KEYWORD, 'appeared' if version(i, round_) % 2 else 'disappeared')
        for i in expected if i % 4 == 0}
    return {
        'round': round_, 'elapsed': elapsed, 'queued': queued,
        'found': found, 'expected': expected, 'events': events,
        'expected_events': expected_events, 'errors': errors,
        }


def ratio(found, expected):
    "Precision and recall (1.0 when both sets are empty)"
    hits = len(found & expected)
    precision = hits / len(found) if found else float(not expected)
    recall = hits / len(expected) if expected else float(not found)
    return precision, recall


def report(results, rss, count, workers):
    print("%s pages of ~100 KB, %s worker processes, PostgreSQL" % (
            count, workers))
    rates = []
    all_found, all_expected, all_events, all_expected_events = (
        set(), set(), set(), set())
    for r in results:
        rate = count / r['elapsed'] * 60
        label = 'baseline' if r['round'] == 0 else 'round %s' % r['round']
        print("%-9s %6.1f s (cron %.1f s) %6.0f pages/min, errors %s, "
            "changes %s/%s, keyword events %s/%s" % (
                label, r['elapsed'], r['queued'], rate, r['errors'],
                len(r['found']), len(r['expected']), len(r['events']),
                len(r['expected_events'])))
        if r['round']:
            rates.append(rate)
            all_found |= {(r['round'], p) for p in r['found']}
            all_expected |= {(r['round'], p) for p in r['expected']}
            all_events |= {(r['round'],) + e for e in r['events']}
            all_expected_events |= {
                (r['round'],) + e for e in r['expected_events']}
    rate = sum(rates) / len(rates)
    print("pages/min (rounds after the baseline): %.0f; ratio to target "
        "%s: %.2f; to the peer's %s: %.2f" % (
            rate, TARGET, rate / TARGET, PEER, rate / PEER))
    print("changes: precision %.3f recall %.3f" % ratio(
            all_found, all_expected))
    print("keyword events: precision %.3f recall %.3f" % ratio(
            all_events, all_expected_events))
    for name, value in rss.items():
        print("peak RSS %-20s %6.1f MiB" % (name, value))


if __name__ == '__main__':
    main()
