# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Competitor monitoring against urlwatch on real prose, same pages, same run.

Serves 2,000 pages (times --scale) of about 100 KB from bench/
monitor_corpus.py on 127.0.0.1 from a separate process: Python's own
documentation and Tryton's Chinese translations in `main#content`, 80%
English, 10% Chinese UTF-8, 10% Chinese GBK/GB18030, a time stamp, viewer
counter and session ids new on every request, and 20% of the pages changed
each round (a price, a paragraph added or removed, a table row, a keyword
appearing or disappearing).  The pages are configured as a user would:
region `main#content`, three ignore regexes, twelve keyword watches in
English and Chinese.

Each round moves every page's next check into the past and runs the cron
(crm.competitor.page|check_due): queue tasks of 50 pages that real
`trytond-worker` processes execute on PostgreSQL.  In the same rounds,
urlwatch 2.29 (installed by the bench into var/urlwatch-venv) checks the
same pages with the same filters (css, html2text, three re.sub).

Then the product alone: rounds with 1 and 4 worker processes, and rounds
with 1% of pages on a slow host (answering after 30 s) and 1% on a dead
host (nothing listening), where the other pages' rate is compared with
that of a round without them (deactivated) run just before, as the
machine's speed drifts over a run; the slow host's tasks have a worker of
their own (`--name crm_competitor_page_slow`), as readme/MONITORING.md
advises.

Prints pages/min of both and the ratio (target >= 3), precision/recall of
changes and keyword events (target 1.0), peak RSS of every process (target
< 400 MiB) and the worker scaling.

    .venv/bin/python bench/monitor.py --postgresql [--scale 0.1] \\
        [--rounds=3]
