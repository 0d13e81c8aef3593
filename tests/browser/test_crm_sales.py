# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every crm_sales menu and form opens in sao on the demo database."""
import sqlite3

import pytest

from .sao import (
    DATABASE, new_page, open_in_session, open_menu, open_record, sao_login,
    screenshot)

MENUS = [
    ('CRM', 'Customers'),
    ('CRM', 'Leads and Opportunities'),
    ('CRM', 'Activities'),
    ('CRM', 'Reports', 'Activity Analysis'),
    ('CRM', 'Proposals'),
    ('CRM', 'Customers by Value'),
    ('CRM', 'Reports', 'Opportunities by Territory'),
    ('CRM', 'Targets'),
    ('CRM', 'Assignment Log'),
    ('CRM', 'Reports', 'Target Achievement'),
    ('CRM', 'Reports', 'Customer Value Segments'),
    ('CRM', 'Reports', 'Campaign Attribution'),
    ('CRM', 'Configuration', 'Sales Teams'),
    ('CRM', 'Configuration', 'Territories', 'Territory List'),
    ('CRM', 'Configuration', 'Assignment Rules'),
    ('CRM', 'Configuration', 'Stage Playbooks'),
    ('CRM', 'Configuration', 'Scoring Rules'),
    ('CRM', 'Configuration', 'Scoring Models'),
    ]
# Lists of numbers whose graph is a click away (list, graph, form)
GRAPHS = [
    ('CRM', 'Leads and Opportunities'),
    ('CRM', 'Customers'),
    ('CRM', 'Competitive Intelligence', 'Competitors'),
    ('CRM', 'Service', 'Ratings'),
    ]
# One record of each model whose form the demo fills
FORMS = [
    ('sale.opportunity', "state IN ('opportunity', 'converted')"),
    ('crm.activity', "state = 'planned'"),
    ('crm.target', "target_amount IS NOT NULL"),
    ('crm.proposal', "state = 'sent'"),
    ('crm.territory', "parent IS NOT NULL"),
    ('crm.assignment.rule', "team IS NOT NULL"),
    ('crm.playbook', "stage = 'lead'"),
    ('crm.scoring.model', "won > 0"),
    ('crm.sales.team', "leader IS NOT NULL"),
    ('crm.party.value', "segment = 'A'"),
    ]


def first_id(server, model, where):
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        table = model.replace('.', '_')
        row = connection.execute(
            f'SELECT MIN(id) FROM "{table}" WHERE {where}').fetchone()
    assert row[0], f"the demo has no {model} with {where}"
    return row[0]


def test_every_crm_menu_opens(server, page, errors):
    sao_login(page, server, 'manager')
    for path in MENUS:
        open_menu(page, *path)
        assert errors == [], f"{' > '.join(path)}: {errors}"


def test_lists_switch_to_their_graph(server, page, errors):
    "The manager switches lists with numbers to their charts"
    sao_login(page, server, 'manager')
    for path in GRAPHS:
        open_menu(page, *path)
        tab = page.locator('.tab-pane.active')
        tab.locator('.treeview tbody tr').first.wait_for()
        tab.locator('button#switch_').click()
        tab.locator('.graph svg path').first.wait_for()
        screenshot(page, 'graph_' + path[-1].lower().replace(' ', '_'))
        assert errors == [], f"{' > '.join(path)}: {errors}"


@pytest.fixture(scope='module')
def manager_session(server, browser):
    """The page of one sao session of the manager, who opens record after
    record in it, each in its tab, and the JavaScript errors it raises"""
    page, errors = new_page(browser, locale='en-US')
    sao_login(page, server, 'manager')
    yield page, errors
    page.context.close()


@pytest.mark.parametrize('model,where', FORMS)
def test_form_opens(server, manager_session, model, where):
    page, errors = manager_session
    errors.clear()
    form = open_in_session(page, model, first_id(server, model, where))
    assert form.locator('input:visible').count() > 0
    assert errors == []


def test_customer_360(server, page, errors):
    "A salesperson sees the whole relationship on the customer"
    party = first_id(server, 'party.party',
        "id IN (SELECT party FROM sale_opportunity "
        "WHERE state IN ('lead', 'opportunity'))")
    form = open_record(page, server, 'sales1', 'party.party', party)
    form.get_by_role('tab', name='Customer 360°').click()
    page_360 = form.locator('.tab-pane.active')
    for label in ["Open Opportunities", "Recent Activities"]:
        assert page_360.get_by_text(label).first.is_visible(), label
    # The customer's header, above the tabs
    for label in ["Value Segment", "Receivable Today"]:
        assert form.locator(
            'label', has_text=label).first.is_visible(), label
    rows = page_360.locator('.treeview tbody tr')
    rows.first.wait_for()
    assert rows.count() > 0
    screenshot(page, 'customer-360')
    assert errors == []


def test_form_left_while_loading_asks_nothing(server, page, errors):
    """A customer opened and left before its page is filled is not taken
    for modified: no save question, nothing written"""
    held = []

    def hold_read(route):
        "Keep the reads of the customer's page until the switch is made"
        data = route.request.post_data or ''
        if held is not None and '"model.party.party.read"' in data:
            held.append(route)
        else:
            route.continue_()

    sao_login(page, server, 'manager')
    open_menu(page, 'CRM', 'Customers')
    tab = page.locator('.tab-pane.active')
    tab.locator('.treeview tbody tr').first.wait_for()
    page.wait_for_load_state('networkidle')
    page.route(f'**/{DATABASE}/rpc/', hold_read)
    tab.locator('.treeview tbody tr').first.dblclick()
    tab.locator('.form').first.wait_for()
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the customer's page was read before it showed"
    tab.locator('button#switch_').click()
    routes, held = held, None
    for route in routes:
        route.continue_()
    tab.locator('.form').first.wait_for(state='hidden')
    page.wait_for_load_state('networkidle')
    assert page.locator('.modal:visible').count() == 0
    assert not page.evaluate(
        '() => Sao.Tab.tabs.get_current().screen.modified()')
    assert errors == []


def test_salesperson_opens_own_pipeline(server, page, errors):
    "sales1 opens the opportunities on their pipeline, the team's a tab away"
    sao_login(page, server, 'sales1')
    open_menu(page, 'CRM', 'Leads and Opportunities')
    tab = page.locator('.tab-pane.active')
    active = tab.locator('.nav-tabs li.active').first
    assert "My Pipeline" in active.inner_text()
    assert tab.locator('.nav-tabs li', has_text="My Teams' Pipeline").count()
    rows = tab.locator('.treeview tbody tr')
    rows.first.wait_for()
    page.wait_for_load_state('networkidle')
    for row in rows.all():
        assert "Salesperson One" in row.inner_text(), row.inner_text()
    screenshot(page, 'sales-my-pipeline')
    assert errors == []
