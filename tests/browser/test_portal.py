# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal on the demo database, on a phone (390 px) and a desktop
(1366 px): a customer logs in, submits a case and finds an article by an
English word and a Chinese phrase; a partner sees their scorecard, accepts
a lead proposed to them, registers a deal, adds a product to the cart and
places the order."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tools.demo_portal import CUSTOMER, PARTNER

from .sao import DATABASE, screenshot

WIDTHS = {'phone': (390, 844), 'desktop': (1366, 850)}


@pytest.fixture(params=list(WIDTHS))
def portal_page(request, browser):
    width, height = WIDTHS[request.param]
    context = browser.new_context(
        viewport={'width': width, 'height': height}, locale='en-US')
    page = context.new_page()
    page.size_name = request.param
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def portal_url(server, path=''):
    return f'{server.url}{DATABASE}/crm_partner/portal/{path}'


def log_in(page, server, email):
    page.goto(portal_url(server, 'cases'))
    # Anonymous: the login page, which opens the asked page once logged in
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(server.password)
    page.keyboard.press('Enter')
    page.wait_for_url('**/crm_partner/portal/cases')


def no_horizontal_scroll(page):
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= page.viewport_size['width'] + 1, width


def test_customer_case_and_article(server, portal_page):
    page = portal_page
    size = page.size_name
    log_in(page, server, CUSTOMER)
    expect(page.locator('h1')).to_have_text("Service cases")
    no_horizontal_scroll(page)
    screenshot(page, f'portal-cases-{size}')

    subject = f"Printer <b>jams</b> {uuid.uuid4().hex[:6]}"
    page.get_by_role('link', name="New case").first.click()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill("Paper jams on every page.")
    page.get_by_role('button', name="Send").click()
    expect(page.locator('#notice')).to_contain_text("is received")
    # Escaped, shown as typed
    expect(page.locator('h1')).to_contain_text(subject)
    no_horizontal_scroll(page)
    screenshot(page, f'portal-case-{size}')

    page.get_by_role('link', name="Knowledge base").click()
    page.get_by_label("Search the knowledge base").fill("paper jam")
    page.keyboard.press('Enter')
    expect(page.locator('#articles')).to_contain_text("Clear a paper jam")
    page.get_by_label("Search the knowledge base").fill("退款")
    page.keyboard.press('Enter')
    expect(page.locator('#articles')).to_contain_text("退款流程")
    page.get_by_role('link', name="退款流程").click()
    expect(page.locator('h1')).to_have_text("退款流程")

    # The Chinese pages
    page.get_by_role('link', name="简体中文").click()
    expect(page.locator('html')).to_have_attribute('lang', 'zh-CN')
    expect(page.get_by_role('link', name="知识库")).to_be_visible()
    no_horizontal_scroll(page)
    screenshot(page, f'portal-article-zh-{size}')
    page.get_by_role('link', name="English").click()


def test_partner_lead_deal_and_order(server, portal_page):
    page = portal_page
    size = page.size_name
    log_in(page, server, PARTNER)
    page.get_by_role('link', name="Home").click()
    expect(page.locator('#scorecard')).to_contain_text("This quarter")
    no_horizontal_scroll(page)
    screenshot(page, f'portal-scorecard-{size}')

    page.get_by_role('link', name="Leads").first.click()
    proposed = page.locator('#leads tbody tr', has_text="Proposed")
    proposed.first.get_by_role('link').click()
    page.get_by_role('button', name="Accept the lead").click()
    expect(page.locator('#notice')).to_contain_text("The lead is yours")
    expect(page.locator('#lead-state')).to_have_text("Accepted")
    no_horizontal_scroll(page)
    screenshot(page, f'portal-lead-{size}')

    customer = f"Harbour <i>Lights</i> {uuid.uuid4().hex[:6]}"
    page.get_by_role('link', name="Deal registrations").first.click()
    page.get_by_role('link', name="Register a deal").first.click()
    page.get_by_label("Customer name").fill(customer)
    page.get_by_label("Contact name").fill("Chen Jie")
    page.get_by_label("E-mail").fill(
        f'chen@{uuid.uuid4().hex[:6]}.example.com')
    page.get_by_label("Project and products").fill("Twelve printers")
    page.get_by_label("Amount").fill('5400')
    page.get_by_label("Expected close").fill('2027-06-30')
    no_horizontal_scroll(page)
    page.get_by_role('button', name="Submit the registration").click()
    expect(page.locator('#notice')).to_contain_text(
        "submitted to the channel manager")
    expect(page.locator('#deal-state')).to_have_text("Submitted")
    # Escaped, shown as typed
    expect(page.locator('h1')).to_contain_text(customer)
    no_horizontal_scroll(page)
    screenshot(page, f'portal-deal-{size}')

    page.get_by_role('link', name="Catalogue").click()
    page.get_by_label("Search by our code, your code or name").fill("PTN-001")
    page.keyboard.press('Enter')
    rows = page.locator('#products tbody tr')
    expect(rows).to_have_count(1)
    rows.first.locator('input[name="quantity"]').fill('3')
    rows.first.get_by_role('button', name="Add to cart").click()
    expect(page.locator('#notice')).to_contain_text("in your cart")
    no_horizontal_scroll(page)
    screenshot(page, f'portal-catalogue-{size}')

    page.get_by_role('link', name="Cart").click()
    expect(page.locator('#cart tbody tr')).to_have_count(1)
    screenshot(page, f'portal-cart-{size}')
    page.get_by_role('button', name="Ask for a quotation").click()
    expect(page.locator('#notice')).to_contain_text("is ready")
    expect(page.locator('#order-state')).to_have_text("Quotation")
    page.get_by_role('button', name="Confirm the order").click()
    expect(page.locator('#notice')).to_contain_text("is confirmed")
    # Processed at once when the queue runs in the server process
    expect(page.locator('#order-state')).to_have_text(
        re.compile("Confirmed|Processing"))
    no_horizontal_scroll(page)
    screenshot(page, f'portal-order-{size}')
