# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Issue 5 done when: in sao on the demo database, a user follows a
competitor page served locally, sees a change with its diff and a keyword
alert in their notifications, finds an article by a Chinese phrase and sees
their home dashboard."""
import uuid

from playwright.sync_api import expect

from trytond.modules.crm_knowledge.tests.webserver import WebServer

from .sao import open_menu, open_record, sao_login, screenshot
from .test_service_intake import rpc

USER = 'manager'
KEYWORD = "限时优惠"
PAGE = '''<html><body><nav>Home</nav>
<div id="pricing"><h1>Story Cloud</h1><p>Basic %(price)s per month</p>
<p>%(news)s</p></div><footer>Visitor %(visitor)s</footer></body></html>'''
# The home of the sales manager (crm_knowledge's home.py, crm_bi's home.py)
BOXES = ["Team Pipeline", "Revenue Forecast", "Team Target Achievement",
    "My Activities Due"]
# Its lists that the demo fills
FILLED = ["Team Pipeline", "My Activities Due"]


def session(server, login):
    "A JSON-RPC session of the user"
    user_id, token = rpc(server, 'common.db.login',
        [login, {'password': server.password}, 'en'])[:2]
    return f'{login}:{user_id}:{token}'


def watch(server, admin, url):
    "An analyst watches the page for the keyword: a page no one follows"
    competitor, = rpc(server, 'model.crm.competitor.search',
        [[], 0, 1, None, {}], admin)
    name = f"Story Pricing {uuid.uuid4().hex[:6]}"
    page, = rpc(server, 'model.crm.competitor.page.create', [[{
                    'name': name, 'competitor': competitor, 'url': url,
                    'selector': '#pricing', 'respect_robots': False,
                    'subscribers': [],
                    }], {}], admin)
    rpc(server, 'model.crm.competitor.keyword.create', [[{
                    'keyword': KEYWORD, 'scope': 'page', 'page': page,
                    'user': None,
                    }], {}], admin)
    return page, name


def check_now(server, admin, page):
    "The check of the page a worker would run, at once"
    rpc(server, 'model.crm.competitor.page.check_now', [[page], {}], admin)


def test_knowledge_story(server, browser, page, errors, request):
    admin = session(server, 'admin')
    with WebServer() as web:
        web.set('/pricing', PAGE % {
                'price': "¥299", 'news': "", 'visitor': 1})
        page_id, name = watch(server, admin, web.url('/pricing'))
        check_now(server, admin, page_id)

        # The user follows the page from its form
        form = open_record(
            page, server, USER, 'crm.competitor.page', page_id)
        form.get_by_role('button', name="Follow", exact=True).click()
        form.get_by_role('button', name="Unfollow").wait_for()

        # The competitor lowers its price and announces a sale; only the
        # visitor counter changes elsewhere
        web.set('/pricing', PAGE % {
                'price': "¥259", 'news': f"{KEYWORD}：全场八折",
                'visitor': 2})
        check_now(server, admin, page_id)

    # Logged in again, the user has a notification of the change
    context = browser.new_context(
        viewport={'width': 1366, 'height': 850}, locale='en-US')
    request.addfinalizer(context.close)
    page = context.new_page()
    page.on('pageerror', lambda error: errors.append(str(error)))
    sao_login(page, server, USER)
    badge = page.locator('#user-preferences .notification-badge')
    badge.wait_for()
    assert badge.inner_text().strip()
    page.locator('#user-preferences > a.dropdown-toggle').click()
    item = page.locator('.notification-menu .notification-item', has_text=name)
    item.wait_for()
    assert f"+ {KEYWORD}" in item.locator(
        '.notification-description').inner_text()
    screenshot(page, 'knowledge-notification')
    item.locator('a').click()

    # The change shows the diff: the old and the new price, the sale
    change = page.locator('.tab-pane.active .form').first
    change.wait_for()
    # sao fills the read-only rich text once the record is loaded
    diff = change.locator('.richtext').first
    for expected in ["¥299", "¥259", KEYWORD]:
        expect(diff).to_contain_text(expected, timeout=30000)
    # Loaded, as the diff shows: no wait for an idle network, which a
    # loaded machine kept busy for 30 s once
    screenshot(page, 'knowledge-change')

    # An article found by a phrase of its body
    open_menu(page, 'CRM', 'Knowledge', 'Articles')
    search = page.locator('.tab-pane.active input[placeholder="Search"]')
    search.fill("检验合格")
    search.press('Enter')
    rows = page.locator('.tab-pane.active .treeview tbody tr')
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("退款流程")
    screenshot(page, 'knowledge-search')

    # The home of their role, its lists filled
    open_menu(page, 'Dashboard')
    boxes = page.locator('.tab-pane.active .board-action')
    for title in BOXES:
        boxes.filter(has=page.locator(
                '.panel-heading', has_text=title)).first.wait_for()
    for title in FILLED:
        box = boxes.filter(
            has=page.locator('.panel-heading', has_text=title))
        box.locator('.treeview tbody tr').first.wait_for()
    page.wait_for_load_state('networkidle')
    screenshot(page, 'knowledge-home')
    assert boxes.count() == len(BOXES)
    assert errors == []
