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


def sao_login(page, server, login):
    "Log into sao as a person would: user name, then password"
    ask_password(page, server, login)
    page.fill('#ask-dialog-entry', server.password)
    page.keyboard.press('Enter')
    page.wait_for_selector('#menu', state='visible', timeout=30000)


def ask_password(page, server, login):
    "Open sao, give the user name and wait for the password question"
    page.goto(f'{server.url}#{DATABASE}')
    # sao enables the form once it knows the databases
    page.wait_for_selector('#login:enabled')
    page.fill('#login', login)
    page.click('.login-dialog button[type="submit"]')
    page.wait_for_selector('#ask-dialog-entry:visible')
