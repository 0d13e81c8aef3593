# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The downloads and feeds of the reports and queries

``/<db>/crm_bi/export/...`` serves sao's user through the session cookie
that sao's login sets; ``/<db>/crm_bi/feed/...`` serves Excel, Power BI or
a script through a "CRM BI Feed" user application key (Bearer, or Basic with
the key as password). Both run as the user, with the user's companies and
record rules, and write the rows to a temporary file as they come: memory
stays flat whatever the row count."""
import datetime
import tempfile
from http import HTTPStatus

from werkzeug.exceptions import abort
from werkzeug.wsgi import wrap_file

from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import (
    Response, allow_null_origin, user_application, with_pool,
    with_transaction)
from trytond.transaction import Transaction, check_access
from trytond.wsgi import app

from .export import MIMETYPES, report_models, report_rows, write

APPLICATION = 'crm_bi'
EXPORT_FORMATS = {'csv', 'xlsx'}
FEED_FORMATS = {'csv', 'json', 'xlsx'}


class UserApplication(metaclass=PoolMeta):
    __name__ = 'res.user.application'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.application.selection.append((APPLICATION, "CRM BI Feed"))


def _context_value(field, text):
    if field._type in {'many2one', 'integer'}:
        return int(text)
    elif field._type == 'date':
        return datetime.date.fromisoformat(text)
    return text


def report_context(args):
    "Return the report filters of the request's arguments"
    ReportContext = Pool().get('crm.bi.context')
    context = {}
    for name, field in ReportContext._fields.items():
        if args.get(name):
            try:
                context[name] = _context_value(field, args[name])
            except ValueError:
                abort(HTTPStatus.BAD_REQUEST)
    return context


def _report_source(name, args):
    ModelAccess = Pool().get('ir.model.access')
    if name not in report_models():
        abort(HTTPStatus.NOT_FOUND)
    ModelAccess.check(name, 'read')
    return name, report_context(args), lambda: report_rows(Pool().get(name))


def _query_source(query_id, args):
    Query = Pool().get('crm.bi.query')
    queries = Query.search([('id', '=', query_id)])
    if not queries:
        abort(HTTPStatus.NOT_FOUND)
    query, = queries
    values = query.values(args)
    return query.name, {}, lambda: query.stream(values)


def _download(request, kind, key, format_):
    """Return the response of the rows of the report or query as an
    attachment in the format, as the transaction's user"""
    User = Pool().get('res.user')
    transaction = Transaction()
    file = tempfile.TemporaryFile()
    with transaction.set_context(User.get_preferences(context_only=True)), \
            check_access():
        try:
            if kind == 'report':
                title, context, rows = _report_source(key, request.args)
            else:
                title, context, rows = _query_source(key, request.args)
            with transaction.set_context(context):
                iterator = rows()
                columns = next(iterator)
                write(file, format_, columns, iterator, title)
        except AccessError:
            abort(HTTPStatus.FORBIDDEN)
    file.seek(0)
    filename = '%s.%s' % (kind if kind == 'query' else key, format_)
    return Response(
        wrap_file(request.environ, file), mimetype=MIMETYPES[format_],
        direct_passthrough=True, headers={
            'Content-Disposition': 'attachment; filename="%s"' % filename,
            'Cache-Control': 'no-store',
            })


def _check_format(format_, formats):
    if format_ not in formats:
        abort(HTTPStatus.NOT_FOUND)


@app.route(
    '/<database_name>/crm_bi/export/report/<name>.<format_>',
    methods=['GET'])
@app.session_valid
@with_pool
@with_transaction(user='request')
def export_report(request, pool, name, format_):
    _check_format(format_, EXPORT_FORMATS)
    return _download(request, 'report', name, format_)


@app.route(
    '/<database_name>/crm_bi/export/query/<int:query_id>.<format_>',
    methods=['GET'])
@app.session_valid
@with_pool
@with_transaction(user='request')
def export_query(request, pool, query_id, format_):
    _check_format(format_, EXPORT_FORMATS)
    return _download(request, 'query', query_id, format_)


@app.route(
    '/<database_name>/crm_bi/feed/report/<name>.<format_>',
    methods=['GET'])
@allow_null_origin
@with_pool
@with_transaction()
@user_application(APPLICATION, json=False)
def feed_report(request, pool, name, format_):
    _check_format(format_, FEED_FORMATS)
    return _download(request, 'report', name, format_)


@app.route(
    '/<database_name>/crm_bi/feed/query/<int:query_id>.<format_>',
    methods=['GET'])
@allow_null_origin
@with_pool
@with_transaction()
@user_application(APPLICATION, json=False)
def feed_query(request, pool, query_id, format_):
    _check_format(format_, FEED_FORMATS)
    return _download(request, 'query', query_id, format_)
