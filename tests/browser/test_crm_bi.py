# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The demo analyst's story: the report catalogue in sao, a report's graph
and its SQL, a saved query run with a parameter and exported as CSV; and a
saved query charted by ECharts in a page opened from sao in the same
session, at desktop and phone width."""
import csv
import datetime as dt
import io
import re
import sqlite3

from playwright.sync_api import expect

from .sao import (
    DATABASE, module_menus, new_page, open_menu, open_record, sao_login,
    screenshot)

QUERY = "Opportunities by state"
PARAMETER_QUERY = "Won revenue by month"


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
    page, errors = new_page(browser, locale='en-US')
    context = page.context
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
    page, errors = new_page(browser, 390, 844, locale='zh-CN',
        is_mobile=True, has_touch=True)
    context = page.context
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


def menu_path(server, name):
    "The path of the crm_bi menu entry of the name, wherever it is"
    path, = [p for p in module_menus(server, 'crm_bi') if p[-1] == name]
    return path


def test_analyst_story(server, browser):
    """The analyst opens the catalogue, a report's graph and its SQL, runs
    a saved query with a parameter and downloads it as CSV, at 1366 px"""
    context = browser.new_context(
        viewport={'width': 1366, 'height': 850}, locale='en-US',
        accept_downloads=True)
    page = context.new_page()
    errors, downloads = [], []
    page.on('pageerror', lambda error: errors.append(str(error)))
    # The CSV opens in a new window that downloads it: listen from its start
    page.on('download', lambda download: downloads.append(download))
    context.on('page', lambda popup: popup.on(
            'download', lambda download: downloads.append(download)))
    sao_login(page, server, 'analyst')

    # The catalogue: the pipeline opens on its bar chart
    open_menu(page, *menu_path(server, "Pipeline by Stage"))
    tab = page.locator('.tab-pane.active')
    tab.locator('.graph svg').first.wait_for()
    assert tab.locator('.graph svg path').count() >= 1
    # The amounts are named with their currency, the axis groups thousands
    legend = tab.locator('.graph .bb-legend-item').all_text_contents()
    assert any(t.endswith(" (USD)") for t in legend), legend
    ticks = tab.locator('.graph .bb-axis-y .tick text').all_text_contents()
    assert any(',' in t for t in ticks), ticks
    # The stages by their names
    stages = tab.locator('.graph .bb-axis-x .tick text').all_text_contents()
    assert "Lead" in stages, stages
    screenshot(page, 'crm_bi_story_graph')

    # The same rows as a list, after the pie: sao launches an action on a
    # selected row. A switch is taken once the view before it is shown
    tab.locator('button#switch_').click()
    tab.locator('.graph .bb-chart-arcs').first.wait_for()
    tab.locator('button#switch_').click()
    tab.locator('.treeview tbody tr').first.click()

    # The SQL behind the rows, with its values written in
    tab.locator('button#action').click()
    page.locator('.dropdown-menu a[role="menuitem"]', has_text="Show SQL"
        ).first.click()
    dialog = page.locator('.modal-dialog:visible').last
    dialog.locator('textarea').first.wait_for()
    expect(dialog.locator('textarea').first).to_have_value(
        re.compile(r'^SELECT .*"sale_opportunity"', re.S), timeout=30000)
    screenshot(page, 'crm_bi_story_sql')
    dialog.get_by_role('button', name="Close").click()
    dialog.wait_for(state='hidden')

    # A saved query with a parameter: the wins of the last 150 days
    open_menu(page, *menu_path(server, "Queries"))
    tab = page.locator('.tab-pane.active')
    # On the name: a click on the owner would open the owner
    tab.locator('.treeview tbody tr').get_by_text(
        PARAMETER_QUERY, exact=True).first.dblclick()
    form = tab.locator('.form').first
    form.wait_for()
    page.wait_for_load_state('networkidle')
    screenshot(page, 'crm_bi_story_query_form')
    form.locator('button', has_text='Run').first.click()
    dialog = page.locator('.modal-dialog:visible').last
    row = dialog.locator('.treeview tbody tr', has_text="Since").first
    row.wait_for()
    screenshot(page, 'crm_bi_story_query_parameters')
    since = (dt.date.today() - dt.timedelta(days=150)).isoformat()
    # The first click selects the row, the next edits the cell
    row.locator('td').last.click()
    row.locator('td').last.click()
    editor = row.locator('input[name="value"]')
    editor.wait_for()
    editor.fill(since)
    editor.press('Tab')
    dialog.get_by_role('button', name="Run", exact=True).click()
    result = page.locator('.modal-dialog:visible textarea').last
    result.wait_for()
    expect(result).to_have_value(re.compile('^month,won'), timeout=30000)
    shown = list(csv.reader(io.StringIO(result.input_value())))
    assert shown[0] == ['month', 'won'], shown[:1]
    assert len(shown) > 1
    # The months since the value given, not since the default (a year)
    assert min(month for month, _ in shown[1:]) >= since[:7], shown
    screenshot(page, 'crm_bi_story_query')

    # The CSV of the same rows
    page.locator('.modal-dialog:visible').last.get_by_role(
        'button', name="CSV").click()
    for _ in range(300):
        if downloads:
            break
        page.wait_for_timeout(100)
    download, = downloads
    assert download.suggested_filename == 'query.csv'
    with open(download.path(), encoding='utf-8') as file:
        exported = list(csv.reader(file))
    assert exported == shown
    assert errors == []
    context.close()
