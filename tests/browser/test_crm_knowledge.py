# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every crm_knowledge menu opens in sao on the demo database."""
from .sao import module_menus, open_menu, sao_login


def test_every_knowledge_menu_opens(server, page, errors):
    menus = module_menus(server, 'crm_knowledge')
    assert ('CRM', 'Competitors', 'Changes') in menus, menus
    sao_login(page, server, 'manager')
    for path in menus:
        open_menu(page, *path)
        assert errors == [], f"{' > '.join(path)}: {errors}"
