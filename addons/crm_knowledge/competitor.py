# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Competitors: parties whose web sites the team watches"
from sql.aggregate import Count

from trytond import backend
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction


class Competitor(DeactivableMixin, ModelSQL, ModelView):
    "Competitor"
    __name__ = 'crm.competitor'
    __string__ = "Competitor"

    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE',
        context={
            'company': Transaction().context.get('company'),
            })
    website = fields.Char("Web Site")
    products = fields.Many2Many(
        'crm.competitor-product.product', 'competitor', 'product',
        "Competing Products",
        help="Our products this competitor competes with.")
    segments = fields.Many2Many(
        'crm.competitor-product.category', 'competitor', 'category',
        "Segments", help="The product categories it competes in.")
    notes = fields.Text("Notes")
    pages = fields.One2Many('crm.competitor.page', 'competitor', "Pages")
    keywords = fields.One2Many(
        'crm.competitor.keyword', 'competitor', "Keyword Watches")
    changes = fields.One2Many(
        'crm.competitor.change', 'competitor', "Changes", readonly=True)
    change_count = fields.Function(
        fields.Integer("Changes"), 'get_change_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_unique', Unique(t, t.party),
                'crm_knowledge.msg_competitor_party_unique'),
            ]

    def get_rec_name(self, name):
        return self.party.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def get_change_count(cls, competitors, name):
        change = Pool().get('crm.competitor.change').__table__()
        cursor = Transaction().connection.cursor()
        counts = {c.id: 0 for c in competitors}
        for sub_ids in grouped_slice(list(counts), backend.MAX_QUERY_PARAMS):
            cursor.execute(*change.select(
                    change.competitor, Count(change.id),
                    where=reduce_ids(change.competitor, sub_ids),
                    group_by=[change.competitor]))
            counts.update(cursor)
        return counts


class CompetitorProduct(ModelSQL):
    "Competitor - Product"
    __name__ = 'crm.competitor-product.product'
    __string__ = "Competitor - Product"
    competitor = fields.Many2One(
        'crm.competitor', "Competitor", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')


class CompetitorCategory(ModelSQL):
    "Competitor - Product Category"
    __name__ = 'crm.competitor-product.category'
    __string__ = "Competitor - Product Category"
    competitor = fields.Many2One(
        'crm.competitor', "Competitor", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'product.category', "Category", required=True, ondelete='CASCADE')
