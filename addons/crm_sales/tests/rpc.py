# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""JSON-RPC as sao sends it, for the attacker tests of every module.

A session is opened with ``common.db.login`` (login and password, as sao's
login dialog does), then each call is a POST of ``{"id", "method",
"params"}`` to ``/<database>/`` with the ``Authorization: Session`` header
sao builds from the login, the user id and the session key.
"""
import base64
import json

from trytond.protocols.jsonrpc import JSONDecoder, JSONEncoder
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client
from trytond.wsgi import app


class RpcError(Exception):
    "The error a JSON-RPC call answered: its type and its message"

    def __init__(self, error):
        super().__init__(error)
        self.type = error[0]
        self.message = (error[1][0] if isinstance(error[1], (list, tuple))
            else error[1])


class RpcClient:
    "A client of trytond's JSON-RPC, anonymous until it logs in"

    def __init__(self, database=DB_NAME):
        self.database = database
        self.client = Client(app, Response)
        self.authorization = None

    def login(self, login, password):
        user_id, token = self.call(
            'common.db.login', login, {'password': password}, 'en')[:2]
        self.authorization = 'Session ' + base64.b64encode(
            f'{login}:{user_id}:{token}'.encode()).decode()
        return self

    def post(self, method, params):
        "The raw HTTP response of a call"
        headers = {'Content-Type': 'application/json'}
        if self.authorization:
            headers['Authorization'] = self.authorization
        return self.client.post(f'/{self.database}/rpc/', headers=headers,
            data=json.dumps({'id': 1, 'method': method, 'params': params},
                cls=JSONEncoder))

    def call(self, method, *params):
        "The result of the call; RpcError for an error it answers"
        response = self.post(method, list(params))
        if response.status_code != 200:
            raise RpcError(
                [str(response.status_code), [response.get_data(as_text=True)]])
        data = json.loads(response.get_data(as_text=True),
            object_hook=JSONDecoder())
        if 'error' in data:
            raise RpcError(data['error'])
        return data['result']

    def model(self, model, method, *params, context=None):
        "Call a model's method as sao does: the context comes last"
        return self.call(f'model.{model}.{method}', *params, context or {})
