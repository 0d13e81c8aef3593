# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Null, Window
from sql.aggregate import Count
from sql.functions import RowNumber

from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, check_access

# The 360° lists stay short so the form loads fast whatever the history
LIST_LIMIT = 20
TIMELINE_LIMIT = 50
RECENT_DAYS = 90
OPEN_OPPORTUNITY_STATES = ['lead', 'opportunity', 'converted']


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    crm_open_opportunities = fields.Function(fields.One2Many(
            'sale.opportunity', None, "Open Opportunities", readonly=True,
            help="The last open leads and opportunities."),
        'get_crm_360_list', setter='set_crm_360_list')
    crm_recent_activities = fields.Function(fields.One2Many(
            'crm.activity', None, "Recent Activities", readonly=True,
            help="The planned activities and those of the last 90 days."),
        'get_crm_360_list', setter='set_crm_360_list')
    crm_recent_sales = fields.Function(fields.One2Many(
            'sale.sale', None, "Recent Sales", readonly=True),
        'get_crm_360_list', setter='set_crm_360_list')
    crm_recent_invoices = fields.Function(fields.One2Many(
            'account.invoice', None, "Recent Invoices", readonly=True),
        'get_crm_360_list', setter='set_crm_360_list')

    crm_timeline = fields.Function(fields.One2Many(
            'crm.party.timeline', None, "Timeline", readonly=True,
            help="The last activities, opportunities, sales and invoices, "
            "newest first."),
        'get_crm_360_list', setter='set_crm_360_list')
    crm_customer = fields.Function(fields.Boolean(
            "Customer",
            help="Has a sale, an opportunity or a customer invoice."),
        'get_crm_customer', searcher='search_crm_customer')
    crm_owner = fields.Function(fields.Many2One(
            'company.employee', "Owner",
            help="The salesperson of the customer's last opportunity."),
        'get_crm_owner')

    crm_open_opportunity_count = fields.Function(
        fields.Integer("Open Opportunities"), 'get_crm_360_count')
    crm_planned_activity_count = fields.Function(
        fields.Integer("Planned Activities"), 'get_crm_360_count')
    crm_overdue_activity_count = fields.Function(
        fields.Integer("Overdue Activities"), 'get_crm_360_count')
    crm_sale_count = fields.Function(
        fields.Integer("Sales", help="The confirmed sales of the last year."),
        'get_crm_360_count')
    crm_open_invoice_count = fields.Function(
        fields.Integer("Open Invoices", help="The posted unpaid invoices."),
        'get_crm_360_count')

    @classmethod
    def _crm_360_lists(cls):
        """Return the 360° lists as name: (model, domain, date column);
        the newest records by the date column are listed first"""
        now = datetime.datetime.now()
        today = datetime.date.today()
        return {
            'crm_open_opportunities': (
                'sale.opportunity',
                [('state', 'in', OPEN_OPPORTUNITY_STATES)],
                'start_date'),
            'crm_recent_activities': (
                'crm.activity',
                ['OR',
                    ('state', '=', 'planned'),
                    ('planned_date', '>=',
                        now - datetime.timedelta(days=RECENT_DAYS)),
                    ],
                'planned_date'),
            'crm_recent_sales': (
                'sale.sale',
                [('state', '!=', 'cancelled')],
                'sale_date'),
            'crm_recent_invoices': (
                'account.invoice',
                [('type', '=', 'out'), ('state', '!=', 'cancelled'),
                    ['OR',
                        ('invoice_date', '=', None),
                        ('invoice_date', '>=',
                            today - datetime.timedelta(days=365 * 2)),
                        ]],
                'invoice_date'),
            'crm_timeline': ('crm.party.timeline', [], 'date'),
            }

    @classmethod
    def _crm_360_counts(cls):
        "Return the 360° counts as name: (model, domain)"
        now = datetime.datetime.now()
        today = datetime.date.today()
        return {
            'crm_open_opportunity_count': (
                'sale.opportunity',
                [('state', 'in', OPEN_OPPORTUNITY_STATES)]),
            'crm_planned_activity_count': (
                'crm.activity', [('state', '=', 'planned')]),
            'crm_overdue_activity_count': (
                'crm.activity', [
                    ('state', '=', 'planned'),
                    ('planned_date', '<', now),
                    ]),
            'crm_sale_count': (
                'sale.sale', [
                    ('state', 'in', ['confirmed', 'processing', 'done']),
                    ('sale_date', '>=', today - datetime.timedelta(days=365)),
                    ]),
            'crm_open_invoice_count': (
                'account.invoice', [
                    ('type', '=', 'out'),
                    ('state', '=', 'posted'),
                    ]),
            }

    @classmethod
    def _crm_360_domain(cls, Model, domain, parties):
        "The domain restricted to the parties and the context company"
        domain = [domain, ('party', 'in', [p.id for p in parties])]
        company = Transaction().context.get('company')
        if company and 'company' in Model._fields:
            domain.append(('company', '=', company))
        return domain

    @classmethod
    def _crm_360_readable(cls, Model, domain, parties):
        """The query of the records of the parties the reader may read, or
        None when the reader may not read the model at all

        Getters run without access check: it is set back so that the search
        applies the reader's access rights and record rules.
        """
        ModelAccess = Pool().get('ir.model.access')
        with check_access():
            if not ModelAccess.check(
                    Model.__name__, 'read', raise_exception=False):
                return None
            return Model.search(
                cls._crm_360_domain(Model, domain, parties),
                order=[], query=True)

    @classmethod
    def get_crm_360_list(cls, parties, names):
        pool = Pool()
        cursor = Transaction().connection.cursor()
        lists = cls._crm_360_lists()
        result = {}
        for name in names:
            model, domain, date_column = lists[name]
            Model = pool.get(model)
            table = Model.__table__()
            values = result[name] = {p.id: [] for p in parties}
            limit = TIMELINE_LIMIT if name == 'crm_timeline' else LIST_LIMIT
            for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
                readable = cls._crm_360_readable(Model, domain, sub)
                if readable is None:
                    break
                date = getattr(table, date_column)
                ranked = table.select(
                    table.id, table.party,
                    RowNumber(window=Window(
                            [table.party],
                            order_by=[date.desc.nulls_first,
                                table.id.desc])).as_('rank'),
                    where=table.id.in_(readable))
                cursor.execute(*ranked.select(
                        ranked.party, ranked.id,
                        where=ranked.rank <= limit,
                        order_by=[ranked.party, ranked.rank]))
                for party, id_ in cursor:
                    values[party].append(id_)
        return result

    @classmethod
    def set_crm_360_list(cls, parties, name, value):
        """Refuse any change: the lists are read-only, as a setter runs
        without access checks and would write any record by id"""
        if value:
            raise AccessError(gettext(
                    'crm_sales.msg_party_360_read_only',
                    **cls.__names__(name)))

    @classmethod
    def get_crm_360_count(cls, parties, names):
        pool = Pool()
        cursor = Transaction().connection.cursor()
        counts = cls._crm_360_counts()
        result = {}
        for name in names:
            model, domain = counts[name]
            Model = pool.get(model)
            table = Model.__table__()
            values = result[name] = {p.id: 0 for p in parties}
            for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
                readable = cls._crm_360_readable(Model, domain, sub)
                if readable is None:
                    break
                cursor.execute(*table.select(
                        table.party, Count(table.id),
                        where=table.id.in_(readable),
                        group_by=table.party))
                for party, count in cursor:
                    values[party] = count
        return result

    @classmethod
    def _crm_customer_query(cls):
        """Return the query of the customers: the parties with a sale, an
        opportunity or a customer invoice (staff and suppliers have none)"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        Opportunity = pool.get('sale.opportunity')
        Invoice = pool.get('account.invoice')
        sale = Sale.__table__()
        opportunity = Opportunity.__table__()
        invoice = Invoice.__table__()
        return (
            sale.select(sale.party, where=sale.state != 'cancelled')
            | opportunity.select(
                opportunity.party, where=opportunity.party != Null)
            | invoice.select(invoice.party,
                where=(invoice.type == 'out')
                & (invoice.state != 'cancelled')))

    @classmethod
    def get_crm_customer(cls, parties, name):
        customers = set()
        for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
            customers.update(cls.search([
                        ('id', 'in', [p.id for p in sub]),
                        ('crm_customer', '=', True),
                        ]))
        return {p.id: p in customers for p in parties}

    @classmethod
    def search_crm_customer(cls, name, clause):
        _, operator, value = clause
        positive = (operator == '=') == bool(value)
        return [('id', 'in' if positive else 'not in',
                cls._crm_customer_query())]

    @classmethod
    def get_crm_owner(cls, parties, name):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        cursor = Transaction().connection.cursor()
        table = Opportunity.__table__()
        owners = {p.id: None for p in parties}
        for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
            readable = cls._crm_360_readable(
                Opportunity, [('employee', '!=', None)], sub)
            if readable is None:
                break
            ranked = table.select(
                table.party, table.employee,
                RowNumber(window=Window([table.party],
                        order_by=[table.start_date.desc, table.id.desc])
                    ).as_('rank'),
                where=table.id.in_(readable))
            cursor.execute(*ranked.select(
                    ranked.party, ranked.employee,
                    where=ranked.rank == 1))
            owners.update(cursor)
        return owners
