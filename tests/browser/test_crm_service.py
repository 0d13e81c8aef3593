# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every crm_service menu opens in sao on the demo database, and the cases
of every channel are routed with their SLA clocks."""
import re
import sqlite3
import time
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage

from playwright.sync_api import expect

from tools.crmctl import secret

from .sao import (
    DATABASE, module_menus, open_menu, open_record, sao_login, screenshot)
from .test_service_intake import call, cases, post


def test_every_service_menu_opens(server, page, errors):
    menus = module_menus(server, 'crm_service')
    assert ('CRM', 'Service', 'Cases') in menus
    sao_login(page, server, 'manager')
    for path in menus:
        open_menu(page, *path)
        assert errors == [], f"{' > '.join(path)}: {errors}"


def inbox_identifier(server):
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        identifier, = connection.execute(
            'SELECT identifier FROM inbound_email_inbox '
            "WHERE name = 'Service'").fetchone()
    return identifier


def send_email(server, subject, sender):
    "The mail server forwards a customer's e-mail to the Service inbox"
    message = EmailMessage()
    message['From'] = sender
    message['To'] = 'service@crm-demo.example.com'
    message['Subject'] = subject
    message['Message-ID'] = f'<{uuid.uuid4().hex}@example.com>'
    message.set_content("The printer prints blank pages since this morning.")
    status, _, body = post(
        f'{server.url}{DATABASE}/inbound_email/inbox/'
        f'{inbox_identifier(server)}', message.as_bytes(),
        {'Content-Type': 'message/rfc822'})
    assert status == 204, body


def web_form(server, subject):
    "A visitor posts the public web form"
    url = f'{server.url}{DATABASE}/crm_service/request'
    with urllib.request.urlopen(url, timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    time.sleep(3.5)
    status, _, body = post(url, urllib.parse.urlencode({
                'token': token, 'website': '', 'name': "Ann Visitor",
                'email': f'ann-{uuid.uuid4().hex[:8]}@example.com',
                'phone': '', 'subject': subject,
                'description': "Where is my refund?",
                'consent': 'yes'}).encode())
    assert status == 200, body


def test_every_channel_routed_with_sla(server, page, errors):
    """A call, an e-mail and a web form each become a case routed to an
    agent, with its SLA clocks running, that the agent opens in sao"""
    key = secret('service-call-key', 32).read_text()
    number = f'+86139{uuid.uuid4().int % 10 ** 8:08d}'
    status, pop = call(server, {
            'ani': number, 'dnis': '+86 21 6000 1000', 'ivr_choice': '1'},
        key)
    assert status == 201, pop
    tag = uuid.uuid4().hex[:8]
    send_email(server, f"Blank pages {tag}", f'it-{tag}@example.com')
    web_form(server, f"Refund {tag}")

    fields = ['number', 'channel', 'agent.rec_name', 'state',
        'response_deadline', 'resolution_deadline', 'sla_status']
    found = {c['channel']: c for c in cases(server, ['OR',
                ('number', '=', pop['case']['number']),
                ('subject', 'like', f'%{tag}')], fields)}
    assert set(found) == {'phone', 'email', 'web'}
    for case in found.values():
        assert case['state'] == 'assigned', case
        assert case['agent.']['rec_name'], case
        assert case['response_deadline'] and case['resolution_deadline']
        assert case['sla_status'] == 'on_track', case
    assert pop['agent']['name'] == found['phone']['agent.']['rec_name']

    case_id = cases(server, [('number', '=', found['phone']['number'])],
        ['id'])[0]['id']
    form = open_record(page, server, 'manager', 'crm.service.case', case_id)
    form.get_by_role('tab', name='SLA').click()
    sla = form.locator('.tab-pane.active')
    for label in ["Response Deadline", "Resolution Deadline"]:
        assert sla.get_by_text(label).first.is_visible(), label
    screenshot(page, 'service-case-sla')
    assert errors == []


def running_case(server):
    "The id of a case of the demo whose SLA clocks run"
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            'SELECT MIN(id) FROM crm_service_case '
            "WHERE state IN ('new', 'assigned', 'in_progress') "
            'AND resolution_deadline IS NOT NULL').fetchone()
    assert row[0], "the demo has no running case"
    return row[0]


def test_case_timer_and_message_first(server, page, errors):
    """The agent sees the time left with its colour on top of the case and
    in the list, and the customer's message before the classification"""
    form = open_record(
        page, server, 'manager', 'crm.service.case', running_case(server))
    left = form.get_by_text("Time Left").first
    assert left.is_visible()
    # The colour of the time left, once its image is loaded
    expect(form.locator('.form-image_ img').first).to_have_attribute(
        'src', re.compile('.'))
    message = form.locator('textarea').first
    party = form.locator('label', has_text="Party").first
    assert (left.bounding_box()['y'] < message.bounding_box()['y']
        < party.bounding_box()['y'])
    screenshot(page, 'service-case-timer')

    open_menu(page, 'CRM', 'Service', 'Cases')
    header = page.locator(
        '.tab-pane.active .treeview th', has_text="Time Left")
    header.first.wait_for()
    coloured = page.locator(
        '.tab-pane.active .treeview tbody td.success, '
        '.tab-pane.active .treeview tbody td.warning, '
        '.tab-pane.active .treeview tbody td.danger')
    coloured.first.wait_for()
    screenshot(page, 'service-case-list-timer')
    assert errors == []


def test_routing_log_switch_asks_nothing(server, page, errors):
    "A read-only routing log opened and left is not taken for modified"
    sao_login(page, server, 'manager')
    open_menu(page, 'CRM', 'Service', 'Routing Log')
    tab = page.locator('.tab-pane.active')
    tab.locator('.treeview tbody tr').first.dblclick()
    tab.locator('.form').first.wait_for()
    page.wait_for_load_state('networkidle')
    # The next view of the action (its graph) shows, no question asked
    tab.locator('button#switch_').click()
    tab.locator('.form').first.wait_for(state='hidden')
    page.wait_for_load_state('networkidle')
    screenshot(page, 'service-routing-log-switch')
    assert page.locator('.modal:visible').count() == 0
    assert errors == []
