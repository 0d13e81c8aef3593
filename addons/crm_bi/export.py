# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Reports and queries written out as CSV, XLSX and JSON

The writers take the columns and an iterator of rows and write them to a
file as they come, so that memory stays flat whatever the row count: the
XLSX through openpyxl's write-only workbook, which keeps the rows in a
temporary file until the workbook is saved."""
import csv
import datetime
import io
import json
from decimal import Decimal
from urllib.parse import urlencode

from openpyxl import Workbook
from sql import Column

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from .common import ReportMixin

MIMETYPES = {
    'csv': 'text/csv; charset=utf-8',
    'xlsx': (
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'),
    'json': 'application/json',
    }


def text_value(value):
    "Return the value as CSV and JSON write it: ISO dates, exact numbers"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def cell_value(value):
    "Return the value as an XLSX cell holds it"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, memoryview)):
        return None
    return value


def write_csv(file, columns, rows):
    "Write the columns and rows as CSV to the text file"
    writer = csv.writer(file)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([text_value(v) for v in row])


def write_json(file, columns, rows):
    "Write the rows as a JSON list of objects keyed by column"
    file.write('[')
    for i, row in enumerate(rows):
        if i:
            file.write(',\n')
        json.dump(
            {c: text_value(v) for c, v in zip(columns, row)}, file,
            default=str, ensure_ascii=False)
    file.write(']\n')


def write_xlsx(file, columns, rows, title="Data"):
    "Write the columns and rows as a one-sheet XLSX to the binary file"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(columns)
    for row in rows:
        sheet.append([cell_value(v) for v in row])
    workbook.save(file)


def write(file, format_, columns, rows, title="Data"):
    """Write the columns and rows in the format (csv, xlsx or json) to the
    binary file"""
    if format_ == 'xlsx':
        write_xlsx(file, columns, rows, title)
        return
    text = io.TextIOWrapper(file, encoding='utf-8', newline='')
    if format_ == 'csv':
        write_csv(text, columns, rows)
    else:
        write_json(text, columns, rows)
    text.flush()
    text.detach()


def report_models():
    "Return the names of the report models of the catalogue"
    pool = Pool()
    return sorted(
        name for name, Model in pool.iterobject()
        if issubclass(Model, ReportMixin))


def report_query(Report):
    """Return the SQL query of every row of the report the user may read
    for the current context, ordered by id"""
    with check_access():
        query = Report.table_query()
        ids = Report.search([], query=True, order=[])
    names = [c.output_name if hasattr(c, 'output_name') else c.name
        for c in query.columns]
    return query.select(
        *[Column(query, n) for n in names],
        where=Column(query, 'id').in_(ids),
        order_by=[Column(query, 'id')])


def report_rows(Report):
    "Yield the columns then every row of the report, a batch at a time"
    connection = Transaction().connection
    if backend.name == 'postgresql':
        # A server-side cursor: the rows come a batch at a time
        cursor = connection.cursor(name='crm_bi_report')
    else:
        cursor = connection.cursor()
    cursor.execute(*report_query(Report))
    yield [d[0] for d in cursor.description]
    while True:
        rows = cursor.fetchmany(1000)
        if not rows:
            break
        yield from rows


def report_url(name, format_, context):
    "Return the URL of the export of the report for the context's filters"
    ReportContext = Pool().get('crm.bi.context')
    args = {}
    for field in ReportContext._fields:
        value = context.get(field)
        if field != 'id' and value not in {None, ''}:
            if isinstance(value, datetime.date):
                value = value.isoformat()
            args[field] = value
    return '/%s/crm_bi/export/report/%s.%s?%s' % (
        Transaction().database.name, name, format_, urlencode(args))


def query_url(query, format_, values):
    "Return the URL of the export of the query for the parameter values"
    args = {k: text_value(v) for k, v in values.items() if v is not None}
    return '/%s/crm_bi/export/query/%s.%s?%s' % (
        Transaction().database.name, query.id, format_, urlencode(args))


class ExportStart(ModelView):
    __name__ = 'crm.bi.export.start'
    __string__ = "Export Report"

    format = fields.Selection([
            ('csv', "CSV"),
            ('xlsx', "Excel (XLSX)"),
            ], "Format", required=True)

    @classmethod
    def default_format(cls):
        return 'xlsx'


class Export(Wizard):
    "Download every row of a report of the catalogue for the current filters"
    __name__ = 'crm.bi.export'

    start = StateView('crm.bi.export.start',
        'crm_bi.export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Download", 'download', 'tryton-download', default=True),
            ])
    download = StateAction('crm_bi.url_export')

    def do_download(self, action):
        name = Transaction().context.get('active_model')
        if name not in report_models():
            raise AccessError(gettext('crm_bi.msg_show_sql_not_report'))
        action['url'] = report_url(
            name, self.start.format, Transaction().context)
        return action, {}
