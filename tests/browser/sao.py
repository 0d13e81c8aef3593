# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a person does in sao, for the browser tests."""
import os
import sqlite3

from tools import ROOT

# The demo the tests start from, and the copy a test process serves (the
# suite runs in two processes at once under pytest-xdist)
DEMO = 'crm_browser_demo'
WORKER = os.environ.get('PYTEST_XDIST_WORKER')
DATABASE = f'crm_browser_{WORKER}' if WORKER else 'crm_browser'
SCREENSHOTS = ROOT / 'var' / 'screenshots'


def query(server, sql, *args):
    "The rows of the SQL query on the database the browser tests serve"
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, args).fetchall()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f'{name}.png'
    page.screenshot(path=str(path), full_page=True)
    return path


def new_page(browser, width=1366, height=850, **options):
    """A page in a new context of the browser at that size, and the
    JavaScript errors it raises; page.context closes both"""
    context = browser.new_context(
        viewport={'width': width, 'height': height}, **options)
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    return page, errors


def sao_login(page, server, login, path=''):
    """Log into sao as a person would: user name, then password

    sao opens the path of the URL (model/<name>/<id>) once logged in.
    """
    ask_password(page, server, login, path)
    for attempt in range(3):
        page.fill('#ask-dialog-entry', server.password)
        page.keyboard.press('Enter')
        # Under load the password was once typed before its question was
        # ready: the server refused it and sao asked again
        answer = page.wait_for_function(_LOGIN_ANSWER, timeout=30000)
        if answer.json_value() == 'in':
            break
    # The menu once loaded: below 992 px sao hides it as soon as a tab
    # opens (the home, the record of the URL), so it may never show
    page.wait_for_selector('#menu tr', state='attached', timeout=30000)


# Whether sao is logged in ('in') or asks for the password again ('again')
_LOGIN_ANSWER = """() => {
    const session = Sao.Session.current_session;
    if (session && session.user_id) {
        return 'in';
    }
    const entry = document.querySelector('#ask-dialog-entry');
    return (entry && entry.offsetParent !== null && !entry.value) ?
        'again' : '';
}"""


def ask_password(page, server, login, path=''):
    "Open sao, give the user name and wait for the password question"
    page.goto(f'{server.url}#{DATABASE}' + (f'/{path}' if path else ''))
    # sao enables the form once it knows the databases
    page.wait_for_selector('#login:enabled')
    page.fill('#login', login)
    page.click('.login-dialog button[type="submit"]')
    page.wait_for_selector('#ask-dialog-entry:visible')


# The index of the visible menu row of a name at a depth (the indent of its
# expander), the first after the row at index "after", or -1
_FIND_ROW = """([name, depth, after]) => {
    const rows = [...document.querySelectorAll('#menu tr')];
    for (let i = after + 1; i < rows.length; i++) {
        const title = rows[i].querySelector('.column-char');
        const image = rows[i].querySelector('.expander img');
        if (title && title.title === name && image
                && image.style.marginLeft === depth + 'em'
                && rows[i].offsetParent !== null) {
            return i;
        }
    }
    return -1;
}"""


def open_menu(page, *path):
    """Open the menu entry at path, expanding its parents as needed

    Each name is looked for at its depth below the row of its parent, so
    the same name at several places (CRM > Service and CRM > Configuration
    > Service) is the one of the path.
    """
    rows = page.locator('#menu tr')
    index = -1
    for depth, name in enumerate(path):
        found = page.evaluate(_FIND_ROW, [name, depth, index])
        if found < 0:
            # A top entry shows with the menu, the others once expanded
            if index >= 0:
                rows.nth(index).locator('.expander img').click()
            # 1 + the index once the row shows (0 is not truthy)
            found = page.wait_for_function(
                f'(arg) => ({_FIND_ROW})(arg) + 1',
                arg=[name, depth, index]).json_value() - 1
        index = found
    rows.nth(index).locator('.column-char').click()
    page.locator('.tab-pane.active .title', has_text=path[-1]).first.wait_for()
    page.wait_for_load_state('networkidle')


def open_record(page, server, login, model, record_id):
    "Log in on the URL of a record and return its form"
    sao_login(page, server, login, f'model/{model}/{record_id}')
    form = page.locator('.tab-pane.active .form').first
    form.wait_for()
    page.wait_for_load_state('networkidle')
    return form


# Whether the current tab of sao shows the record of the URL path
_SHOWS_RECORD = """(path) => {
    const tab = Sao.Tab.tabs.get_current();
    try {
        const url = decodeURIComponent((tab && tab.get_url()) || '');
        return url === path || url.startsWith(path + ';');
    } catch (error) {
        // A tab still loading has no URL yet
        return false;
    }
}"""


def open_in_session(page, model, record_id):
    """Open the form of the record in the logged-in sao through its URL, as
    a link to it does, and return the form

    sao follows a new URL once its open tabs are loaded."""
    path = f'model/{model}/{record_id}'
    page.wait_for_load_state('networkidle')
    page.evaluate('(hash) => { window.location.hash = hash; }',
        f'#{DATABASE}/{path}')
    page.wait_for_function(_SHOWS_RECORD, arg=path)
    form = page.locator('.tab-pane.active .form').first
    form.wait_for()
    page.wait_for_load_state('networkidle')
    return form


def module_menus(server, module):
    "The path of names of every menu entry of the module with an action"
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        menus = dict(((i, (n, p)) for i, n, p in connection.execute(
                    'SELECT id, name, parent FROM ir_ui_menu')))
        ids = [i for i, in connection.execute(
                'SELECT m.id FROM ir_model_data AS d '
                'JOIN ir_ui_menu AS m ON m.id = d.db_id '
                "WHERE d.module = ? AND d.model = 'ir.ui.menu' "
                "AND EXISTS (SELECT 1 FROM ir_action_keyword AS k "
                "WHERE k.keyword = 'tree_open' "
                "AND k.model = 'ir.ui.menu,' || m.id) "
                'ORDER BY m.id', (module,))]
    paths = []
    for menu in ids:
        names = []
        while menu:
            name, menu = menus[menu]
            names.insert(0, name)
        paths.append(tuple(names))
    return paths
