# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A saved query charted by ECharts, opened from sao in the same session,
at desktop and phone width."""
from .sao import DATABASE, open_record, sao_login, screenshot

SQL = ("SELECT state, COUNT(id) AS opportunities, SUM(amount) AS amount "
    "FROM sale_opportunity WHERE state <> :skipped GROUP BY state "
    "ORDER BY state")


def create_query(page):
    "Save a query through sao's own session and return its id"
    return page.evaluate("""() => Sao.rpc({
        'method': 'model.crm.bi.query.create',
        'params': [[{
            'name': 'Opportunities by state',
            'sql': %r,
            'parameters': [['create', [{
                'name': 'skipped', 'type': 'char', 'default': 'cancelled',
                }]]],
            }], {}],
        }, Sao.Session.current_session).then((ids) => ids[0])""" % SQL)


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
    sao_login(page, server, 'admin')
    query_id = create_query(page)
    form = open_record(page, server, 'admin', 'crm.bi.query', query_id)
    with context.expect_page() as popup:
        form.locator('button', has_text='Chart').first.click()
    chart_page = popup.value
    chart_page.on('pageerror', lambda error: errors.append(str(error)))
    chart_page.wait_for_load_state()
    assert f'/{DATABASE}/crm_bi/query/{query_id}/chart' in chart_page.url
    assert_drawn(chart_page, 2)
    screenshot(chart_page, 'crm_bi_chart_desktop')
    # A pie of the amounts, chosen in the form
    chart_page.select_option('#type', 'pie')
    chart_page.select_option('#y', 'amount')
    chart_page.click('button[type="submit"]')
    chart_page.wait_for_load_state()
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
    sao_login(page, server, 'admin')
    query_id = create_query(page)
    page.goto(f'{server.url}{DATABASE}/crm_bi/query/{query_id}/chart'
        '?type=line&lang=zh_CN')
    assert_drawn(page, 1)
    assert page.locator('h1').inner_text().endswith('的图表')
    width = page.evaluate(
        "document.querySelector('#chart svg').getBoundingClientRect().width")
    assert 0 < width <= 390
    screenshot(page, 'crm_bi_chart_phone')
    assert errors == []
    context.close()


def test_chart_needs_session(server, browser):
    "Without sao's session the chart page asks for credentials: 401"
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(f'{server.url}{DATABASE}/crm_bi/query/1/chart')
    assert response.status == 401
    context.close()
