# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The phone app on the demo database, at phone size with the position of
the browser set in Shanghai: Salesperson One signs in, sees the nearby
customers on the map, checks in, goes offline, checks in at another
customer, comes back online and that visit is on the server exactly once;
then accepts and completes the Sales Manager's work instruction. She also
looks a customer up (search and the 360° summary) and edits an opportunity,
once while another device of hers saved it first (409: her edit is kept and
saved again on purpose)."""
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


def api(page, path, method='GET', body=None):
    "Call the API path as the signed-in app does"
    return page.evaluate('''async ([path, method, body]) => {
        const key = localStorage.getItem('crm_mobile_key:%s');
        const response = await fetch('../api/v1' + path, {
            method: method,
            headers: {Authorization: 'Bearer ' + key},
            body: body === null ? undefined : JSON.stringify(body)});
        return response.json();
    }''' % DATABASE, [path, method, body])


def sign_in(page, server):
    page.goto(f'{server.url}{DATABASE}/crm_mobile/app/')
    page.get_by_label("Login").fill('sales1')
    page.get_by_label("Password").fill(server.password)
    page.get_by_role('button', name="Sign in").click()


def test_field_day(phone, server):
    page = phone
    sign_in(page, server)

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
    # Accepted, the list is drawn again: a comment typed before is lost
    expect(task.locator('.accept')).to_have_count(0)
    task = page.locator('#task-list li[data-task]').first
    task.get_by_label("Comment").fill("Collected, on my way back")
    task.locator('.complete').click()
    expect(page.locator('#task-list li[data-task] .complete')).to_have_count(
        0)
    instruction = api(page, '/instructions')['items'][0]
    mine, = [a for a in instruction['assignees'] if a['state'] == 'done']
    assert mine['comment'] == "Collected, on my way back"
    screenshot(page, 'mobile-tasks')


def test_customer_and_opportunity_edit(phone, server):
    page = phone
    sign_in(page, server)
    expect(page.locator('#tabs')).to_be_visible()

    page.get_by_role('button', name="Customers").click()
    customers = page.locator('#customer-list li[data-customer]')
    expect(customers.first).to_be_visible(timeout=30000)
    name = customers.first.locator('.link').inner_text()
    page.locator('#customer-search input').fill(name[:5])
    page.locator('#customer-search input').press('Enter')
    expect(customers.first.locator('.link')).to_contain_text(name[:5])
    customers.first.locator('.link').click()
    card = page.locator('#customer')
    expect(card).to_be_visible()
    expect(page.locator('#customer-name')).to_have_text(
        re.compile(re.escape(name[:5])))
    expect(page.locator('#customer-facts')).to_contain_text("Segment")
    expect(page.locator('#customer-facts')).to_contain_text("Receivable")
    screenshot(page, 'mobile-customer-360')
    card.get_by_role('button', name="Back").click()
    expect(customers.first).to_be_visible()

    page.get_by_role('button', name="Opportunities").click()
    opportunities = page.locator('#opportunity-list li[data-opportunity]')
    expect(opportunities.first).to_be_visible()
    record = opportunities.first.get_attribute('data-opportunity')
    opportunities.first.locator('.edit').click()
    form = page.locator('#opportunity')
    form.get_by_label("Next step").fill("Send the revised quote")
    form.get_by_role('button', name="Save").click()
    expect(page.locator('#status')).to_have_text("Saved", timeout=15000)
    assert api(page, f'/opportunities/{record}')['next_step'] == (
        "Send the revised quote")

    # Another device saves first while this one edits
    page.locator(f'li[data-opportunity="{record}"] .edit').click()
    form.get_by_label("Next step").fill("Call the buyer on Monday")
    server_copy = api(page, f'/opportunities/{record}')
    api(page, f'/opportunities/{record}', 'PATCH', {
            'version': server_copy['version'],
            'next_step': "Visit with the engineer"})
    form.get_by_role('button', name="Save").click()
    expect(page.locator('#opportunity-server')).to_contain_text(
        "Visit with the engineer", timeout=15000)
    expect(page.locator('#status')).to_contain_text("Changed on the server")
    expect(form.get_by_label("Next step")).to_have_value(
        "Call the buyer on Monday")
    screenshot(page, 'mobile-opportunity-conflict')
    form.get_by_role('button', name="Save").click()
    expect(page.locator('#status')).to_have_text("Saved", timeout=15000)
    assert api(page, f'/opportunities/{record}')['next_step'] == (
        "Call the buyer on Monday")
