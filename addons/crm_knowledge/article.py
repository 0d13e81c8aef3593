# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import html
import re

from lxml import etree
from lxml import html as lxml_html
from sql import Literal
from sql.aggregate import Count, Max
from sql.conditionals import Case

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields,
    tree)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.rpc import RPC
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access

from .exceptions import ArticleReviewError
from .search import FullTextMixin, html_to_text

# The HTML an article body may hold: what sao's editor produces and what a
# pasted page needs to stay readable; everything else is unwrapped.
ALLOWED_TAGS = frozenset("""
a abbr b blockquote br caption code col colgroup dd del div dl dt em font h1
h2 h3 h4 h5 h6 hr i img ins kbd li ol p pre q s small span strike strong sub
sup table tbody td tfoot th thead tr tt u ul
""".split())
ALLOWED_ATTRIBUTES = {
    '*': {'title', 'align', 'lang', 'dir'},
    'a': {'href', 'name'},
    'img': {'src', 'alt', 'width', 'height'},
    'font': {'color', 'size', 'face'},
    'td': {'colspan', 'rowspan'},
    'th': {'colspan', 'rowspan', 'scope'},
    'ol': {'start', 'type'},
    }
URL_ATTRIBUTES = {'href', 'src'}
SAFE_SCHEMES = {'http', 'https', 'mailto', 'tel'}
# Removed with their content
DROPPED_TAGS = frozenset("""
script style iframe frame frameset object embed applet noscript template
svg math form input button select textarea link meta base title head
""".split())
# How long a published article is news for the followers of its category
# (told in the help of Article.news)
NEWS_DAYS = 14
_INVISIBLE = re.compile(r'[\x00-\x20\x7f-\xa0\u200b-\u200f\ufeff]+')


def safe_url(url):
    "Tell if the URL is relative or of a safe scheme"
    url = _INVISIBLE.sub('', url or '')
    scheme = re.match(r'([^/?#]*):', url)
    return not scheme or scheme.group(1).lower() in SAFE_SCHEMES


def sanitize_html(value):
    """Return the HTML fragment with only the allowed tags and attributes:
    no script, no event handler, no javascript: or data: URL"""
    if not value or not value.strip():
        return value
    root = lxml_html.fragment_fromstring(value, create_parent='div')
    for element in list(root.iter(
                etree.Comment, etree.ProcessingInstruction)):
        element.drop_tree()
    for element in list(root.iter()):
        if element is root:
            continue
        tag = element.tag if isinstance(element.tag, str) else ''
        if tag in DROPPED_TAGS or tag.split(':')[-1] in DROPPED_TAGS:
            element.drop_tree()
        elif tag not in ALLOWED_TAGS:
            element.drop_tag()
    for element in root.iter():
        if element is root:
            continue
        allowed = (ALLOWED_ATTRIBUTES['*']
            | ALLOWED_ATTRIBUTES.get(element.tag, set()))
        for name, attribute in list(element.attrib.items()):
            if (name not in allowed
                    or (name in URL_ATTRIBUTES and not safe_url(attribute))):
                del element.attrib[name]
        if element.tag == 'a' and element.get('href'):
            element.set('rel', 'noopener noreferrer nofollow')
    return html.escape(root.text or '', quote=False) + ''.join(
        etree.tostring(child, encoding='unicode', method='html')
        for child in root)


# sao's richtext widget keeps only b, br, div, font, i and u (its
# HtmlSanitizer) and flattens the other tags into text: how each tag of an
# article is drawn there
RICHTEXT_TAGS = {
    'h1': 'b', 'h2': 'b', 'h3': 'b', 'h4': 'b', 'h5': 'b', 'h6': 'b',
    'strong': 'b', 'th': 'b', 'dt': 'b',
    'em': 'i', 'q': 'i', 'a': 'u', 'ins': 'u',
    }
RICHTEXT_BLOCKS = frozenset("""
blockquote caption dd dl hr li ol p pre table tbody tfoot thead tr ul
h1 h2 h3 h4 h5 h6
""".split())


