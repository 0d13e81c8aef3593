# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo competitor monitoring of crm_knowledge.

Two competitors linked to demo parties, each with a watched pricing page,
keyword watches and followers.  The demo cannot reach the Internet: it
serves the competitors' pages from a short-lived web server on 127.0.0.1,
checks them through the real code path (fetch, extract, hash, diff), changes
them and checks again, so every page ends with two snapshots and a change
with its diff, a price change, a keyword hit and the followers'
notifications.  The pages then keep a daily interval: on a server without
that web server, their next checks fail and are recorded as such.
"""
import datetime as dt

from trytond import config

MODULE = 'crm_knowledge'
SECTION = 'crm_knowledge'
PAGES = [
    ("Northwind Cloud", "Pricing", "#pricing", "免费试用", [
            ("Basic", "¥199"), ("Pro", "¥499"), ("Enterprise", "¥1,999")],
        [("Basic", "¥179"), ("Pro", "¥499"), ("Enterprise", "¥1,799")],
        "Free trial for 14 days. 全线产品 免费试用 14 天。"),
    ("Contoso Software", "Products", "#products", "AI assistant", [
            ("Contoso CRM", "$49"), ("Contoso Helpdesk", "$29")],
        [("Contoso CRM", "$49"), ("Contoso Helpdesk", "$25"),
            ("Contoso AI Assistant", "$15")],
        "New: the Contoso AI Assistant writes your replies."),
    ]
TEMPLATE = '''<html><head><title>%(name)s</title>
<script>var session = "%(session)s";</script></head><body>
<nav><a href="/">Home</a></nav><div class="banner">%(banner)s</div>
<div id="%(region)s"><h1>%(name)s %(page)s</h1><table>%(rows)s</table>
<p>%(news)s</p></div>
<footer>Updated %(stamp)s</footer></body></html>'''


def _html(name, page, region, prices, news, session, banner, stamp):
    rows = ''.join('<tr><td>%s</td><td>%s</td></tr>' % p for p in prices)
    return TEMPLATE % {
        'name': name, 'page': page, 'region': region.lstrip('#'),
        'rows': rows, 'news': news, 'session': session, 'banner': banner,
        'stamp': stamp}


def populate(pool, rng, today):
    from trytond.modules.crm_knowledge.tests.webserver import WebServer

    User = pool.get('res.user')
    # Every CRM user follows them: the home of each shows their changes
    followers = User.search([('login', 'in', [
                    'admin', 'manager', 'sales1', 'sales2', 'agent',
                    'analyst'])])
    if not config.has_section(SECTION):
        config.add_section(SECTION)
    allowed = config.get(SECTION, 'allowed_hosts')
    config.set(SECTION, 'allowed_hosts', '127.0.0.1')
    try:
        with WebServer() as server:
            _watch(pool, rng, server, followers)
    finally:
        config.set(SECTION, 'allowed_hosts', allowed or '')


def _watch(pool, rng, server, followers):
    "Watch the pages, check them, change them and check them again"
    Party = pool.get('party.party')
    Competitor = pool.get('crm.competitor')
    Page = pool.get('crm.competitor.page')
    Keyword = pool.get('crm.competitor.keyword')
    pages = []
    for i, (name, title, region, keyword, before, _, _) in enumerate(PAGES):
        party, = Party.search([('name', '=', name)], limit=1) or (
            Party.create([{'name': name}]))
        competitor, = Competitor.create([{
                    'party': party.id,
                    'website': 'https://www.example.com/%s' % i,
                    'notes': "Watched by the competitive intelligence team.",
                    }])
        path = '/%s/%s' % (i, title.lower())
        server.set(path, _html(
                name, title, region, before, '', 'a%s' % i, "Spring offer",
                '2026-01-01'))
        page, = Page.create([{
                    'name': '%s %s' % (name, title),
                    'competitor': competitor.id,
                    'url': server.url(path),
                    'selector': region,
                    'ignore_regexes': r'Updated \d{4}-\d\d-\d\d',
                    'ignore_selectors': '.banner',
                    'interval': dt.timedelta(days=1),
                    'respect_robots': False,
                    'subscribers': [('add', [u.id for u in followers])],
                    }])
        Keyword.create([{
                    'keyword': keyword, 'scope': 'competitor',
                    'competitor': competitor.id,
                    }])
        pages.append((page, path))
    Page.check([p for p, _ in pages])
    for (page, path), (name, title, region, _, _, after, news) in zip(
            pages, PAGES):
        server.set(path, _html(
                name, title, region, after, news, 'b%s' % rng.random(),
                "Summer offer", '2026-02-01'))
    Page.check([p for p, _ in pages])
