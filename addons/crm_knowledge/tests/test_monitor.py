# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Competitor monitoring through the models, against a local web server"
import datetime
import json
import unittest
from contextlib import contextmanager
from unittest.mock import patch

from trytond import config
from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_knowledge.tests.webserver import WebServer
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

SECTION = 'crm_knowledge'
# The test values and the defaults they are restored to
SETTINGS = {
    'allowed_hosts': ('127.0.0.1', ''),
    'retries': ('1', '2'),
    'backoff': ('0', '0.5'),
    'total_timeout': ('1', '20'),
    'connect_timeout': ('1', '5'),
    'max_bytes': (str(2 * 1024 * 1024),) * 2,
    'batch': ('50', '50'),
    'batch_wait': ('5', '5'),
    }


@contextmanager
def setting(key, value):
    "Change a [crm_knowledge] option of trytond.conf for a while"
    old = config.get(SECTION, key)
    config.set(SECTION, key, value)
    try:
        yield
    finally:
        config.set(SECTION, key, old)


PRODUCT = '''<html><head><title>Acme</title>
<script>track("%(session)s")</script></head><body>
<nav>Home | Products</nav>
<div class="banner">%(banner)s</div>
<div id="offer"><h1>Acme Cloud</h1>
<p>Price: %(price)s per month</p><p>%(extra)s</p></div>
<div id="news"><p>%(news)s</p></div>
<footer>Generated %(date)s, visitor %(visitor)s</footer>
</body></html>'''


def product_page(**values):
    defaults = {
        'session': 's1', 'banner': 'Spring sale', 'price': '¥199',
        'extra': 'Free support', 'news': 'Nothing new',
        'date': '2026-11-23 10:00', 'visitor': '1'}
    defaults.update(values)
    return PRODUCT % defaults


