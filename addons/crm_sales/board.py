# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pipeline board: the opportunities as cards in the columns of their
state, with the total amount of each column in the company currency.

sao has no kanban view: the board is a page served by trytond, opened from
the CRM menu in a new tab, where the session cookie that sao's login set
authenticates the user (no second login). Dropping a card on another column
posts the move (with the page's CSRF token) and the move runs the
opportunity's own workflow button as the user: the groups of the button,
its states, the model access and the record rules decide, as when the
button is clicked in sao. A refused move answers the translated reason and
the card goes back."""
import datetime
import hashlib
import hmac
import json
import os
import urllib.parse
from decimal import Decimal
from functools import wraps
from http import HTTPStatus

from sql import Literal
from sql.aggregate import Count, Sum
from sql.conditionals import Coalesce
from werkzeug.exceptions import abort

from trytond.config import config
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.modules.crm_sales.web import (
    html_response, render, request_language, script_response)
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import (
    Response, with_pool, with_transaction)
from trytond.transaction import Transaction, check_access
from trytond.wizard import StateAction, Wizard
from trytond.wsgi import app

STATIC = os.path.join(os.path.dirname(__file__), 'static')
PREFIX = '/<database_name>/crm_sales/board'
# The columns, in the order of the sales cycle
STAGES = ['lead', 'opportunity', 'converted', 'won', 'lost', 'cancelled']
CLOSED = {'won', 'lost', 'cancelled'}
# The closed columns show what closed lately, not the whole history
CLOSED_DAYS = 90
# The cards drawn in a column; its count and total are of all its cards
CARDS = 50
# The workflow button that moves an opportunity into a stage; "won" comes
# from the sales of a converted opportunity, never from a button
BUTTONS = {
    'lead': 'lead',
    'opportunity': 'opportunity',
    'converted': 'convert',
    'lost': 'lost',
    'cancelled': 'cancel',
    }
# The same meaning as the "My Pipeline" and "My Teams' Pipeline" tabs
SCOPES = {
    'mine': [('pipeline', '=', 'mine')],
    'team': [('pipeline', '=', 'team')],
    'all': [],
    }


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    @property
    def board_title(self):
        "The number and description, as the card shows them"
        return ' '.join(filter(None, [self.number, self.description]))

    @classmethod
    def board_domain(cls, scope):
        "Return the domain of the opportunities on the board of the scope"
        Date = Pool().get('ir.date')
        since = Date.today() - datetime.timedelta(days=CLOSED_DAYS)
        return [
            SCOPES[scope],
            ['OR',
                ('state', 'in', [s for s in STAGES if s not in CLOSED]),
                [('state', 'in', list(CLOSED)),
                    ('end_date', '>=', since)],
                ],
            ]

    @classmethod
    def board_totals(cls, domain):
        """Return by stage the count and the total amount in the company
        currency (at today's rate) of the opportunities of the domain"""
        pool = Pool()
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        company = Company(Transaction().context['company'])
        totals = {s: (0, Decimal(0)) for s in STAGES}
        cursor.execute(*table.select(
                table.state, table.currency,
                Count(Literal(1)), Sum(Coalesce(table.amount, 0)),
                where=table.id.in_(cls.search(domain, query=True)),
                group_by=[table.state, table.currency]))
        for state, currency, count, amount in cursor:
            amount = Currency.compute(
                Currency(currency), Decimal(str(amount)), company.currency)
            number, total = totals[state]
            totals[state] = (number + count, total + amount)
        return totals

    @classmethod
    def board_columns(cls, scope):
        """Return the columns of the board of the scope: the stage, its
        name, count, total and first cards, the nearest to close first"""
        domain = cls.board_domain(scope)
        totals = cls.board_totals(domain)
        names = dict(cls.fields_get(['state'])['state']['selection'])
        columns = []
        for stage in STAGES:
            cards = cls.search(domain + [('state', '=', stage)],
                order=[('end_date', 'DESC' if stage in CLOSED
                        else 'ASC NULLS LAST'), ('amount', 'DESC'),
                    ('id', 'DESC')],
                limit=CARDS)
            count, total = totals[stage]
            columns.append({
                    'stage': stage,
                    'name': names[stage],
                    'count': count,
                    'total': total,
                    'cards': cards,
                    })
        return columns

    @classmethod
    def board_move(cls, opportunity_id, stage):
        """Move the opportunity to the stage by its workflow button, as the
        user: raise a UserError saying why when it may not"""
        if stage not in STAGES:
            raise UserError(gettext('crm_sales.msg_board_stage_unknown'))
        opportunities = cls.search([('id', '=', opportunity_id)])
        if not opportunities:
            raise AccessError(gettext('crm_sales.msg_board_not_found'))
        opportunity, = opportunities
        if opportunity.state == stage:
            return opportunity
        if stage == 'won':
            raise UserError(gettext('crm_sales.msg_board_move_won',
                    opportunity=opportunity.board_title))
        names = dict(cls.fields_get(['state'])['state']['selection'])
        if (opportunity.state, stage) not in cls._transitions:
            raise UserError(gettext('crm_sales.msg_board_move_forbidden',
                    opportunity=opportunity.board_title,
                    source=names[opportunity.state], target=names[stage]))
        getattr(cls, BUTTONS[stage])([opportunity])
        return cls(opportunity.id)


class OpenBoard(Wizard):
    "Open the pipeline board in the browser, in the session of sao"
    __name__ = 'crm.sales.board.open'
    start_state = 'open'
    open = StateAction('crm_sales.url_board')

    def do_open(self, action):
        action['url'] = board_url()
        return action, {}


def board_url():
    return f'/{Transaction().database.name}/crm_sales/board'


def sortable_path():
    """Return the path of SortableJS: sao's own (a dependency of tryton-sao
    in web/package-lock.json). Listing it in web/package.json too would make
    npm move sao's copy out of sao's folder, where sao's page loads it."""
    default = os.path.join(
        config.get('web', 'root', default='') or '.', 'node_modules',
        'sortablejs', 'Sortable.min.js')
    return config.get('crm_sales', 'sortablejs', default=default)


def session_user(request):
    """Return the id of the user of sao's session (cookie or Authorization:
    Session header), None without a valid one"""
    if request.session is None:
        return None
    return request.user_id


def csrf_token(request):
    """Return the token the board's writes carry: derived from the session
    key, which the HttpOnly cookie keeps from scripts of other sites"""
    return hmac.new(request.session.token.encode(),
        b'crm_sales.board.move', hashlib.sha256).hexdigest()


def json_response(data, status=HTTPStatus.OK):
    return Response(json.dumps(data), status=status,
        content_type='application/json',
        headers={'Cache-Control': 'no-store'})


def authenticated(page):
    """Refuse a request without sao's session: 401, as a page that says
    where to sign in, or as JSON"""
    def decorator(func):
        @wraps(func)
        def wrapper(request, pool, *args, **kwargs):
            if session_user(request) is not None:
                return func(request, pool, *args, **kwargs)
            if not page:
                return json_response(
                    {'error': 'unauthorized'}, HTTPStatus.UNAUTHORIZED)
            language = request_language(request)
            with Transaction().start(pool.database_name, 0, readonly=True):
                text = render('crm_sales', 'board_signin.html', language)
            return html_response(text, status=HTTPStatus.UNAUTHORIZED)
        return wrapper
    return decorator


def user_context():
    "The preferences of the user, as sao sets them in its calls"
    User = Pool().get('res.user')
    return User.get_preferences(context_only=True)


def scope_of(request):
    scope = request.values.get('scope', 'mine')
    return scope if scope in SCOPES else 'mine'


def column_data(stage, totals, currency, lang):
    "The count and total of a column as the page's script shows them"
    count, total = totals[stage]
    return {
        'stage': stage,
        'count': gettext('crm_sales.msg_board_count', count=count),
        'total': lang.currency(total, currency, grouping=True),
        }


@app.route(PREFIX, methods=['GET'])
@with_pool
@authenticated(page=True)
@with_transaction(user='request')
def board(request, pool):
    Opportunity = pool.get('sale.opportunity')
    Company = pool.get('company.company')
    Lang = pool.get('ir.lang')
    context = user_context()
    language = request_language(request, context.get('language'))
    scope = scope_of(request)
    with Transaction().set_context(context, language=language), \
            check_access():
        company = Company(context['company'])
        lang = Lang.get(language)
        columns = Opportunity.board_columns(scope)
        page = render('crm_sales', 'board.html', language,
            columns=columns, scope=scope, scopes=list(SCOPES),
            company=company, currency=company.currency, lang=lang,
            database=pool.database_name,
            csrf_token=csrf_token(request),
            move_url=board_url() + '/move?' + urllib.parse.urlencode(
                {'lang': language}),
            static=board_url() + '/static',
            lang_url=lambda code: '?' + urllib.parse.urlencode(
                {'scope': scope, 'lang': code}),
            scope_url=lambda code: '?' + urllib.parse.urlencode(
                {'scope': code, 'lang': language}),
            messages={
                'failed': gettext('crm_sales.msg_board_move_failed',
                    language=language),
                },
            cards=CARDS, closed_days=CLOSED_DAYS)
    return html_response(page)


@app.route(PREFIX + '/move', methods=['POST'])
@with_pool
@authenticated(page=False)
@with_transaction(user='request')
def move(request, pool):
    """Move an opportunity to a stage: the new totals of the board, or 403
    with the reason (the transaction rolled back)"""
    Opportunity = pool.get('sale.opportunity')
    Company = pool.get('company.company')
    Lang = pool.get('ir.lang')
    context = user_context()
    language = request_language(request, context.get('language'))
    token = request.form.get('csrf_token', '')
    if not hmac.compare_digest(token.encode(), csrf_token(request).encode()):
        return json_response({'error': gettext(
                    'crm_sales.msg_board_csrf', language=language)},
            HTTPStatus.FORBIDDEN)
    try:
        opportunity_id = int(request.form.get('opportunity', ''))
    except ValueError:
        return json_response({'error': gettext(
                    'crm_sales.msg_board_not_found', language=language)},
            HTTPStatus.BAD_REQUEST)
    stage = request.form.get('stage', '')
    with Transaction().set_context(context, language=language), \
            check_access():
        try:
            opportunity = Opportunity.board_move(opportunity_id, stage)
        except UserError as exception:
            # Nothing of the refused move is kept
            abort(json_response(
                    {'error': exception.message}, HTTPStatus.FORBIDDEN))
        company = Company(context['company'])
        lang = Lang.get(language)
        domain = Opportunity.board_domain(scope_of(request))
        totals = Opportunity.board_totals(domain)
        names = dict(Opportunity.fields_get(['state'])['state']['selection'])
        return json_response({
                'opportunity': opportunity.id,
                'stage': opportunity.state,
                'message': gettext('crm_sales.msg_board_moved',
                    opportunity=opportunity.board_title,
                    stage=names[opportunity.state]),
                'columns': [column_data(s, totals, company.currency, lang)
                    for s in STAGES],
                })


@app.route(PREFIX + '/static/<name>', methods=['GET'])
def static(request, database_name, name):
    "Serve SortableJS and the script of the board"
    return script_response(request, {
            'Sortable.min.js': sortable_path(),
            'board.js': os.path.join(STATIC, 'board.js'),
            }, name)
