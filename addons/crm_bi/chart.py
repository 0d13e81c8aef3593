# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The chart of a saved query, drawn in the browser by Apache ECharts

sao opens the page from the query's Chart button in a new tab: the session
cookie that sao's login set authenticates it, so there is no second login.
The rows travel in the page as JSON data; static/chart.js draws them with
the chosen type and columns."""
import datetime
import os
from decimal import Decimal
from http import HTTPStatus

from werkzeug.exceptions import abort

from trytond.config import config
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.crm_sales.web import (
    html_response, render, request_language, script_response)
from trytond.pool import Pool
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction, check_access
from trytond.wsgi import app

CHART_TYPES = ['bar', 'line', 'pie']
STATIC = os.path.join(os.path.dirname(__file__), 'static')


def echarts_path():
    "Return the path of the ECharts build that npm installed beside sao"
    default = os.path.join(
        config.get('web', 'root', default='') or '.', os.pardir,
        'echarts', 'dist', 'echarts.min.js')
    return config.get('crm_bi', 'echarts', default=default)


def chart_url(query):
    return '/%s/crm_bi/query/%s/chart' % (
        Transaction().database.name, query.id)


def chart_value(value):
    "Return the value as the chart reads it: numbers as numbers"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return None
    return value


def numeric_columns(columns, rows):
    "Return the columns whose values are all numbers"
    return [c for i, c in enumerate(columns)
        if rows and all(isinstance(r[i], (int, float, Decimal))
            and not isinstance(r[i], bool) for r in rows
            if r[i] is not None)]


def chart_settings(args, columns, rows):
    "Return the chart type, category column and value columns asked"
    type_ = args.get('type') if args.get('type') in CHART_TYPES else 'bar'
    numbers = numeric_columns(columns, rows)
    x = args.get('x') if args.get('x') in columns else (
        next((c for c in columns if c not in numbers), columns[0])
        if columns else None)
    y = [c for c in args.getlist('y') if c in columns and c != x]
    if not y:
        y = [c for c in numbers if c != x][:1]
    return type_, x, y


def _query(query_id):
    Query = Pool().get('crm.bi.query')
    queries = Query.search([('id', '=', query_id)])
    if not queries:
        abort(HTTPStatus.NOT_FOUND)
    return queries[0]


@app.route(
    '/<database_name>/crm_bi/query/<int:query_id>/chart', methods=['GET'])
@app.session_valid
@with_pool
@with_transaction(user='request')
def chart(request, pool, query_id):
    User = pool.get('res.user')
    preferences = User.get_preferences(context_only=True)
    language = request_language(request, preferences.get('language'))
    with Transaction().set_context(preferences), check_access():
        try:
            query = _query(query_id)
        except AccessError:
            abort(HTTPStatus.FORBIDDEN)
        texts = {p.name: request.args.get(p.name, p.default or '')
            for p in query.parameters}
        error = None
        columns, rows, truncated = [], [], False
        try:
            columns, rows, truncated = query.execute(query.values(texts))
        except ValidationError as exception:
            error = exception.message
        type_, x, y = chart_settings(request.args, columns, rows)
        page = render('crm_bi', 'chart.html', language,
            query=query, texts=texts, columns=columns, rows=rows,
            truncated=truncated, error=error, chart_types=CHART_TYPES,
            chart_type=type_, x=x, y=y,
            data={
                'type': type_, 'x': x, 'y': y, 'columns': columns,
                'rows': [[chart_value(v) for v in r] for r in rows],
                },
            static='/%s/crm_bi/static' % pool.database_name)
    return html_response(page)


@app.route('/<database_name>/crm_bi/static/<name>', methods=['GET'])
def static(request, database_name, name):
    "Serve ECharts and the script that draws the charts"
    return script_response(request, {
            'echarts.min.js': echarts_path(),
            'chart.js': os.path.join(STATIC, 'chart.js'),
            }, name)
