# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Field visits and satisfaction on the demo database: the visit calendar
in sao, and a rating link answers a customer over real HTTP."""
import hashlib
import hmac
import sqlite3
import urllib.error
import urllib.request

from .sao import DATABASE, open_menu, sao_login, screenshot
from .test_service_intake import rpc


def query(server, sql):
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def get(url, data=None):
    "The status and the page of the URL"
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_visit_calendar(server, page, errors):
    "The week calendar shows the visits the demo plans"
    sao_login(page, server, 'manager')
    open_menu(page, 'CRM', 'Service', 'Field Visits', 'Visit Calendar')
    # The demo plans visits of the Hardware cases over the next days
    assert page.locator('.tab-pane.active .calendar').count() == 1
    screenshot(page, 'service-visit-calendar')
    assert errors == []


def test_rating_link(server):
    "A customer rates a closed demo case with the link of the e-mail"
    # A closed demo case reopened and closed again asks for a new rating:
    # one is unanswered whatever the earlier runs answered
    user_id, token = rpc(server, 'common.db.login',
        ['admin', {'password': server.password}, 'en'])[:2]
    session = f'admin:{user_id}:{token}'
    closed = rpc(server, 'model.crm.service.case.search',
        [[('state', '=', 'closed')], 0, 1, None, {}], session)
    for button in ['reopen', 'resolve', 'close']:
        rpc(server, f'model.crm.service.case.{button}', [closed, {}],
            session)
    pending = query(server,
        "SELECT id, nonce FROM crm_service_rating WHERE score IS NULL "
        "ORDER BY id")
    assert pending, "the demo leaves some ratings unanswered"
    rating_id, nonce = pending[0]
    base = f'{server.url}{DATABASE}/crm_service/rate/'
    status, text = get(f'{base}{rating_id}.{"0" * 64}?score=5')
    assert status == 403 and "not valid" in text

    # The server makes its signing key when it first checks a link
    (signing_key,), = query(
        server, "SELECT signing_key FROM crm_service_configuration")
    key = hmac.new(signing_key.encode(), b'crm.service.rating',
        hashlib.sha256).digest()
    signature = hmac.new(
        key, f'{rating_id}:{nonce}'.encode(),
        hashlib.sha256).hexdigest()
    token = f'{rating_id}.{signature}'
    status, text = get(f'{base}{rating_id}.{signature[::-1]}?score=5')
    assert status == 403 and "not valid" in text
    status, text = get(f'{base}{token}?score=9')
    assert status == 400 and "from 1 to 5" in text
    score = query(server,
        f"SELECT score FROM crm_service_rating WHERE id = {rating_id}")
    assert score == [(None,)]

    status, text = get(f'{base}{token}?score=4')
    assert status == 200 and "4 out of 5" in text
    status, text = get(f'{base}{token}', data=b'comment=Great+visit')
    assert status == 200 and "comment is recorded" in text
    status, text = get(f'{base}{token}?score=1')
    assert status == 409 and "already rated" in text
    assert "Great visit" in text
    assert query(server,
        "SELECT score, comment FROM crm_service_rating "
        f"WHERE id = {rating_id}") == [(4, "Great visit")]
