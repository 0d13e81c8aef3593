# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.wizard import Button, StateTransition, StateView, Wizard

# How many articles a case suggests
SUGGESTIONS = 10


class ArticleCase(ModelSQL):
    __name__ = 'crm.knowledge.article-crm.service.case'
    __string__ = "Article Answering a Case"

    article = fields.Many2One(
        'crm.knowledge.article', "Article", required=True,
        ondelete='CASCADE')
    case = fields.Many2One(
        'crm.service.case', "Case", required=True, ondelete='CASCADE')


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    suggested_articles = fields.Function(fields.Many2Many(
            'crm.knowledge.article', None, None, "Suggested Articles",
            help="Published articles matching the subject and the "
            "description, those of the case category first."),
        'get_suggested_articles')
    answered_by = fields.Many2Many(
        'crm.knowledge.article-crm.service.case', 'case', 'article',
        "Answered by", domain=[('state', '=', 'published')],
        help="The articles that answered the case.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'answer': {
                    'icon': 'tryton-ok',
                    },
                })

    def get_suggested_articles(self, name):
        pool = Pool()
        Article = pool.get('crm.knowledge.article')
        query = ' '.join(filter(None, [self.subject, self.description]))
        found = Article.search_text(
            query, any_word=True, limit=SUGGESTIONS * 3,
            domain=[('state', '=', 'published')])
        articles = Article.browse([f['id'] for f in found])
        category = self.category
        # sorted is stable: the full-text rank orders each group
        articles = sorted(articles,
            key=lambda a: category not in a.case_categories)
        return [a.id for a in articles[:SUGGESTIONS]]

    @classmethod
    @ModelView.button_action('crm_knowledge.wizard_case_answer')
    def answer(cls, cases):
        pass


class CaseAnswer(Wizard):
    __name__ = 'crm.knowledge.case.answer'

    start = StateView('crm.knowledge.case.answer.start',
        'crm_knowledge.case_answer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("This Answered It", 'link', 'tryton-ok', default=True),
            ])
    link = StateTransition()

    def default_start(self, fields):
        suggestions = self.record.suggested_articles
        return {
            'suggestions': [a.id for a in suggestions],
            'article': suggestions[0].id if suggestions else None,
            }

    def transition_link(self):
        self.model.write([self.record], {
                'answered_by': [('add', [self.start.article.id])],
                })
        return 'end'


class CaseAnswerStart(ModelView):
    __name__ = 'crm.knowledge.case.answer.start'
    __string__ = "Link the Answering Article"

    suggestions = fields.Many2Many(
        'crm.knowledge.article', None, None, "Suggestions", readonly=True)
    article = fields.Many2One(
        'crm.knowledge.article', "Article", required=True,
        domain=[('state', '=', 'published')],
        help="The suggested article or any other published one.")
    article_text = fields.Function(
        fields.Text("Text"), 'on_change_with_article_text')

    @fields.depends('article')
    def on_change_with_article_text(self, name=None):
        return self.article.reading if self.article else None
