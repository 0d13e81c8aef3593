# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Call and web form intake over real HTTP against the demo server, and
the web form in Chromium on a phone (390 px) and a desktop (1366 px)."""
import base64
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tools.crmctl import secret

from .sao import DATABASE, new_page, screenshot

WIDTHS = {'phone': (390, 844), 'desktop': (1366, 850)}


def post(url, data, headers=None):
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method='POST')
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def rpc(server, method, params, session=None):
    headers = {'Content-Type': 'application/json'}
    if session:
        headers['Authorization'] = 'Session ' + base64.b64encode(
            session.encode()).decode()
    status, _, body = post(f'{server.url}{DATABASE}/rpc/', json.dumps(
            {'id': 1, 'method': method, 'params': params}).encode(),
        headers)
    assert status == 200, body
    return json.loads(body)['result']


def admin_session(server):
    user_id, token = rpc(server, 'common.db.login',
        ['admin', {'password': server.password}, 'en'])[:2]
    return f'admin:{user_id}:{token}'


def cases(server, domain, fields):
    return rpc(server, 'model.crm.service.case.search_read',
        [domain, 0, None, None, fields, {}], admin_session(server))


def call(server, body, key):
    headers = {'Content-Type': 'application/json'}
    if key:
        headers['Authorization'] = f'Bearer {key}'
    status, headers, data = post(
        f'{server.url}{DATABASE}/crm_service/call',
        json.dumps(body).encode(), headers)
    assert headers['Content-Type'] == 'application/json'
    return status, json.loads(data)


def test_call_screen_pop(server):
    "The telephony system posts a call with the demo key: a routed case"
    key = secret('service-call-key', 32).read_text()
    number = f'+86139{uuid.uuid4().int % 10 ** 8:08d}'
    status, pop = call(server, {
            'ani': number, 'dnis': '+86 21 6000 1000', 'ivr_choice': '2'},
        key)
    assert status == 201, pop
    assert pop['outcome'] == 'created'
    assert pop['case']['caller_number'] == number
    assert pop['case']['category'] == "Software"
    assert pop['case']['priority'] == 'high'
    assert pop['team']['name'] == "Service Desk"
    assert pop['customer'] is None
    case, = cases(server, [('number', '=', pop['case']['number'])],
        ['channel', 'caller_number', 'line.name'])
    assert case['channel'] == 'phone'
    assert case['line.']['name'] == "Service Desk"

    status, error = call(server, {'ani': number, 'dnis': '+1 1'}, key)
    assert status == 400 and 'unknown service line' in error['error']
    for wrong in [None, key[::-1]]:
        status, error = call(server, {
                'ani': number, 'dnis': '+86 21 6000 1000'}, wrong)
        assert status == 401 and error['error']


def test_calls_at_once(server):
    """Calls posted at the same time each get their answer: a customer's
    calls about one category share one case, unknown callers get one each"""
    key = secret('service-call-key', 32).read_text()
    number = f'+86138{uuid.uuid4().int % 10 ** 8:08d}'
    rpc(server, 'model.party.party.create', [[{
                    'name': f"Caller {number}",
                    'contact_mechanisms': [['create', [
                                {'type': 'mobile', 'value': number}]]],
                    }], {}], admin_session(server))
    unknown = [f'+86139{uuid.uuid4().int % 10 ** 8:08d}' for _ in range(4)]
    answers = {}

    def post_call(index, ani):
        answers[index] = call(server, {
                'ani': ani, 'dnis': '+86 21 6000 1000', 'ivr_choice': '1'},
            key)
    threads = [threading.Thread(target=post_call, args=(i, ani))
        for i, ani in enumerate([number] * 4 + unknown)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    known = [answers[i] for i in range(4)]
    assert sorted(s for s, _ in known) == [200, 200, 200, 201], known
    assert len({p['case']['number'] for _, p in known}) == 1
    assert {p['customer']['name'] for _, p in known} == {f"Caller {number}"}
    others = [answers[i] for i in range(4, 8)]
    assert [s for s, _ in others] == [201] * 4, others
    assert len({p['case']['number'] for _, p in others}) == 4
    assert len(cases(server, [('caller_number', 'in', [number] + unknown)],
                ['id'])) == 5


def test_web_form(server):
    "A visitor reads the form in Chinese and posts a request"
    url = f'{server.url}{DATABASE}/crm_service/request?lang=zh_CN'
    with urllib.request.urlopen(url, timeout=30) as response:
        page = response.read().decode()
    assert '<html lang="zh-CN">' in page
    assert '服务请求' in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    email = f'visitor-{uuid.uuid4().hex[:8]}@example.com'
    form = {
        'token': token, 'website': '', 'name': "王芳", 'email': email,
        'phone': '', 'subject': "发票金额不清楚",
        'description': "请说明发票上的金额。", 'consent': 'yes',
        }
    data = urllib.parse.urlencode(form).encode()
    # Posted at once, the form is refused as too fast: nothing is created
    status, _, body = post(url, data)
    assert status == 400
    time.sleep(3.5)
    status, _, body = post(url, data)
    assert status == 200, body.decode()
    number = re.search(r'(CASE\d+)', body.decode()).group(1)
    case, = cases(server, [('number', '=', number)],
        ['channel', 'requester_email', 'subject'])
    assert case['channel'] == 'web'
    assert case['requester_email'] == email
    assert cases(server, [('requester_email', '=', email)], ['id']) == [
        {'id': case['id']}]


@pytest.mark.parametrize('size', list(WIDTHS))
def test_web_form_in_browser(server, browser, size):
    """A visitor switches the form to Chinese, sees the required fields
    marked, attaches a photo, agrees to the privacy notice and sends"""
    width, height = WIDTHS[size]
    page, errors = new_page(browser, width, height, locale='en-US')
    try:
        page.goto(f'{server.url}{DATABASE}/crm_service/request')
        expect(page.locator('h1')).to_have_text("Request Service")
        page.get_by_role('link', name="简体中文").click()
        expect(page.locator('h1')).to_have_text("服务请求")
        assert page.locator('html').get_attribute('lang') == 'zh-CN'
        marker = page.evaluate("""getComputedStyle(document.querySelector(
            'label[for="email"]'), '::after').content""")
        assert marker == '" *"', marker
        categories = page.locator('#category option').all_inner_texts()
        assert categories[1:] == sorted(
            categories[1:], key=str.casefold), categories

        email = f'visitor-{uuid.uuid4().hex[:8]}@example.com'
        page.get_by_label("姓名").fill("王芳")
        page.get_by_label("电子邮件").fill(email)
        page.get_by_label("主题").fill("打印机卡纸")
        page.get_by_label("描述").fill("每一页都卡纸，附上照片。")
        page.get_by_label("附件").set_input_files({
                'name': 'jam.png', 'mimeType': 'image/png',
                'buffer': b'\x89PNG\r\n\x1a\n' + b'\x00' * 64})
        expect(page.locator('#privacy-notice')).to_be_visible()
        button = page.get_by_role('button', name="提交")
        box = button.bounding_box()
        assert box['height'] >= 44, box
        if size == 'phone':
            assert box['width'] >= width - 40, box
        # Without the consent the browser keeps the form
        time.sleep(3.5)
        button.click()
        assert page.evaluate(
            "document.querySelector('#consent').validity.valueMissing")
        page.get_by_label("我同意保存我的信息以处理本请求。").check()
        width_used = page.evaluate('document.documentElement.scrollWidth')
        assert width_used <= width + 1, width_used
        screenshot(page, f'service-request-{size}')
        button.click()
        expect(page.locator('#case-number')).to_contain_text('CASE')
        screenshot(page, f'service-request-thanks-{size}')
        number = re.search(
            r'(CASE\d+)', page.locator('#case-number').inner_text()).group(1)
        case, = cases(server, [('number', '=', number)],
            ['requester_email', 'privacy_consent', 'privacy_consent_date'])
        assert case['requester_email'] == email
        assert case['privacy_consent'] and case['privacy_consent_date']
        attachments = rpc(server, 'model.ir.attachment.search_read', [
                [('resource', '=', f"crm.service.case,{case['id']}")],
                0, None, None, ['name'], {}], admin_session(server))
        assert [a['name'] for a in attachments] == ['jam.png']
    finally:
        page.context.close()
    assert errors == []
