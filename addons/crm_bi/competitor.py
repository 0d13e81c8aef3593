# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Literal
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import DateTrunc

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool

from .common import ReportMixin, context_dates, day_after, restrict


class CompetitorActivity(ReportMixin, ModelSQL, ModelView):
    "The changes detected on the competitors' pages per month"
    __name__ = 'crm.bi.competitor'
    __string__ = "Competitor Change Activity"

    competitor = fields.Many2One('crm.competitor', "Competitor")
    month = fields.Date("Month")
    changes = fields.Integer("Changes")
    pages = fields.Integer("Pages Changed")
    added_lines = fields.Integer("Added Lines")
    removed_lines = fields.Integer("Removed Lines")
    keyword_hits = fields.Integer(
        "Keyword Hits", help="The watched keywords that appeared or "
        "disappeared with the changes.")
    keywords_appeared = fields.Integer("Keywords Appeared")
    keywords_disappeared = fields.Integer("Keywords Disappeared")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('changes', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _hits(cls):
        "Return the query of the keyword hits per change"
        Hit = Pool().get('crm.competitor.keyword.hit')
        hit = Hit.__table__()

        def count(event):
            return Sum(Case((hit.event == event, 1), else_=0))
        return hit.select(
            hit.change.as_('change'),
            count('appeared').as_('appeared'),
            count('disappeared').as_('disappeared'),
            group_by=[hit.change])

    @classmethod
    def table_query(cls):
        Change = Pool().get('crm.competitor.change')
        change = Change.__table__()
        hits = cls._hits()
        from_date, to_date = context_dates()
        where = Literal(True)
        if from_date:
            where &= change.detected_at >= datetime.datetime.combine(
                from_date, datetime.time())
        if to_date:
            where &= change.detected_at < day_after(to_date)
        where = restrict(where, Change.__name__, change.id)
        # The month is computed once: PostgreSQL does not recognise two
        # parameterised DATE_TRUNC as the same grouping expression
        changes = (change
            .join(hits, 'LEFT', condition=hits.change == change.id)
            .select(
                change.id, change.competitor, change.page,
                change.added_lines, change.removed_lines,
                cls.month.sql_cast(
                    DateTrunc('month', change.detected_at)).as_('month'),
                Coalesce(hits.appeared, 0).as_('appeared'),
                Coalesce(hits.disappeared, 0).as_('disappeared'),
                where=where))
        appeared = Sum(changes.appeared)
        disappeared = Sum(changes.disappeared)
        return changes.select(
            Min(changes.id).as_('id'),
            changes.competitor.as_('competitor'),
            changes.month.as_('month'),
            Count(changes.id).as_('changes'),
            Count(changes.page, distinct=True).as_('pages'),
            Sum(Coalesce(changes.added_lines, 0)).as_('added_lines'),
            Sum(Coalesce(changes.removed_lines, 0)).as_('removed_lines'),
            (appeared + disappeared).as_('keyword_hits'),
            appeared.as_('keywords_appeared'),
            disappeared.as_('keywords_disappeared'),
            group_by=[changes.competitor, changes.month])