"""
import asyncio
import datetime
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time

from common import ROOT, parse_args
from monitor_corpus import IGNORE_REGEXES, KEYWORDS, SELECTOR, Corpus

PAGES = 2000
TARGET = 3
URLWATCH = 'urlwatch==2.29'
SLOW_HOST, DEAD_HOST = '127.0.0.2', '127.0.0.3'
SLOW_DELAY = 30


def serve(count, ports, round_value, ready):
    "The web server process: keep-alive HTTP/1.1 on loopback"
    corpus = Corpus(count)
    counter = [0]

    async def handle(reader, writer, delay=0):
        try:
            while True:
                request = await reader.readuntil(b'\r\n\r\n')
                path = request.split(b' ', 2)[1].decode()
                counter[0] += 1
                if delay:
                    await asyncio.sleep(delay)
                if path.startswith('/p/'):
                    page = int(path[3:])
                    content = corpus.body(
                        page, round_value.value, counter[0])
                    head = b'200 OK'
                    charset = corpus.charset(page).encode()
                else:
                    content, head, charset = (
                        b'not found', b'404 Not Found', b'utf-8')
                writer.write(
                    b'HTTP/1.1 %s\r\nContent-Type: text/html; charset=%s'
                    b'\r\nContent-Length: %d\r\n\r\n' % (
                        head, charset, len(content)) + content)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def slow(reader, writer):
        await handle(reader, writer, SLOW_DELAY)

    async def main():
        server = await asyncio.start_server(
            handle, '127.0.0.1', 0, backlog=1024)
        slow_server = await asyncio.start_server(
            slow, SLOW_HOST, 0, backlog=1024)
        ports[0] = server.sockets[0].getsockname()[1]
        ports[1] = slow_server.sockets[0].getsockname()[1]
        ready.set()
        async with server, slow_server:
            await asyncio.gather(
                server.serve_forever(), slow_server.serve_forever())
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


def cpu_seconds(pid):
    """CPU time of a process and all its descendants, the live ones and
    those it waited for: load-independent, unlike the wall clock"""
    try:
        with open('/proc/%s/stat' % pid) as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except OSError:
        return 0
    # utime, stime, cutime, cstime
    total = sum(int(f) for f in fields[11:15]) / os.sysconf('SC_CLK_TCK')
    return total + sum(cpu_seconds(c) for c in children(pid))


def postmaster():
    "The pid of the bench's PostgreSQL server"
    from tools import pgcluster
    with open(pgcluster.DATA_DIR / 'postmaster.pid') as pidfile:
        return int(pidfile.readline())


class Urlwatch:
    "urlwatch in a virtualenv of its own, on the same pages and filters"

    def __init__(self, directory, urls):
        self.directory = directory
        python = os.path.join(directory, 'venv', 'bin', 'python')
        if not os.path.exists(os.path.join(
                    directory, 'venv', 'bin', 'urlwatch')):
            subprocess.run(
                [sys.executable, '-m', 'venv',
                    os.path.join(directory, 'venv')], check=True)
            subprocess.run(
                [python, '-m', 'pip', 'install', '-q', URLWATCH],
                check=True)
        self.command = [
            os.path.join(directory, 'venv', 'bin', 'urlwatch'),
            '--urls', os.path.join(directory, 'urls.yaml'),
            '--config', os.path.join(directory, 'urlwatch.yaml'),
            '--hooks', os.path.join(directory, 'hooks.py'),
            '--cache', os.path.join(directory, 'cache.db')]
        if os.path.exists(os.path.join(directory, 'cache.db')):
            os.remove(os.path.join(directory, 'cache.db'))
        with open(os.path.join(directory, 'hooks.py'), 'w'):
            pass
        filters = ''.join(
            "    - re.sub: '%s'\n" % r.replace("'", "''")
            for r in IGNORE_REGEXES)
        with open(os.path.join(directory, 'urls.yaml'), 'w') as jobs:
            jobs.write('\n---\n'.join(
                    'name: "p%d"\nurl: "%s"\nfilter:\n'
                    '    - css: "%s"\n    - html2text\n%s' % (
                        i, url, SELECTOR, filters)
                    for i, url in enumerate(urls)))
        with open(os.path.join(directory, 'urlwatch.yaml'), 'w') as config:
            config.write(
                'display: {new: false, error: true, unchanged: false, '
                'empty-diff: false}\n'
                'report:\n'
                '  text: {details: false, footer: false, minimal: true,'
                ' line_length: 75}\n'
                '  stdout: {enabled: true, color: false}\n'
                '  html: {diff: unified}\n'
                '  markdown: {details: false, footer: false,'
                ' minimal: true}\n')
        self.rss = 0

    def run(self):
        """Check every page once: (seconds, CPU seconds, changed page
        indexes, errors)"""
        start = time.perf_counter()
        with open(os.path.join(self.directory, 'stderr.log'), 'wb') as log:
            process = subprocess.Popen(
                self.command, stdout=subprocess.PIPE, stderr=log,
                cwd=self.directory)
            out = process.stdout.read()
            # wait4 for the peak memory of this child only
            _, _, usage = os.wait4(process.pid, 0)
            process.returncode = 0
        elapsed = time.perf_counter() - start
        self.rss = max(self.rss, usage.ru_maxrss / 1024)
        cpu = usage.ru_utime + usage.ru_stime
        changed, errors = set(), 0
        for line in out.decode('utf-8', 'replace').splitlines():
            match = re.match(r'(CHANGED|ERROR): p(\d+) ', line)
            if match and match.group(1) == 'CHANGED':
                changed.add(int(match.group(2)))
            elif match:
                errors += 1
        return elapsed, cpu, changed, errors


def main():
    rounds = 3
    for option in sys.argv[1:]:
        if option.startswith('--rounds='):
            rounds = int(option.split('=')[1])
            sys.argv.remove(option)
    args = parse_args(__doc__, 'bench_monitor')
    if args.backend != 'postgresql':
        sys.exit("trytond-worker needs PostgreSQL: use --postgresql")
    count = int(PAGES * args.scale)
    os.environ['TRYTOND_QUEUE__WORKER'] = 'True'
    os.environ['TRYTOND_CRM_KNOWLEDGE__ALLOWED_HOSTS'] = '127.0.0.0/8'

    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.transaction import Transaction

    activate_module(['crm_knowledge'])

    ports = multiprocessing.Array('i', 2)
    round_value = multiprocessing.Value('i', 0)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve, args=(count, ports, round_value, ready), daemon=True)
    server.start()
    ready.wait(60)
    port, slow_port = ports[0], ports[1]
    urls = ['http://127.0.0.1:%d/p/%d' % (port, i) for i in range(count)]
    corpus = Corpus(count)

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
        created = time.perf_counter()
        pages = Page.create([{
                    'name': 'Page %d' % i,
                    'competitor': competitors[i % 20].id,
                    'url': url,
                    'selector': SELECTOR,
                    'ignore_regexes': '\n'.join(IGNORE_REGEXES),
                    'respect_robots': False,
                    'subscribers': [('add', [1])],
                    } for i, url in enumerate(urls)])
        created = time.perf_counter() - created
        Keyword.create([{'keyword': k, 'scope': 'all', 'user': 1}
                for k in KEYWORDS])
        page_index = {p.id: i for i, p in enumerate(pages)}
        competitor = competitors[0].id
        transaction.commit()
    print("%s pages created in %.1f s" % (count, created))

    scratch = os.path.join(ROOT, 'var', 'urlwatch')
    os.makedirs(scratch, exist_ok=True)
    urlwatch = Urlwatch(scratch, urls)

    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    rss = {}
    results = {'product': [], 'urlwatch': [], 'scaling': {}}
    global_round = [0]

    def next_round():
        global_round[0] += 1
        round_value.value = global_round[0]
        return global_round[0]

    with Worker(DB_NAME, 2, rss) as worker:
        run_round(DB_NAME, corpus, 0, page_index, worker)
        seconds, _, _, errors = urlwatch.run()
        print("baseline: urlwatch %.1f s, %s errors" % (seconds, errors))
        for _ in range(rounds):
            round_ = next_round()
            result = run_round(DB_NAME, corpus, round_, page_index, worker)
            results['product'].append(result)
            seconds, cpu, found, errors = urlwatch.run()
            results['urlwatch'].append({
                    'round': round_, 'elapsed': seconds, 'cpu': cpu,
                    'found': found,
                    'expected': result['expected'], 'errors': errors,
                    'count': count})
            print_round('product, 2 workers', result)
            print_round('urlwatch', results['urlwatch'][-1])
    results['scaling'][2] = results['product']
    for workers in (1, 4):
        with Worker(DB_NAME, workers, rss) as worker:
            results['scaling'][workers] = []
            # The worker processes start on the first tasks: not measured
            print_round('warm-up, %s workers' % workers, run_round(
                    DB_NAME, corpus, next_round(), page_index, worker))
            for _ in range(rounds):
                result = run_round(
                    DB_NAME, corpus, next_round(), page_index, worker)
                results['scaling'][workers].append(result)
                print_round('product, %s workers' % workers, result)

    # Slow and dead hosts: 1% each. Each round with them follows a round
    # without them (deactivated), so that the two compared rounds run on
    # the machine as it is at the time: its speed drifts over the run
    with Transaction().start(DB_NAME, 1) as transaction:
        Page = Pool().get('crm.competitor.page')
        extra = max(1, count // 100)
        hosts = [('Slow', SLOW_HOST, slow_port), ('Dead', DEAD_HOST, port)]
        extra_ids = [p.id for p in Page.create([{
                        'name': '%s %d' % (name, i),
                        'competitor': competitor,
                        'url': 'http://%s:%d/p/%d' % (host, host_port, i),
                        'selector': SELECTOR, 'respect_robots': False,
                        } for name, host, host_port in hosts
                    for i in range(extra)])]
        transaction.commit()

    def hosts_active(active):
        def write(pool):
            Page = pool.get('crm.competitor.page')
            with Transaction().set_context(active_test=False):
                Page.write(Page.browse(extra_ids), {'active': active})
        as_cron(DB_NAME, write)

    with Worker(DB_NAME, 2, rss) as worker, Worker(
            DB_NAME, 1, rss, 'crm_competitor_page_slow') as slow:
        results['hosts'], results['without_hosts'] = [], []
        # The slow hosts' worker starts on its first task: an empty one
        warm_up(DB_NAME, 'crm_competitor_page_slow')
        # Slow hosts met for the first time: their batches wait batch_wait
        print_round('warm-up, slow+dead hosts', run_round(
                DB_NAME, corpus, next_round(), page_index, worker,
                wait_slow=False))
        # Until their batch gives them up they are not known as slow: not
        # to be enqueued with the others again
        drain(DB_NAME, 'crm_competitor_page')
        for _ in range(rounds):
            hosts_active(False)
            drain(DB_NAME)
            result = run_round(
                DB_NAME, corpus, next_round(), page_index, worker)
            results['without_hosts'].append(result)
            print_round('without them, 2 workers', result)
            hosts_active(True)
            slow_cpu = cpu_seconds(slow.process.pid)
            result = run_round(
                DB_NAME, corpus, next_round(), page_index, worker,
                wait_slow=False)
            results['hosts'].append(result)
            print_round('slow+dead hosts, 2 workers', result)
            print("         slow hosts' worker: %.1f CPU s" % (
                    cpu_seconds(slow.process.pid) - slow_cpu))

    rss['urlwatch'] = urlwatch.rss
    rss['web server (bench)'] = peak_rss(server.pid)
    rss['bench + cron'] = peak_rss(os.getpid())
    server.terminate()
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    report(results, rss, count)


class Worker:
    """trytond-worker with n processes on a queue, their peak RSS kept in
    rss"""

    def __init__(self, database, processes, rss, queue='crm_competitor_page'):
        self.database = database
        self.processes = processes
        self.rss = rss
        self.queue = queue

    def __enter__(self):
        self.process = subprocess.Popen([
                os.path.join(
                    os.path.dirname(sys.executable), 'trytond-worker'),
                '-d', self.database, '-n', str(self.processes),
                '--name', self.queue, '--timeout', '1'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(3)
        return self

    def poll(self):
        if self.process.poll() is not None:
            sys.exit(self.process.stderr.read().decode())

    def __exit__(self, *args):
        name = 'trytond-worker %s -n %s' % (
            self.queue[len('crm_competitor_'):], self.processes)
        self.rss[name] = max(
            self.rss.get(name, 0), peak_rss(self.process.pid))
        pool_processes = children(self.process.pid)
        for i, child in enumerate(pool_processes):
            self.rss['%s process %d' % (name, i + 1)] = peak_rss(child)
        self.process.terminate()
        self.process.wait(10)
        for child in pool_processes:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass


def warm_up(database, queue):
    "Run an empty check on queue: its worker process starts its pool"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(database, 0) as transaction:
        Page = Pool().get('crm.competitor.page')
        with Transaction().set_context(queue_name=queue):
            Page.__queue__.check([])
        transaction.commit()
    drain(database)


def drain(database, queue=None):
    "Wait until the tasks (of queue) are done"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    domain = [('finished_at', '=', None)]
    if queue:
        domain.append(('name', '=', queue))
    while True:
        time.sleep(0.2)
        with Transaction().start(database, 0, readonly=True):
            if not Pool().get('ir.queue').search_count(domain):
                return


def run_round(database, corpus, round_, page_index, worker, wait_slow=True):
    """Check every page once through the cron and the queue.

    The round's time is the time until the last of the corpus pages is
    checked; with wait_slow False the queue is left to the slow host."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def make_due(pool):
        "Make every page due; return the last change, snapshot and task"
        def last(model):
            records = pool.get(model).search(
                [], order=[('id', 'DESC')], limit=1)
            return records[0].id if records else 0
        table = pool.get('crm.competitor.page').__table__()
        cursor = Transaction().connection.cursor()
        past = datetime.datetime.now() - datetime.timedelta(seconds=1)
        cursor.execute(*table.update([table.next_check], [past]))
        return (last('crm.competitor.change'),
            last('crm.competitor.snapshot'), last('ir.queue'))
    last, last_snapshot, last_task = as_cron(database, make_due)
    ids = list(page_index)
    pg_cpu, cpu = cpu_seconds(postmaster()), cpu_seconds(worker.process.pid)
    start = time.perf_counter()
    as_cron(database, lambda pool: pool.get('crm.competitor.page').check_due())
    queued = time.perf_counter() - start
    while True:
        time.sleep(0.2)
        worker.poll()
        with Transaction().start(database, 0, readonly=True):
            # The round's tasks, and with wait_slow those left to the slow
            # hosts' queue; not the pages' last check: it is stored to the
            # second, rounded, and may look later than the round's start
            domain = [('finished_at', '=', None)]
            if not wait_slow:
                domain += [
                    ('id', '>', last_task),
                    ('name', '=', 'crm_competitor_page'),
                    ]
            if not Pool().get('ir.queue').search_count(domain):
                break
    elapsed = time.perf_counter() - start
    pg_cpu = cpu_seconds(postmaster()) - pg_cpu
    cpu = cpu_seconds(worker.process.pid) - cpu + pg_cpu
    with Transaction().start(database, 0, readonly=True):
        pool = Pool()
        Change = pool.get('crm.competitor.change')
        Snapshot = pool.get('crm.competitor.snapshot')
        changes = Change.search([
                ('id', '>', last), ('page', 'in', ids)])
        found = {page_index[c.page.id] for c in changes}
        events = {(page_index[c.page.id], h.keyword.keyword, h.event)
            for c in changes for h in c.hits}
        errors = Snapshot.search_count([
                ('outcome', '!=', 'ok'), ('page', 'in', ids),
                ('id', '>', last_snapshot)])
    count = len(page_index)
    expected = {i for i in range(count) if corpus.changed(i, round_)}
    expected_events = {(i,) + e for i in expected
        for e in corpus.events(i, round_)}
    return {
        'round': round_, 'elapsed': elapsed, 'queued': queued, 'cpu': cpu,
        'pg_cpu': pg_cpu,
        'found': found, 'expected': expected, 'events': events,
        'expected_events': expected_events, 'errors': errors,
        'count': count,
        }


