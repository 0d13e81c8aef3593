# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Changes detected on competitor pages and what users do with them:
notifications, seen marks, comments, activities and the e-mail digest."""
import datetime
import json
import urllib.parse
from email.message import EmailMessage
from html import escape

from sql import Literal
from sql.aggregate import Count, Min

from trytond import config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host

from . import diff, extract
from .exceptions import ChangeActivityError

DIGEST_PERIODS = {
    'daily': datetime.timedelta(days=1),
    'weekly': datetime.timedelta(days=7),
    }


class Change(ModelSQL, ModelView):
    "Competitor Page Change"
    __name__ = 'crm.competitor.change'
    __string__ = "Competitor Page Change"

    page = fields.Many2One(
        'crm.competitor.page', "Page", required=True, ondelete='CASCADE',
        readonly=True)
    competitor = fields.Many2One(
        'crm.competitor', "Competitor", required=True, ondelete='CASCADE',
        readonly=True)
    previous_snapshot = fields.Many2One(
        'crm.competitor.snapshot', "Previous Snapshot", readonly=True,
        ondelete='SET NULL')
    snapshot = fields.Many2One(
        'crm.competitor.snapshot', "Snapshot", required=True,
        readonly=True, ondelete='CASCADE')
    detected_at = fields.DateTime("Detected At", required=True, readonly=True)
    week = fields.Date("Week", readonly=True)
    added_lines = fields.Integer("Added Lines", readonly=True)
    removed_lines = fields.Integer("Removed Lines", readonly=True)
    excerpt = fields.Text("Excerpt", readonly=True)
    unified_diff = fields.Text("Unified Diff", readonly=True, loading='lazy')
    html_diff = fields.Text("Side by Side", readonly=True, loading='lazy')
    rich_diff = fields.Function(
        fields.Text("Difference"), 'get_rich_diff')
    keyword_hits = fields.Text("Keyword Hits", readonly=True)
    price_changes = fields.Text(
        "Price Changes", readonly=True,
        help="Price-like amounts that disappeared (-) or appeared (+).")
    hits = fields.One2Many(
        'crm.competitor.keyword.hit', 'change', "Keyword Hits",
        readonly=True)
    seen_by = fields.One2Many(
        'crm.competitor.change.seen', 'change', "Seen By", readonly=True)
    seen = fields.Function(
        fields.Boolean("Seen"), 'get_seen', searcher='search_seen')
    comments = fields.One2Many(
        'crm.competitor.change.comment', 'change', "Comments")
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity",
        help="The opportunity the activity is noted on.")
    activity = fields.Many2One(
        'crm.activity', "Activity", readonly=True, ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('detected_at', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.page, Index.Range()),
                    (t.detected_at, Index.Range(order='DESC'))),
                Index(t, (t.competitor, Index.Range()),
                    (t.week, Index.Range())),
                })
        cls._buttons.update({
                'mark_seen': {
                    'invisible': Eval('seen', False),
                    'depends': ['seen'],
                    },
                'mark_unseen': {
                    'invisible': ~Eval('seen', False),
                    'depends': ['seen'],
                    },
                'create_activity': {
                    'invisible': Bool(Eval('activity')),
                    'depends': ['activity'],
                    },
                })

    def get_rec_name(self, name):
        return '%s (%s)' % (self.page.rec_name, self.detected_at)

    def get_rich_diff(self, name):
        old = self.previous_snapshot.text if self.previous_snapshot else ''
        return diff.Diff(old or '', self.snapshot.text or '').rich()

    @classmethod
    def get_seen(cls, changes, name):
        Seen = Pool().get('crm.competitor.change.seen')
        user = Transaction().user
        seen = set()
        for sub in grouped_slice(changes, backend.MAX_QUERY_PARAMS):
            seen.update(s.change.id for s in Seen.search([
                        ('change', 'in', [c.id for c in sub]),
                        ('user', '=', user),
                        ]))
        return {c.id: c.id in seen for c in changes}

    @classmethod
    def search_seen(cls, name, clause):
        _, operator, value = clause
        user = Transaction().user
        seen = (operator == '=') == bool(value)
        return [('seen_by', 'where' if seen else 'not where',
                [('user', '=', user)])]

    @classmethod
    @ModelView.button
    def mark_seen(cls, changes):
        Seen = Pool().get('crm.competitor.change.seen')
        user = Transaction().user
        seen = {c for c, s in cls.get_seen(changes, 'seen').items() if s}
        with without_check_access():
            Seen.create([{'change': c.id, 'user': user}
                    for c in changes if c.id not in seen])

    @classmethod
    @ModelView.button
    def mark_unseen(cls, changes):
        Seen = Pool().get('crm.competitor.change.seen')
        with without_check_access():
            Seen.delete(Seen.search([
                        ('change', 'in', [c.id for c in changes]),
                        ('user', '=', Transaction().user),
                        ]))

    @classmethod
    @ModelView.button
    def create_activity(cls, changes):
        "Turn changes into notes, on their opportunity when there is one"
        pool = Pool()
        Activity = pool.get('crm.activity')
        User = pool.get('res.user')
        user = User(Transaction().user)
        company = user.company
        if not company:
            raise ChangeActivityError(gettext(
                    'crm_knowledge.msg_change_activity_company'))
        employee = user.employee
        if employee and employee.company != company:
            employee = None
        now = datetime.datetime.now()
        activities = Activity.create([{
                    'company': company.id,
                    'type': 'note',
                    'subject': gettext(
                        'crm_knowledge.msg_change_activity_subject',
                        page=c.page.rec_name)[:200],
                    'description': '\n'.join(filter(None, [
                                c.page.url, c.excerpt, c.price_changes,
                                c.keyword_hits])),
                    'party': c.competitor.party.id,
                    'resource': str(c.opportunity) if c.opportunity else None,
                    'employee': employee.id if employee else None,
                    'planned_date': now,
                    } for c in changes])
        to_write = []
        for change, activity in zip(changes, activities):
            to_write.extend(([change], {'activity': activity.id}))
        cls.write(*to_write)

    @classmethod
    def values(cls, page, previous, snapshot, old, new, keywords):
        "The values of a change of page from the old text to the new one"
        lines = diff.Diff(old, new)
        changed = lines.changed_lines()
        removed, added = diff.changed_prices(*changed)
        events = diff.keyword_events(
            old, new, [k.keyword for k in keywords], changed)
        watches = {extract.fold(k.keyword): k for k in keywords}
        prices = ['- %s' % p for p in removed] + ['+ %s' % p for p in added]
        detected = snapshot.fetched_at
        hits = [{
                'keyword': watches[extract.fold(k)].id,
                'event': e,
                } for k, e in events]
        return {
            'page': page.id,
            'competitor': page.competitor.id,
            'previous_snapshot': previous.id if previous else None,
            'snapshot': snapshot.id,
            'detected_at': detected,
            'week': (detected - datetime.timedelta(
                    days=detected.weekday())).date(),
            'added_lines': lines.added,
            'removed_lines': lines.removed,
            'unified_diff': lines.unified(),
            'html_diff': lines.html(),
            'excerpt': lines.excerpt(),
            'keyword_hits': '\n'.join(
                '%s %s' % ('+' if e == 'appeared' else '-', k)
                for k, e in events) or None,
            'price_changes': '\n'.join(prices) or None,
            'hits': [('create', hits)] if hits else [],
            }

    @classmethod
    def record(cls, vlist):
        "Create the changes and notify the subscribers at once"
        if not vlist:
            return []
        changes = cls.create(vlist)
        cls.notify(changes)
        return changes

    @classmethod
    def notify(cls, changes):
        Notification = Pool().get('res.notification')
        notifications = []
        for change in changes:
            users = {u.id for u in change.page.subscribers}
            users.update(h.keyword.user.id for h in change.hits
                if h.keyword.user)
            label = gettext(
                'crm_knowledge.msg_change_notification',
                page=change.page.rec_name,
                competitor=change.competitor.rec_name)
            description = ' '.join(filter(None, [
                        '+%s -%s' % (change.added_lines,
                            change.removed_lines),
                        ' '.join((change.keyword_hits or '').splitlines()),
                        ' '.join((change.price_changes or '').splitlines()),
                        ]))
            notifications.extend({
                    'user': u,
                    'label': label[:200],
                    'description': description[:200],
                    'icon': 'tryton-notification',
                    'model': cls.__name__,
                    'records': json.dumps([change.id]),
                    } for u in sorted(users))
        with without_check_access():
            Notification.create(notifications)

    def url(self):
        "A link to the change in the web client"
        database = Transaction().database.name
        return '%s/#%s/model/%s/%s' % (
            http_host(), urllib.parse.quote(database), self.__name__,
            self.id)

    @classmethod
    def send_digest(cls):
        "Send each user the unseen changes of the pages they follow"
        pool = Pool()
        User = pool.get('res.user')
        now = datetime.datetime.now()
        users = User.search([
                ('crm_competitor_digest', 'in', list(DIGEST_PERIODS)),
                ('email', '!=', None),
                ])
        sent = []
        for user in users:
            period = DIGEST_PERIODS[user.crm_competitor_digest]
            last = user.crm_competitor_digest_sent
            if last and last + period > now:
                continue
            with Transaction().set_user(user.id):
                changes = cls.search([
                        ('detected_at', '>=', last or now - period),
                        ('page.subscribers', '=', user.id),
                        ('seen', '=', False),
                        ])
                if changes:
                    send_message_transactional(
                        cls.digest_message(user, changes))
            sent.append(user)
        if sent:
            User.write(sent, {'crm_competitor_digest_sent': now})

    @classmethod
    def digest_message(cls, user, changes):
        "The digest e-mail; every page text is escaped in its HTML part"
        subject = gettext(
            'crm_knowledge.msg_digest_subject', count=len(changes))
        text, html = [], []
        for change in changes:
            title = '%s - %s' % (
                change.competitor.rec_name, change.page.rec_name)
            url = change.url()
            excerpt = '\n'.join(filter(None, [
                        change.excerpt, change.keyword_hits,
                        change.price_changes]))
            text.append('%s\n%s\n%s\n' % (title, url, excerpt))
            html.append(
                '<h3><a href="%s">%s</a></h3><pre>%s</pre>' % (
                    escape(url, quote=True), escape(title), escape(excerpt)))
            if len(change.html_diff or '') < 20000:
                # Built by diff.Diff.html(), which escapes the page text
                html.append(change.html_diff or '')
        message = EmailMessage()
        message['Subject'] = subject
        message['From'] = config.get('email', 'from')
        message['To'] = user.email
        message.set_content('\n'.join(text))
        message.add_alternative(
            '<html><body>%s</body></html>' % ''.join(html), subtype='html')
        return message


class ChangeSeen(ModelSQL, ModelView):
    "Competitor Change Seen"
    __name__ = 'crm.competitor.change.seen'
    __string__ = "Competitor Change Seen"
    change = fields.Many2One(
        'crm.competitor.change', "Change", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.user, Index.Range()), (t.change, Index.Range())))

    @classmethod
    def default_user(cls):
        return Transaction().user


class ChangeComment(ModelSQL, ModelView):
    "Competitor Change Comment"
    __name__ = 'crm.competitor.change.comment'
    __string__ = "Competitor Change Comment"
    change = fields.Many2One(
        'crm.competitor.change', "Change", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, readonly=True)
    comment = fields.Text("Comment", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_user(cls):
        return Transaction().user


class KeywordHit(ModelSQL, ModelView):
    "Competitor Keyword Hit"
    __name__ = 'crm.competitor.keyword.hit'
    __string__ = "Competitor Keyword Hit"
    change = fields.Many2One(
        'crm.competitor.change', "Change", required=True,
        ondelete='CASCADE', readonly=True)
    keyword = fields.Many2One(
        'crm.competitor.keyword', "Keyword", required=True,
        ondelete='CASCADE', readonly=True)
    event = fields.Selection([
            ('appeared', "Appeared"),
            ('disappeared', "Disappeared"),
            ], "Event", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.change, Index.Range())))


class ChangeWeek(ModelSQL, ModelView):
    "Competitor Changes per Week"
    __name__ = 'crm.competitor.change.week'
    __string__ = "Competitor Changes per Week"
    competitor = fields.Many2One('crm.competitor', "Competitor")
    week = fields.Date("Week")
    changes = fields.Integer("Changes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('week', 'DESC'), ('competitor', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        change = Pool().get('crm.competitor.change').__table__()
        return change.select(
            Min(change.id).as_('id'),
            Literal(0).as_('create_uid'),
            Min(change.create_date).as_('create_date'),
            Literal(None).as_('write_uid'),
            Literal(None).as_('write_date'),
            change.competitor.as_('competitor'),
            change.week.as_('week'),
            Count(change.id).as_('changes'),
            group_by=[change.competitor, change.week])


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    crm_competitor_digest = fields.Selection([
            (None, "None"),
            ('daily', "Daily"),
            ('weekly', "Weekly"),
            ], "Competitor Digest",
        help="Receive the unseen changes of the followed competitor pages "
        "by e-mail.")
    crm_competitor_digest_sent = fields.DateTime(
        "Competitor Digest Sent", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._preferences_fields.append('crm_competitor_digest')


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('crm.competitor.page|check_due', "Check Competitor Pages"),
                ('crm.competitor.change|send_digest',
                    "Send Competitor Change Digests"),
                ])
