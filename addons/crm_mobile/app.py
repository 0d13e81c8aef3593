# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The phone app: an offline-first PWA served by trytond under
/<database>/crm_mobile/app/ on the shared layout. It talks to the API v1
only; its scripts, the service worker and Leaflet (from npm, beside sao in
web/node_modules) are static files."""
import json
import mimetypes
import os
from urllib.parse import urlsplit

from trytond.config import config
from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, with_pool, with_transaction)
from trytond.wsgi import app

from trytond.modules.crm_sales.web import (
    HEADERS, html_response, render, request_language)

from . import api

PREFIX = '/<database_name>/crm_mobile/app'
STATIC = os.path.join(os.path.dirname(__file__), 'static')
APP_FILES = {'app.js', 'app.css', 'icon.svg'}
LEAFLET_FILES = {
    'leaflet.js', 'leaflet.css', 'images/marker-icon.png',
    'images/marker-icon-2x.png', 'images/marker-shadow.png'}
# The strings of the app's scripts, translated in the page
STRINGS = [
    'sign_in', 'organisation', 'login', 'password', 'nearby', 'visits',
    'tasks', 'opportunities', 'customers', 'me', 'check_in', 'check_out',
    'report', 'save', 'offline', 'pending', 'synced', 'accept', 'complete',
    'comment', 'none', 'distance', 'far', 'sign_out', 'pipeline',
    'open_cases', 'search', 'locating', 'checked_in', 'sign_in_failed',
    'knowledge', 'segment', 'receivable', 'cases', 'recent_activities',
    'open_opportunities', 'edit', 'description', 'next_step', 'amount',
    'probability', 'conflict', 'saved', 'photo', 'file_too_large',
    'file_type', 'uploaded', 'back',
    ]


def tile_url():
    "The URL template of the map tiles ('' draws no tiles)"
    return config.get(
        'crm_mobile', 'tile_url',
        default='https://tile.openstreetmap.org/{z}/{x}/{y}.png')


def leaflet_folder():
    default = os.path.join(
        config.get('web', 'root', default=''), os.pardir, 'leaflet', 'dist')
    return config.get('crm_mobile', 'leaflet', default=default)


def page_headers():
    "The pages' headers, with the tile server allowed for images"
    tiles = urlsplit(tile_url())
    origin = f'{tiles.scheme}://{tiles.netloc}' if tiles.netloc else ''
    policy = HEADERS['Content-Security-Policy'].replace(
        "img-src 'self' data:", f"img-src 'self' data: {origin}".rstrip())
    return {'Content-Security-Policy': policy}


def file_response(folder, name, content_type=None):
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        abort(HTTPStatus.NOT_FOUND)
    with open(path, 'rb') as f:
        data = f.read()
    content_type = content_type or mimetypes.guess_type(name)[0]
    response = Response(data, content_type=content_type)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Cache-Control'] = 'no-cache'
    return response


@app.route(PREFIX + '/', methods=['GET'])
@with_pool
@with_transaction()
def crm_mobile_app(request, pool):
    language = request_language(request)
    strings = {
        name: gettext(f'crm_mobile.msg_app_{name}', language=language)
        for name in STRINGS}
    return html_response(render(
            'crm_mobile', 'mobile_app.html', language,
            database=pool.database_name, tile_url=tile_url(),
            upload_limit=api.UPLOAD_LIMIT,
            upload_types=' '.join(sorted(api.UPLOAD_TYPES)),
            strings=strings),
        headers=page_headers())


@app.route(PREFIX + '/manifest.webmanifest', methods=['GET'])
@with_pool
@with_transaction()
def crm_mobile_manifest(request, pool):
    language = request_language(request)
    name = gettext('crm_mobile.msg_app_title', language=language)
    manifest = {
        'name': name, 'short_name': name,
        'start_url': '.', 'scope': '.', 'display': 'standalone',
        'background_color': '#ffffff', 'theme_color': '#1f4e79',
        'icons': [{
                'src': 'static/icon.svg', 'sizes': 'any',
                'type': 'image/svg+xml'}],
        }
    return Response(
        json.dumps(manifest), content_type='application/manifest+json')


@app.route(PREFIX + '/sw.js', methods=['GET'])
def crm_mobile_service_worker(request, database_name):
    "The service worker, served at the app's root to control its scope"
    return file_response(STATIC, 'sw.js', 'text/javascript')


@app.route(PREFIX + '/static/<path:name>', methods=['GET'])
def crm_mobile_static(request, database_name, name):
    if name not in APP_FILES:
        abort(HTTPStatus.NOT_FOUND)
    return file_response(STATIC, name)


@app.route(PREFIX + '/leaflet/<path:name>', methods=['GET'])
def crm_mobile_leaflet(request, database_name, name):
    if name not in LEAFLET_FILES:
        abort(HTTPStatus.NOT_FOUND)
    return file_response(leaflet_folder(), name)
