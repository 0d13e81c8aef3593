# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null
from sql.operators import Exists

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

# Set while an opportunity is saved: its own validation checks the splits
# once all of its co-sellers are written.
_DEFERRED = '_crm_co_seller_deferred'


class CoSeller(ModelSQL, ModelView):
    __name__ = 'crm.opportunity.co_seller'
    __string__ = "Opportunity Co-Seller"

    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    role = fields.Selection([
            ('lead', "Lead Seller"),
            ('technical', "Technical Seller"),
            ('support', "Support"),
            ('partner_manager', "Partner Manager"),
            ], "Role", required=True)
    split = fields.Numeric(
        "Split (%)", digits=(5, 2), required=True,
        domain=[
            ('split', '>', 0),
            ('split', '<=', 100),
            ],
        help="Share of the opportunity's revenue credited to the employee.")
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('opportunity_employee_unique',
                Unique(t, t.opportunity, t.employee),
                'crm_sales.msg_co_seller_employee_unique'),
            ]
        cls.__access__.add('opportunity')

    @classmethod
    def default_role(cls):
        return 'lead'

    @fields.depends('opportunity', '_parent_opportunity.company')
    def on_change_with_company(self, name=None):
        return self.opportunity.company if self.opportunity else None

    def get_rec_name(self, name):
        return self.employee.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('employee.rec_name',) + tuple(clause[1:])]

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode != 'delete' and not Transaction().context.get(_DEFERRED):
            Opportunity = Pool().get('sale.opportunity')
            Opportunity.check_co_seller_splits(
                Opportunity.browse({r.opportunity.id for r in records}))

    @classmethod
    def on_delete(cls, records):
        callbacks = super().on_delete(records)
        if not Transaction().context.get(_DEFERRED):
            Opportunity = Pool().get('sale.opportunity')
            opportunity_ids = {r.opportunity.id for r in records}
            callbacks.append(lambda: Opportunity.check_co_seller_splits(
                    Opportunity.browse(opportunity_ids)))
        return callbacks

    @classmethod
    def share_query(cls):
        """Return a query of (opportunity, employee, share) where share is
        the fraction (0-1) of the opportunity's revenue credited to the
        employee: the co-seller splits, or all of it to the opportunity's
        employee when it has no co-seller."""
        Opportunity = Pool().get('sale.opportunity')
        co_seller = cls.__table__()
        other = cls.__table__()
        opportunity = Opportunity.__table__()
        with_splits = co_seller.select(
            co_seller.opportunity.as_('opportunity'),
            co_seller.employee.as_('employee'),
            # SQLite divides integers as integers
            (co_seller.split / (100.0 if backend.name == 'sqlite' else 100)
                ).as_('share'))
        alone = opportunity.select(
            opportunity.id.as_('opportunity'),
            opportunity.employee.as_('employee'),
            cls.split.sql_cast(Literal(1)).as_('share'),
            where=(opportunity.employee != Null)
            & ~Exists(other.select(
                    other.id,
                    where=other.opportunity == opportunity.id)))
        return with_splits | alone


class SaleOpportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    co_sellers = fields.One2Many(
        'crm.opportunity.co_seller', 'opportunity', "Co-Sellers",
        help="Employees sharing the revenue of the opportunity; "
        "their splits must sum to 100%.")

    @classmethod
    def create(cls, vlist):
        with Transaction().set_context(**{_DEFERRED: True}):
            return super().create(vlist)

    @classmethod
    def write(cls, *args):
        with Transaction().set_context(**{_DEFERRED: True}):
            super().write(*args)

    @classmethod
    def validate(cls, opportunities):
        super().validate(opportunities)
        cls.check_co_seller_splits(opportunities)

    @classmethod
    def check_co_seller_splits(cls, opportunities):
        "Raise ValidationError unless present co-seller splits sum to 100"
        CoSeller = Pool().get('crm.opportunity.co_seller')
        totals = defaultdict(Decimal)
        employees = set()
        for co_seller in CoSeller.search([
                    ('opportunity', 'in', [o.id for o in opportunities]),
                    ]):
            key = (co_seller.opportunity, co_seller.employee)
            # The SQL constraint does not exist on SQLite
            if key in employees:
                raise ValidationError(gettext(
                        'crm_sales.msg_co_seller_employee_unique'))
            employees.add(key)
            totals[co_seller.opportunity] += co_seller.split
        for opportunity, total in totals.items():
            if total != 100:
                raise ValidationError(gettext(
                        'crm_sales.msg_co_seller_split_total',
                        opportunity=opportunity.rec_name,
                        total=total))
