# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Each demo role logs into sao, at desk and phone width, in English and in
Chinese: it lands on its home and sees its own menu (issue 17, items 2, 9
and 11). Screenshots: var/screenshots/roles_<login>_<language>_<width>.png.
"""
import base64
import json
import urllib.request

import pytest

from .sao import DATABASE, new_page, sao_login, screenshot

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


def set_language(server, login, language):
    "The user's language, as they choose it in their preferences"
    user_id, key = rpc(server, 'common.db.login',
        [login, {'password': server.password}, 'en'])[:2]
    session = f'{login}:{user_id}:{key}'
    rpc(server, 'model.res.user.set_preferences',
        [{'language': language}, {}], session)
    rpc(server, 'common.db.logout', [], session)


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
        assert errors == [], errors
    finally:
        if language != 'en':
            set_language(server, login, 'en')
        page.context.close()
