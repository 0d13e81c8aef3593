# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Smoke test: the sales manager logs into sao and opens a CRM menu."""
from playwright.sync_api import expect

from .sao import ask_password, open_menu, sao_login, screenshot


def test_sales_manager_opens_crm_menu(server, page):
    sao_login(page, server, 'manager')
    open_menu(page, 'CRM', 'Leads and Opportunities')
    # The list opens in its tab (after the home's) and shows the demo
    # pipeline
    rows = page.locator('.tab-pane.active table tbody tr')
    expect(rows.first).to_be_visible(timeout=30000)
    path = screenshot(page, 'sales-manager-crm-opportunities')
    assert path.stat().st_size > 10000


def test_wrong_password_is_refused(server, page):
    ask_password(page, server, 'manager')
    page.fill('#ask-dialog-entry', 'not-the-password')
    page.keyboard.press('Enter')
    # sao asks again instead of opening the menu
    page.wait_for_selector('#ask-dialog-entry:visible')
    assert page.locator('#menu').get_by_text('CRM', exact=True).count() == 0
