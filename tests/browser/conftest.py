# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A real trytond serving sao on a demo database, and headless Chromium."""
import shutil

import pytest

from tools import ROOT
from tools.crmctl import Backend, Server, ensure_database, free_port
from tools.testcache import lock

from .sao import DATABASE, DEMO, WORKER, screenshot

CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-dev-shm-usage',
    ]


@pytest.fixture(scope='session')
def server():
    """The demo, built once for its code, served from a copy made for this
    run: what the tests change is gone at the next run"""
    backend = Backend('sqlite')
    with lock(DEMO):
        password = ensure_database(
            backend, DEMO, scale=0.1, quiet=True, fresh_demo=True)
        backend.copy(DEMO, DATABASE)
    # The competitor pages of the tests are served on 127.0.0.1; trytond
    # reads the environment before its configuration file, which has no
    # [crm_knowledge] section
    env = {'TRYTOND_CRM_KNOWLEDGE__ALLOWED_HOSTS': '127.0.0.1'}
    server = Server(backend, DATABASE, free_port(), cron=False, env=env)
    name = f'browser-server-{WORKER}.log' if WORKER else 'browser-server.log'
    with open(ROOT / 'var' / 'log' / name, 'w') as log:
        server.start(log=log)
        try:
            server.password = password
            yield server
        finally:
            server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of every page open when a test fails, named after
    the test, to see what sao showed"""
    report = yield
    browser = item.funcargs.get('browser')
    if report.failed and call.when == 'call' and browser:
        name = ''.join(c if c.isalnum() else '_' for c in item.name)
        pages = [p for c in browser.contexts for p in c.pages]
        for i, page in enumerate(pages):
            try:
                screenshot(page, f'failed_{name}_{i}')
            except Exception:
                pass  # a page closing with its test
    return report


@pytest.fixture(scope='session')
def browser():
    from playwright.sync_api import sync_playwright
    executable = shutil.which('chromium-headless-shell')
    assert executable, (
        "Debian's chromium-headless-shell is required"
        " (./crm test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={'width': 1366, 'height': 850}, locale='en-US')
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def errors(page):
    "The JavaScript errors the page raises"
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    return errors
