# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages that trytond serves outside sao share one layout and one way
to render: Jinja2 templates with autoescaping.

A module renders a page with ``render('crm_x', 'page.html', language,
**values)``: the template is looked up in ``addons/crm_x/templates/`` then
in crm_sales' ``templates/`` (``layout.html``, ``layout.css``, the macros of
``forms.html``); ``_('msg_id', **values)`` in a template is the translated
ir.message of the module (``_('crm_sales.msg_id')`` names another one's).
"""
import functools
import importlib
import os

from jinja2 import (
    ChoiceLoader, Environment, FileSystemLoader, select_autoescape)
from werkzeug.exceptions import abort
from werkzeug.utils import send_file

from trytond.i18n import gettext
from trytond.protocols.wrappers import HTTPStatus, Response
from trytond.transaction import Transaction

LANGUAGES = {
    'en': 'en', 'en-us': 'en', 'zh': 'zh_CN', 'zh-cn': 'zh_CN',
    'zh_cn': 'zh_CN',
    }
HEADERS = {
    'Cache-Control': 'no-store',
    'Content-Security-Policy': (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
    # Not no-referrer: Chromium then posts forms with "Origin: null",
    # which trytond refuses (403); same-origin keeps the URLs (and the
    # tokens in them) from other sites all the same
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    }


def _templates(module):
    package = importlib.import_module(f'trytond.modules.{module}')
    return os.path.join(os.path.dirname(package.__file__), 'templates')


@functools.cache
def environment(module):
    "The Jinja2 environment of the module's templates over the layout's"
    folders = [_templates(module)]
    if module != 'crm_sales':
        folders.append(_templates('crm_sales'))
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(f) for f in folders]),
        autoescape=select_autoescape(['html', 'css'], default=True),
        trim_blocks=True, lstrip_blocks=True)


def html_lang(language):
    "The lang attribute of a Tryton language code"
    return language.replace('_', '-')


def render(module, template, language, **values):
    "Return the HTML of the module's template in the language"
    def translate(message_id, **variables):
        if '.' not in message_id:
            message_id = f'{module}.{message_id}'
        return gettext(message_id, language=language, **variables)
    with Transaction().set_context(language=language):
        return environment(module).get_template(template).render(
            _=translate, language=language, html_lang=html_lang(language),
            languages=[('en', "English"), ('zh_CN', "简体中文")],
            **values)


def html_response(text, status=HTTPStatus.OK, headers=None):
    "The response of a page, with the headers every page sends"
    response = Response(
        text, status=status, content_type='text/html; charset=utf-8')
    response.headers.update(HEADERS)
    if headers:
        response.headers.update(headers)
    return response


def browser_language(request):
    "Return the language code the browser prefers among the pages' ones"
    best = request.accept_languages.best_match(['en', 'zh-CN', 'zh'])
    return 'zh_CN' if best and best.startswith('zh') else 'en'


def request_language(request, default=None):
    """Return the language asked by the lang parameter, else the default,
    else the browser's"""
    lang = (request.args.get('lang') or '').lower()
    if lang in LANGUAGES:
        return LANGUAGES[lang]
    return default or browser_language(request)


def script_response(request, scripts, name):
    """Serve the script of scripts (file name: path) the request names; an
    unknown name or a file not installed is not found"""
    path = scripts.get(name)
    if not path or not os.path.isfile(path):
        abort(HTTPStatus.NOT_FOUND)
    return send_file(
        path, request.environ, mimetype='text/javascript', max_age=3600)