class MonitorTestCase(unittest.TestCase):
    "Test competitor monitoring"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_knowledge')
        if not config.has_section(SECTION):
            config.add_section(SECTION)
        for key, (value, _) in SETTINGS.items():
            config.set(SECTION, key, value)

        def restore():
            for key, (_, default) in SETTINGS.items():
                config.set(SECTION, key, default)
        cls.addClassCleanup(restore)

    def setUp(self):
        super().setUp()
        self.server = WebServer().__enter__()
        self.addCleanup(self.server.__exit__)

    def users(self):
        "A subscriber and a salesperson who does not follow the page"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        group = ModelData.get_id('crm_sales', 'group_crm_salesperson')
        return User.create([{
                    'name': name, 'login': name,
                    'groups': [('add', [group])],
                    } for name in ['follower', 'other']])

    def page(self, path='/product', **values):
        pool = Pool()
        Party = pool.get('party.party')
        Competitor = pool.get('crm.competitor')
        Page = pool.get('crm.competitor.page')
        competitor = Competitor.search([], limit=1)
        if not competitor:
            party, = Party.create([{'name': 'Acme'}])
            competitor = Competitor.create([{'party': party.id}])
        defaults = {
            'name': 'Acme Cloud', 'competitor': competitor[0].id,
            'url': self.server.url(path), 'respect_robots': False,
            }
        defaults.update(values)
        page, = Page.create([defaults])
        return page

    def check(self, page):
        Page = Pool().get('crm.competitor.page')
        Page.check([page])
        return Page(page.id)

    def served_pages(self, count):
        "count pages served as they are"
        for i in range(count):
            self.server.set('/p%s' % i, '<p>page %s</p>' % i)
        return [self.page('/p%s' % i, name='P%s' % i) for i in range(count)]

    def changes(self, page):
        Change = Pool().get('crm.competitor.change')
        return Change.search([('page', '=', page.id)], order=[('id', 'ASC')])

    @with_transaction()
    def test_change_detected_and_notified(self):
        "A real change is recorded with its diff and notified to followers"
        pool = Pool()
        Notification = pool.get('res.notification')
        Snapshot = pool.get('crm.competitor.snapshot')
        follower, other = self.users()
        self.server.set('/product', product_page())
        page = self.page(subscribers=[('add', [follower.id])])
        page = self.check(page)
        self.assertEqual(page.last_outcome, 'ok')
        self.assertEqual(self.changes(page), [])
        first = page.text_snapshot
        self.assertIn('Price: ¥199 per month', first.text)
        self.assertEqual(first.status, 200)
        self.assertTrue(first.content_hash)

        self.server.set('/product', product_page(
                price='¥179', extra='Free support and 新功能上线'))
        page = self.check(page)
        change, = self.changes(page)
        self.assertEqual(change.previous_snapshot, first)
        self.assertEqual(change.snapshot, page.text_snapshot)
        self.assertEqual((change.added_lines, change.removed_lines), (2, 2))
        self.assertIn('-Price: ¥199 per month', change.unified_diff)
        self.assertIn('+Price: ¥179 per month', change.unified_diff)
        self.assertIn('<ins> and 新功能上线</ins>', change.html_diff)
        self.assertIn('<b><u> and 新功能上线</u></b>', change.rich_diff)
        self.assertEqual(change.price_changes, '- ¥199\n+ ¥179')
        notifications = Notification.search([
                ('model', '=', 'crm.competitor.change')])
        self.assertEqual(
            {n.user for n in notifications},
            {follower} | {u for u in page.subscribers if u != follower})
        self.assertNotIn(other, {n.user for n in notifications})
        notification = [n for n in notifications if n.user == follower][0]
        self.assertEqual(json.loads(notification.records), [change.id])
        self.assertIn('Acme Cloud', notification.label)
        self.assertEqual(Snapshot.search_count([('page', '=', page.id)]), 2)

    @with_transaction()
    def test_noise_ignored(self):
        "Noise-only and markup-only changes are no change"
        Snapshot = Pool().get('crm.competitor.snapshot')
        self.server.set('/product', product_page())
        page = self.page(
            ignore_selectors='.banner', ignore_regexes=(
                r'Generated \d{4}-\d\d-\d\d \d\d:\d\d'
                '\nvisitor \\d+'))
        page = self.check(page)
        self.server.set('/product', product_page(
                session='s2', banner='Winter deals', date='2026-11-24 08:00',
                visitor='57').replace('<p>', '<p class="x">  '))
        page = self.check(page)
        self.assertEqual(self.changes(page), [])
        last, = Snapshot.search(
            [('page', '=', page.id)], order=[('id', 'DESC')], limit=1)
        self.assertEqual(last.outcome, 'ok')
        self.assertIsNone(last.text)
        self.assertEqual(last.content_hash, page.content_hash)

    @with_transaction()
    def test_region(self):
        "Only changes inside the region count"
        self.server.set('/product', product_page())
        page = self.page(selector='#offer')
        page = self.check(page)
        self.server.set('/product', product_page(news='Acme hires'))
        page = self.check(page)
        self.assertEqual(self.changes(page), [])
        self.server.set('/product', product_page(extra='Now with AI'))
        page = self.check(page)
        self.assertEqual(len(self.changes(page)), 1)

    @with_transaction()
    def test_region_missing(self):
        "A region that disappears is a recorded failure, not a change"
        self.server.set('/product', product_page())
        page = self.check(self.page(selector='#pricing'))
        self.assertEqual(page.last_outcome, 'error')
        self.assertIn('region', page.last_error)
        self.assertEqual(page.failure_streak, 1)

    @with_transaction()
    def test_keyword_appear_disappear(self):
        "Keywords alert their watcher when they appear and disappear"
        pool = Pool()
        Keyword = pool.get('crm.competitor.keyword')
        Notification = pool.get('res.notification')
        follower, other = self.users()
        self.server.set('/product', product_page())
        page = self.page()
        Party = pool.get('party.party')
        Competitor = pool.get('crm.competitor')
        party, = Party.create([{'name': 'Other rival'}])
        rival, = Competitor.create([{'party': party.id}])
        Keyword.create([{
                    # Another competitor's watch does not apply
                    'keyword': 'trial', 'scope': 'competitor',
                    'competitor': rival.id, 'user': other.id,
                    }, {
                    'keyword': 'ＦＲＥＥ TRIAL', 'scope': 'competitor',
                    'competitor': page.competitor.id, 'user': other.id,
                    }, {
                    'keyword': '降价', 'scope': 'page', 'page': page.id,
                    'competitor': page.competitor.id, 'user': None,
                    }, {
                    'keyword': 'unrelated', 'scope': 'all', 'user': None,
                    }])
        page = self.check(page)
        self.server.set('/product', product_page(
                extra='Start a free trial: 全线降价'))
        page = self.check(page)
        change, = self.changes(page)
        self.assertEqual(
            sorted((h.keyword.keyword, h.event) for h in change.hits),
            sorted([('ＦＲＥＥ TRIAL', 'appeared'), ('降价', 'appeared')]))
        self.assertEqual(
            sorted(change.keyword_hits.splitlines()),
            sorted(['+ ＦＲＥＥ TRIAL', '+ 降价']))
        self.assertEqual(Notification.search_count([
                    ('user', '=', other.id)]), 1)
        self.assertEqual(Notification.search_count([
                    ('user', '=', follower.id)]), 0)

        self.server.set('/product', product_page(extra='Free support'))
        page = self.check(page)
        _, change = self.changes(page)
        self.assertEqual(
            sorted((h.keyword.keyword, h.event) for h in change.hits),
            sorted([
                    ('ＦＲＥＥ TRIAL', 'disappeared'), ('降价', 'disappeared')]))

    @with_transaction()
    def test_snapshot_texts_compressed_with_lz4(self):
        "On PostgreSQL the snapshots' texts are compressed with LZ4"
        Snapshot = Pool().get('crm.competitor.snapshot')
        if not Snapshot.has_lz4():
            self.skipTest("LZ4 column compression is PostgreSQL's (14+)")
        cursor = Transaction().connection.cursor()
        # Long enough to be compressed (over 2 KB)
        self.server.set('/product', product_page(
                extra='Free support for every plan. ' * 200))
        self.check(self.page())
        cursor.execute('SELECT pg_column_compression("text") FROM "%s" '
            'WHERE "text" IS NOT NULL' % Snapshot._table)
        self.assertEqual(cursor.fetchall(), [('lz4',)])

    @with_transaction()
    def test_chinese_pages(self):
        "GBK and Big5 pages are stored as readable text"
        self.server.set('/gbk', (
                '<html><head><meta charset="gb2312"></head><body>'
                '<p>新品发布：价格999元</p></body></html>').encode('gbk'),
            content_type='text/html')
        self.server.set('/big5', (
                '<html><body><p>我們的新產品價格是這個月的特價</p>'
                '</body></html>').encode('big5'),
            content_type='text/html')
        gbk = self.check(self.page('/gbk', name='GBK'))
        big5 = self.check(self.page('/big5', name='Big5'))
        self.assertEqual(gbk.text_snapshot.text, '新品发布:价格999元')
        self.assertEqual(gbk.text_snapshot.charset, 'gb18030')
        self.assertEqual(
            big5.text_snapshot.text, '我們的新產品價格是這個月的特價')

    @with_transaction()
    def test_redirect_to_private_refused(self):
        "A redirect to a private address is refused and recorded"
        self.server.set('/r', status=302,
            headers={'Location': 'http://10.0.0.1/admin'})
        page = self.check(self.page('/r'))
        self.assertEqual(page.last_outcome, 'refused')
        self.assertIn('10.0.0.1', page.last_error)
        snapshot, = page.snapshots
        self.assertEqual(snapshot.outcome, 'refused')

    @with_transaction()
    def test_private_refused_without_allow_list(self):
        "Without the allow-list, loopback pages are refused"
        self.server.set('/product', product_page())
        page = self.page()
        with setting('allowed_hosts', ''):
            page = self.check(page)
        self.assertEqual(page.last_outcome, 'refused')
        self.assertEqual(self.server.hits['/product'], 0)

    @with_transaction()
    def test_oversized_and_unsupported(self):
        "An oversized body is cut off, binary content is unsupported"
        self.server.set('/big', '<p>%s</p>' % ('y' * 20000))
        self.server.set('/pdf', b'%PDF-1.4', content_type='application/pdf')
        with setting('max_bytes', '5000'):
            big = self.check(self.page('/big', name='Big'))
            pdf = self.check(self.page('/pdf', name='PDF'))
        snapshot, = big.snapshots
        self.assertTrue(snapshot.truncated)
        self.assertEqual(snapshot.size, 5000)
        self.assertEqual(big.last_outcome, 'truncated')
        self.assertEqual(pdf.last_outcome, 'unsupported')
        self.assertEqual(pdf.failure_streak, 1)

    @with_transaction()
    def test_truncated_is_a_warning(self):
        "A page cut at the size limit is a warning, not a change"
        Snapshot = Pool().get('crm.competitor.snapshot')
        self.server.set('/product', product_page())
        page = self.check(self.page())
        content_hash = page.content_hash
        self.server.set('/product', product_page(
                extra='z' * 8000, price='¥299'))
        with setting('max_bytes', '5000'):
            page = self.check(page)
        self.assertEqual(page.last_outcome, 'truncated')
        self.assertEqual(page.last_error, gettext(
                'crm_knowledge.msg_page_truncated', size=5000))
        self.assertEqual(page.content_hash, content_hash)
        self.assertEqual(page.failure_streak, 0)
        self.assertEqual(self.changes(page), [])
        snapshot = Snapshot.search(
            [('page', '=', page.id)], order=[('id', 'DESC')], limit=1)[0]
        self.assertEqual(snapshot.outcome, 'truncated')
        self.assertTrue(snapshot.truncated)
        self.assertFalse(snapshot.text)
        # Whole again: the change is compared with the last whole text
        self.server.set('/product', product_page(price='¥299'))
        page = self.check(page)
        change, = self.changes(page)
        self.assertIn('¥299', change.price_changes)

    @with_transaction()
    def test_redirect_loop_flagged_not_retried(self):
        "An error that cannot heal is asked once and flagged at once"
        self.server.set('/l1', status=302, headers={'Location': '/l2'})
        self.server.set('/l2', status=302, headers={'Location': '/l1'})
        page = self.check(self.page('/l1'))
        self.assertEqual(page.last_outcome, 'error')
        self.assertIn('loop', page.last_error)
        self.assertTrue(page.flagged)
        self.assertEqual(self.server.hits['/l1'], 1)

    def check_apart(self, pages, apart):
        """Check the pages with the one apart: the batch is done at once,
        that page left to a patient task, which is returned"""
        pool = Pool()
        Page = pool.get('crm.competitor.page')
        Queue = pool.get('ir.queue')
        Snapshot = pool.get('crm.competitor.snapshot')
        start = datetime.datetime.now()
        Page.check(pages + [apart])
        self.assertLess(
            datetime.datetime.now() - start, datetime.timedelta(seconds=1.5))
        self.assertEqual(
            Snapshot.search_count([('page', 'in', pages)]), len(pages))
        self.assertEqual(Snapshot.search_count([('page', '=', apart)]), 0)
        task, = Queue.search([('name', '=', 'crm_competitor_page_slow')])
        return task

    @with_transaction()
    def test_slow_page_does_not_hold_batch(self):
        "A slow page is left to a task of its own, the others are done"
        pool = Pool()
        Page = pool.get('crm.competitor.page')
        Queue = pool.get('ir.queue')
        Snapshot = pool.get('crm.competitor.snapshot')
        self.server.set('/slow', '<p>late</p>', delay=2)
        pages = self.served_pages(4)
        slow = self.page('/slow', name='Slow')
        start = datetime.datetime.now()
        with setting('total_timeout', '10'), setting('batch_wait', '0.3'):
            task = self.check_apart(pages, slow)
            slow = Page(slow.id)
            self.assertTrue(slow.slow)
            self.assertEqual(
                Queue.search([('name', '=', 'crm_competitor_page')]), [])
            self.assertTrue(task.expected_at)
            task.run()
            slow = Page(slow.id)
            self.assertEqual(slow.last_outcome, 'ok')
            # Next time its host is checked apart from the others, after
            Queue.delete(Queue.search([]))
            Page.write(pages + [slow], {
                    'next_check': start - datetime.timedelta(minutes=5)})
            Page.check_due()
            fast, = Queue.search([('name', '=', 'crm_competitor_page')])
            late, = Queue.search(
                [('name', '=', 'crm_competitor_page_slow')])
            self.assertFalse(fast.expected_at)
            self.assertTrue(late.expected_at)
            fast.run()
        self.assertEqual(Snapshot.search_count([('page', 'in', pages)]), 8)
        self.assertEqual(Snapshot.search_count([('page', '=', slow)]), 1)

    @with_transaction()
    def test_failing_page_does_not_hold_batch(self):
        "A page that may heal is retried in a task of its own, not the batch"
        Page = Pool().get('crm.competitor.page')
        self.server.set('/busy', 'busy', status=503)
        pages = self.served_pages(3)
        busy = self.page('/busy', name='Busy')
        with setting('retries', '2'), setting('backoff', '2'):
            task = self.check_apart(pages, busy)
            self.assertEqual(self.server.hits['/busy'], 1)
            with setting('backoff', '0.1'):
                task.run()
        busy = Page(busy.id)
        self.assertEqual(self.server.hits['/busy'], 4)
        self.assertEqual(busy.last_outcome, 'error')
        self.assertEqual(busy.failure_streak, 1)

    @with_transaction()
    def test_slow_server(self):
        "A slow server is timed out"
        self.server.set('/slow', 'late', delay=3)
        page = self.check(self.page('/slow'))
        self.assertEqual(page.last_outcome, 'error')
        self.assertEqual(page.last_error, 'Timed out')

    @with_transaction()
    def test_failures_flagged(self):
        "A page failing N times in a row is flagged, a success clears it"
        self.server.set('/product', 'boom', status=500)
        page = self.page(max_failures=2)
        page = self.check(page)
        self.assertEqual(self.server.hits['/product'], 2)
        self.assertEqual((page.failure_streak, page.flagged), (1, False))
        page = self.check(page)
        self.assertEqual((page.failure_streak, page.flagged), (2, True))
        self.assertIn('500', page.last_error)
        self.server.set('/product', product_page())
        page = self.check(page)
        self.assertEqual((page.failure_streak, page.flagged), (0, False))

    @with_transaction()
    def test_not_modified(self):
        "ETags are sent back and a 304 is no change"
        self.server.set('/product', product_page(), etag='"v1"')
        page = self.check(self.page())
        self.assertEqual(page.etag, '"v1"')
        page = self.check(page)
        self.assertEqual(page.last_outcome, 'not_modified')
        _, headers = self.server.requests[-1]
        self.assertEqual(headers['If-None-Match'], '"v1"')
        self.assertEqual(self.changes(page), [])
        self.assertEqual(len(page.snapshots), 2)

    @with_transaction()
    def test_invalid_rules_rejected(self):
        "Invalid selectors, regexes and URLs are rejected with the reason"
        for values, reason in [
                ({'selector': 'div['}, 'CSS selector'),
                ({'ignore_selectors': '//p[@'}, 'XPath'),
                ({'ignore_regexes': '[0-9'}, 'unterminated'),
                ({'url': 'ftp://example.com/'}, 'Unsupported scheme'),
                ({'url': 'not a url'}, 'scheme'),
                ]:
            with self.assertRaises(ValidationError) as context:
                self.page(**values)
            self.assertIn(reason, context.exception.message)

    @with_transaction()
    def test_interval_must_be_positive(self):
        "A page is checked at an interval longer than zero"
        Page = Pool().get('crm.competitor.page')
        for path, interval in [
                ('/zero', datetime.timedelta(0)),
                ('/negative', datetime.timedelta(hours=-1)),
                ]:
            with self.assertRaises(ValidationError) as context:
                self.page(path, interval=interval)
            self.assertIn('longer than zero', context.exception.message)
        page = self.page(interval=datetime.timedelta(minutes=5))
        with self.assertRaises(ValidationError):
            Page.write([page], {'interval': datetime.timedelta(0)})

    @with_transaction()
    def test_duplicate_rejected(self):
        "The same URL and region cannot be watched twice"
        self.page()
        with self.assertRaises(ValidationError):
            self.page(name='Again')
        self.page(name='Region', selector='#offer')
        Keyword = Pool().get('crm.competitor.keyword')
        Keyword.create([{'keyword': 'AI', 'scope': 'all'}])
        with self.assertRaises(ValidationError):
            Keyword.create([{'keyword': 'ａｉ', 'scope': 'all'}])

    @with_transaction()
    def test_cron_spreads_and_queues(self):
        "The cron enqueues due pages in batches, spread over the interval"
        pool = Pool()
        Page = pool.get('crm.competitor.page')
        Queue = pool.get('ir.queue')
        Snapshot = pool.get('crm.competitor.snapshot')
        for i in range(3):
            self.server.set('/p%s' % i, '<p>page %s</p>' % i)
        pages = [self.page('/p%s' % i, name='P%s' % i) for i in range(3)]
        offsets = {p.next_check for p in pages}
        self.assertEqual(len(offsets), 3)
        now = datetime.datetime.now()
        for page in pages:
            self.assertTrue(now - datetime.timedelta(minutes=1)
                <= page.next_check <= now + page.interval)
        Page.write(pages[:2], {
                'next_check': now - datetime.timedelta(minutes=5)})
        with setting('batch', '1'):
            Page.check_due()
        tasks = Queue.search([('name', '=', 'crm_competitor_page')])
        self.assertEqual(len(tasks), 2)
        for task in tasks:
            task.run()
        self.assertEqual(
            Snapshot.search_count([('page', 'in', pages[:2])]), 2)
        self.assertEqual(Snapshot.search_count([('page', '=', pages[2])]), 0)
        for page in Page.browse(pages[:2]):
            self.assertGreater(page.next_check, now)
            self.assertEqual(
                page.next_check,
                (now - datetime.timedelta(minutes=5)).replace(microsecond=0)
                + page.interval)

    @with_transaction()
    def test_many_pages_batched(self):
        "Many pages are created and enqueued a batch at a time"
        pool = Pool()
        Page = pool.get('crm.competitor.page')
        Queue = pool.get('ir.queue')
        first = self.page('/p0', name='P0')
        now = datetime.datetime.now()
        with patch.object(Page, 'write', wraps=Page.write) as write:
            pages = Page.create([{
                        'name': 'P%s' % i, 'competitor': first.competitor.id,
                        'url': self.server.url('/p%s' % i),
                        'respect_robots': False,
                        } for i in range(1, 120)])
        write.assert_not_called()
        pages = [first] + pages
        self.assertGreater(len({p.next_check for p in pages}), 100)
        for page in pages:
            self.assertTrue(now - datetime.timedelta(minutes=1)
                <= page.next_check <= now + page.interval)
        Page.write(pages, {
                'next_check': now - datetime.timedelta(minutes=5)})
        with setting('batch', '50'):
            Page.check_due()
        tasks = Queue.search(
            [('name', '=', 'crm_competitor_page')], order=[('id', 'ASC')])
        self.assertEqual(
            [len(t.data['instances']) for t in tasks], [50, 50, 20])
        self.assertEqual(
            sorted(i for t in tasks for i in t.data['instances']),
            sorted(p.id for p in pages))
        self.assertTrue(all(
                p.next_check > now for p in Page.browse(pages)))

    @with_transaction()
    def test_seen_comment_activity(self):
        "Users mark changes seen, comment and turn them into activities"
        pool = Pool()
        Change = pool.get('crm.competitor.change')
        Comment = pool.get('crm.competitor.change.comment')
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            User = pool.get('res.user')
            User.write([User(Transaction().user)], {
                    'employees': [('add', [employee.id])],
                    'employee': employee.id,
                    })
            self.server.set('/product', product_page())
            page = self.check(self.page())
            self.server.set('/product', product_page(price='¥149'))
            page = self.check(page)
            change, = self.changes(page)
            self.assertFalse(change.seen)
            self.assertEqual(Change.search([('seen', '=', False)]), [change])
            Change.mark_seen([change])
            change = Change(change.id)
            self.assertTrue(change.seen)
            self.assertEqual(Change.search([('seen', '=', True)]), [change])
            Change.mark_unseen([change])
            self.assertFalse(Change(change.id).seen)
            Comment.create([{'change': change.id, 'comment': 'Call them'}])
            self.assertEqual(len(Change(change.id).comments), 1)

            opportunity, = Opportunity.create([{
                        'party': page.competitor.party.id,
                        'company': company.id,
                        'description': 'Deal',
                        }])
            Change.write([change], {'opportunity': opportunity.id})
            Change.create_activity([change])
            change = Change(change.id)
            self.assertEqual(change.activity.type, 'note')
            self.assertEqual(change.activity.resource, opportunity)
            self.assertIn('+ ¥149', change.activity.description)
            # The change is on the timeline of the opportunity's party
            party = pool.get('party.party')(opportunity.party.id)
            self.assertIn(
                ('competitor', page.competitor.party.name, change),
                [(r.kind, r.summary, r.document) for r in party.crm_timeline])

    @with_transaction()
    def test_digest(self):
        "The digest mails each user the unseen changes they follow"
        pool = Pool()
        Change = pool.get('crm.competitor.change')
        User = pool.get('res.user')
        follower, other = self.users()
        User.write([follower, other], {
                'crm_competitor_digest': 'daily',
                'email': 'f@example.com'})
        self.server.set('/product', product_page())
        page = self.check(self.page(subscribers=[('add', [follower.id])]))
        self.server.set('/product', product_page(
                extra='&lt;script&gt;alert(1)&lt;/script&gt;'))
        self.check(page)
        with patch('trytond.modules.crm_knowledge.change'
                '.send_message_transactional') as send:
            Change.send_digest()
            Change.send_digest()
        message, = [c.args[0] for c in send.call_args_list]
        self.assertEqual(message['To'], 'f@example.com')
        html = message.get_body(('html',)).get_content()
        self.assertNotIn('<script>', html)
        self.assertIn('&lt;script&gt;', html)
        self.assertIn('/model/crm.competitor.change/', html)
        self.assertIsNotNone(User(other.id).crm_competitor_digest_sent)
