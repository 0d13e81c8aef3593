# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every crm_service menu opens in sao on the demo database."""
import sqlite3


from .sao import DATABASE, open_menu, sao_login


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


def test_every_service_menu_opens(server, page, errors):
    menus = module_menus(server, 'crm_service')
    assert ('CRM', 'Service', 'Cases') in menus
    sao_login(page, server, 'manager')
    for path in menus:
        open_menu(page, *path)
        assert errors == [], f"{' > '.join(path)}: {errors}"
