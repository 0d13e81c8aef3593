# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal of customers and partners: /<database>/crm_partner/portal/

A portal account is a web.user whose party is the customer or the partner.
This file holds what every portal page shares (the session cookie, the
CSRF token, the language, the route decorator) and the account pages:
login, logout, password reset, e-mail validation.

The session cookie carries a web.user.session key: HttpOnly, SameSite=Lax,
Secure on HTTPS, for [session] web_timeout seconds. The key is made at the
login, never taken from the browser. Every POST carries a CSRF token, the
HMAC of the session key (of a visitor cookie before the login) with a key
of the database.
"""
import functools
import hashlib
import hmac
import math
import secrets
import urllib.parse

from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

from trytond.cache import Cache
from trytond.config import config
from trytond.exceptions import RateLimitException, UserError
from trytond.i18n import gettext
from trytond.modules.crm_sales.web import (
    LANGUAGES, html_response, render, request_language)
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

SESSION_COOKIE = 'crm_portal_session'
VISITOR_COOKIE = 'crm_portal_visitor'
LANGUAGE_COOKIE = 'crm_portal_lang'
PAGE_SIZE = 20
MAX_QUERY = 200
# The CSRF key of the database: every page signs with it, and the signing
# key it is derived from, once committed, never changes
_csrf_keys = Cache('crm_partner.portal.csrf_key', context=False)


def session_timeout():
    return config.getint('session', 'web_timeout', default=30 * 24 * 60 * 60)


class Pager:
    "The page of a list asked by the page parameter, PAGE_SIZE a page"

    def __init__(self, request, size=PAGE_SIZE):
        page = request.args.get('page', '1')
        self.page = max(int(page), 1) if page.isdigit() else 1
        self.size = size
        self.args = request.args
        self.count = 1
        self.total = 0

    @property
    def offset(self):
        return (self.page - 1) * self.size

    def set_total(self, total):
        self.total = total
        self.count = max(math.ceil(total / self.size), 1)

    def url(self, page):
        args = dict(self.args)
        args['page'] = page
        return '?' + urllib.parse.urlencode(args)


def query_arg(request):
    "The search text of a list"
    return (request.args.get('q') or '').strip()[:MAX_QUERY]


class Portal:
    "What a portal request knows: its user, language and CSRF token"

    def __init__(self, request, pool):
        self.request = request
        WebUser = pool.get('web.user')
        self.database = Transaction().database.name
        self.base = f'/{urllib.parse.quote(self.database)}/crm_partner/portal'
        self.session = request.cookies.get(SESSION_COOKIE)
        self.user = WebUser.portal_user(self.session)
        self.party = self.user.portal_party if self.user else None
        self.visitor = request.cookies.get(VISITOR_COOKIE)
        self.new_visitor = None
        if not self.visitor:
            self.visitor = self.new_visitor = secrets.token_hex(16)
        chosen = (request.args.get('lang') or '').lower()
        self.chosen_language = LANGUAGES.get(chosen)
        default = LANGUAGES.get(
            (request.cookies.get(LANGUAGE_COOKIE) or '').lower())
        if not default and self.user:
            default = self.user.portal_language
        self.language = request_language(request, default=default)
        self.set_session = None

    def browse_again(self):
        "Read the user and party again in the context of the transaction"
        if self.user:
            self.user = self.user.__class__(self.user.id)
            self.party = self.user.portal_party

    @property
    def is_partner(self):
        return bool(self.user and self.user.portal_is_partner)

    @staticmethod
    def csrf_key():
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        key = _csrf_keys.get('key')
        if key is not None:
            return key
        transaction = Transaction()
        committed = bool(Configuration(1).signing_key)
        if transaction.readonly and not committed:
            # The first key is made once, with its table locked
            with transaction.new_transaction(
                    _lock_tables=[Configuration._table]) as writer:
                Configuration.signing_key_for('crm_partner.portal.csrf')
                writer.commit()
            committed = True
        key = Configuration.signing_key_for('crm_partner.portal.csrf')
        if committed:
            # Not a key made in this transaction, which may roll back
            _csrf_keys.set('key', key)
        return key

    def csrf_token(self):
        key = self.csrf_key()
        subject = (f'session:{self.session}' if self.user
            else f'visitor:{self.visitor}')
        return hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self):
        token = self.request.form.get('csrf_token') or ''
        return hmac.compare_digest(token.encode(), self.csrf_token().encode())

    def url(self, path='', **args):
        url = f'{self.base}/{path}'
        if args:
            url += '?' + urllib.parse.urlencode(args)
        return url

    def lang_url(self, code):
        args = dict(self.request.args)
        args['lang'] = code
        return '?' + urllib.parse.urlencode(args)

    @staticmethod
    def selection(record, name):
        "The text of the record's selection field in the page's language"
        field = record.__class__.fields_get([name])[name]
        return dict(field['selection']).get(getattr(record, name), '')

    def render(self, template, status=HTTPStatus.OK, **values):
        values.setdefault('notice', None)
        return html_response(render('crm_partner', template, self.language,
                portal=self, user=self.user, party=self.party,
                csrf_token=self.csrf_token(), lang_url=self.lang_url,
                **values), status)

    def message(self, title, message, status=HTTPStatus.OK, error=False,
            **values):
        "A page with one message"
        return self.render('message.html', status, title=title,
            message=message, notice_error=error, **values)

    def redirect(self, path='', **args):
        return redirect(self.url(path, **args), code=HTTPStatus.SEE_OTHER)

    def log_in(self, session):
        "Start the session: a new key and a new visitor"
        self.session = session
        self.set_session = session
        self.visitor = self.new_visitor = secrets.token_hex(16)

    def log_out(self):
        self.set_session = ''
        self.visitor = self.new_visitor = secrets.token_hex(16)

    def finish(self, response):
        "Set the cookies of the response"
        secure = self.request.scheme == 'https'
        # Browsers compare the path as sent, the test client unquoted:
        # database names are plain words
        cookie = {'path': f'/{self.database}/crm_partner/portal/',
            'httponly': True,
            'samesite': 'Lax', 'secure': secure}
        if self.set_session:
            response.set_cookie(SESSION_COOKIE, self.set_session,
                max_age=session_timeout(), **cookie)
        elif self.set_session == '':
            response.delete_cookie(SESSION_COOKIE, **cookie)
        if self.new_visitor:
            response.set_cookie(VISITOR_COOKIE, self.new_visitor, **cookie)
        if self.chosen_language:
            response.set_cookie(LANGUAGE_COOKIE, self.chosen_language,
                max_age=365 * 24 * 60 * 60, **cookie)
        return response


def portal_route(path, methods=('GET',), login=True, partner=False,
        readonly=None):
    """Route a portal page: func(request, portal, **arguments)

    Anonymous visitors are sent to the login page (a form posted after the
    session expired gets the login page and nothing is written); a POST
    without the right CSRF token is refused; a record that is not the
    user's (NotFound) is a 404 page; a UserError rolls everything back and
    shows its message.
    """
    def decorator(func):
        @app.route(f'/<database_name>/crm_partner/portal/{path}',
            methods=set(methods))
        @with_pool
        @with_transaction(readonly=readonly)
        @functools.wraps(func)
        def wrapper(request, pool, **arguments):
            try:
                pool.get('crm.partner.portal.cart.line')
            except KeyError:
                # crm_partner is not activated on this database
                abort(HTTPStatus.NOT_FOUND)
            portal = Portal(request, pool)
            with Transaction().set_context(language=portal.language):
                return portal.finish(
                    _serve(func, request, portal, login, partner, arguments))
        return wrapper
    return decorator


def _serve(func, request, portal, login, partner, arguments):
    if login and not portal.user:
        if request.method == 'POST':
            return login_page(portal, HTTPStatus.UNAUTHORIZED,
                notice=portal_text('msg_portal_session_expired'))
        return portal.redirect(
            'login', next=request.full_path.rstrip('?'))
    if request.method == 'POST' and not portal.check_csrf():
        return portal.message('msg_portal_error_title', 'msg_portal_csrf',
            HTTPStatus.FORBIDDEN, error=True)
    try:
        if partner and not portal.is_partner:
            raise NotFound
        with Transaction().set_context(
                company=_company_id(), customer=portal.party.id
                if portal.party else None):
            portal.browse_again()
            return func(request, portal, **arguments)
    except NotFound:
        Transaction().rollback()
        return portal.message('msg_portal_not_found_title',
            'msg_portal_not_found', HTTPStatus.NOT_FOUND, error=True)
    except UserError as error:
        Transaction().rollback()
        return portal.render('message.html', HTTPStatus.BAD_REQUEST,
            title='msg_portal_error_title', message=None,
            notice=error.message, notice_error=True)


def _company_id():
    pool = Pool()
    WebUser = pool.get('web.user')
    company = WebUser.portal_company()
    return company.id if company else None


def portal_text(message_id, **values):
    return gettext(f'crm_partner.{message_id}', **values)


def safe_next(portal, value):
    "The page to open after the login: one of the portal's, else home"
    if value and value.startswith(portal.base + '/') \
            and '//' not in value and '\\' not in value:
        return value
    return portal.url()


def login_page(portal, status=HTTPStatus.OK, notice=None, email=''):
    return portal.render('login.html', status, notice=notice,
        notice_error=bool(notice), email=email,
        next=safe_next(portal, portal.request.args.get('next')))


@portal_route('login', methods=('GET', 'POST'), login=False)
def login(request, portal):
    pool = Pool()
    WebUser = pool.get('web.user')
    if request.method == 'GET':
        if portal.user:
            return portal.redirect()
        return login_page(portal)
    email = (request.form.get('email') or '').strip()[:254]
    try:
        session = WebUser.portal_login(
            email, request.form.get('password') or '',
            old_session=portal.session)
    except RateLimitException:
        return login_page(portal, HTTPStatus.TOO_MANY_REQUESTS,
            portal_text('msg_portal_login_throttled'), email=email)
    if not session:
        return login_page(portal, HTTPStatus.UNAUTHORIZED,
            portal_text('msg_portal_login_invalid'), email=email)
    portal.log_in(session)
    return redirect(safe_next(portal, request.form.get('next')),
        code=HTTPStatus.SEE_OTHER)


@portal_route('logout', methods=('POST',))
def logout(request, portal):
    pool = Pool()
    WebUser = pool.get('web.user')
    WebUser.portal_logout(portal.session)
    portal.log_out()
    return portal.redirect('login')


@portal_route('reset-password', methods=('GET', 'POST'), login=False)
def reset_password(request, portal):
    pool = Pool()
    WebUser = pool.get('web.user')
    if request.method == 'GET':
        return portal.render('reset_password.html')
    WebUser.portal_reset_password(
        (request.form.get('email') or '').strip()[:254])
    return portal.message(
        'msg_portal_reset_title', 'msg_portal_reset_sent')


@portal_route('set-password', methods=('GET', 'POST'), login=False)
def set_password(request, portal):
    pool = Pool()
    WebUser = pool.get('web.user')
    source = request.form if request.method == 'POST' else request.args
    email = (source.get('email') or '').strip()[:254]
    token = (source.get('token') or '').strip()[:128]
    if request.method == 'GET':
        return portal.render('set_password.html', email=email, token=token)
    password = request.form.get('password') or ''
    if password != (request.form.get('confirm') or ''):
        return portal.render('set_password.html', HTTPStatus.BAD_REQUEST,
            email=email, token=token, notice_error=True,
            notice=portal_text('msg_portal_password_mismatch'))
    if not email or not token \
            or not WebUser.set_password_token(email, token, password):
        return portal.message('msg_portal_error_title',
            'msg_portal_reset_invalid', HTTPStatus.BAD_REQUEST, error=True)
    return portal.message('msg_portal_reset_done_title',
        'msg_portal_reset_done')


@portal_route('validate-email', login=False, readonly=False)
def validate_email(request, portal):
    pool = Pool()
    WebUser = pool.get('web.user')
    token = (request.args.get('token') or '').strip()
    if not token or not WebUser.validate_email_token([token]):
        return portal.message('msg_portal_error_title',
            'msg_portal_email_invalid', HTTPStatus.BAD_REQUEST, error=True)
    return portal.message(
        'msg_portal_email_valid_title', 'msg_portal_email_valid')


@portal_route('')
def home(request, portal):
    scorecards = (portal.user.portal_scorecards() if portal.is_partner
        else None)
    return portal.render('home.html', scorecards=scorecards)


def send_file(name, extension, content):
    "The response of a report's file, to download"
    types = {'pdf': 'application/pdf',
        'odt': 'application/vnd.oasis.opendocument.text'}
    if isinstance(content, str):
        content = content.encode()
    filename = f'{name}.{extension}'
    response = Response(bytes(content),
        content_type=types.get(extension, 'application/octet-stream'))
    response.headers['Content-Disposition'] = (
        "attachment; filename*=UTF-8''" + urllib.parse.quote(filename))
    response.headers['Cache-Control'] = 'no-store'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response
