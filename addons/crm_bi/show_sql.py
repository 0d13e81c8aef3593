# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateView, Wizard

from .common import ReportMixin, inline_sql


def _json_default(value):
    return str(value)


class ShowSQLStart(ModelView):
    __name__ = 'crm.bi.show_sql.start'
    __string__ = "Show SQL"

    report = fields.Char("Report", readonly=True)
    sql = fields.Text("SQL", readonly=True)
    parameters = fields.Text(
        "Parameters", readonly=True,
        help="The values of the placeholders of the SQL, in order, as JSON.")
    sql_with_values = fields.Text(
        "SQL with Values", readonly=True,
        help="The SQL with the parameters written in, to run in a SQL "
        "console.")


class ShowSQL(Wizard):
    "Show the SQL a report runs for the current filters"
    __name__ = 'crm.bi.show_sql'

    start = StateView('crm.bi.show_sql.start',
        'crm_bi.show_sql_start_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        name = Transaction().context.get('active_model')
        try:
            Report = pool.get(name)
        except KeyError:
            Report = None
        if Report is None or not issubclass(Report, ReportMixin):
            raise AccessError(gettext('crm_bi.msg_show_sql_not_report'))
        ModelAccess.check(name, 'read')
        sql, params = Report.show_sql()
        return {
            'report': Report.__string__,
            'sql': sql,
            'sql_with_values': inline_sql(sql, params),
            'parameters': json.dumps(
                list(params), default=_json_default, ensure_ascii=False),
            }
