# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Smoke test: the sales manager logs into sao and opens a CRM menu."""
from .sao import DATABASE, screenshot, sao_login


def test_sales_manager_opens_crm_menu(server, page):
    sao_login(page, server, 'manager')
    menu = page.locator('#menu')
    menu.get_by_text('CRM', exact=True).first.click()
    menu.get_by_text('Leads and Opportunities', exact=True).first.click()
    # The list opens in a tab and shows the demo pipeline
    page.wait_for_selector('.tab-pane.active table tbody tr',
        timeout=30000)
    rows = page.locator('.tab-pane.active table tbody tr')
    assert rows.count() > 0
    path = screenshot(page, 'sales-manager-crm-opportunities')
    assert path.stat().st_size > 10000


def test_wrong_password_is_refused(server, page):
    page.goto(f'{server.url}#{DATABASE}')
    page.fill('#login', 'manager')
    page.keyboard.press('Enter')
    page.wait_for_selector('input[type="password"]:visible')
    page.fill('input[type="password"]:visible', 'not-the-password')
    page.keyboard.press('Enter')
    page.wait_for_timeout(1500)
    assert not page.locator('#menu').is_visible()
