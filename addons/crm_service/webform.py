# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public web form where anyone asks for service without a login:
GET/POST /<database>/crm_service/request[?lang=en|zh_CN]

Spam is kept out without third-party services: a hidden field people leave
empty (honeypot), a time token signed with a secret of the database
(refused when posted within seconds or after a day) and a limit of posts
per address and e-mail per hour kept in the database.

The requester agrees to the privacy notice (kept with its time on the case)
and may attach one file: its size is capped and its type is checked by its
content, not only by its name.
"""
import os
import re

from werkzeug.exceptions import RequestEntityTooLarge

from trytond.i18n import gettext
from trytond.modules.crm_sales.web import (
    html_response, render, request_language)
from trytond.protocols.wrappers import (
    HTTPStatus, abort, set_max_request_size, with_pool, with_transaction)
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
ATTACHMENT = 'attachment'
ATTACHMENT_MB = 5
ATTACHMENT_SIZE = ATTACHMENT_MB * 1024 * 1024
ATTACHMENT_NAME_SIZE = 200
# The texts of the form beside the file, with room for their encoding
FORM_SIZE = 256 * 1024
# The file types accepted by extension, each with the bytes its content
# starts with (None: text in UTF-8)
ATTACHMENT_TYPES = {
    '.pdf': b'%PDF-',
    '.png': b'\x89PNG\r\n\x1a\n',
    '.jpg': b'\xff\xd8\xff',
    '.jpeg': b'\xff\xd8\xff',
    '.txt': None,
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


def read_consent(form, errors):
    "Return whether the requester agreed to the privacy notice"
    consent = form.get('consent') == 'yes'
    if not consent:
        errors['consent'] = _('msg_request_consent_required')
    return consent


def attachment_type_accepted(filename, content):
    "Whether the file's extension is accepted and its content matches it"
    extension = os.path.splitext(filename)[1].lower()
    if extension not in ATTACHMENT_TYPES:
        return False
    signature = ATTACHMENT_TYPES[extension]
    if signature is not None:
        return content.startswith(signature)
    try:
        text = content.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return '\x00' not in text


def read_attachment(files, errors):
    """Return the (file name, content) pairs of the attached file, and the
    status of its error if any: 413 too large, 415 of a refused type"""
    upload = files.get(ATTACHMENT)
    if not upload or not upload.filename:
        return [], None
    content = upload.read(ATTACHMENT_SIZE + 1)
    if len(content) > ATTACHMENT_SIZE:
        errors[ATTACHMENT] = _(
            'msg_request_attachment_too_large', size=ATTACHMENT_MB)
        return [], HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    # Only the name, never the path a browser may send
    filename = re.split(r'[\\/]', upload.filename)[-1].strip()
    filename = filename[-ATTACHMENT_NAME_SIZE:]
    if not content or not attachment_type_accepted(filename, content):
        errors[ATTACHMENT] = _('msg_request_attachment_type')
        return [], HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    return [(filename, content)], None


def sorted_categories(categories):
    "The categories by their name in the language, each under its parent"
    return sorted(categories, key=lambda c: c.rec_name.casefold())


def render_form(language, token, categories, values=None, errors=None,
        notice=None):
    return render('crm_service', 'request.html', language,
        token=token, categories=categories, honeypot=HONEYPOT,
        values=values or dict.fromkeys(LABELS), errors=errors or {},
        notice=notice, notice_error=bool(notice), labels=LABELS,
        sizes=SIZES, required=REQUIRED, attachment=ATTACHMENT,
        attachment_mb=ATTACHMENT_MB,
        attachment_accept=','.join(ATTACHMENT_TYPES))


@app.route('/<database_name>/crm_service/request', methods=['GET', 'POST'])
@set_max_request_size(ATTACHMENT_SIZE + FORM_SIZE)
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
        categories = sorted_categories(Category.search([]))
        if request.method == 'GET':
            return html_response(render_form(
                    language, Configuration.request_token(), categories))

        def refuse(notice, status=HTTPStatus.BAD_REQUEST, values=None,
                errors=None):
            return html_response(render_form(
                    language, Configuration.request_token(), categories,
                    values=values, errors=errors, notice=notice), status)

        try:
            form, files = request.form, request.files
        except RequestEntityTooLarge:
            return refuse(_('msg_request_too_large', size=ATTACHMENT_MB),
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if form.get(HONEYPOT):
            return refuse(_('msg_request_refused'))
        token_error = Configuration.check_request_token(form.get('token'))
        values, errors = read_form(form, categories)
        values['consent'] = consent = read_consent(form, errors)
        if token_error == 'too_fast':
            return refuse(_('msg_request_too_fast'), values=values)
        elif token_error:
            return refuse(_('msg_request_refused'), values=values)
        if Attempt.exceeded(values['email'].lower() or None):
            return refuse(_('msg_request_rate_limit'),
                HTTPStatus.TOO_MANY_REQUESTS, values=values)
        attachments, status = read_attachment(files, errors)
        if errors:
            return refuse(_('msg_request_invalid'),
                status or HTTPStatus.BAD_REQUEST, values=values,
                errors=errors)
        case = Case.intake_request(line, values['name'], values['email'],
            values['subject'], values['description'],
            phone=values['phone'] or None, category=values['category'],
            consent=consent, attachments=attachments)
        return html_response(render('crm_service', 'request_thanks.html',
                language, number=case.number))
