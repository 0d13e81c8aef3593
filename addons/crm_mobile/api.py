# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The JSON API v1 of the phones: /<database>/crm_mobile/api/v1/...

Every answer is JSON, errors included ({"error": ..., "field": ...}). A
phone signs in with the login and password of the desktop account and
gets a device key (a res.user.application of type crm_mobile); it then
sends ``Authorization: Bearer <key>`` and acts as the user, with the
user's access rights and record rules. The routes parse, call the models
and serialise (resources.py); openapi.json documents them.
"""
import json
import logging
from functools import wraps

from trytond.config import config
from trytond.exceptions import RateLimitException, UserError
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.protocols.wrappers import (
    HTTPStatus, Response, exceptions, user_application, with_pool,
    with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import resources
from .device import APPLICATION

logger = logging.getLogger(__name__)
PREFIX = '/<database_name>/crm_mobile/api/v1'
# Requests a device key may send in a minute (all server processes)
RATE_LIMIT = config.getint('crm_mobile', 'rate_limit', default=600)
UPLOAD_LIMIT = config.getint(
    'crm_mobile', 'upload_limit', default=2 * 1024 * 1024)
# Negative ids are routed too, to answer 404 in JSON rather than 405
RECORD = '<int(signed=True):record_id>'
UPLOAD_TYPES = {'image/jpeg', 'image/png', 'image/webp', 'application/pdf'}


class ApiError(exceptions.HTTPException):
    "An error answered as a JSON object, after the transaction rolled back"

    def __init__(self, code, message, **extra):
        self.code = code
        super().__init__(
            description=message,
            response=json_response({'error': message, **extra}, code))


def json_response(data, status=HTTPStatus.OK, headers=None):
    response = Response(
        json.dumps(data), status=status, content_type='application/json')
    if headers:
        response.headers.update(headers)
    return response


def json_errors(func):
    """Answer every error of the route as a JSON object

    trytond answers its errors in HTML, and a request posted as
    application/json is read as JSON-RPC."""
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except ApiError as e:
            return e.response
        except exceptions.HTTPException as e:
            if e.code == HTTPStatus.UNAUTHORIZED:
                return json_response(
                    {'error': "missing or revoked device key"}, e.code,
                    {'WWW-Authenticate': 'Bearer'})
            description = e.description
            if isinstance(description, (UserError, AccessError)):
                description = description.message
            return json_response({'error': str(description)}, e.code)
    return wrapper


def as_user(func):
    """Run with the preferences of the key's user (company, employee,
    language) and within the key's rate limit"""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        User = pool.get('res.user')
        RateLimit = pool.get('crm.mobile.rate_limit')
        if not RateLimit.allow(
                request.headers.get('Authorization'), RATE_LIMIT):
            raise ApiError(
                HTTPStatus.TOO_MANY_REQUESTS,
                gettext('crm_mobile.msg_api_rate_limit'))
        preferences = User.get_preferences(context_only=True)
        with Transaction().set_context(preferences):
            try:
                return func(request, pool, *args, **kwargs)
            except AccessError as e:
                # Records of others are not found, whatever the reason
                raise ApiError(HTTPStatus.NOT_FOUND, e.message)
            except UserError as e:
                raise ApiError(HTTPStatus.BAD_REQUEST, e.message)
    return wrapper


def internal_errors(func):
    """Answer the errors that escaped the route after the transaction
    rolled back: trytond's with_pool would read a JSON body as a JSON-RPC
    call to report them"""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        try:
            return func(request, pool, *args, **kwargs)
        except exceptions.HTTPException:
            raise
        except UserError as e:
            raise ApiError(HTTPStatus.BAD_REQUEST, e.message)
        except Exception:
            logger.exception("%s %s failed", request.method, request.path)
            raise ApiError(
                HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
    return wrapper


def route(path, methods=('GET',), readonly=None, authenticated=True):
    "Register an API route"
    def decorator(func):
        wrapped = func
        if authenticated:
            wrapped = user_application(APPLICATION)(as_user(wrapped))
        wrapped = json_errors(with_pool(internal_errors(with_transaction(
                        readonly=readonly)(wrapped))))
        wrapped.__name__ = f'crm_mobile_{func.__name__}'
        app.route(PREFIX + path, methods=list(methods))(wrapped)
        return func
    return decorator


def body(request):
    "Return the JSON object posted"
    try:
        data = json.loads(request.get_data(as_text=True) or 'null')
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ApiError(
            HTTPStatus.BAD_REQUEST, gettext('crm_mobile.msg_api_invalid_json'),
            field='body')
    return data


def idempotent(func):
    """Answer a create replayed with the same Idempotency-Key header as it
    was answered the first time"""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        Key = pool.get('crm.mobile.idempotency')
        key = request.headers.get('Idempotency-Key')
        user = Transaction().user
        if key:
            answer = Key.answer(user, key)
            if answer:
                status, text = answer
                return Response(
                    text, status=status, content_type='application/json',
                    headers={'Idempotent-Replayed': 'true'})
        data = func(request, pool, *args, **kwargs)
        text = json.dumps(data)
        if key:
            Key.remember(user, key, HTTPStatus.CREATED, text)
        return Response(
            text, status=HTTPStatus.CREATED, content_type='application/json')
    return wrapper


@app.route(PREFIX + '/openapi.json', methods=['GET'])
def crm_mobile_openapi(request, database_name):
    document = resources.openapi(f'/{database_name}/crm_mobile/api/v1')
    return json_response(document)


@route('/signin', methods=['POST'], readonly=False, authenticated=False)
def sign_in(request, pool):
    Application = pool.get('res.user.application')
    data = body(request)
    for name in ['login', 'password']:
        if not isinstance(data.get(name), str) or not data[name]:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                gettext('crm_mobile.msg_api_required', field=name),
                field=name)
    try:
        device = Application.crm_mobile_sign_in(
            data['login'], data['password'], data.get('device'))
    except RateLimitException:
        raise ApiError(
            HTTPStatus.TOO_MANY_REQUESTS,
            gettext('crm_mobile.msg_api_rate_limit'))
    if not device:
        raise ApiError(
            HTTPStatus.UNAUTHORIZED,
            gettext('crm_mobile.msg_api_sign_in_failed'))
    return json_response(
        {'key': device.key, 'user': device.user.id}, HTTPStatus.CREATED)


