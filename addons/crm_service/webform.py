# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public web form where anyone asks for service without a login:
GET/POST /<database>/crm_service/request[?lang=en|zh_CN]

Spam is kept out without third-party services: a hidden field people leave
empty (honeypot), a time token signed with a secret of the database
(refused when posted within seconds or after a day) and a limit of posts
per address and e-mail per hour kept in the database.
"""
import html
import re

from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

LANGUAGES = {'en': 'en', 'zh': 'zh_CN', 'zh-cn': 'zh_CN', 'zh_cn': 'zh_CN'}
HONEYPOT = 'website'
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
SIZES = {
    'name': 200,
    'email': 254,
    'phone': 64,
    'subject': 200,
    'description': 10000,
    }
REQUIRED = ['name', 'email', 'subject', 'description']
LABELS = {
    'name': 'msg_request_name',
    'email': 'msg_request_email',
    'phone': 'msg_request_phone',
    'subject': 'msg_request_subject',
    'description': 'msg_request_description',
    'category': 'msg_request_category',
    }


def _(message_id, **variables):
    return gettext(f'crm_service.{message_id}', **variables)


def browser_language(request):
    "Return the language code the browser prefers among the page's ones"
    best = request.accept_languages.best_match(['en', 'zh-CN', 'zh'])
    return 'zh_CN' if best and best.startswith('zh') else 'en'


def request_language(request):
    "Return the language code asked by the lang parameter or the browser"
    lang = (request.args.get('lang') or '').lower()
    if lang in LANGUAGES:
        return LANGUAGES[lang]
    return browser_language(request)


def read_form(form, categories):
    "Return the values posted and the error of each field"
    values = {
        name: (form.get(name) or '').strip()[:size]
        for name, size in SIZES.items()}
    errors = {}
    for name in REQUIRED:
        if not values[name]:
            errors[name] = _('msg_request_required', field=_(LABELS[name]))
    if values['email'] and not EMAIL_RE.match(values['email']):
        errors['email'] = _('msg_request_email_invalid')
    category = form.get('category') or ''
    values['category'] = None
    if category:
        matches = [c for c in categories if str(c.id) == category]
        if matches:
            values['category'] = matches[0]
        else:
            errors['category'] = _('msg_request_category_invalid')
    return values, errors


def render_form(language, token, categories, values=None, errors=None,
        notice=None):
    values = values or {}
    errors = errors or {}
    esc = html.escape

    def field(name, multiline=False, type_='text'):
        value = values.get(name) or ''
        error = errors.get(name)
        required = ' required' if name in REQUIRED else ''
        if multiline:
            widget = (f'<textarea id="{name}" name="{name}" rows="6"'
                f'{required}>{esc(value)}</textarea>')
        else:
            widget = (f'<input id="{name}" name="{name}" type="{type_}" '
                f'value="{esc(value)}"{required}>')
        error = (f'<p class="error" id="{name}-error">{esc(error)}</p>'
            if error else '')
        return (f'<p><label for="{name}">{esc(_(LABELS[name]))}</label>'
            f'<br>{widget}</p>{error}')

    selected = values.get('category')
    options = ''.join(
        f'<option value="{c.id}"'
        f'{" selected" if selected == c else ""}>{esc(c.rec_name)}'
        '</option>' for c in categories)
    category = (f'<p><label for="category">{esc(_(LABELS["category"]))}'
        f'</label><br><select id="category" name="category">'
        f'<option value=""></option>{options}</select></p>'
        + (f'<p class="error" id="category-error">'
            f'{esc(errors["category"])}</p>'
            if errors.get('category') else ''))
    notice = (f'<p class="error" id="notice">{esc(notice)}</p>'
        if notice else '')
    body = (f'<h1>{esc(_("msg_request_title"))}</h1>'
        f'<p>{esc(_("msg_request_intro"))}</p>{notice}'
        f'<form method="post" action="?lang={language}">'
        f'<input type="hidden" name="token" value="{esc(token)}">'
        f'<div style="display:none" aria-hidden="true">'
        f'<label for="{HONEYPOT}">Website</label>'
        f'<input id="{HONEYPOT}" name="{HONEYPOT}" tabindex="-1" '
        'autocomplete="off"></div>'
        + field('name') + field('email', type_='email') + field('phone')
        + field('subject') + category + field('description', multiline=True)
        + f'<p><button type="submit">{esc(_("msg_request_submit"))}'
        '</button></p></form>')
    return page(language, body)


def page(language, body):
    lang = 'zh-CN' if language == 'zh_CN' else 'en'
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(_("msg_request_title"))}</title>'
        '<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;'
        'padding:0 1em}input,textarea,select{width:100%}'
        '.error{color:#b00020}</style></head>'
        f'<body>{body}</body></html>')


def html_response(text, status=HTTPStatus.OK):
    return Response(
        text, status=status, content_type='text/html; charset=utf-8')


@app.route('/<database_name>/crm_service/request', methods=['GET', 'POST'])
@with_pool
@with_transaction(readonly=False)
def service_request(request, pool):
    try:
        Configuration = pool.get('crm.service.configuration')
    except KeyError:
        abort(HTTPStatus.NOT_FOUND)
    Case = pool.get('crm.service.case')
    Category = pool.get('crm.service.case.category')
    Attempt = pool.get('crm.service.request.attempt')
    language = request_language(request)
    with Transaction().set_context(language=language):
        line = Configuration(1).request_line
        if not line or not line.active:
            abort(HTTPStatus.NOT_FOUND)
        categories = Category.search([])
        if request.method == 'GET':
            return html_response(render_form(
                    language, Configuration.request_token(), categories))

        def refuse(notice, status=HTTPStatus.BAD_REQUEST, values=None,
                errors=None):
            return html_response(render_form(
                    language, Configuration.request_token(), categories,
                    values=values, errors=errors, notice=notice), status)

        form = request.form
        if form.get(HONEYPOT):
            return refuse(_('msg_request_refused'))
        token_error = Configuration.check_request_token(form.get('token'))
        values, errors = read_form(form, categories)
        if token_error == 'too_fast':
            return refuse(_('msg_request_too_fast'), values=values)
        elif token_error:
            return refuse(_('msg_request_refused'), values=values)
        if Attempt.exceeded(values['email'].lower() or None):
            return refuse(_('msg_request_rate_limit'),
                HTTPStatus.TOO_MANY_REQUESTS, values=values)
        if errors:
            return refuse(
                _('msg_request_invalid'), values=values, errors=errors)
        case = Case.intake_request(line, values['name'], values['email'],
            values['subject'], values['description'],
            phone=values['phone'] or None, category=values['category'])
        thanks = _('msg_request_thanks', number=case.number)
        return html_response(page(language,
                f'<h1>{html.escape(_("msg_request_thanks_title"))}</h1>'
                f'<p id="case-number">{html.escape(thanks)}</p>'))
