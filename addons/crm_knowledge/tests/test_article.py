# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest

from trytond.model.exceptions import AccessError, RecursionError
from trytond.modules.crm_knowledge.article import (
    html_to_richtext, sanitize_html)
from trytond.modules.crm_knowledge.exceptions import ArticleReviewError
from trytond.modules.crm_sales.tests.tools import as_user
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

EDITOR = ['crm_knowledge.group_crm_knowledge_editor']
SALESPERSON = ['crm_sales.group_crm_salesperson']
AGENT = ['crm_service.group_crm_service_agent']


def create_user(login, groups):
    "Return a user of the groups"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user, = User.create([{
                'login': login,
                'name': login,
                'groups': [('add', [ModelData.get_id(g) for g in groups])],
                }])
    return user


def create_article(title, body='', language='en', publish=True, **values):
    """Return an article written by an author and published by a
    reviewer (both editors, created on first use)"""
    pool = Pool()
    Article = pool.get('crm.knowledge.article')
    Lang = pool.get('ir.lang')
    User = pool.get('res.user')
    lang, = Lang.search([('code', '=', language)])
    if language != 'en' and not lang.translatable:
        lang.translatable = True
        lang.save()
    users = {u.login: u for u in User.search(
            [('login', 'in', ['author', 'reviewer'])])}
    author = users.get('author') or create_user('author', EDITOR)
    reviewer = users.get('reviewer') or create_user('reviewer', EDITOR)
    article, = Article.create([{
                'title': title, 'body': body, 'language': lang.id,
                'author': author.id, **values}])
    if publish:
        Article.review([article])
        with as_user(reviewer):
            Article.publish(Article.browse([article]))
    return article


class ArticleTestCase(unittest.TestCase):
    "Test the knowledge articles"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_knowledge'])

    @with_transaction()
    def test_workflow_versions(self):
        "Publishing keeps each version; the author cannot publish"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        article = create_article("Reset a password", "<p>First</p>",
            publish=False)
        author, = Pool().get('res.user').search([('login', '=', 'author')])
        reviewer, = Pool().get('res.user').search(
            [('login', '=', 'reviewer')])
        Article.review([article])
        with as_user(author):
            with self.assertRaises(ArticleReviewError):
                Article.publish(Article.browse([article]))
        with as_user(reviewer):
            Article.publish(Article.browse([article]))
        article = Article(article.id)
        self.assertEqual(article.state, 'published')
        self.assertEqual(article.version, 1)
        self.assertEqual(article.reviewer, reviewer)
        self.assertTrue(article.published_at)

        Article.draft([article])
        Article.write([article], {
                'title': "Reset a forgotten password",
                'body': "<p>Second</p>"})
        Article.review([article])
        with as_user(reviewer):
            Article.publish(Article.browse([article]))
        article = Article(article.id)
        self.assertEqual(article.version, 2)
        self.assertEqual(
            [(v.number, v.title, v.body) for v in article.versions],
            [(2, "Reset a forgotten password", "<p>Second</p>"),
                (1, "Reset a password", "<p>First</p>")])
        self.assertEqual(article.versions[0].published_by, reviewer)

        Article.archive([article])
        self.assertEqual(article.state, 'archived')

    @with_transaction()
    def test_sanitize(self):
        "Scripts, handlers and unsafe URLs are removed from the body"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        article = create_article("Hostile", (
                '<p onclick="steal()">Keep <b>bold</b>'
                '<script>alert(1)</script></p>'
                '<a href=" java\tscript:alert(2)">bad</a>'
                '<a href="https://example.com/doc">good</a>'
                '<img src="data:text/html;base64,PHNjcmlwdD4=" '
                'onerror="alert(3)">'
                '<iframe src="https://evil.example"></iframe>'
                '<style>body{display:none}</style><!-- comment -->'
                '<svg onload="alert(4)"><circle/></svg>'
                '<custom-tag>text kept</custom-tag>'), publish=False)
        body = article.body
        for bad in ['script', 'onclick', 'javascript', 'alert', 'onerror',
                'data:', 'iframe', 'style', 'comment', 'svg', 'custom']:
            self.assertNotIn(bad, body.lower())
        self.assertIn('<b>bold</b>', body)
        self.assertIn('href="https://example.com/doc"', body)
        self.assertIn('text kept', body)
        self.assertIn('Keep', body)
        Article.write([article], {'body': '<a href="javascript:x()">y</a>'})
        self.assertEqual(article.body, '<a>y</a>')

    def test_sanitize_plain(self):
        "A plain text body stays as it is"
        self.assertEqual(sanitize_html("退款流程 & co"), "退款流程 &amp; co")

    def test_richtext(self):
        "The body as sao's richtext widget draws it: b, i, u, br and div"
        self.assertEqual(html_to_richtext(
                '<h2>Refund</h2><p>Send <strong>the invoice</strong>, '
                '<a href="https://x.example">read <em>this</em></a>'
                '<br>then wait.</p><ul><li>One</li><li>Two</li></ul>'
                '<script>alert(1)</script>'),
            '<div><b>Refund</b></div>'
            '<div>Send <b>the invoice</b>, <u>read <i>this</i></u>'
            '<br>then wait.</div>'
            '<div><div>\u2022 One</div><div>\u2022 Two</div></div>')
        self.assertEqual(html_to_richtext("退款 & co"), "退款 &amp; co")
        self.assertEqual(html_to_richtext(None), '')

    @with_transaction()
    def test_votes(self):
        "A user votes once per article and can change the vote"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        Vote = pool.get('crm.knowledge.article.vote')
        article = create_article("Printer jams", "<p>Open the tray</p>")
        alice = create_user('alice', SALESPERSON)
        bob = create_user('bob', AGENT)
        with as_user(alice):
            Article.vote_helpful(Article.browse([article]))
            Article.vote_not_helpful(Article.browse([article]))
            self.assertEqual(Article(article.id).my_vote, 'not_helpful')
        with as_user(bob):
            Article.vote_helpful(Article.browse([article]))
            self.assertEqual(Article(article.id).my_vote, 'helpful')
        article = Article(article.id)
        self.assertEqual((article.helpful, article.not_helpful), (1, 1))
        self.assertEqual(
            Vote.search([('article', '=', article.id)], count=True), 2)

    @with_transaction()
    def test_reader_access(self):
        "Readers see published articles only and cannot edit them"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        published = create_article("Published", "<p>Read me</p>")
        draft = create_article("Draft", "<p>Not yet</p>", publish=False)
        reader = create_user('reader', SALESPERSON)
        outsider = create_user('outsider', [])
        with as_user(reader):
            self.assertEqual(Article.search([]), [published])
            with self.assertRaises(AccessError):
                Article.read([draft.id], ['title'])
            with self.assertRaises(AccessError):
                Article.write(Article.browse([published]), {'title': "X"})
            with self.assertRaises(AccessError):
                Article.review(Article.browse([draft]))
            Article.register_views(Article.browse([published, draft]))
        with as_user(outsider):
            with self.assertRaises(AccessError):
                Article.search([])
        self.assertEqual(Article(published.id).view_count, 1)
        self.assertEqual(Article(draft.id).view_count, 0)

    @with_transaction()
    def test_category_cycle(self):
        "A category cannot be its own ancestor"
        pool = Pool()
        Category = pool.get('crm.knowledge.category')
        parent, = Category.create([{'name': "Billing"}])
        child, = Category.create([{'name': "Refund", 'parent': parent.id}])
        self.assertEqual(child.rec_name, "Billing / Refund")
        with self.assertRaises(RecursionError):
            Category.write([parent], {'parent': child.id})
