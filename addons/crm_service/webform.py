# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public web form where anyone asks for service without a login:
GET/POST /<database>/crm_service/request[?lang=en|zh_CN]

Spam is kept out without third-party services: a hidden field people leave
empty (honeypot), a time token signed with a secret of the database
(refused when posted within seconds or after a day) and a limit of posts
per address and e-mail per hour kept in the database.
"""
import re

from trytond.i18n import gettext
from trytond.modules.crm_sales.web import (
    html_response, render, request_language)
from trytond.protocols.wrappers import (
    HTTPStatus, abort, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

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
    return render('crm_service', 'request.html', language,
        token=token, categories=categories, honeypot=HONEYPOT,
        values=values or dict.fromkeys(LABELS), errors=errors or {},
        notice=notice, notice_error=bool(notice), labels=LABELS,
        sizes=SIZES, required=REQUIRED)


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
        return html_response(render('crm_service', 'request_thanks.html',
                language, number=case.number))
