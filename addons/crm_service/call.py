# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The call endpoint a telephony system (software CTI) posts each answered
call to: POST /<database>/crm_service/call with a Bearer application key
of type crm_service_call and the JSON body {"ani", "dnis", "ivr_choice"}.

Every answer is JSON, errors included ({"error": ...}): 401 without a
valid key, 400 for a body that is not a JSON object with the right fields
or an unknown dialled number, 201 with the screen pop when a case is
created, 200 when an open case is found or a recent one reopened.

The calls a process receives at the same time are taken together, in one
transaction (see CallQueue): under load a call costs a fraction of one
taken alone, and a call never waits for a batch to fill.
"""
import json
import logging
import threading
import time
from collections import defaultdict
from functools import wraps

from trytond import backend
from trytond.config import config
from trytond.exceptions import UserError
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, exceptions, with_pool)
from trytond.transaction import (
    Transaction, TransactionError, without_check_access)
from trytond.worker import run_task
from trytond.wsgi import app

logger = logging.getLogger(__name__)

APPLICATION = 'crm_service_call'
# The answer of a call that failed: the error is in the server's log
INTERNAL_ERROR = (HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
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


def bearer_token(request):
    """Return the application key of the request or abort with 401, read
    as trytond's user_application reads it"""
    authorization = request.authorization
    if authorization is None:
        abort(HTTPStatus.UNAUTHORIZED)
    if authorization.type == 'bearer':
        token = getattr(authorization, 'token', '')
    elif authorization.type == 'basic':
        token = authorization.get('password')
    else:
        abort(HTTPStatus.UNAUTHORIZED)
    if not token:
        abort(HTTPStatus.UNAUTHORIZED)
    return token


class Call:
    "A call waiting for its answer: the HTTP status and the JSON body"
    __slots__ = ('key', 'values', 'error', 'answer', 'ready')

    def __init__(self, key, values=None, error=None):
        self.key = key
        self.values = values
        # The error of a body refused, answered once the key is checked
        self.error = error
        self.answer = None
        self.ready = threading.Event()


class CallQueue:
    """The calls of one database waiting in this process

    The first call that finds no batch running takes every call waiting,
    its own included, in one transaction; when the batch is answered, the
    first call still waiting takes the next one. Calls that come one by
    one are so taken at once, each alone, and calls that come together
    share the cost of a transaction, the lookups and the routing."""

    def __init__(self, database_name):
        self.database_name = database_name
        self.lock = threading.Lock()
        self.waiting = []
        self.busy = False

    def answer(self, call):
        "Return the answer of the call, taken in the next batch"
        with self.lock:
            self.waiting.append(call)
            lead = not self.busy
            self.busy = True
        if not lead:
            call.ready.wait()
            if call.answer is not None:
                return call.answer
            # Set ready without an answer: it leads the next batch
        with self.lock:
            batch, self.waiting = self.waiting, []
        answers = {}
        try:
            answers = self.take(batch)
        finally:
            for waiting in batch:
                waiting.answer = answers.get(waiting, INTERNAL_ERROR)
                waiting.ready.set()
            with self.lock:
                if self.waiting:
                    self.waiting[0].ready.set()
                else:
                    self.busy = False
        return call.answer

    def take(self, calls):
        """Return the answer of each call, taken with the others in one
        transaction, or alone when their transaction fails"""
        retry = config.getint('database', 'retry')
        extras = {}
        for count in range(retry + 1):
            if count:
                time.sleep(0.02 * count)
            try:
                return self._take(calls, extras)
            except TransactionError as e:
                e.fix(extras)
            except backend.DatabaseOperationalError:
                continue
            except UserError as e:
                if len(calls) == 1:
                    return {calls[0]: (HTTPStatus.BAD_REQUEST, e.message)}
                break
            except Exception:
                if len(calls) == 1:
                    logger.exception("call %s failed", calls[0].values)
                    return {calls[0]: INTERNAL_ERROR}
                break
        if len(calls) == 1:
            return {calls[0]: INTERNAL_ERROR}
        answers = {}
        for call in calls:
            answers.update(self.take([call]))
        return answers

    def _take(self, calls, extras):
        pool = Pool(self.database_name)
        Case = pool.get('crm.service.case')
        answers = {}
        with Transaction().start(
                pool.database_name, 0, readonly=False, **extras
                ) as transaction:
            by_user = defaultdict(list)
            users = self.key_users({c.key for c in calls})
            for call in calls:
                if call.key not in users:
                    answers[call] = (HTTPStatus.UNAUTHORIZED, None)
                elif call.error:
                    answers[call] = (HTTPStatus.BAD_REQUEST, call.error)
                else:
                    by_user[users[call.key]].append(call)
            for user, user_calls in by_user.items():
                # The key authenticates the telephony system, which takes
                # calls for every team: the cases are created and read
                # beyond the key user's rules
                with transaction.set_user(user), without_check_access():
                    results = Case.intake_calls(
                        [c.values for c in user_calls])
                    taken = [(c, r) for c, r in zip(user_calls, results)
                        if not isinstance(r, UserError)]
                    pops = Case.screen_pops([r for _, r in taken])
                for call, result in zip(user_calls, results):
                    if isinstance(result, UserError):
                        answers[call] = (
                            HTTPStatus.BAD_REQUEST, result.message)
                for (call, (_, outcome)), pop in zip(taken, pops):
                    answers[call] = (
                        HTTPStatus.CREATED if outcome == 'created'
                        else HTTPStatus.OK, pop)
            transaction.commit()
        while transaction.tasks:
            run_task(pool, transaction.tasks.pop())
        return answers

    def key_users(self, keys):
        "Return the user of each valid key of the call application"
        UserApplication = Pool().get('res.user.application')
        applications = UserApplication.search([
                ('key', 'in', list(keys)),
                ('application', '=', APPLICATION),
                ('state', '=', 'validated'),
                ])
        return {a.key: a.user.id for a in applications}


_queues = {}
_queues_lock = threading.Lock()


def call_queue(database_name):
    "Return the queue of the calls of the database in this process"
    with _queues_lock:
        if database_name not in _queues:
            _queues[database_name] = CallQueue(database_name)
        return _queues[database_name]


@app.route('/<database_name>/crm_service/call', methods=['POST'])
@json_errors
@with_pool
def call(request, pool):
    try:
        pool.get('crm.service.case')
    except KeyError:
        raise exceptions.NotFound()
    key = bearer_token(request)
    try:
        call = Call(key, values=parse_call(request))
    except CallError as e:
        call = Call(key, error=e.description)
    status, body = call_queue(pool.database_name).answer(call)
    if status == HTTPStatus.UNAUTHORIZED:
        abort(HTTPStatus.UNAUTHORIZED)
    if status >= 400:
        return json_response({'error': str(body)}, status)
    return json_response(body, status)
