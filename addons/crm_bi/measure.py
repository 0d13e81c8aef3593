# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""One number measured from the catalogue: the sum or count of a report's
rows for a domain over a period, or the one number of a saved query; what
the KPI goals and the threshold alerts measure."""
import datetime
import json

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .common import ReportMixin

# The context filters of the catalogue that each report follows, by which
# a pilot group is told from the rest of the company
PILOT_FILTERS = {
    'crm.bi.pipeline': {'team', 'territory', 'salesperson'},
    'crm.bi.forecast': {'team', 'territory', 'salesperson'},
    'crm.bi.funnel': {'team', 'territory', 'salesperson'},
    'crm.bi.performance': {'team', 'salesperson'},
    'crm.bi.service': {'team'},
    }
PERIOD_MONTHS = {'month': 1, 'quarter': 3, 'year': 12}
NUMERIC_TYPES = {'integer', 'float', 'numeric'}


def now():
    "The clock of the goals and alerts (tests freeze it)"
    return datetime.datetime.now()


def period_window(period, date):
    "Return the from and to dates of the period that ends on date"
    if not period:
        return None, None
    return (date - relativedelta(months=PERIOD_MONTHS[period])
        + datetime.timedelta(days=1), date)


class MeasureMixin:
    "The definition of one measured number"
    __slots__ = ()

    source = fields.Selection([
            ('report', "Report"),
            ('query', "Query"),
            ], "Source", required=True)
    report_model = fields.Selection(
        'get_report_models', "Report",
        states={
            'invisible': Eval('source') != 'report',
            'required': Eval('source') == 'report',
            })
    aggregate = fields.Selection([
            ('sum', "Sum"),
            ('count', "Count of Rows"),
            ], "Aggregate",
        states={
            'invisible': Eval('source') != 'report',
            'required': Eval('source') == 'report',
            })
    report_field = fields.Selection(
        'get_report_fields', "Field",
        states={
            'invisible': (Eval('source') != 'report')
            | (Eval('aggregate') != 'sum'),
            'required': (Eval('source') == 'report')
            & (Eval('aggregate') == 'sum'),
            })
    report_domain = fields.Char(
        "Domain",
        states={
            'invisible': Eval('source') != 'report',
            },
        help='The rows of the report to aggregate, as a JSON domain: '
        '[["state", "=", "lead"]].')
    period = fields.Selection([
            (None, "Whole History"),
            ('month', "Month"),
            ('quarter', "Quarter"),
            ('year', "Year"),
            ], "Period",
        states={
            'invisible': Eval('source') != 'report',
            },
        help="The period of the report's filters, ending on the day "
        "measured.")
    query = fields.Many2One(
        'crm.bi.query', "Query", ondelete='RESTRICT',
        states={
            'invisible': Eval('source') != 'query',
            'required': Eval('source') == 'query',
            },
        help="A query whose first column of the first row is the number.")

    @classmethod
    def default_source(cls):
        return 'report'

    @classmethod
    def default_aggregate(cls):
        return 'sum'

    @classmethod
    def get_report_models(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        names = [n for n, m in pool.iterobject()
            if issubclass(m, ReportMixin) or n == 'crm.bi.status']
        models = Model.search([('name', 'in', names)])
        return [(None, "")] + sorted(
            ((m.name, m.string) for m in models), key=lambda m: m[1])

    @fields.depends('report_model')
    def get_report_fields(self):
        selection = [(None, "")]
        if not self.report_model:
            return selection
        Report = Pool().get(self.report_model)
        for name, field in Report._fields.items():
            if (field._type in NUMERIC_TYPES and name != 'id'
                    and not hasattr(field, 'get')):
                selection.append((name, field.string))
        return selection

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if not field_names or field_names & {
                'source', 'report_model', 'report_domain'}:
            for record in records:
                record.check_domain()

    @property
    def domain(self):
        return json.loads(self.report_domain or '[]')

    def check_domain(self):
        if self.source != 'report' or not self.report_model:
            return
        Report = Pool().get(self.report_model)
        try:
            domain = self.domain
            if not isinstance(domain, list):
                raise ValueError
            with Transaction().set_context(company=-1):
                Report.search(domain, limit=1)
        except Exception as exception:
            raise ValidationError(gettext(
                    'crm_bi.msg_measure_domain',
                    measure=self.rec_name, domain=self.report_domain)
                ) from exception

    @property
    def query_texts(self):
        "The texts of the values of the query's parameters by name"
        return {}

    def pilot_supported(self, kind):
        "Whether the measure can be told for a pilot group of the kind"
        filters = PILOT_FILTERS.get(self.report_model, set())
        if kind == 'users':
            kind = 'salesperson'
        return self.source == 'report' and kind in filters

    def measure(self, company, date, **filters):
        """Return the number on date for the company, the report restricted
        by the filters of the catalogue (team, territory, salesperson)"""
        if self.source == 'query':
            return self.query.number(self.query_texts)
        Report = Pool().get(self.report_model)
        from_date, to_date = period_window(self.period, date)
        with Transaction().set_context(
                company=company.id, from_date=from_date, to_date=to_date,
                **filters):
            records = Report.search(self.domain)
            if self.aggregate == 'count':
                return float(len(records))
            return float(sum(
                    getattr(r, self.report_field) or 0 for r in records))