@route('/signout', methods=['POST'], readonly=False)
def sign_out(request, pool):
    Application = pool.get('res.user.application')
    Application.crm_mobile_sign_out(request.headers['Authorization'])
    return {'signed_out': True}


@route('/me')
def me(request, pool):
    return resources.me()


@route('/customers')
def customers(request, pool):
    return resources.customers(
        request.args.get('q', ''), *resources.page(request.args))


@route('/customers/nearby')
def nearby(request, pool):
    latitude, longitude = resources.position(request.args)
    radius = resources.number(
        request.args, 'radius', 5000, minimum=1, maximum=100000)
    return resources.nearby(
        latitude, longitude, radius, *resources.page(request.args))


@route('/customers/<int(signed=True):party_id>')
def customer(request, pool, party_id):
    return resources.customer(party_id)


@route('/opportunities')
def opportunities(request, pool):
    return resources.opportunities(
        request.args.get('scope', 'team'), *resources.page(request.args))


@route(f'/opportunities/{RECORD}')
def opportunity(request, pool, record_id):
    return resources.opportunity(record_id)


@route(f'/opportunities/{RECORD}', methods=['PATCH'], readonly=False)
def update_opportunity(request, pool, record_id):
    return resources.update_opportunity(record_id, body(request))


@route('/activities')
def activities(request, pool):
    return resources.activities(*resources.page(request.args))


@route('/activities', methods=['POST'], readonly=False)
@idempotent
def create_activity(request, pool):
    return resources.create_activity(body(request))


@route('/visits')
def visits(request, pool):
    return resources.visits(*resources.page(request.args))


@route('/visits', methods=['POST'], readonly=False)
@idempotent
def check_in(request, pool):
    return resources.check_in(body(request))


@route(f'/visits/{RECORD}/checkout', methods=['POST'], readonly=False)
def check_out(request, pool, record_id):
    return resources.check_out(record_id, body(request))


@route('/route/today')
def today_route(request, pool):
    start = None
    if 'latitude' in request.args or 'longitude' in request.args:
        start = resources.position(request.args)
    return resources.today_route(start)


@route('/cases')
def cases(request, pool):
    return resources.cases(*resources.page(request.args))


@route('/instructions')
def instructions(request, pool):
    return resources.instructions(*resources.page(request.args))


@route('/instructions', methods=['POST'], readonly=False)
@idempotent
def create_instruction(request, pool):
    return resources.create_instruction(body(request))


@route(
    f'/instructions/{RECORD}/<any(accept, comment, complete):action>',
    methods=['POST'], readonly=False)
def answer_instruction(request, pool, record_id, action):
    return resources.answer_instruction(record_id, action, body(request))


@route('/knowledge')
def knowledge(request, pool):
    try:
        pool.get('crm.knowledge.article')
    except KeyError:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            gettext('crm_mobile.msg_api_not_activated'))
    return resources.knowledge(
        request.args.get('q', ''), *resources.page(request.args))


@route('/uploads', methods=['POST'], readonly=False)
@idempotent
def upload(request, pool):
    content_type = (request.mimetype or '').lower()
    if content_type not in UPLOAD_TYPES:
        raise ApiError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            gettext('crm_mobile.msg_api_file_type', type=content_type))
    if (request.content_length or 0) > UPLOAD_LIMIT:
        raise ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            gettext('crm_mobile.msg_api_too_large', limit=UPLOAD_LIMIT))
    data = request.stream.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        raise ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            gettext('crm_mobile.msg_api_too_large', limit=UPLOAD_LIMIT))
    return resources.upload(request.args, content_type, data)


@route('/sync')
def sync(request, pool):
    return resources.sync(request.args.get('since'),
        request.args.get('resources'))