def as_cron(database, method):
    """Run method(pool) in a transaction as ir.cron runs its tasks: again
    when a concurrent one (a worker still checking a slow host's pages)
    made it fail"""
    from trytond import backend, config
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    retry = config.getint('database', 'retry')
    for count in range(retry + 1):
        try:
            with Transaction().start(database, 0) as transaction:
                result = method(Pool())
                transaction.commit()
                return result
        except backend.DatabaseOperationalError:
            if count == retry:
                raise
            time.sleep(0.02 * (retry - count))


def print_round(label, r):
    line = ("round %2s %-28s %6.1f s %6.0f pages/min, %5.1f CPU ms a page, "
        "errors %s, changes %s/%s" % (
            r['round'], label, r['elapsed'], rate(r),
            r['cpu'] / r['count'] * 1000, r['errors'],
            len(r['found']), len(r['expected'])))
    if 'pg_cpu' in r:
        line += " (PostgreSQL %.1f)" % (r['pg_cpu'] / r['count'] * 1000)
    if 'events' in r:
        line += ", keyword events %s/%s" % (
            len(r['events']), len(r['expected_events']))
    print(line, flush=True)


def rate(r):
    return r['count'] / r['elapsed'] * 60


def mean_rate(results):
    return sum(map(rate, results)) / len(results)


