# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Each demo role logs into sao, at desk and phone width, in English and in
Chinese: it lands on its home and sees its own menu (issue 17, items 2, 9
and 11). Screenshots: var/screenshots/roles_<login>_<language>_<width>.png.

After its home, each role goes on in the same session with its story: the
pipeline board (a drag that changes the stage, one that is refused), a
customer's page with its timeline, an article's text, a case's SLA timer.
"""
import base64
import contextlib
import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from trytond.modules.crm_knowledge.search import html_to_text
from trytond.modules.crm_sales.board import STAGES

from .sao import (
    DATABASE, new_page, open_in_session, query, sao_login, screenshot)
from .test_board import MOVES, drag, lead_card, state
from .test_crm_knowledge import published_article

# login: (the boxes of the home, CRM entries seen, CRM entries not seen)
ROLES = {
    'sales1': (
        ["My Pipeline", "My Activities Due", "My Target Achievement",
            "News in My Categories"],
        ["Leads and Opportunities", "Targets", "Proposals", "Reports"],
        ["Configuration", "Service"]),
    'manager': (
        ["Team Pipeline", "Revenue Forecast", "Team Target Achievement",
            "My Activities Due"],
        ["Leads and Opportunities", "Service", "Reports", "Configuration"],
        ["Reporting"]),
    'agent': (
        ["My Case Queue", "My Cases at SLA Risk", "News in My Categories"],
        ["Service", "Knowledge", "Activities"],
        ["Leads and Opportunities", "Targets", "Proposals",
            "Competitive Intelligence", "Reports"]),
    'analyst': (
        ["KPI Goals", "Revenue Forecast"],
        ["Reports", "Targets"],
        ["Service", "Proposals", "Configuration"]),
    }
CHINESE = {
    "My Pipeline": "我的销售管道",
    "Team Pipeline": "团队销售管道",
    "My Target Achievement": "我的目标达成",
    "Team Target Achievement": "团队目标达成",
    "My Case Queue": "我的工单队列",
    "My Activities Due": "我的到期活动",
    "My Cases at SLA Risk": "我的 SLA 风险案例",
    "News in My Categories": "我关注类别的新文章",
    "Revenue Forecast": "收入预测",
    "KPI Goals": "KPI 目标",
    }
WIDTHS = {1366: 850, 390: 844}

# The English names of the entries of the CRM folder (its icon is "crm")
# the user's menu shows, through sao's own session: what sao draws once the
# folder is opened
_CRM_ENTRIES = """() => new Promise((resolve, reject) => {
    Sao.rpc({
        'method': 'model.ir.ui.menu.search_read',
        'params': [[['parent.icon', '=', 'crm'],
            ['parent.parent', '=', null]], 0, null, null, ['name'],
            {'language': 'en'}],
    }, Sao.Session.current_session).then(resolve, reject);
})"""

# The box of the user's name and of the notification badge in the top bar,
# the badge shown with a count as sao shows it when notifications wait
_NAME_AND_BADGE = """() => {
    Sao.NotificationMenu.indicator.text('12').show();
    const link = document.querySelector('#user-preferences > a');
    const badge = link.querySelector('.notification-badge');
    const text = [...link.childNodes].find(
        n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    const range = document.createRange();
    range.selectNodeContents(text);
    const box = r => ({left: r.left, right: r.right,
        top: r.top, bottom: r.bottom, width: r.width});
    return {
        name: box(range.getBoundingClientRect()),
        badge: box(badge.getBoundingClientRect()),
        text: badge.textContent,
    };
}"""


def rpc(server, method, params, session=None):
    headers = {'Content-Type': 'application/json'}
    if session:
        headers['Authorization'] = 'Session ' + base64.b64encode(
            session.encode()).decode()
    request = urllib.request.Request(
        f'{server.url}{DATABASE}/rpc/', method='POST', headers=headers,
        data=json.dumps(
            {'id': 0, 'method': method, 'params': params}).encode())
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    assert 'error' not in answer or not answer['error'], answer
    return answer['result']


@contextlib.contextmanager
def session(server, login):
    "A JSON-RPC session of the user, as sao opens one"
    user_id, key = rpc(server, 'common.db.login',
        [login, {'password': server.password}, 'en'])[:2]
    key = f'{login}:{user_id}:{key}'
    try:
        yield key
    finally:
        rpc(server, 'common.db.logout', [], key)


def set_language(server, login, language):
    "The user's language, as they choose it in their preferences"
    with session(server, login) as key:
        rpc(server, 'model.res.user.set_preferences',
            [{'language': language}, {}], key)


# What each role does after its home, in the same session: the board (a
# drag that changes the stage, one that is refused), a customer's page, an
# article, a case's SLA timer
STORIES = {
    'sales1': ['board', 'customer', 'article'],
    'manager': ['board', 'customer', 'case'],
    'agent': ['case', 'article'],
    'analyst': ['board'],
    }
# The board's refusals: the workflow's (a converted deal is won by its
# sales) or the rights' (the analyst reads only)
REFUSED = {
    'sales1': ('converted', "won when its sales are confirmed"),
    'manager': ('converted', "won when its sales are confirmed"),
    'analyst': ('lead', ""),
    }
LABELS = {
    'en': {
        'board': "Pipeline Board", 'customer': "Customer 360°",
        'timeline': "Timeline", 'header': ["Value Segment", "Owner"],
        'case': "Time Left"},
    'zh_CN': {
        'board': "销售管道看板", 'customer': "客户 360°",
        'timeline': "时间线", 'header': ["价值分层", "负责人"],
        'case': "剩余时间"},
    }


def story(page, server, login, width, language):
    "The role's story after its home; a screenshot of each step"
    labels = LABELS[language]
    for step in STORIES[login]:
        if step == 'board':
            board = board_story(page, server, login, width, language)
            screenshot(board, f'roles_{login}_{language}_{width}_board')
            board.close()
            continue
        if step == 'customer':
            form = open_in_session(
                page, 'party.party', customer_of(server, login))
            for label in labels['header']:
                assert form.locator(
                    'label', has_text=label).first.is_visible(), label
            assert labels['customer'] in form.locator(
                '.nav-tabs li').first.inner_text()
            assert form.get_by_text(
                labels['timeline'], exact=True).first.is_visible()
            form.locator('.treeview tbody tr').first.wait_for()
        elif step == 'article':
            article, body = published_article(server)
            form = open_in_session(page, 'crm.knowledge.article', article)
            text = form.locator('.form-richtext .richtext').first
            text.locator('div').first.wait_for()
            first_line = html_to_text(body).splitlines()[0]
            assert first_line in ' '.join(text.inner_text().split())
        elif step == 'case':
            (case, words), = query(server,
                'SELECT c.id, c.description FROM crm_service_case AS c '
                'LEFT JOIN res_user AS u ON u.employee = c.agent '
                "WHERE c.state IN ('new', 'assigned', 'in_progress') "
                'AND c.resolution_deadline IS NOT NULL '
                "AND (u.login = ? OR ? = 'manager') "
                'ORDER BY c.id LIMIT 1', login, login)
            form = open_in_session(page, 'crm.service.case', case)
            assert form.get_by_text(labels['case']).first.is_visible()
            # The customer's words, at the top
            assert words
            expect(form.locator('textarea[name="description"]')
                ).to_have_value(words)
            # The colour of the time left, once its image is loaded
            expect(form.locator('.form-image_ img').first).to_have_attribute(
                'src', re.compile('.'))
        width_shown = page.evaluate('document.documentElement.scrollWidth')
        assert width_shown <= width + 1, (step, width_shown)
        screenshot(page, f'roles_{login}_{language}_{width}_{step}')


def customer_of(server, login):
    "A customer with activities and a won deal the user may read"
    (party,), = query(server,
        'SELECT MIN(o.party) FROM sale_opportunity AS o '
        'JOIN crm_activity AS a ON a.party = o.party '
        'JOIN res_user AS u ON u.employee = o.employee '
        "WHERE o.state = 'won' AND (u.login = ? OR ? = 'manager')",
        login, login)
    return party


def board_story(page, server, login, width, language):
    """Open the board in a new tab of the session; move a lead of the user
    to Opportunity (and back to Lead as sao's button does) unless the role
    reads only, and make a move the board refuses"""
    board = page.context.new_page()
    errors = []
    board.on('pageerror', lambda error: errors.append(str(error)))
    # The manager's own leads may all have been moved by other tests
    scope = 'mine' if login == 'sales1' else 'all'
    board.goto(f'{server.url}{DATABASE}/crm_sales/board'
        f'?scope={scope}&lang={language}')
    board.wait_for_selector('#board')
    assert board.locator('h1').inner_text() == LABELS[language]['board']
    moves = 0
    if login != 'analyst':
        card = lead_card(board)
        opportunity = int(card.get_attribute('data-id'))
        drag(board, card, board.locator('ol[data-stage="opportunity"]'),
            x=width - 20 if width < 768 else None)
        moves += 1
        board.wait_for_function(MOVES, arg=moves)
        assert state(server, opportunity) == 'opportunity'
        with session(server, login) as key:
            rpc(server, 'model.sale.opportunity.lead',
                [[opportunity], {}], key)
        assert state(server, opportunity) == 'lead'
    source, reason = REFUSED[login]
    column = board.locator(f'ol[data-stage="{source}"]')
    # At phone width, the column at the left edge, the next one peeking
    column.evaluate("(list) => list.closest('section').scrollIntoView("
        "{block: 'nearest', inline: 'start'})")
    card = column.locator('li.card').first
    refused = int(card.get_attribute('data-id'))
    target = STAGES[STAGES.index(source) + 1]
    drag(board, card, board.locator(f'ol[data-stage="{target}"]'),
        x=width - 20 if width < 768 else None)
    moves += 1
    board.wait_for_function(MOVES, arg=moves)
    status = board.locator('#board-status')
    assert status.get_attribute('role') == 'alert'
    if language == 'en':
        assert reason in status.inner_text()
    assert state(server, refused) == source
    assert board.locator(
        f'ol[data-stage="{source}"] li.card[data-id="{refused}"]').count()
    assert errors == [], errors
    return board


def overlap(a, b):
    return (a['left'] < b['right'] and b['left'] < a['right']
        and a['top'] < b['bottom'] and b['top'] < a['bottom'])


@pytest.mark.parametrize('language', ['en', 'zh_CN'])
@pytest.mark.parametrize('width', list(WIDTHS))
@pytest.mark.parametrize('login', list(ROLES))
def test_role_home_and_menu(server, browser, login, width, language):
    boxes, seen, unseen = ROLES[login]
    page, errors = new_page(browser, width, WIDTHS[width],
        locale='zh-CN' if language == 'zh_CN' else 'en-US',
        is_mobile=width < 768, has_touch=width < 768)
    if language != 'en':
        set_language(server, login, language)
    try:
        sao_login(page, server, login)
        # The home opens at login: the dashboard with the role's boxes
        headings = page.locator('.board-action .panel-heading')
        headings.first.wait_for(state='attached', timeout=30000)
        # sao names a box once its action is loaded
        page.wait_for_function(
            "(n) => [...document.querySelectorAll("
            "'.board-action .panel-heading')]"
            ".filter(h => h.textContent.trim()).length >= n", arg=len(boxes))
        titles = [t.strip() for t in headings.all_text_contents()]
        if language == 'zh_CN':
            boxes = [CHINESE[b] for b in boxes]
        assert titles == boxes, titles
        page.wait_for_load_state('networkidle')
        screenshot(page, f'roles_{login}_{language}_{width}')

        # The menu: the CRM entries of the role only
        crm = [e['name'] for e in page.evaluate(_CRM_ENTRIES)]
        assert len(crm) == len(set(crm)), crm
        for name in seen:
            assert name in crm, (name, crm)
        for name in unseen:
            assert name not in crm, (name, crm)

        # The notification badge does not cover the user's name
        if width >= 768:
            top = page.evaluate(_NAME_AND_BADGE)
            assert top['text'] == '12'
            assert top['name']['width'] > 0
            assert not overlap(top['name'], top['badge']), top
            screenshot(page, f'roles_{login}_{language}_{width}_badge')

        story(page, server, login, width, language)
        assert errors == [], errors
    finally:
        if language != 'en':
            set_language(server, login, 'en')
        page.context.close()
