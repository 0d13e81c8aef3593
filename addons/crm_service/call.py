# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The call endpoint a telephony system (software CTI) posts each answered
call to: POST /<database>/crm_service/call with a Bearer application key
of type crm_service_call and the JSON body {"ani", "dnis", "ivr_choice"}.

Every answer is JSON, errors included ({"error": ...}): 401 without a
valid key, 400 for a body that is not a JSON object with the right fields
or an unknown dialled number, 201 with the screen pop when a case is
created, 200 when an open case is found or a recent one reopened.
"""
import json
from functools import wraps

from trytond.exceptions import UserError
from trytond.pool import PoolMeta
from trytond.protocols.wrappers import (
    HTTPStatus, Response, exceptions, user_application, with_pool,
    with_transaction)
from trytond.transaction import without_check_access
from trytond.wsgi import app

APPLICATION = 'crm_service_call'
FIELDS = {
    'ani': True,
    'dnis': True,
    'ivr_choice': False,
    }


class UserApplication(metaclass=PoolMeta):
    __name__ = 'res.user.application'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.application.selection.append(
            (APPLICATION, "CRM Service Call Intake"))


class CallError(exceptions.BadRequest):
    "A call the endpoint cannot take"


def json_response(data, status=HTTPStatus.OK):
    return Response(
        json.dumps(data), status=status, content_type='application/json')


def json_errors(func):
    """Answer every HTTP error of the route as a JSON object

    trytond answers errors in HTML, and a request posted as
    application/json is read as JSON-RPC: its errors become 400 "Unable to
    get RPC method" whatever they were."""
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except exceptions.HTTPException as e:
            if e.code == HTTPStatus.UNAUTHORIZED:
                response = json_response(
                    {'error': "missing or invalid application key"},
                    e.code)
                response.headers['WWW-Authenticate'] = 'Bearer'
                return response
            return json_response({'error': str(e.description)}, e.code)
    return wrapper


def parse_call(request):
    "Return the fields of the call posted as a JSON object"
    try:
        data = json.loads(request.get_data(as_text=True))
    except ValueError:
        raise CallError("the body is not valid JSON")
    if not isinstance(data, dict):
        raise CallError("the body must be a JSON object")
    call = {}
    for name, required in FIELDS.items():
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise CallError(f"{name} must be a string")
        if required and not (value or '').strip():
            raise CallError(f"{name} is required")
        call[name] = value
    return call


@app.route('/<database_name>/crm_service/call', methods=['POST'])
@json_errors
@with_pool
@with_transaction()
@user_application(APPLICATION)
def call(request, pool):
    try:
        Case = pool.get('crm.service.case')
    except KeyError:
        raise exceptions.NotFound()
    values = parse_call(request)
    # The key authenticates the telephony system, which takes calls for
    # every team: the case is created and read beyond the key user's rules
    with without_check_access():
        try:
            case, outcome = Case.intake_call(**values)
        except UserError as e:
            raise CallError(e.message)
        pop = case.screen_pop(outcome)
    status = HTTPStatus.CREATED if outcome == 'created' else HTTPStatus.OK
    return json_response(pop, status)
