# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest

from trytond.modules.crm_knowledge.search import parse_query, terms
from trytond.modules.crm_sales.tests.tools import as_user, with_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .test_article import AGENT, create_article, create_user


class TermsTestCase(unittest.TestCase):
    "Test the terms of the full-text index"

    def test_terms(self):
        "Words are folded, Chinese runs become bigrams and their last char"
        self.assertEqual(
            terms("Ｒefund 退款流程, OK"),
            ['refund', '退款', '款流', '流程', '程', 'ok'])
        self.assertEqual(terms("退"), ['退'])

    def test_parse_query(self):
        "A Chinese run is a phrase of bigrams, a single char a prefix"
        self.assertEqual(parse_query("退款流程 refund"), [
                (('退款', '款流', '流程'), False), (('refund',), False)])
        self.assertEqual(parse_query("退"), [(('退',), True)])
        self.assertEqual(parse_query("the refund 退款", any_word=True), [
                (('refund',), False), (('退款',), False)])


class SearchTestCase(unittest.TestCase):
    "Test the full-text search of the articles"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_knowledge'])

    def ids(self, query, **kwargs):
        Article = Pool().get('crm.knowledge.article')
        return [r['id'] for r in Article.search_text(query, **kwargs)]

    @with_transaction()
    def test_english_ranking(self):
        "Every word must match; a title match beats a body match"
        body = create_article("Shipping delays",
            "<p>When a refund is late, check the invoice.</p>")
        title = create_article("Refund of an invoice", "<p>Steps.</p>")
        create_article("Printer jams", "<p>Open the tray.</p>")
        self.assertEqual(self.ids("refund"), [title.id, body.id])
        self.assertEqual(self.ids("REFUND invoice"), [title.id, body.id])
        self.assertEqual(self.ids("refund printer"), [])
        self.assertEqual(self.ids("refunds"), [])
        self.assertEqual(self.ids("   "), [])

    @with_transaction()
    def test_chinese_phrase(self):
        "A Chinese phrase matches as a contiguous run, not word by word"
        process = create_article("退款说明",
            "<p>如何办理退款流程：先联系客服。</p>", language='zh_CN')
        refund = create_article("售后服务",
            "<p>退款需要三天，流程很简单。</p>", language='zh_CN')
        title = create_article("退款流程", "<p>见下文。</p>",
            language='zh_CN')
        self.assertEqual(self.ids("退款流程"), [title.id, process.id])
        self.assertEqual(
            set(self.ids("退款")), {process.id, refund.id, title.id})
        self.assertEqual(self.ids("退款流程", language='en'), [])
        # A single character is a prefix of the bigrams
        self.assertIn(refund.id, self.ids("简"))
        self.assertEqual(self.ids("流程 客服"), [process.id])
        # Punctuation breaks a run: "退款，流程" is not "退款流程"
        self.assertNotIn(refund.id, self.ids("款流"))

    @with_transaction()
    def test_mixed_and_snippet(self):
        "Latin words and Chinese runs mix; the snippet highlights, escaped"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        article = create_article("iPhone 保修",
            "<p>&lt;script&gt; iPhone 退款流程 需要发票</p>",
            language='zh_CN')
        result, = Article.search_text("iphone 退款流程")
        self.assertEqual(result['id'], article.id)
        self.assertIn('<b>退款流程</b>', result['snippet'])
        self.assertIn('&lt;script&gt;', result['snippet'])
        self.assertNotIn('<script>', result['snippet'])

    @with_transaction()
    def test_search_bar_and_sync(self):
        "The text field is searchable; the index follows writes and deletes"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        article = create_article("Licence key", "<p>退款流程</p>",
            publish=False)
        other = create_article("Other", "<p>nothing</p>", publish=False)
        self.assertEqual(
            Article.search([('text', 'ilike', '%退款流程%')]), [article])
        self.assertEqual(
            Article.search([('text', 'not ilike', '%退款流程%')]), [other])
        Article.write([article], {'title': "Serial number",
                'body': "<p>warranty</p>"})
        self.assertEqual(self.ids("licence"), [])
        self.assertEqual(self.ids("退款流程"), [])
        self.assertEqual(self.ids("serial warranty"), [article.id])
        Article.delete([article])
        self.assertEqual(self.ids("serial"), [])

    @with_transaction()
    def test_search_bar_free_text(self):
        "The free text of the search bar finds a phrase of the body"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        article = create_article("退款流程", "<p>检验合格后五个工作日内退款</p>")
        create_article("Refund", "<p>within five days</p>")
        for text in ["检验合格", "退款流程"]:
            with self.subTest(text=text):
                self.assertEqual(Article.search(
                        [('rec_name', 'ilike', '%' + text + '%')]),
                    [article])
        self.assertEqual(
            len(Article.search([('rec_name', 'not ilike', '%退款流程%')])), 1)

    @with_transaction()
    def test_reader_sees_published_only(self):
        "A reader's search never returns an unpublished article"
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        published = create_article("Refund policy", "<p>x</p>")
        create_article("Refund draft", "<p>x</p>", publish=False)
        reader = create_user('reader', AGENT)
        with as_user(reader):
            self.assertEqual(self.ids("refund"), [published.id])
            self.assertEqual(
                Article.search([('text', '=', 'refund')]), [published])

    @with_company
    def test_case_suggestions(self):
        "A case suggests published articles, its category's first"
        pool = Pool()
        Case = pool.get('crm.service.case')
        CaseCategory = pool.get('crm.service.case.category')
        Party = pool.get('party.party')
        Article = pool.get('crm.knowledge.article')
        Answer = pool.get('crm.knowledge.case.answer', type='wizard')
        billing, printer = CaseCategory.create([
                {'name': "Billing"}, {'name': "Printer"}])
        general = create_article("Refund of a returned switch",
            "<p>Refund the switch once returned.</p>")
        billing_article = create_article("Credit notes",
            "<p>A refund needs a credit note.</p>",
            case_categories=[('add', [billing.id])])
        create_article("Refund of a returned switch (draft)",
            "<p>refund switch</p>", publish=False)
        create_article("Printer jams", "<p>Open the tray.</p>")
        party, = Party.create([{'name': "Customer"}])
        case, = Case.create([{
                    'subject': "Refund for the returned switch",
                    'description': "The customer wants a refund.",
                    'party': party.id, 'category': billing.id}])
        self.assertEqual(case.suggested_articles,
            (billing_article, general))
        Case.write([case], {'category': printer.id})
        self.assertEqual(Case(case.id).suggested_articles,
            (general, billing_article))

        session_id, _, _ = Answer.create()
        answer = Answer(session_id)
        with Transaction().set_context(active_model='crm.service.case',
                active_id=case.id, active_ids=[case.id]):
            defaults = answer.default_start(None)
            self.assertEqual(defaults['article'], general.id)
            answer.start.article = general
            # The agent reads the article's HTML that sao renders
            self.assertEqual(answer.start.on_change_with_article_text(),
                "<div>Refund the switch once returned.</div>")
            answer.transition_link()
        self.assertEqual(Case(case.id).answered_by, (general,))
        self.assertEqual(Article(general.id).answered, 1)
        self.assertEqual(Article(general.id).cases, (case,))
