# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The published knowledge articles of the portal: the public ones, and the
partners' ones for partners, searched with the knowledge base's full-text
search (English words and Chinese phrases)."""
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from trytond.pool import Pool, PoolMeta

from .portal import Pager, portal_route, query_arg

# The best matches of a search, paginated
MAX_FOUND = 200


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    def portal_article_domain(self):
        audiences = ['public']
        if self.portal_is_partner:
            audiences.append('partners')
        return [
            ('state', '=', 'published'),
            ('audience', 'in', audiences),
            ]

    def portal_articles(self, query=None, offset=0, limit=None):
        """Return the articles the user may read matching the query, as
        dictionaries (id, rec_name, snippet), and their count

        A search ranks the best matches in one query, then reads and
        makes the snippets of the page's articles only: the text of an
        article is its HTML body turned to text, the page's main cost."""
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        domain = self.portal_article_domain()
        if query:
            ranked = Article.full_text_index().search(query,
                subquery=Article.search(domain, order=[], query=True),
                limit=MAX_FOUND)
            page = [r[0] for r in ranked[offset:offset + limit]]
            found = Article.search_text(query,
                domain=[('id', 'in', page)], limit=len(page)) if page else []
            return found, len(ranked)
        articles = Article.search(domain, offset=offset, limit=limit)
        found = [{'id': a.id, 'rec_name': a.rec_name, 'snippet': None}
            for a in articles]
        return found, Article.search_count(domain)

    def portal_article(self, article_id):
        "Return the article of the id the user may read or raise NotFound"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        articles = Article.search([
                ('id', '=', article_id),
                ] + self.portal_article_domain(), limit=1)
        if not articles:
            raise NotFound
        return articles[0]


@portal_route('articles')
def articles(request, portal):
    pager = Pager(request)
    query = query_arg(request)
    records, total = portal.user.portal_articles(
        query, offset=pager.offset, limit=pager.size)
    if query:
        # The snippets are escaped by the search, with the matches in <b>
        for record in records:
            record['snippet'] = Markup(record['snippet'])
    pager.set_total(total)
    return portal.render('articles.html', articles=records, pager=pager,
        query=query)


@portal_route('articles/<int:article_id>')
def article(request, portal, article_id):
    record = portal.user.portal_article(article_id)
    # The body is HTML cleaned of scripts and unsafe links when saved
    return portal.render('article.html', article=record,
        body=Markup(record.body or ''))