def html_to_richtext(value):
    """Return the sanitised HTML of an article as sao's richtext widget can
    draw it: blocks as div, headings and strong in bold, emphasis in
    italics, links underlined, list items bulleted"""
    value = sanitize_html(value)
    if not value or not value.strip():
        return ''
    root = lxml_html.fragment_fromstring(value, create_parent='div')
    for element in list(root.iter()):
        if element is root:
            continue
        tag = element.tag
        if tag == 'li':
            element.text = '\u2022 ' + (element.text or '')
        elif tag in {'td', 'th'}:
            element.tail = '  ' + (element.tail or '')
        if tag in RICHTEXT_TAGS:
            inline = etree.Element(RICHTEXT_TAGS[tag])
            inline.text, element.text = element.text, None
            inline.extend(list(element))
            element.append(inline)
        if tag in RICHTEXT_BLOCKS:
            element.tag = 'div'
        elif tag in RICHTEXT_TAGS:
            element.drop_tag()
    return html.escape(root.text or '', quote=False) + ''.join(
        etree.tostring(child, encoding='unicode', method='html')
        for child in root)


class Category(tree(separator=' / '), ModelSQL, ModelView):
    __name__ = 'crm.knowledge.category'
    __string__ = "Article Category"

    name = fields.Char("Name", required=True, translate=True)
    parent = fields.Many2One(
        'crm.knowledge.category', "Parent", ondelete='CASCADE')
    children = fields.One2Many(
        'crm.knowledge.category', 'parent', "Children")
    followers = fields.Many2Many(
        'crm.knowledge.category-res.user', 'category', 'user', "Followers",
        help="The users whose home shows the new articles of the category "
        "and of its subcategories.")
    followed = fields.Function(
        fields.Boolean("Followed"), 'get_followed',
        searcher='search_followed')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))
        cls._buttons.update({
                'follow': {
                    'invisible': Eval('followed', False),
                    'depends': ['followed'],
                    },
                'unfollow': {
                    'invisible': ~Eval('followed', False),
                    'depends': ['followed'],
                    },
                })

    @classmethod
    def get_followed(cls, categories, name):
        followed = {c.id for c in cls.search([
                    ('id', 'in', [c.id for c in categories]),
                    ('followed', '=', True),
                    ])}
        return {c.id: c.id in followed for c in categories}

    @classmethod
    def search_followed(cls, name, clause):
        _, operator, value = clause
        user = Transaction().user
        if (operator == '=') == bool(value):
            return [('followers', '=', user)]
        return [('followers', '!=', user)]

    @classmethod
    @ModelView.button
    def follow(cls, categories):
        user = Transaction().user
        # Readers follow the categories they may not edit
        with without_check_access():
            cls.write(list(categories), {'followers': [('add', [user])]})

    @classmethod
    @ModelView.button
    def unfollow(cls, categories):
        user = Transaction().user
        with without_check_access():
            cls.write(
                list(categories), {'followers': [('remove', [user])]})


