# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every crm_knowledge menu opens in sao on the demo database; a published
article reads like an article."""
import sqlite3

from trytond.modules.crm_knowledge.search import html_to_text

from .sao import DATABASE, module_menus, open_menu, open_record, sao_login
from .sao import screenshot


def test_every_knowledge_menu_opens(server, page, errors):
    menus = module_menus(server, 'crm_knowledge')
    assert ('CRM', 'Competitive Intelligence', 'Changes') in menus, menus
    sao_login(page, server, 'manager')
    for path in menus:
        open_menu(page, *path)
        assert errors == [], f"{' > '.join(path)}: {errors}"


def published_article(server):
    "The id and the HTML body of a published article of the demo"
    path = server.backend.db_path() / f'{DATABASE}.sqlite'
    with sqlite3.connect(path) as connection:
        return connection.execute(
            'SELECT id, body FROM crm_knowledge_article '
            "WHERE state = 'published' AND body LIKE '<p>%' "
            'ORDER BY id LIMIT 1').fetchone()


def test_article_shows_its_text(server, page, errors):
    "The agent reads the rendered body of a published article, not a link"
    article, body = published_article(server)
    form = open_record(
        page, server, 'agent', 'crm.knowledge.article', article)
    text = form.locator('.form-richtext .richtext').first
    text.wait_for()
    assert text.get_attribute('contenteditable') == 'false'
    # Rendered: the paragraphs are blocks, no tag shows as text
    text.locator('div').first.wait_for()
    shown = text.inner_text()
    assert '<' not in shown, shown
    first_line = html_to_text(body).splitlines()[0]
    assert first_line in ' '.join(shown.split()), (first_line, shown)
    screenshot(page, 'knowledge-article-text')
    assert errors == []
