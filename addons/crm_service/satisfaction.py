# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import hmac
import secrets
import urllib.parse
from email.message import EmailMessage

from sql import Literal, Null
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case as SQLCase
from sql.functions import DateTrunc

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction
from trytond.url import http_base

from .exceptions import RatingScoreError

SCORES = range(1, 6)
# Scores counted as satisfied by the CSAT
SATISFIED = 4


class Rating(ModelSQL, ModelView):
    __name__ = 'crm.service.rating'
    __string__ = "Service Rating"

    case = fields.Many2One(
        'crm.service.case', "Case", required=True, readonly=True,
        ondelete='CASCADE')
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    party = fields.Many2One(
        'party.party', "Party", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    agent = fields.Many2One('company.employee', "Agent", readonly=True)
    team = fields.Many2One('crm.sales.team', "Team", readonly=True)
    nonce = fields.Char("Nonce", required=True, readonly=True)
    score = fields.Integer(
        "Score", readonly=True,
        domain=[
            ['OR',
                ('score', '=', None),
                [('score', '>=', min(SCORES)),
                    ('score', '<=', max(SCORES))]],
            ],
        help="From 1 (very unsatisfied) to 5 (very satisfied).")
    comment = fields.Text("Comment", readonly=True)
    requested_at = fields.DateTime("Requested at", readonly=True)
    rated_at = fields.DateTime("Rated at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.case, Index.Range())),
                Index(t, (t.requested_at, Index.Range())),
                })
        cls._order = [
            ('requested_at', 'DESC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def default_nonce(cls):
        return secrets.token_urlsafe(16)

    @classmethod
    def default_requested_at(cls):
        return datetime.datetime.now()

    def get_rec_name(self, name):
        return f'{self.case.rec_name} ({self.score or "-"})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('case.rec_name', *clause[1:])]

    @property
    def token(self):
        "The signed token of the rating links"
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        key = Configuration.signing_key_for('crm.service.rating')
        return f'{self.id}.{self._signature(key)}'

    def _signature(self, key):
        return hmac.new(
            key, f'{self.id}:{self.nonce}'.encode(),
            hashlib.sha256).hexdigest()

    @classmethod
    def from_token(cls, token):
        "Return the rating signed by the token or None"
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        id_, _, signature = (token or '').partition('.')
        if not id_.isdigit() or not signature:
            return None
        ratings = cls.search([('id', '=', int(id_))])
        if not ratings:
            return None
        rating, = ratings
        expected = rating._signature(
            Configuration.signing_key_for('crm.service.rating'))
        if not hmac.compare_digest(expected, signature):
            return None
        return rating

    def url(self, score=None):
        database = Transaction().database.name
        url = urllib.parse.urljoin(
            http_base(),
            f'/{urllib.parse.quote(database)}/crm_service/rate/'
            f'{self.token}')
        if score is not None:
            url += f'?score={score}'
        return url

    def links(self):
        """The one-click link of each score, for the customer only: the
        agent that the rating measures must not see them"""
        return '\n'.join(f'{s}: {self.url(s)}' for s in SCORES)

    @classmethod
    def parse_score(cls, value):
        "Return the score of the value or raise RatingScoreError"
        if value is None or not value.strip().isdigit() \
                or int(value) not in SCORES:
            raise RatingScoreError(gettext(
                    'crm_service.msg_rating_score_invalid', score=value))
        return int(value)

    def rate(self, score):
        """Record the score once, return whether it was recorded

        The first score is kept: a later click reads it back. Of two clicks
        at once, the database (repeatable read on PostgreSQL, one writer on
        SQLite) fails the second write, which is retried and reads the
        first score.
        """
        rating = self.__class__(self.id)
        if rating.score is not None:
            return False
        self.write([rating], {
                'score': self.parse_score(str(score)),
                'rated_at': datetime.datetime.now(),
                })
        return True

    def add_comment(self, comment):
        "Record the comment once, return whether it was recorded"
        rating = self.__class__(self.id)
        if rating.comment:
            return False
        self.write([rating], {'comment': comment})
        return True

    @classmethod
    def request(cls, cases):
        "Create a rating request for each case and e-mail its links"
        ratings = cls.create([{
                    'case': c.id,
                    'company': c.company.id,
                    'party': c.party.id if c.party else None,
                    'agent': c.agent.id if c.agent else None,
                    'team': c.team.id if c.team else None,
                    } for c in cases])
        for rating in ratings:
            rating.send_request()
        return ratings

    @property
    def email(self):
        "The e-mail address of the case's contact"
        contact = self.case.contact
        if contact and contact.type == 'email' and contact.value:
            return contact.value

    def send_request(self):
        pool = Pool()
        CaseEmail = pool.get('crm.service.case.email')
        to = self.email
        if not to:
            return
        from_ = config.get('email', 'from')
        msg = EmailMessage()
        msg['From'] = from_
        msg['To'] = to
        msg['Subject'] = gettext(
            'crm_service.msg_rating_email_subject', case=self.case.rec_name)
        msg.set_content(gettext(
                'crm_service.msg_rating_email_body',
                case=self.case.rec_name,
                subject=self.case.subject,
                links=self.links()))
        CaseEmail.keep_sent(self.case, msg)
        send_message_transactional(msg, from_, [to])


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    ratings = fields.One2Many(
        'crm.service.rating', 'case', "Ratings", readonly=True)

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('ratings')
        return super().copy(cases, default=default)

    @classmethod
    def _close(cls, cases):
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        states = {c.id: c.state for c in cases}
        super()._close(cases)
        # Each close asks again: the ratings of former closes stay
        Rating.request([c for c in cases if states[c.id] != 'closed'])


class CSATContext(ModelView):
    __name__ = 'crm.service.csat.context'
    __string__ = "CSAT Context"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class CSATMixin(ModelSQL, ModelView):
    "The satisfaction figures of the ratings requested in a month"

    company = fields.Many2One('company.company', "Company")
    month = fields.Date("Month")
    requested = fields.Integer(
        "Requested", help="The rating requests sent on close.")
    rated = fields.Integer("Ratings", help="The requests answered.")
    satisfied = fields.Integer(
        "Satisfied", help="The ratings of 4 or 5.")
    average_score = fields.Float("Average Score", digits=(1, 2))
    csat = fields.Float(
        "CSAT %", digits=(3, 1),
        help="The share of ratings of 4 or 5.")
    response_rate = fields.Float(
        "Response Rate %", digits=(3, 1),
        help="The share of the requests that were rated.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _group_columns(cls, rating):
        return [rating.company]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        rating = Rating.__table__()
        context = Transaction().context

        where = rating.company == context.get('company')
        from_date = context.get('from_date')
        if from_date:
            where &= rating.requested_at >= datetime.datetime.combine(
                from_date, datetime.time())
        to_date = context.get('to_date')
        if to_date:
            where &= rating.requested_at < datetime.datetime.combine(
                to_date + datetime.timedelta(days=1), datetime.time())
        # The month is computed once in a sub-query: PostgreSQL does not
        # see two parameterised DATE_TRUNC as the same grouping expression
        ratings = rating.select(
            rating.id, rating.company, rating.agent, rating.team,
            rating.score,
            cls.month.sql_cast(
                DateTrunc('month', rating.requested_at)).as_('month'),
            where=where)

        rated = Sum(SQLCase(
                (ratings.score != Null, Literal(1)), else_=Literal(0)))
        satisfied = Sum(SQLCase(
                (ratings.score >= SATISFIED, Literal(1)), else_=Literal(0)))
        group_columns = cls._group_columns(ratings) + [ratings.month]
        return ratings.select(
            Min(ratings.id).as_('id'),
            *group_columns,
            Count(ratings.id).as_('requested'),
            rated.as_('rated'),
            satisfied.as_('satisfied'),
            cls.average_score.sql_cast(
                Avg(ratings.score)).as_('average_score'),
            cls.csat.sql_cast(SQLCase(
                    (rated > 0, satisfied * 100.0 / rated),
                    else_=Null)).as_('csat'),
            cls.response_rate.sql_cast(
                rated * 100.0 / Count(ratings.id)).as_('response_rate'),
            group_by=group_columns)


class CSAT(CSATMixin):
    __name__ = 'crm.service.csat'
    __string__ = "CSAT by Agent"

    agent = fields.Many2One('company.employee', "Agent")
    team = fields.Many2One('crm.sales.team', "Team")

    @classmethod
    def _group_columns(cls, rating):
        return super()._group_columns(rating) + [rating.agent, rating.team]


class CSATMonth(CSATMixin):
    __name__ = 'crm.service.csat.month'
    __string__ = "CSAT by Month"
