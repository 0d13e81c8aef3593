# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a person does in sao, for the browser tests."""
from tools import ROOT

DATABASE = 'crm_browser'
SCREENSHOTS = ROOT / 'var' / 'screenshots'


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f'{name}.png'
    page.screenshot(path=str(path), full_page=True)
    return path


def sao_login(page, server, login, path=''):
    """Log into sao as a person would: user name, then password

    sao opens the path of the URL (model/<name>/<id>) once logged in.
    """
    ask_password(page, server, login, path)
    page.fill('#ask-dialog-entry', server.password)
    page.keyboard.press('Enter')
    page.wait_for_selector('#menu', state='visible', timeout=30000)


def ask_password(page, server, login, path=''):
    "Open sao, give the user name and wait for the password question"
    page.goto(f'{server.url}#{DATABASE}' + (f'/{path}' if path else ''))
    # sao enables the form once it knows the databases
    page.wait_for_selector('#login:enabled')
    page.fill('#login', login)
    page.click('.login-dialog button[type="submit"]')
    page.wait_for_selector('#ask-dialog-entry:visible')


def menu_row(page, name, nth=0):
    return page.locator('#menu tr').filter(
        has=page.locator(f'.column-char[title="{name}"]')).nth(nth)


def open_menu(page, *path):
    """Open the menu entry at path, expanding its parents as needed

    A name repeated along the path (Territories > Territories) is the
    second row of that name.
    """
    for i, name in enumerate(path[1:], 1):
        nth = path[:i].count(name)
        if not menu_row(page, name, nth).is_visible():
            parent = path[i - 1]
            menu_row(page, parent, path[:i - 1].count(parent)).locator(
                '.expander img').click()
            menu_row(page, name, nth).wait_for(state='visible')
    name = path[-1]
    menu_row(page, name, path[:-1].count(name)).locator('.column-char').click()
    page.locator('.tab-pane.active .title', has_text=name).first.wait_for()
    page.wait_for_load_state('networkidle')


def open_record(page, server, login, model, record_id):
    "Log in on the URL of a record and return its form"
    sao_login(page, server, login, f'model/{model}/{record_id}')
    form = page.locator('.tab-pane.active .form').first
    form.wait_for()
    page.wait_for_load_state('networkidle')
    return form