class CategoryFollower(ModelSQL):
    __name__ = 'crm.knowledge.category-res.user'
    __string__ = "Article Category - Follower"

    category = fields.Many2One(
        'crm.knowledge.category', "Category", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('category_user_unique', Unique(t, t.category, t.user),
                'crm_knowledge.msg_category_follower_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.user, Index.Range()), (t.category, Index.Range())))


class Tag(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'crm.knowledge.tag'
    __string__ = "Knowledge Tag"

    name = fields.Char("Name", required=True, translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('name_unique', Unique(t, t.name),
                'crm_knowledge.msg_tag_name_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))


_readonly = Eval('state') != 'draft'


class Article(FullTextMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'crm.knowledge.article'
    __string__ = "Knowledge Article"
    _full_text_fields = {'title', 'body', 'language'}

    title = fields.Char(
        "Title", required=True, states={'readonly': _readonly})
    body = fields.Text(
        "Body", states={'readonly': _readonly},
        help="HTML; scripts, event handlers and unsafe links are removed "
        "on save.")
    category = fields.Many2One(
        'crm.knowledge.category', "Category", ondelete='RESTRICT',
        states={'readonly': _readonly})
    tags = fields.Many2Many(
        'crm.knowledge.article-crm.knowledge.tag', 'article', 'tag', "Tags")
    language = fields.Many2One(
        'ir.lang', "Language", required=True, ondelete='RESTRICT',
        states={'readonly': _readonly})
    audience = fields.Selection([
            ('internal', "Internal"),
            ('partners', "Partners"),
            ('public', "Public"),
            ], "Audience", required=True,
        help="Who may read the article once published: the CRM users "
        "read every audience.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('review', "In Review"),
            ('published', "Published"),
            ('archived', "Archived"),
            ], "State", readonly=True, required=True, sort=False)
    author = fields.Many2One(
        'res.user', "Author", required=True, ondelete='RESTRICT',
        states={'readonly': _readonly})
    reviewer = fields.Many2One(
        'res.user', "Reviewer", readonly=True, ondelete='RESTRICT',
        help="Who published the current version: never the author.")
    published_at = fields.DateTime("Published at", readonly=True)
    version = fields.Integer(
        "Version", readonly=True,
        help="The number of the published version shown to the readers.")
    versions = fields.One2Many(
        'crm.knowledge.article.version', 'article', "Versions",
        readonly=True)
    votes = fields.One2Many(
        'crm.knowledge.article.vote', 'article', "Votes", readonly=True)
    helpful = fields.Function(fields.Integer("Helpful"), 'get_votes')
    not_helpful = fields.Function(
        fields.Integer("Not Helpful"), 'get_votes')
    my_vote = fields.Function(fields.Selection([
                (None, ""),
                ('helpful', "Helpful"),
                ('not_helpful', "Not Helpful"),
                ], "My Vote"), 'get_my_vote')
    view_count = fields.Integer("Views", readonly=True)
    products = fields.Many2Many(
        'crm.knowledge.article-product.product', 'article', 'product',
        "Products")
    case_categories = fields.Many2Many(
        'crm.knowledge.article-crm.service.case.category', 'article',
        'category', "Case Categories",
        help="The cases of these categories are suggested this article "
        "first.")
    cases = fields.Many2Many(
        'crm.knowledge.article-crm.service.case', 'article', 'case',
        "Answered Cases", readonly=True)
    answered = fields.Function(
        fields.Integer("Answered", help="Cases this article answered."),
        'get_answered')
    text = fields.Function(
        fields.Text("Text"), 'get_text', searcher='search_full_text')
    reading = fields.Function(
        fields.Text("Article", help="The body as the reader sees it."),
        'get_reading')
    article_count = fields.Function(
        fields.Integer("Articles", help="1 per article, summed by graphs."),
        'get_article_count')
    news = fields.Function(
        fields.Boolean(
            "News",
            help="Published, new or updated, in the last 14 days in a "
            "category the user follows or in one of its subcategories."),
        'get_news', searcher='search_news')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('published_at', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'review'),
            ('review', 'draft'),
            ('review', 'published'),
            ('published', 'draft'),
            ('published', 'archived'),
            ('archived', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['review', 'published', 'archived']),
                    'icon': If(Eval('state') == 'review',
                        'tryton-back', 'tryton-forward'),
                    'depends': ['state'],
                    },
                'review': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'publish': {
                    'invisible': Eval('state') != 'review',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'archive': {
                    'invisible': Eval('state') != 'published',
                    'icon': 'tryton-archive',
                    'depends': ['state'],
                    },
                'vote_helpful': {
                    'invisible': Eval('state') != 'published',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'vote_not_helpful': {
                    'invisible': Eval('state') != 'published',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })
        cls.__rpc__['register_views'] = RPC(readonly=False, instantiate=0)

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_audience():
        return 'internal'

    @staticmethod
    def default_view_count():
        return 0

    @staticmethod
    def default_author():
        return Transaction().user or None

    @staticmethod
    def default_language():
        Lang = Pool().get('ir.lang')
        code = Transaction().language
        langs = Lang.search([('code', '=', code)], limit=1)
        return langs[0].id if langs else None

    def get_rec_name(self, name):
        return self.title

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = ('title',) + tuple(clause[1:])
        if clause[1] == 'ilike':
            # The free text of the client's search bar finds the body too
            return ['OR', domain, ('text',) + tuple(clause[1:])]
        return [domain]

    @classmethod
    def get_votes(cls, articles, names):
        pool = Pool()
        Vote = pool.get('crm.knowledge.article.vote')
        vote = Vote.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {a.id: 0 for a in articles} for n in names}
        for sub_ids in grouped_slice(
                [a.id for a in articles], backend.MAX_QUERY_PARAMS):
            cursor.execute(*vote.select(
                    vote.article,
                    Count(Case((vote.helpful, Literal(1)))),
                    Count(Case((~vote.helpful, Literal(1)))),
                    where=reduce_ids(vote.article, sub_ids),
                    group_by=[vote.article]))
            for article, helpful, not_helpful in cursor:
                if 'helpful' in result:
                    result['helpful'][article] = helpful
                if 'not_helpful' in result:
                    result['not_helpful'][article] = not_helpful
        return result

    @classmethod
    def get_my_vote(cls, articles, name):
        pool = Pool()
        Vote = pool.get('crm.knowledge.article.vote')
        result = dict.fromkeys((a.id for a in articles))
        with without_check_access():
            votes = Vote.search([
                    ('article', 'in', [a.id for a in articles]),
                    ('user', '=', Transaction().user),
                    ])
        for vote in votes:
            result[vote.article.id] = (
                'helpful' if vote.helpful else 'not_helpful')
        return result

    @classmethod
    def get_answered(cls, articles, name):
        pool = Pool()
        Answer = pool.get('crm.knowledge.article-crm.service.case')
        answer = Answer.__table__()
        cursor = Transaction().connection.cursor()
        result = {a.id: 0 for a in articles}
        for sub_ids in grouped_slice(
                [a.id for a in articles], backend.MAX_QUERY_PARAMS):
            cursor.execute(*answer.select(
                    answer.article, Count(answer.id),
                    where=reduce_ids(answer.article, sub_ids),
                    group_by=[answer.article]))
            result.update(cursor)
        return result

    def get_text(self, name):
        return html_to_text(self.body)

    def get_reading(self, name):
        return html_to_richtext(self.body)

    def get_article_count(self, name):
        return 1

    @classmethod
    def get_news(cls, articles, name):
        news = {a.id for a in cls.search([
                    ('id', 'in', [a.id for a in articles]),
                    ('news', '=', True),
                    ])}
        return {a.id: a.id in news for a in articles}

    @classmethod
    def search_news(cls, name, clause):
        pool = Pool()
        Category = pool.get('crm.knowledge.category')
        _, operator, value = clause
        followed = Category.search([('followed', '=', True)])
        domain = [
            ('state', '=', 'published'),
            ('published_at', '>=',
                dt.datetime.now() - dt.timedelta(days=NEWS_DAYS)),
            ('category', 'child_of', [c.id for c in followed], 'parent'),
            ]
        if (operator == '=') == bool(value):
            return domain
        return [('id', 'not in', cls.search(domain, query=True))]

    @classmethod
    def _full_text_rows(cls, articles):
        return [(a.id, a.language.code if a.language else None, a.title,
                a.text) for a in articles]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('body'):
            values['body'] = sanitize_html(values['body'])
        return values

    @classmethod
    def copy(cls, articles, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        default.setdefault('reviewer')
        default.setdefault('published_at')
        default.setdefault('version')
        default.setdefault('versions')
        default.setdefault('votes')
        default.setdefault('view_count', 0)
        default.setdefault('cases')
        default.setdefault('author', Transaction().user or None)
        return super().copy(articles, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, articles):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('review')
    def review(cls, articles):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('published')
    def publish(cls, articles):
        pool = Pool()
        Version = pool.get('crm.knowledge.article.version')
        user = Transaction().user
        for article in articles:
            if article.author.id == user:
                raise ArticleReviewError(
                    gettext('crm_knowledge.msg_article_review_author',
                        article=article.rec_name))
        now = dt.datetime.now()
        last = Version.last_numbers(articles)
        versions = []
        for article in articles:
            article.reviewer = user
            article.published_at = now
            article.version = last.get(article.id, 0) + 1
            versions.append(Version(
                    article=article, number=article.version,
                    title=article.title, body=article.body,
                    published_at=now, published_by=user))
        cls.save(articles)
        Version.save(versions)

    @classmethod
    @ModelView.button
    @Workflow.transition('archived')
    def archive(cls, articles):
        pass

    @classmethod
    def vote(cls, articles, helpful):
        "Record the vote of the user: one per user, a new vote replaces it"
        pool = Pool()
        Vote = pool.get('crm.knowledge.article.vote')
        user = Transaction().user
        with without_check_access():
            existing = {v.article: v for v in Vote.search([
                        ('article', 'in', [a.id for a in articles]),
                        ('user', '=', user),
                        ])}
            votes = []
            for article in articles:
                vote = existing.get(article) or Vote(
                    article=article, user=user)
                vote.helpful = helpful
                votes.append(vote)
            Vote.save(votes)

    @classmethod
    @ModelView.button
    def vote_helpful(cls, articles):
        cls.vote(articles, True)

    @classmethod
    @ModelView.button
    def vote_not_helpful(cls, articles):
        cls.vote(articles, False)

    @classmethod
    def register_views(cls, articles):
        """Count one view of each article the user can read, with an
        increment in the database so concurrent readers add up"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        readable = cls.search([('id', 'in', [a.id for a in articles])])
        for sub_ids in grouped_slice(
                [a.id for a in readable], backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.update(
                    [table.view_count], [table.view_count + 1],
                    where=reduce_ids(table.id, sub_ids)))


class ArticleTag(ModelSQL):
    __name__ = 'crm.knowledge.article-crm.knowledge.tag'
    __string__ = "Article - Tag"

    article = fields.Many2One(
        'crm.knowledge.article', "Article", required=True,
        ondelete='CASCADE')
    tag = fields.Many2One(
        'crm.knowledge.tag', "Tag", required=True, ondelete='CASCADE')


class ArticleProduct(ModelSQL):
    __name__ = 'crm.knowledge.article-product.product'
    __string__ = "Article - Product"

    article = fields.Many2One(
        'crm.knowledge.article', "Article", required=True,
        ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')


class ArticleCaseCategory(ModelSQL):
    __name__ = 'crm.knowledge.article-crm.service.case.category'
    __string__ = "Article - Case Category"

    article = fields.Many2One(
        'crm.knowledge.article', "Article", required=True,
        ondelete='CASCADE')
    category = fields.Many2One(
        'crm.service.case.category', "Case Category", required=True,
        ondelete='CASCADE')


class Version(ModelSQL, ModelView):
    __name__ = 'crm.knowledge.article.version'
    __string__ = "Article Version"

    article = fields.Many2One(
        'crm.knowledge.article', "Article", required=True,
        ondelete='CASCADE', readonly=True)
    number = fields.Integer("Number", required=True, readonly=True)
    title = fields.Char("Title", required=True, readonly=True)
    body = fields.Text("Body", readonly=True)
    reading = fields.Function(
        fields.Text("Article", help="The body as the reader sees it."),
        'get_reading')
    published_at = fields.DateTime("Published at", readonly=True)
    published_by = fields.Many2One(
        'res.user', "Published by", readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('article_number_unique', Unique(t, t.article, t.number),
                'crm_knowledge.msg_article_version_unique'),
            ]
        cls.__access__.add('article')
        cls._order = [
            ('article', 'ASC'), ('number', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return '%s (v%d)' % (self.title, self.number)

    def get_reading(self, name):
        return html_to_richtext(self.body)

    @classmethod
    def last_numbers(cls, articles):
        "Return the last version number of each article (by id)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub_ids in grouped_slice(
                [a.id for a in articles], backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.article, Max(table.number),
                    where=reduce_ids(table.article, sub_ids),
                    group_by=[table.article]))
            result.update(cursor)
        return result


class Vote(ModelSQL, ModelView):
    __name__ = 'crm.knowledge.article.vote'
    __string__ = "Article Vote"

    article = fields.Many2One(
        'crm.knowledge.article', "Article", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    helpful = fields.Boolean("Helpful")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('article_user_unique', Unique(t, t.article, t.user),
                'crm_knowledge.msg_article_vote_unique'),
            ]
        cls.__access__.add('article')
