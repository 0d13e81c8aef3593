# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A salesperson opens a customer from the list of customers and reads its
page: the header, then the timeline, on a desktop and on a phone."""
import pytest
from playwright.sync_api import expect

from .sao import (
    new_page, open_menu, open_record, query, sao_login, screenshot)

HEADER = ["Value Segment", "Revenue", "Receivable Today", "Owner"]


def check_customer_page(form):
    "The header on top, the 360° tab first, the timeline filled"
    for label in HEADER:
        # The header comes before the notebook, so its label is the first
        assert form.locator('label', has_text=label).first.is_visible(), label
    first_tab = form.locator('.nav-tabs li').first
    assert "Customer 360°" in first_tab.inner_text()
    assert form.get_by_text("Timeline", exact=True).first.is_visible()
    rows = form.locator('.treeview tbody tr')
    rows.first.wait_for()
    assert rows.count() > 0


def test_customer_list_opens_customer_in_its_tab(server, page, errors):
    "A double-click on a customer opens it in the same tab, staff not listed"
    sao_login(page, server, 'manager')
    open_menu(page, 'CRM', 'Customers')
    tab = page.locator('.tab-pane.active')
    # The list stays in the page, hidden, while the form shows
    rows = tab.locator('.treeview tbody tr:visible')
    rows.first.wait_for()
    page.wait_for_load_state('networkidle')
    names = [r.inner_text() for r in rows.all()]
    assert not any("BI Analyst" in n for n in names)
    screenshot(page, 'customer-list-1366')
    # The home opened at login is a tab too
    tabs = page.locator('#tablist li').count()

    for attempt in range(3):
        row = rows.nth(attempt)
        name = [
            t.strip() for t in row.inner_text().split('\t') if t.strip()][0]
        row.get_by_text(name, exact=True).first.dblclick()
        form = tab.locator('.form').first
        # Shown once its fields are loaded: a switch before that would
        # write the previous customer's values into this one
        expect(form.locator('input[name="name"]').first).to_have_value(
            name, timeout=30000)
        assert page.locator('#tablist li').count() == tabs, attempt
        if attempt == 0:
            check_customer_page(form)
            screenshot(page, 'customer-from-list-1366')
        # Back to the list, as the list button does
        tab.locator('button#switch_').click()
        form.wait_for(state='hidden')
        rows.first.wait_for()
        page.wait_for_load_state('networkidle')
    assert errors == []


def test_value_segments_open_in_their_tab(server, page, errors):
    """A double-click on a customer's name in Customer Value Segments opens
    the row in its tab: the name is text, not a link to a second tab"""
    sao_login(page, server, 'manager')
    open_menu(page, 'CRM', 'Reports', 'Customer Value Segments')
    tab = page.locator('.tab-pane.active')
    rows = tab.locator('.treeview tbody tr:visible')
    rows.first.wait_for()
    page.wait_for_load_state('networkidle')
    tabs = page.locator('#tablist li').count()
    name = [
        t.strip() for t in rows.first.inner_text().split('\t') if t.strip()][0]
    rows.first.get_by_text(name, exact=True).first.dblclick()
    tab.locator('.form').first.wait_for()
    page.wait_for_load_state('networkidle')
    assert page.locator('#tablist li').count() == tabs
    screenshot(page, 'customer-value-opened-1366')
    assert errors == []


@pytest.mark.parametrize('width', [1366, 390])
def test_customer_page(server, browser, width):
    "The customer's page reads on a desktop and on a phone"
    page, errors = new_page(browser, width, 844, locale='en-US')
    try:
        (party,), = query(server,
            "SELECT MIN(o.party) FROM sale_opportunity AS o "
            "JOIN crm_activity AS a ON a.party = o.party "
            "WHERE o.state = 'won'")
        form = open_record(page, server, 'manager', 'party.party', party)
        form.locator('.treeview tbody tr').first.wait_for()
        screenshot(page, f'customer-page-{width}')
        check_customer_page(form)
        assert page.evaluate(
            'document.documentElement.scrollWidth') <= width + 1
        assert errors == []
    finally:
        page.context.close()


def test_demo_sales_are_credited(server):
    """Every sale of the demo comes from a won opportunity, over the last 24
    months, so the salespeople's targets have something achieved each month
    (it was only the current month's: the history sales had no opportunity)"""
    (total, credited, months), = query(server,
        "SELECT COUNT(*), COUNT(o.id), "
        "COUNT(DISTINCT strftime('%Y-%m', s.sale_date)) "
        "FROM sale_sale AS s LEFT JOIN sale_opportunity AS o "
        "ON s.origin = 'sale.opportunity,' || o.id "
        "AND o.employee IS NOT NULL "
        "WHERE s.state IN ('confirmed', 'processing', 'done')")
    assert credited == total > 0
    assert months >= 12, months
