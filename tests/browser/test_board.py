# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pipeline board opened from sao's CRM menu in the same session: a card
dragged to the next column moves the opportunity in the database, a drag
the workflow or the user's rights forbid is refused and the card returns;
at desktop and at phone width."""
import sqlite3

from .sao import (
    DATABASE, new_page, open_menu, open_record, sao_login, screenshot)

# Where the page's script counts the answered moves
MOVES = "(n) => document.getElementById('board').dataset.moves === String(n)"


def state(server, opportunity):
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        (value,), = connection.execute(
            'SELECT state FROM sale_opportunity WHERE id = ?',
            (opportunity,))
    return value


def lead_card(page):
    "The first card of the Lead column that names a customer"
    card = page.locator('ol[data-stage="lead"] li.card').filter(
        has=page.locator('.party:not(:empty)')).first
    card.wait_for()
    return card


def drag(page, card, target, x=None):
    """Drag the card by its top onto the target list, as a mouse does;
    x: where to drop across the page (the target's middle by default)"""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    goal = target.bounding_box()
    start_x, start_y = box['x'] + box['width'] / 2, box['y'] + 8
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 10, start_y + 10, steps=5)
    page.mouse.move(
        x if x is not None else goal['x'] + goal['width'] / 2,
        goal['y'] + 20, steps=25)
    page.mouse.up()


def open_board(context, page):
    "Open CRM > Pipeline Board in sao's menu: a new tab in the session"
    crm = page.locator('#menu tr').filter(
        has=page.locator('.column-char[title="CRM"]')).first
    entry = page.locator('#menu .column-char[title="Pipeline Board"]').first
    if not entry.is_visible():
        crm.locator('.expander img').click()
    with context.expect_page() as popup:
        entry.click()
    board = popup.value
    board.wait_for_load_state()
    board.wait_for_selector('#board')
    return board


def test_board_desktop(server, browser):
    """sales1 opens the board from the menu, drags a lead to Opportunity,
    then a lead to Won, which the workflow refuses"""
    page, errors = new_page(browser, locale='en-US')
    context = page.context
    sao_login(page, server, 'sales1')
    board = open_board(context, page)
    board.on('pageerror', lambda error: errors.append(str(error)))
    assert f'/{DATABASE}/crm_sales/board' in board.url
    assert board.locator('h1').inner_text() == "Pipeline Board"
    assert board.locator(
        '.board-scopes [aria-current]').inner_text() == "My Pipeline"
    # Six columns side by side, each with its total
    columns = board.locator('section.column')
    assert columns.count() == 6
    tops = {round(c.bounding_box()['y']) for c in columns.all()}
    assert len(tops) == 1, tops
    screenshot(board, 'board-desktop-before')

    card = lead_card(board)
    opportunity = int(card.get_attribute('data-id'))
    assert state(server, opportunity) == 'lead'
    drag(board, card, board.locator('ol[data-stage="opportunity"]'))
    board.wait_for_function(MOVES, arg=1)
    assert state(server, opportunity) == 'opportunity'
    moved = board.locator(f'li.card[data-id="{opportunity}"]')
    assert moved.get_attribute('data-stage') == 'opportunity'
    assert board.locator(
        f'ol[data-stage="opportunity"] li.card[data-id="{opportunity}"]'
        ).count() == 1
    assert "moved to Opportunity" in board.locator(
        '#board-status').inner_text()
    screenshot(board, 'board-desktop-moved')

    # Won comes from the sales: the card goes back to Lead, with the reason
    card = lead_card(board)
    refused = int(card.get_attribute('data-id'))
    drag(board, card, board.locator('ol[data-stage="won"]'))
    board.wait_for_function(MOVES, arg=2)
    status = board.locator('#board-status')
    assert status.get_attribute('role') == 'alert'
    assert "won when its sales are confirmed" in status.inner_text()
    assert board.locator(
        f'ol[data-stage="lead"] li.card[data-id="{refused}"]').count() == 1
    assert state(server, refused) == 'lead'
    screenshot(board, 'board-desktop-refused')
    assert errors == []
    context.close()


