# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Threshold alerts: a measure compared with a value, with its own change
since the previous evaluation or period, or with a goal's metric; evaluated
by cron, notified once in sao and by e-mail while the condition persists,
and armed again once it clears."""
import datetime
import json
import operator
import urllib.parse
from email.message import EmailMessage

from dateutil.relativedelta import relativedelta

from trytond import config
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.crm_sales.web import render
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host

from . import measure as measure_module
from .measure import PERIOD_MONTHS, MeasureMixin

OPERATORS = {
    '>': operator.gt,
    '>=': operator.ge,
    '<': operator.lt,
    '<=': operator.le,
    }
INTERVALS = {
    'hourly': datetime.timedelta(hours=1),
    'daily': datetime.timedelta(days=1),
    'weekly': datetime.timedelta(days=7),
    }
CHANGES = {'change_evaluation', 'change_period'}


class Alert(DeactivableMixin, MeasureMixin, ModelSQL, ModelView):
    "A condition on a measure that notifies its recipients once it is met"
    __name__ = 'crm.bi.alert'
    __string__ = "BI Alert"

    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    metric = fields.Many2One(
        'crm.bi.goal.metric', "Goal Metric", ondelete='CASCADE',
        states={
            'invisible': Eval('source') != 'metric',
            'required': Eval('source') == 'metric',
            })
    condition = fields.Selection([
            ('value', "Value"),
            ('change_evaluation', "Change since Last Evaluation (%)"),
            ('change_period', "Change on Previous Period (%)"),
            ('other_metric', "Other Goal Metric"),
            ], "Condition", required=True)
    operator = fields.Selection(
        [(o, o) for o in OPERATORS], "Operator", required=True)
    threshold = fields.Float(
        "Threshold",
        states={
            'invisible': Eval('condition') == 'other_metric',
            'required': Eval('condition') != 'other_metric',
            })
    other_metric = fields.Many2One(
        'crm.bi.goal.metric', "Other Metric", ondelete='CASCADE',
        states={
            'invisible': Eval('condition') != 'other_metric',
            'required': Eval('condition') == 'other_metric',
            })
    query_parameters = fields.Text(
        "Query Parameters",
        states={
            'invisible': Eval('source') != 'query',
            },
        help='The values of the parameters of the query as JSON: '
        '{"stage": "lead", "since": "2026-01-01"}; a parameter not given '
        'takes its default.')
    interval = fields.Selection([
            ('hourly', "Hourly"),
            ('daily', "Daily"),
            ('weekly', "Weekly"),
            ], "Interval", required=True)
    users = fields.Many2Many(
        'crm.bi.alert-res.user', 'alert', 'user', "Recipients")
    groups = fields.Many2Many(
        'crm.bi.alert-res.group', 'alert', 'group', "Recipient Groups")
    triggered = fields.Boolean(
        "Triggered", readonly=True,
        help="The condition was met at the last evaluation: the alert "
        "fires again only once it has cleared.")
    next_evaluation = fields.DateTime("Next Evaluation", readonly=True)
    evaluations = fields.One2Many(
        'crm.bi.alert.evaluation', 'alert', "Evaluations", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.source.selection = [
            ('metric', "Goal Metric")] + cls.source.selection

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_source(cls):
        return 'metric'

    @classmethod
    def default_condition(cls):
        return 'value'

    @classmethod
    def default_operator(cls):
        return '>'

    @classmethod
    def default_interval(cls):
        return 'daily'

    @classmethod
    def default_triggered(cls):
        return False

    @classmethod
    def validate(cls, alerts):
        super().validate(alerts)
        for alert in alerts:
            if (alert.condition == 'change_period'
                    and not alert.measured.period):
                raise ValidationError(gettext(
                        'crm_bi.msg_alert_change_period',
                        alert=alert.rec_name))
            if alert.source == 'query':
                alert.check_query_parameters()

    @property
    def query_texts(self):
        if self.source != 'query':
            return {}
        texts = json.loads(self.query_parameters or '{}')
        # JSON numbers and booleans are read as the texts of the values
        return {n: v if isinstance(v, str) else json.dumps(v)
            for n, v in texts.items() if v is not None}

    def check_query_parameters(self):
        """Check that the values are a JSON object of the query's parameters
        that gives each parameter without default a valid value"""
        try:
            texts = json.loads(self.query_parameters or '{}')
        except ValueError:
            texts = None
        if (not isinstance(texts, dict)
                or not all(isinstance(v, (str, int, float, bool))
                    or v is None for v in texts.values())):
            raise ValidationError(gettext(
                    'crm_bi.msg_alert_query_parameters_json',
                    alert=self.rec_name))
        parameters = self.query.parameters
        names = sorted(p.name for p in parameters)
        unknown = sorted(set(texts) - set(names))
        if unknown:
            raise ValidationError(gettext(
                    'crm_bi.msg_alert_query_parameter_unknown',
                    alert=self.rec_name, query=self.query.rec_name,
                    unknown=', '.join(unknown),
                    names=', '.join(names) or '-'))
        given = self.query_texts
        missing = [p.name for p in parameters
            if not given.get(p.name) and not p.default]
        if missing:
            raise ValidationError(gettext(
                    'crm_bi.msg_alert_query_parameter_missing',
                    alert=self.rec_name, query=self.query.rec_name,
                    names=', '.join(missing)))
        self.query.values(given)

    @property
    def measured(self):
        "The definition of the measure: the goal metric or the alert's own"
        return self.metric if self.source == 'metric' else self

    def measure_on(self, date):
        measured = self.measured
        company = self.metric.goal.company if self.source == 'metric' \
            else self.company
        return measured.measure(company, date)

    def compare(self, date, previous):
        """Return the value measured on date, the reference it is compared
        with (previous value, previous period or other metric), the change
        in percent and whether the condition is met"""
        value = self.measure_on(date)
        reference = change = None
        if self.condition == 'change_evaluation':
            reference = previous
        elif self.condition == 'change_period':
            reference = self.measure_on(
                date - relativedelta(
                    months=PERIOD_MONTHS[self.measured.period]))
        elif self.condition == 'other_metric':
            reference = self.other_metric.measure(
                self.other_metric.goal.company, date)
        if self.condition in CHANGES:
            if value is not None and reference:
                change = round(
                    (value - reference) / abs(reference) * 100, 1)
            tested, limit = change, self.threshold
        elif self.condition == 'other_metric':
            tested, limit = value, reference
        else:
            tested, limit = value, self.threshold
        met = (tested is not None and limit is not None
            and OPERATORS[self.operator](tested, limit))
        return value, reference, change, met

    @classmethod
    def evaluate_due(cls):
        "Evaluate the alerts whose time has come"
        now = measure_module.now()
        cls.evaluate(cls.search([
                    ['OR',
                        ('next_evaluation', '=', None),
                        ('next_evaluation', '<=', now),
                        ],
                    ]))

    @classmethod
    def evaluate(cls, alerts):
        """Evaluate the alerts and notify those whose condition is met but
        was not at the previous evaluation"""
        pool = Pool()
        Evaluation = pool.get('crm.bi.alert.evaluation')
        now = measure_module.now()
        evaluations = []
        for alert in alerts:
            last = Evaluation.search([
                    ('alert', '=', alert.id),
                    ], order=[('evaluated_at', 'DESC'), ('id', 'DESC')],
                limit=1)
            previous = last[0].value if last else None
            value, reference, change, met = alert.compare(
                now.date(), previous)
            if met:
                state = 'persisting' if alert.triggered else 'fired'
            else:
                state = 'cleared' if alert.triggered else 'ok'
            evaluations.append(Evaluation(
                    alert=alert, evaluated_at=now, value=value,
                    reference=reference, change=change, state=state))
            alert.triggered = met
            alert.next_evaluation = now + INTERVALS[alert.interval]
        cls.save(alerts)
        Evaluation.save(evaluations)
        cls.notify([e for e in evaluations if e.state == 'fired'])

    @property
    def recipients(self):
        users = {u for u in self.users if u.active}
        users.update(u for g in self.groups for u in g.users if u.active)
        return sorted(users, key=lambda u: u.id)

    @classmethod
    def notify(cls, evaluations):
        "Notify the recipients in sao and by e-mail"
        Notification = Pool().get('res.notification')
        notifications = []
        for evaluation in evaluations:
            alert = evaluation.alert
            for user in alert.recipients:
                with Transaction().set_context(language=user.language.code
                        if user.language else 'en'):
                    label = gettext(
                        'crm_bi.msg_alert_notification', alert=alert.name)
                    description = evaluation.summary
                notifications.append({
                        'user': user.id,
                        'label': label[:200],
                        'description': description[:200],
                        'icon': 'tryton-notification',
                        'model': cls.__name__,
                        'records': json.dumps([alert.id]),
                        })
                if user.email:
                    send_message_transactional(evaluation.email(user))
        with without_check_access():
            Notification.create(notifications)

    def url(self):
        "A link to the alert in the web client"
        database = Transaction().database.name
        return '%s/#%s/model/%s/%s' % (
            http_host(), urllib.parse.quote(database), self.__name__,
            self.id)


class AlertUser(ModelSQL):
    "A user notified by an alert"
    __name__ = 'crm.bi.alert-res.user'
    __string__ = "BI Alert Recipient"

    alert = fields.Many2One(
        'crm.bi.alert', "Alert", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class AlertGroup(ModelSQL):
    "A group whose users are notified by an alert"
    __name__ = 'crm.bi.alert-res.group'
    __string__ = "BI Alert Recipient Group"

    alert = fields.Many2One(
        'crm.bi.alert', "Alert", required=True, ondelete='CASCADE')
    group = fields.Many2One(
        'res.group', "Group", required=True, ondelete='CASCADE')


class Evaluation(ModelSQL, ModelView):
    "An evaluation of an alert"
    __name__ = 'crm.bi.alert.evaluation'
    __string__ = "BI Alert Evaluation"

    alert = fields.Many2One(
        'crm.bi.alert', "Alert", required=True, ondelete='CASCADE')
    evaluated_at = fields.DateTime("Evaluated at", required=True)
    value = fields.Float("Value")
    reference = fields.Float(
        "Reference",
        help="The previous value or period, or the other metric.")
    change = fields.Float("Change (%)", digits=(16, 1))
    state = fields.Selection([
            ('ok', "OK"),
            ('fired', "Fired"),
            ('persisting', "Persisting"),
            ('cleared', "Cleared"),
            ], "State", required=True,
        help="Fired notifies the recipients; persisting is met again "
        "without notifying; cleared arms the alert again.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('evaluated_at', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('alert')

    @property
    def summary(self):
        "The translated sentence of what was measured"
        alert = self.alert
        if alert.condition in CHANGES:
            return gettext(
                'crm_bi.msg_alert_summary_change',
                value=_number(self.value), change=_number(self.change),
                operator=alert.operator, threshold=_number(alert.threshold))
        limit = (self.reference if alert.condition == 'other_metric'
            else alert.threshold)
        return gettext(
            'crm_bi.msg_alert_summary_value', value=_number(self.value),
            operator=alert.operator, threshold=_number(limit))

    def email(self, user):
        "The e-mail to the user; the HTML part escapes every value"
        language = user.language.code if user.language else 'en'
        alert = self.alert
        with Transaction().set_context(language=language):
            subject = gettext(
                'crm_bi.msg_alert_notification', alert=alert.name)
            summary = self.summary
        url = alert.url()
        message = EmailMessage()
        message['Subject'] = subject
        message['From'] = config.get('email', 'from')
        message['To'] = user.email
        message.set_content('%s\n\n%s\n%s\n' % (subject, summary, url))
        message.add_alternative(render(
                'crm_bi', 'alert_email.html', language, subject=subject,
                summary=summary, url=url), subtype='html')
        return message


def _number(value):
    return '-' if value is None else '%.2f' % value


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.bi.alert|evaluate_due', "Evaluate BI Alerts"))