def cpu_ms(results):
    "CPU milliseconds a page"
    return (sum(r['cpu'] for r in results)
        / sum(r['count'] for r in results) * 1000)


def ratio(found, expected):
    "Precision and recall (1.0 when both sets are empty)"
    hits = len(found & expected)
    precision = hits / len(found) if found else float(not expected)
    recall = hits / len(expected) if expected else float(not found)
    return precision, recall


def union(results, key):
    return {(r['round'],) + (e if isinstance(e, tuple) else (e,))
        for r in results for e in r[key]}


def report(results, rss, count):
    product, peer = results['product'], results['urlwatch']
    print()
    print("%s pages of ~100 KB (80%% English, 10%% Chinese UTF-8, 10%% "
        "GBK/GB18030), PostgreSQL, %s rounds" % (count, len(product)))
    ours, theirs = mean_rate(product), mean_rate(peer)
    print("| | pages/min | CPU ms a page | changes P/R | keyword events P/R |")
    print("|---|---|---|---|---|")
    print("| crm_knowledge, 2 workers | %.0f | %.1f | %.3f/%.3f | %.3f/%.3f |"
        % ((ours, cpu_ms(product))
            + ratio(union(product, 'found'), union(product, 'expected'))
            + ratio(union(product, 'events'),
                union(product, 'expected_events'))))
    print("| urlwatch 2.29 | %.0f | %.1f | %.3f/%.3f | - |" % (
            (theirs, cpu_ms(peer))
            + ratio(union(peer, 'found'), union(peer, 'expected'))))
    print("ratio crm_knowledge / urlwatch: %.2f in pages/min, %.2f in CPU "
        "a page (target %s)" % (
            ours / theirs, cpu_ms(peer) / cpu_ms(product), TARGET))
    print("worker scaling: " + ', '.join(
            "%s: %.0f pages/min (%.1f CPU ms a page)" % (
                w, mean_rate(results['scaling'][w]),
                cpu_ms(results['scaling'][w]))
            for w in sorted(results['scaling'])))
    hosts, without = (
        mean_rate(results['hosts']), mean_rate(results['without_hosts']))
    print("with 1%% slow and 1%% dead hosts: %.0f pages/min for the others "
        "(%.1f%% of %.0f in the rounds just before, without them; "
        "rounds %s; target >= 90%%)" % (
            hosts, hosts / without * 100, without, ', '.join(
                '%.1f%%' % (rate(h) / rate(w) * 100) for h, w in zip(
                    results['hosts'], results['without_hosts']))))
    for name, value in rss.items():
        print("peak RSS %-32s %6.1f MiB" % (name, value))


if __name__ == '__main__':
    main()
