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
    page.goto(f'{server.url}#{DATABASE}')
    page.fill('#login', login)
    page.keyboard.press('Enter')
    page.wait_for_selector('input[type="password"]:visible')
    page.fill('input[type="password"]:visible', server.password)
    page.keyboard.press('Enter')
    page.wait_for_selector('#menu', state='visible', timeout=30000)