def test_board_phone(server, browser):
    """At phone width, in Chinese: sales2 drags a lead to the next column,
    which peeks at the right; the analyst, who reads only, is refused"""
    for login, allowed in [('sales2', True), ('analyst', False)]:
        page, errors = new_page(browser, 390, 844, locale='zh-CN',
            is_mobile=True, has_touch=True)
        context = page.context
        sao_login(page, server, login)
        # At phone width the menu shows before the password is checked:
        # the session cookie comes with the answer of the login
        page.wait_for_load_state('networkidle')
        for _ in range(50):
            if context.cookies():
                break
            page.wait_for_timeout(200)
        assert context.cookies(), "sao's login sets the session cookie"
        # As sao's menu entry does: a navigation keeps the session cookie
        with page.expect_navigation() as navigation:
            page.evaluate('(url) => window.location.assign(url)',
                f'/{DATABASE}/crm_sales/board?scope=all&lang=zh_CN')
        response = navigation.value
        assert response.status == 200, (login, response.status, page.content())
        page.wait_for_selector('#board')
        assert page.locator('h1').inner_text() == "销售管道看板"
        width = page.evaluate('document.documentElement.scrollWidth')
        assert width <= 390, width
        card = lead_card(page)
        opportunity = int(card.get_attribute('data-id'))
        drag(page, card, page.locator('ol[data-stage="opportunity"]'),
            x=370)
        page.wait_for_function(MOVES, arg=1)
        status = page.locator('#board-status')
        if allowed:
            assert state(server, opportunity) == 'opportunity'
            assert status.get_attribute('role') == 'status'
            assert page.locator('ol[data-stage="opportunity"] '
                f'li.card[data-id="{opportunity}"]').count() == 1
        else:
            assert state(server, opportunity) == 'lead'
            assert status.get_attribute('role') == 'alert'
            assert status.inner_text()
            assert page.locator('ol[data-stage="lead"] '
                f'li.card[data-id="{opportunity}"]').count() == 1
        screenshot(page, f'board-phone-{login}')
        assert errors == []
        context.close()


def salesperson_opportunity(server, login):
    "An opportunity of the user in the Opportunity stage"
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        (id_,), = connection.execute(
            'SELECT MIN(o.id) FROM sale_opportunity AS o '
            'JOIN res_user AS u ON u.employee = o.employee '
            "WHERE u.login = ? AND o.state = 'opportunity'", (login,))
    return id_


def assert_on_screen(locator, width=1366):
    box = locator.bounding_box()
    assert box and box['x'] >= 0 and box['x'] + box['width'] <= width, box


def test_opportunity_list_at_1366(server, page, errors):
    "The list shows the customer, amount, odds, score, stage, owner first"
    sao_login(page, server, 'sales1')
    open_menu(page, 'CRM', 'Leads and Opportunities')
    tab = page.locator('.tab-pane.active')
    tab.locator('.treeview tbody tr').first.wait_for()
    headers = tab.locator('.treeview thead th:visible')
    names = [t.strip() for t in headers.all_inner_texts()]
    first = [n for n in names if n][:6]
    screenshot(page, 'opportunity-list-1366')
    assert first == [
        "Party", "Amount", "Conversion Probability", "Score", "State",
        "Employee"], names
    for name in first:
        assert_on_screen(headers.filter(has_text=name).first)
    assert errors == []


def test_opportunity_form_at_1366(server, page, errors):
    "The form shows number, score, why this score and Convert to Sale"
    form = open_record(page, server, 'sales1', 'sale.opportunity',
        salesperson_opportunity(server, 'sales1'))
    assert_on_screen(form.locator('label', has_text="Number").first)
    assert_on_screen(form.locator('label', has_text="Score").first)
    assert_on_screen(form.get_by_role('tab', name="Why this Score"))
    assert_on_screen(form.locator('button', has_text="Convert to Sale"))
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= 1366, width
    screenshot(page, 'opportunity-form-1366')
    assert errors == []
