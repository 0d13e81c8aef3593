# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The phone app on the demo database, at phone size with the position of
the browser set in Shanghai: Salesperson One signs in, sees the nearby
customers on the map, checks in, goes offline, checks in at another
customer, comes back online and that visit is on the server exactly once;
then accepts and completes the Sales Manager's work instruction."""
import re

import pytest
from playwright.sync_api import expect

from tools.demo_mobile import SHANGHAI

from .sao import DATABASE, screenshot

# Only the test's trytond answers: map tiles and anything else are refused
NOT_LOCAL = re.compile(r'^https?://(?!127\.0\.0\.1[:/])')


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={'width': 390, 'height': 844}, locale='en-US',
        geolocation={'latitude': SHANGHAI[0], 'longitude': SHANGHAI[1],
            'accuracy': 20},
        permissions=['geolocation'], service_workers='allow')
    context.route(NOT_LOCAL, lambda route: route.abort())
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def api(page, path):
    "GET the API path as the signed-in app does"
    return page.evaluate('''async (path) => {
        const key = localStorage.getItem('crm_mobile_key:%s');
        const response = await fetch('../api/v1' + path,
            {headers: {Authorization: 'Bearer ' + key}});
        return response.json();
    }''' % DATABASE, path)


def test_field_day(phone, server):
    page = phone
    page.goto(f'{server.url}{DATABASE}/crm_mobile/app/')
    page.get_by_label("Login").fill('sales1')
    page.get_by_label("Password").fill(server.password)
    page.get_by_role('button', name="Sign in").click()

    customers = page.locator('#nearby-list li[data-customer]')
    expect(customers.first).to_be_visible(timeout=30000)
    assert page.locator('#map .leaflet-marker-icon').count() >= 2
    screenshot(page, 'mobile-nearby')
    first = customers.nth(0).get_attribute('data-customer')
    second = customers.nth(1).get_attribute('data-customer')

    customers.nth(0).locator('.check-in').click()
    visit = page.locator('#visit-list li[data-visit]').first
    expect(visit.locator('.check-out')).to_be_visible()

    page.context.set_offline(True)
    page.get_by_role('button', name="Nearby").click()
    customers.nth(1).locator('.check-in').click()
    expect(page.locator('#status')).to_have_attribute('data-pending', '1')
    screenshot(page, 'mobile-offline')

    page.context.set_offline(False)
    expect(page.locator('#status')).to_have_attribute(
        'data-pending', '0', timeout=15000)
    visits = api(page, '/visits?limit=200')['items']
    assert [v['customer'] for v in visits].count(int(second)) == 1
    assert int(first) in [v['customer'] for v in visits]

    page.get_by_role('button', name="Tasks").click()
    task = page.locator('#task-list li[data-task]').first
    task.locator('.accept').click()
    task = page.locator('#task-list li[data-task]').first
    task.get_by_label("Comment").fill("Collected, on my way back")
    task.locator('.complete').click()
    expect(page.locator('#task-list li[data-task] .complete')).to_have_count(
        0)
    instruction = api(page, '/instructions')['items'][0]
    mine, = [a for a in instruction['assignees'] if a['state'] == 'done']
    assert mine['comment'] == "Collected, on my way back"
    screenshot(page, 'mobile-tasks')
