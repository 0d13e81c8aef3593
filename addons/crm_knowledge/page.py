# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Watched competitor pages, their keyword watches and snapshots.

ir.cron enqueues the due pages in batches (Page.check_due); queue workers
run Page.check on each batch: fetch in threads, extract, hash, and only
when the hash changed diff, look for keywords and notify.
"""
import datetime
import hashlib
from collections import defaultdict

from sql import Column
from sql.functions import CurrentTimestamp

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from . import extract, fetch
from .exceptions import KeywordValidationError, PageValidationError

SECTION = 'crm_knowledge'
OUTCOMES = [
    (None, ''),
    (fetch.OK, "OK"),
    (fetch.NOT_MODIFIED, "Not Modified"),
    (fetch.ERROR, "Error"),
    (fetch.UNSUPPORTED, "Unsupported Content"),
    (fetch.REFUSED, "Refused"),
    (fetch.ROBOTS, "Disallowed by robots.txt"),
    (fetch.TRUNCATED, "Truncated: larger than the size limit"),
    ]


def fetch_policy():
    """The fetching policy from the [crm_knowledge] section of trytond.conf:
    allowed_hosts (names, addresses or networks that may be private),
    allow_private, connect_timeout, total_timeout, max_bytes, max_redirects,
    retries, backoff, batch_wait, threads and per_host."""
    default = fetch.Policy()
    return fetch.Policy(
        connect_timeout=config.getfloat(
            SECTION, 'connect_timeout', default=default.connect_timeout),
        total_timeout=config.getfloat(
            SECTION, 'total_timeout', default=default.total_timeout),
        max_bytes=config.getint(
            SECTION, 'max_bytes', default=default.max_bytes),
        max_redirects=config.getint(
            SECTION, 'max_redirects', default=default.max_redirects),
        retries=config.getint(SECTION, 'retries', default=default.retries),
        backoff=config.getfloat(SECTION, 'backoff', default=default.backoff),
        batch_wait=config.getfloat(
            SECTION, 'batch_wait', default=default.batch_wait),
        threads=config.getint(SECTION, 'threads', default=default.threads),
        per_host=config.getint(
            SECTION, 'per_host', default=default.per_host),
        allowed=fetch.Policy.parse_allowed(
            config.get(SECTION, 'allowed_hosts', default='')),
        allow_private=config.getboolean(
            SECTION, 'allow_private', default=False))


class Page(DeactivableMixin, ModelSQL, ModelView):
    "Competitor Watched Page"
    __name__ = 'crm.competitor.page'
    __string__ = "Competitor Watched Page"

    name = fields.Char("Name", required=True)
    competitor = fields.Many2One(
        'crm.competitor', "Competitor", required=True, ondelete='CASCADE')
    url = fields.Char("URL", required=True)
    selector = fields.Char(
        "Region",
        help="A CSS selector or an XPath (starting with /) of the part of "
        "the page that matters; empty for the whole page.")
    ignore_selectors = fields.Text(
        "Ignored Elements",
        help="CSS selectors or XPaths of elements to drop, one per line "
        "(banners, counters, session blocks).")
    ignore_regexes = fields.Text(
        "Ignored Text",
        help="Regular expressions of text to drop, one per line "
        "(dates, counters, session ids).")
    interval = fields.TimeDelta("Check Interval", required=True)
    respect_robots = fields.Boolean(
        "Respect robots.txt",
        help="Do not fetch the page when robots.txt disallows it.")
    max_failures = fields.Integer(
        "Maximum Failures", required=True,
        help="The page is flagged after this many failed checks in a row.")
    subscribers = fields.Many2Many(
        'crm.competitor.page-res.user', 'page', 'user', "Subscribers")
    subscribed = fields.Function(
        fields.Boolean("Subscribed"), 'get_subscribed',
        searcher='search_subscribed')
    keywords = fields.One2Many(
        'crm.competitor.keyword', 'page', "Keyword Watches")
    next_check = fields.DateTime("Next Check", readonly=True)
    last_check = fields.DateTime("Last Check", readonly=True)
    last_outcome = fields.Selection(OUTCOMES, "Last Outcome", readonly=True)
    last_error = fields.Char("Last Error", readonly=True)
    failure_streak = fields.Integer("Failure Streak", readonly=True)
    flagged = fields.Boolean(
        "Flagged", readonly=True,
        help="The last checks failed: the page needs attention.")
    slow = fields.Boolean(
        "Slow", readonly=True,
        help="The host answered too slowly to be checked with other pages: "
        "the page is checked on its own.")
    etag = fields.Char("ETag", readonly=True)
    last_modified = fields.Char("Last Modified", readonly=True)
    content_hash = fields.Char("Content Hash", readonly=True)
    text_snapshot = fields.Many2One(
        'crm.competitor.snapshot', "Current Text", readonly=True,
        help="The snapshot storing the current text of the page.")
    snapshots = fields.One2Many(
        'crm.competitor.snapshot', 'page', "Snapshots", readonly=True)
    changes = fields.One2Many(
        'crm.competitor.change', 'page', "Changes", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.next_check, Index.Range())),
                Index(t, (t.url, Index.Equality())),
                })
        cls._buttons.update({
                'check_now': {'icon': 'tryton-refresh'},
                'subscribe': {
                    'invisible': Eval('subscribed', False),
                    'depends': ['subscribed'],
                    },
                'unsubscribe': {
                    'invisible': ~Eval('subscribed', False),
                    'depends': ['subscribed'],
                    },
                'reset_failures': {
                    'invisible': ~Eval('flagged', False),
                    'depends': ['flagged'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('flagged', False), 'danger',
                    If(Eval('last_outcome') == fetch.TRUNCATED,
                        'warning', ''))),
            ]

    @classmethod
    def default_interval(cls):
        return datetime.timedelta(hours=1)

    @classmethod
    def default_respect_robots(cls):
        return True

    @classmethod
    def default_max_failures(cls):
        return 3

    @classmethod
    def default_failure_streak(cls):
        return 0

    @classmethod
    def default_flagged(cls):
        return False

    @classmethod
    def default_slow(cls):
        return False

    @classmethod
    def default_subscribers(cls):
        user = Transaction().user
        return [user] if user else []

    def get_subscribed(self, name):
        user = Transaction().user
        return any(u.id == user for u in self.subscribers)

    @classmethod
    def search_subscribed(cls, name, clause):
        _, operator, value = clause
        user = Transaction().user
        if (operator == '=') == bool(value):
            return [('subscribers', '=', user)]
        return [('subscribers', '!=', user)]

    @classmethod
    def validate_fields(cls, pages, field_names):
        super().validate_fields(pages, field_names)
        if field_names & {'url', 'selector', 'ignore_selectors',
                'ignore_regexes'}:
            for page in pages:
                page.check_url()
                page.rules()
        if field_names & {'url', 'selector', 'active'}:
            cls.check_duplicates(pages)
        if 'interval' in field_names:
            for page in pages:
                page.check_interval()

    def check_url(self):
        try:
            fetch.split_url(self.url)
        except fetch.FetchError as exception:
            raise PageValidationError(gettext(
                    'crm_knowledge.msg_page_invalid_url',
                    page=self.rec_name, url=self.url,
                    reason=str(exception)))

    def check_interval(self):
        if self.interval <= datetime.timedelta(0):
            raise PageValidationError(gettext(
                    'crm_knowledge.msg_page_interval_positive',
                    page=self.rec_name))

    def rules(self):
        "The compiled rules; an invalid one is refused with its reason"
        try:
            return extract.Rules(
                self.selector, self.ignore_selectors, self.ignore_regexes)
        except extract.RuleError as exception:
            raise PageValidationError(gettext(
                    'crm_knowledge.msg_page_invalid_rule',
                    page=self.rec_name, rule=exception.rule,
                    kind=exception.kind, reason=exception.reason))

    @classmethod
    def check_duplicates(cls, pages):
        for sub_pages in grouped_slice(pages, backend.MAX_QUERY_PARAMS):
            sub_pages = [p for p in sub_pages if p.active]
            if not sub_pages:
                continue
            others = cls.search([
                    ('url', 'in', [p.url for p in sub_pages]),
                    ])
            watches = defaultdict(list)
            for other in others:
                watches[(other.url, other.selector or '')].append(other)
            for page in sub_pages:
                same = [o for o in watches[(page.url, page.selector or '')]
                    if o.id != page.id]
                if same:
                    raise PageValidationError(gettext(
                            'crm_knowledge.msg_page_duplicate',
                            page=page.rec_name, url=page.url,
                            other=same[0].rec_name))

    @classmethod
    def create(cls, vlist):
        # The first check is set here, not written after the insert: one
        # write a page made creating thousands of pages slow and big
        now = datetime.datetime.now()
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if not values.get('next_check'):
                interval = values.get('interval') or cls.default_interval()
                values['next_check'] = now + cls.offset(
                    values.get('url') or '', interval)
        return super().create(vlist)

    @staticmethod
    def offset(url, interval):
        "A stable offset in the interval so that checks are spread out"
        digest = hashlib.blake2b(url.encode('utf-8'), digest_size=4).digest()
        fraction = int.from_bytes(digest, 'big') / 2 ** 32
        return datetime.timedelta(
            seconds=int(interval.total_seconds() * fraction))

    def following_check(self, now):
        "The next check after now, keeping the page's offset"
        base = self.next_check or now + self.offset(self.url, self.interval)
        if base > now:
            return base
        steps = (now - base) // self.interval + 1
        return base + steps * self.interval

    @classmethod
    def copy(cls, pages, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('active', False)
        for name in ['next_check', 'last_check', 'last_outcome',
                'last_error', 'etag', 'last_modified', 'content_hash',
                'text_snapshot', 'snapshots', 'changes']:
            default.setdefault(name, None)
        default.setdefault('failure_streak', 0)
        default.setdefault('slow', False)
        default.setdefault('flagged', False)
        return super().copy(pages, default=default)

    @classmethod
    @ModelView.button
    def check_now(cls, pages):
        cls.check(pages)

    @classmethod
    @ModelView.button
    def subscribe(cls, pages):
        user = Transaction().user
        with without_check_access():
            cls.write(list(pages), {'subscribers': [('add', [user])]})

    @classmethod
    @ModelView.button
    def unsubscribe(cls, pages):
        user = Transaction().user
        with without_check_access():
            cls.write(list(pages), {'subscribers': [('remove', [user])]})

    @classmethod
    @ModelView.button
    def reset_failures(cls, pages):
        cls.write(list(pages), {'failure_streak': 0, 'flagged': False})

    @classmethod
    def check_due(cls):
        """Enqueue the pages due, in batches shared by the queue workers.

        The pages are taken a batch at a time so that memory stays flat
        whatever their number.  The pages of slow hosts are enqueued last,
        in tasks of their own host: they hold no other page.
        """
        now = datetime.datetime.now()
        size = config.getint(SECTION, 'batch', default=50)
        # Only the ids: the records of a search read all their columns
        # and each checks the ids of all (0.18 s for 2,000 pages)
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls.search([
                    ('next_check', '<=', now),
                    ], order=[('next_check', 'ASC'), ('id', 'ASC')],
                query=True))
        ids = [i for i, in cursor]
        slow = []
        for index in range(0, len(ids), size):
            pages = cls.browse(ids[index:index + size])
            # Move the next check on now so a busy queue is not fed twice
            cls._write_grouped(
                (p, {'next_check': p.following_check(now)}) for p in pages)
            fast = [p for p in pages if not p.slow]
            slow.extend(p for p in pages if p.slow)
            if fast:
                cls._enqueue_check(fast)
        for pages in _by_host(slow).values():
            for index in range(0, len(pages), size):
                cls._enqueue_check(pages[index:index + size], True)

    @classmethod
    def _enqueue_check(cls, pages, patient=False):
        # A queue of its own: `trytond-worker --name crm_competitor_page`
        # can dedicate workers to it
        context = {'queue_name': 'crm_competitor_page'}
        if patient:
            # A slow host holds its worker until the time-out: a worker
            # started with `--name crm_competitor_page_slow` keeps it from
            # the others; a worker of every queue takes the tasks without
            # an expected time first, so slow hosts come last
            context['queue_name'] = 'crm_competitor_page_slow'
            context['queue_expected_at'] = datetime.timedelta(0)
        with Transaction().set_context(**context):
            cls.__queue__.check(pages, patient)

    @property
    def host(self):
        try:
            return fetch.split_url(self.url)[1]
        except fetch.FetchError:
            return ''

    @classmethod
    def check(cls, pages, patient=False):
        """Fetch the pages and record their snapshots, changes and alerts.

        Unless patient, the pages whose host is still answering once the
        others are done for `batch_wait` seconds, and those that failed in
        a way that may heal (a refused connection, a 503), are left to a
        task of their own, checked patiently (with retries and backoff),
        instead of holding the batch."""
        pool = Pool()
        Snapshot = pool.get('crm.competitor.snapshot')
        Change = pool.get('crm.competitor.change')
        pages = [p for p in cls.browse(pages) if p.active]
        if not pages:
            return
        now = datetime.datetime.now()
        requests, compiled = [], {}
        for page in pages:
            # Pages of a site share their rules: compiled once a batch
            key = page.selector, page.ignore_selectors, page.ignore_regexes
            try:
                if key not in compiled:
                    compiled[key] = page.rules()
                rules = compiled[key]
            except PageValidationError as exception:
                rules = exception
            requests.append(fetch.Request(
                    page.url, etag=page.etag if page.content_hash else None,
                    last_modified=(
                        page.last_modified if page.content_hash else None),
                    robots=page.respect_robots, data=rules))
        policy = fetch_policy()
        with fetch.Fetcher(policy) as fetcher:
            results = fetcher.fetch_many(
                requests, _extract,
                wait=None if patient else policy.batch_wait,
                # Alone, a page holds no other
                defer=not patient and len(requests) > 1)
        late = [p for p, r in zip(pages, results) if r is None]
        if late:
            cls.write(late, {'slow': True})
            for host_pages in _by_host(late).values():
                cls._enqueue_check(host_pages, True)
            pages = [p for p, r in zip(pages, results) if r is not None]
            results = [r for r in results if r is not None]
        snapshots, changed = [], []
        for page, result in zip(pages, results):
            snapshots.append(page._snapshot(result, now))
            if (result.outcome == fetch.OK and page.content_hash
                    and result.extra['hash'] != page.content_hash):
                changed.append((page, result))
        snapshots = Snapshot.insert(snapshots)
        previous = Snapshot.texts([p.text_snapshot for p, _ in changed])
        keywords = cls.keyword_watches(pages)
        values = []
        by_page = dict(zip(pages, snapshots))
        for page, result in changed:
            values.append(Change.values(
                    page, page.text_snapshot, by_page[page],
                    previous.get(page.text_snapshot.id, ''),
                    result.extra['text'], keywords[page]))
        Change.record(values)
        cls._write_grouped(
            (page, page._state(result, snapshot, now, policy))
            for page, result, snapshot in zip(pages, results, snapshots))

    @classmethod
    def _write_grouped(cls, page_values):
        "Write (page, values) pairs with one write per distinct values"
        groups = {}
        for page, values in page_values:
            key = tuple(sorted(values.items()))
            groups.setdefault(key, ([], values))[0].append(page)
        to_write = []
        for records, values in groups.values():
            to_write.extend((records, values))
        if to_write:
            cls.write(*to_write)

    def _snapshot(self, result, now):
        values = {
            'page': self.id,
            'fetched_at': now,
            'status': result.status,
            'outcome': result.outcome,
            'final_url': result.final_url,
            'content_type': result.content_type,
            'charset': result.charset,
            'size': result.size,
            'truncated': result.truncated,
            'duration': round(result.duration, 3),
            'error': (result.error or '')[:500] or None,
            # The same keys for every snapshot: they are inserted at once
            'content_hash': None,
            'text': None,
            }
        if result.outcome == fetch.OK:
            values['content_hash'] = result.extra['hash']
            if result.extra['hash'] != self.content_hash:
                values['text'] = result.extra['text']
        elif result.outcome == fetch.NOT_MODIFIED:
            values['content_hash'] = self.content_hash
        return values

    def _state(self, result, snapshot, now, policy):
        values = {
            'last_check': now,
            'last_outcome': result.outcome,
            'last_error': (result.error or '')[:500] or None,
            }
        if self.slow and result.duration < policy.batch_wait:
            values['slow'] = False
        if result.outcome in {fetch.OK, fetch.NOT_MODIFIED, fetch.TRUNCATED}:
            values['failure_streak'] = 0
            values['flagged'] = False
        else:
            streak = (self.failure_streak or 0) + 1
            values['failure_streak'] = streak
            # An error that cannot heal needs attention at once
            values['flagged'] = (
                streak >= self.max_failures or result.permanent)
        if result.outcome == fetch.TRUNCATED:
            values['last_error'] = gettext(
                'crm_knowledge.msg_page_truncated', size=result.size)
        if result.outcome == fetch.OK:
            values['etag'] = result.etag
            values['last_modified'] = result.last_modified
            if result.extra['hash'] != self.content_hash:
                values['content_hash'] = result.extra['hash']
                values['text_snapshot'] = snapshot.id
        return values

    @classmethod
    def keyword_watches(cls, pages):
        "The keyword watches that apply to each page, in their order"
        Keyword = Pool().get('crm.competitor.keyword')
        watches = Keyword.search(['OR',
                ('scope', '=', 'all'),
                [('scope', '=', 'competitor'),
                    ('competitor', 'in', [p.competitor.id for p in pages])],
                [('scope', '=', 'page'),
                    ('page', 'in', [p.id for p in pages])],
                ])
        everywhere, scoped = [], defaultdict(list)
        for watch in watches:
            if watch.scope == 'all':
                everywhere.append(watch)
            else:
                scoped[watch.scope, getattr(watch, watch.scope).id].append(
                    watch)
        if not scoped:
            return {page: everywhere for page in pages}
        order = {w: i for i, w in enumerate(watches)}
        return {page: sorted(everywhere
                + scoped['competitor', page.competitor.id]
                + scoped['page', page.id], key=order.__getitem__)
            for page in pages}


def _by_host(pages):
    hosts = defaultdict(list)
    for page in pages:
        hosts[page.host].append(page)
    return hosts


def _extract(request, result):
    "Parse and hash a fetched page (run as each page arrives)"
    rules = request.data
    if result.outcome != fetch.OK:
        return result
    if isinstance(rules, Exception):
        result.outcome = fetch.ERROR
        result.error = str(rules)
        return result
    try:
        text = extract.extract(result.text, rules, result.content_type)
    except extract.RegionMissing:
        result.outcome = fetch.ERROR
        result.error = 'The region selector matched nothing'
        return result
    result.extra['text'] = text
    result.extra['hash'] = extract.digest(text)
    # Keep the memory of a batch small: only the extracted text is needed
    result.text = None
    return result


class PageSubscriber(ModelSQL):
    "Competitor Page Subscriber"
    __name__ = 'crm.competitor.page-res.user'
    __string__ = "Competitor Page Subscriber"
    page = fields.Many2One(
        'crm.competitor.page', "Page", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.user, Index.Range()), (t.page, Index.Range())))


class KeywordWatch(DeactivableMixin, ModelSQL, ModelView):
    "Competitor Keyword Watch"
    __name__ = 'crm.competitor.keyword'
    __string__ = "Competitor Keyword Watch"
    _rec_name = 'keyword'

    keyword = fields.Char(
        "Keyword", required=True,
        help="A word or phrase, found whatever its case or width.")
    scope = fields.Selection([
            ('page', "Page"),
            ('competitor', "Competitor"),
            ('all', "All Pages"),
            ], "Scope", required=True)
    page = fields.Many2One(
        'crm.competitor.page', "Page", ondelete='CASCADE',
        domain=[
            If(Eval('competitor'),
                ('competitor', '=', Eval('competitor', -1)),
                ()),
            ],
        states={
            'required': Eval('scope') == 'page',
            'invisible': Eval('scope') != 'page',
            })
    competitor = fields.Many2One(
        'crm.competitor', "Competitor", ondelete='CASCADE',
        states={
            'required': Eval('scope') == 'competitor',
            'invisible': Eval('scope') == 'all',
            })
    user = fields.Many2One(
        'res.user', "Alert", ondelete='CASCADE',
        help="The user alerted when the keyword appears or disappears, "
        "besides the subscribers of the page.")

    @classmethod
    def default_scope(cls):
        return 'competitor'

    @classmethod
    def default_user(cls):
        return Transaction().user or None

    @classmethod
    def validate_fields(cls, watches, field_names):
        super().validate_fields(watches, field_names)
        if field_names & {'keyword', 'scope', 'page', 'competitor'}:
            cls.check_duplicates(watches)

    @classmethod
    def check_duplicates(cls, watches):
        for watch in watches:
            if not extract.fold(watch.keyword).strip():
                raise KeywordValidationError(gettext(
                        'crm_knowledge.msg_keyword_empty'))
            others = cls.search([
                    ('id', '!=', watch.id),
                    ('scope', '=', watch.scope),
                    ('page', '=', watch.page),
                    ('competitor', '=', watch.competitor),
                    ('user', '=', watch.user),
                    ])
            folded = extract.fold(watch.keyword).strip()
            for other in others:
                if extract.fold(other.keyword).strip() == folded:
                    raise KeywordValidationError(gettext(
                            'crm_knowledge.msg_keyword_duplicate',
                            keyword=watch.keyword))


class Snapshot(ModelSQL, ModelView):
    "Competitor Page Snapshot"
    __name__ = 'crm.competitor.snapshot'
    __string__ = "Competitor Page Snapshot"

    page = fields.Many2One(
        'crm.competitor.page', "Page", required=True, ondelete='CASCADE',
        readonly=True)
    fetched_at = fields.DateTime("Fetched At", required=True, readonly=True)
    outcome = fields.Selection(OUTCOMES, "Outcome", readonly=True)
    status = fields.Integer("HTTP Status", readonly=True)
    final_url = fields.Char("Final URL", readonly=True)
    content_type = fields.Char("Content Type", readonly=True)
    charset = fields.Char("Charset", readonly=True)
    content_hash = fields.Char("Content Hash", readonly=True)
    text = fields.Text(
        "Text", readonly=True, loading='lazy',
        help="Stored only when it differs from the previous snapshot.")
    size = fields.Integer("Size", readonly=True, help="In bytes.")
    truncated = fields.Boolean(
        "Truncated", readonly=True,
        help="The body was larger than the maximum size and cut off.")
    duration = fields.Float(
        "Duration", digits=(16, 3), readonly=True, help="In seconds.")
    error = fields.Char("Error", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('fetched_at', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.page, Index.Range()), (t.id, Index.Range())))

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        cls._compress_texts()

    @classmethod
    def _compress_texts(cls):
        """Compress the new texts with LZ4 where PostgreSQL has it: on the
        monitoring's benchmark pages, the insert of a 75 KB text took the
        server 3.4 ms with pglz, its default, and 0.7 ms with LZ4, 8% smaller"""
        if cls.has_lz4():
            Transaction().connection.cursor().execute(
                'ALTER TABLE "%s" ALTER COLUMN "text" SET COMPRESSION lz4'
                % cls._table)

    @staticmethod
    def has_lz4():
        "Whether the database is PostgreSQL and can compress with LZ4"
        if backend.name != 'postgresql':
            return False
        cursor = Transaction().connection.cursor()
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        return bool(row and row[0])

    def get_rec_name(self, name):
        return '%s @ %s' % (self.page.rec_name, self.fetched_at)

    @classmethod
    def insert(cls, vlist):
        """Insert the snapshots of a check (values with the same keys) and
        return them in the same order.

        In SQL because the monitoring's benchmark needs it: the check makes
        them from what it fetched, and create's validation would read every
        one back to check nothing."""
        if not vlist:
            return []
        transaction = Transaction()
        database = transaction.database
        connection = transaction.connection
        cursor = connection.cursor()
        table = cls.__table__()
        names = sorted(vlist[0])
        columns = [table.create_uid, table.create_date] + [
            Column(table, n) for n in names]
        rows = [[transaction.user, CurrentTimestamp()]
            + [v[n] for n in names] for v in vlist]
        ids = database.nextid(connection, cls._table, count=len(rows))
        if ids is None:
            ids = []
            for row in rows:
                cursor.execute(*table.insert(columns, [row]))
                ids.append(database.lastid(cursor))
        else:
            ids = ids if isinstance(ids, list) else [ids]
            size = backend.MAX_QUERY_PARAMS // (len(columns) + 1)
            for sub_rows in grouped_slice(list(zip(rows, ids)), size):
                cursor.execute(*table.insert(columns + [table.id],
                        [row + [id_] for row, id_ in sub_rows]))
        return cls.browse(ids)

    @classmethod
    def texts(cls, snapshots):
        "Read the texts of the snapshots at once: {id: text}"
        ids = [s.id for s in snapshots if s]
        return {r['id']: r['text'] or '' for r in cls.read(ids, ['text'])}
