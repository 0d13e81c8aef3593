# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The demo analyst charts a saved query: ECharts draws it in a page opened
from sao in the same session, at desktop and phone width."""
import sqlite3

from .sao import DATABASE, open_record, sao_login, screenshot

QUERY = "Opportunities by state"


def query_id(server):
    "The id of the demo's query shared with the BI analysts"
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        (id_,), = connection.execute(
            'SELECT id FROM crm_bi_query WHERE name = ?', (QUERY,))
    return id_


def assert_drawn(chart_page, series):
    chart_page.wait_for_selector('#chart[data-drawn="true"] svg')
    # ECharts draws each bar, slice or line as a path of the SVG
    paths = chart_page.locator('#chart svg path').count()
    assert paths >= series, paths
    assert chart_page.locator('table tbody tr').count() >= 1


def test_query_chart_from_sao(server, browser):
    "The Chart button of a query opens its bars in the same session"
    context = browser.new_context(
        viewport={'width': 1366, 'height': 850}, locale='en-US')
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    id_ = query_id(server)
    form = open_record(page, server, 'analyst', 'crm.bi.query', id_)
    with context.expect_page() as popup:
        form.locator('button', has_text='Chart').first.click()
    chart_page = popup.value
    chart_page.on('pageerror', lambda error: errors.append(str(error)))
    chart_page.wait_for_load_state()
    assert f'/{DATABASE}/crm_bi/query/{id_}/chart' in chart_page.url
    assert chart_page.locator('h1').inner_text() == f"Chart of {QUERY}"
    assert_drawn(chart_page, 2)
    screenshot(chart_page, 'crm_bi_chart_desktop')
    # A pie of the amounts, chosen in the form
    chart_page.select_option('#type', 'pie')
    chart_page.select_option('#y', 'amount')
    chart_page.click('button[type="submit"]')
    chart_page.wait_for_selector('#chart[data-drawn="true"] svg')
    assert 'type=pie' in chart_page.url
    assert_drawn(chart_page, 2)
    assert errors == []
    context.close()


def test_query_chart_on_phone(server, browser):
    "At phone width the chart fits the screen, in Chinese"
    context = browser.new_context(
        viewport={'width': 390, 'height': 844}, locale='zh-CN',
        is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    sao_login(page, server, 'analyst')
    # At phone width the menu shows before the password is checked
    page.wait_for_load_state('networkidle')
    assert context.cookies(), "sao's login sets the session cookie"
    # As a link of sao would: a navigation the page starts keeps the
    # session cookie (SameSite=Strict)
    with page.expect_navigation():
        page.evaluate('(url) => window.location.assign(url)',
            f'/{DATABASE}/crm_bi/query/{query_id(server)}/chart'
            '?type=line&lang=zh_CN')
    assert_drawn(page, 1)
    assert page.locator('h1').inner_text() == f"{QUERY} 的图表"
    width = page.evaluate(
        "document.querySelector('#chart svg').getBoundingClientRect().width")
    assert 0 < width <= 390
    screenshot(page, 'crm_bi_chart_phone')
    assert errors == []
    context.close()


def test_chart_needs_session(server, browser):
    "Without sao's session the chart page is refused: 401"
    context = browser.new_context()
    response = context.request.get(
        f'{server.url}{DATABASE}/crm_bi/query/{query_id(server)}/chart')
    assert response.status == 401
    assert 'chart-data' not in response.text()
    context.close()
