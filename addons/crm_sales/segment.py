# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Literal, Null, Window, With
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp, Rank

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

from .common import CompanyCurrencyGraphMixin

SEGMENTS = [
    ('A', "A"),
    ('B', "B"),
    ('C', "C"),
    ]
INVOICE_STATES = ['posted', 'paid']


def _number(value):
    "Adapt a Decimal parameter: SQLite stores Decimal as bytes"
    return float(value) if backend.name == 'sqlite' else value


class PartyValue(CompanyCurrencyGraphMixin, ModelSQL, ModelView):
    __name__ = 'crm.party.value'
    __string__ = "Customer Value"

    party = fields.Many2One(
        'party.party', "Party", required=True, readonly=True,
        ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True,
        ondelete='CASCADE')
    segment = fields.Selection(
        SEGMENTS, "Segment", readonly=True,
        help="A: the customers making the first 80% of the invoiced revenue, "
        "B: the next 15%, C: the rest.")
    revenue = Monetary(
        "Revenue", currency='currency', digits='currency', readonly=True,
        help="Invoiced revenue over the rolling window.")
    invoice_count = fields.Integer("Invoices", readonly=True)
    last_invoice_date = fields.Date("Last Invoice Date", readonly=True)
    rfm_recency = fields.Integer("Recency", readonly=True,
        help="From 1 (oldest last invoice) to 5 (most recent).")
    rfm_frequency = fields.Integer("Frequency", readonly=True,
        help="From 1 (fewest invoices) to 5 (most invoices).")
    rfm_monetary = fields.Integer("Monetary", readonly=True,
        help="From 1 (lowest revenue) to 5 (highest revenue).")
    rfm_score = fields.Char("RFM Score", readonly=True,
        help="Recency, frequency and monetary scores.")
    credit_risk = fields.Boolean("Credit Risk", readonly=True,
        help="The overdue receivables exceed the configured threshold.")
    overdue_amount = Monetary(
        "Overdue Amount", currency='currency', digits='currency',
        readonly=True)
    computed_date = fields.Date("Computed on", readonly=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.company, Index.Range()), (t.party, Index.Range())))
        cls._order = [
            ('revenue', 'DESC'),
            ('id', 'ASC'),
            ]

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        return self.party.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def recompute_cron(cls):
        "Recompute the customer values of the context company"
        company = Transaction().context.get('company')
        if company:
            cls.recompute([company])

    @classmethod
    def recompute(cls, company_ids):
        "Replace the customer values of the companies in two statements"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Date = pool.get('ir.date')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        config = Configuration(1)
        months = config.segment_window_months or 12
        threshold = config.credit_risk_threshold or Decimal(0)
        for company_id in company_ids:
            with transaction.set_context(company=company_id):
                today = Date.today()
            query = cls.classification_query(
                company_id, today - relativedelta(months=months), today,
                threshold)
            cursor.execute(*table.delete(where=table.company == company_id))
            cursor.execute(*table.insert([
                        table.party, table.company, table.segment,
                        table.revenue, table.invoice_count,
                        table.last_invoice_date, table.rfm_recency,
                        table.rfm_frequency, table.rfm_monetary,
                        table.rfm_score, table.credit_risk,
                        table.overdue_amount, table.computed_date,
                        table.create_uid, table.create_date],
                    query))
        # The rows were written behind the ORM's back
        cls._count_cache.set(cls.__name__, None)

    @classmethod
    def classification_query(cls, company_id, from_date, to_date, threshold):
        """Return the SELECT of the value columns of every customer of the
        company: parties with a posted customer invoice or an overdue
        receivable."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        invoice = Invoice.__table__()
        invoice_line = InvoiceLine.__table__()
        move_line = MoveLine.__table__()
        move = Move.__table__()
        account = Account.__table__()
        account_type = AccountType.__table__()
        transaction = Transaction()

        in_window = invoice.invoice_date >= from_date
        invoiced = With('party', 'revenue', 'frequency', 'last_date',
            query=invoice.join(invoice_line,
                condition=invoice_line.invoice == invoice.id).select(
                invoice.party,
                Sum(InvoiceLine.unit_price.sql_cast(invoice_line.quantity)
                    * invoice_line.unit_price, filter_=in_window),
                Count(invoice.id, distinct=True, filter_=in_window),
                Max(invoice.invoice_date),
                where=(invoice.company == company_id)
                & (invoice.type == 'out')
                & invoice.state.in_(INVOICE_STATES)
                & (invoice.invoice_date <= to_date)
                & (invoice_line.type == 'line'),
                group_by=invoice.party))
        overdue = With('party', 'amount',
            query=move_line
            .join(move, condition=move_line.move == move.id)
            .join(account, condition=move_line.account == account.id)
            .join(account_type, condition=account.type == account_type.id)
            .select(
                move_line.party,
                Sum(move_line.debit - move_line.credit),
                where=account_type.receivable
                & (account.company == company_id)
                & (move_line.reconciliation == Null)
                & (move_line.party != Null)
                # Without maturity, a line is due on its move date
                & (Coalesce(move_line.maturity_date, move.date) < to_date),
                group_by=move_line.party))
        # A customer has invoices, overdue receivables or both
        party = Coalesce(invoiced.party, overdue.party)
        revenue = Coalesce(invoiced.revenue, 0)
        frequency = Coalesce(invoiced.frequency, 0)
        overdue_amount = Coalesce(overdue.amount, 0)
        everyone = Window([])
        ranked = With(
            'party', 'revenue', 'frequency', 'last_date', 'overdue',
            'before', 'total', 'r_rank', 'f_rank', 'm_rank', 'n',
            query=invoiced
            .join(overdue, 'FULL', condition=overdue.party == invoiced.party)
            .select(
                party,
                revenue,
                frequency,
                invoiced.last_date,
                overdue_amount,
                # Revenue of the customers ranked before this one
                Sum(revenue, window=Window([],
                        order_by=[revenue.desc, party.asc]))
                - revenue,
                Sum(revenue, window=everyone),
                Rank(window=Window([],
                        order_by=[invoiced.last_date.desc.nulls_last])),
                Rank(window=Window([], order_by=[frequency.desc])),
                Rank(window=Window([], order_by=[revenue.desc])),
                Count(Literal(1), window=everyone)))

        def quintile(rank):
            # ceil(5 * share of customers doing no better), in integers:
            # ties get the same score, unlike NTILE
            no_better = ranked.n - rank + 1
            return (no_better * 5 + ranked.n - 1) / ranked.n
        recency = quintile(ranked.r_rank)
        frequency = quintile(ranked.f_rank)
        monetary = quintile(ranked.m_rank)
        return ranked.select(
            ranked.party,
            Literal(company_id),
            Case(
                ((ranked.before * 5) < (ranked.total * 4), 'A'),
                ((ranked.before * 20) < (ranked.total * 19), 'B'),
                else_='C'),
            ranked.revenue,
            ranked.frequency,
            ranked.last_date,
            recency,
            frequency,
            monetary,
            cls.rfm_score.sql_cast(recency * 100 + frequency * 10 + monetary),
            ranked.overdue > _number(threshold),
            ranked.overdue,
            Literal(to_date),
            Literal(transaction.user),
            CurrentTimestamp(),
            with_=[invoiced, overdue, ranked])


class PartyValueRecompute(Wizard):
    __name__ = 'crm.party.value.recompute'
    __string__ = "Recompute Customer Values"

    start = StateAction('crm_sales.act_party_value')

    def do_start(self, action):
        PartyValue = Pool().get('crm.party.value')
        PartyValue.recompute([Transaction().context['company']])
        return action, {}


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    crm_value_segment = fields.Function(fields.Selection(
            [('', "")] + SEGMENTS, "Value Segment",
            help="ABC class of the customer's invoiced revenue "
            "in the current company."),
        'get_crm_value', searcher='search_crm_value')
    crm_rfm_score = fields.Function(
        fields.Char("RFM Score",
            help="Recency, frequency and monetary scores from 1 to 5."),
        'get_crm_value')
    crm_credit_risk = fields.Function(
        fields.Boolean("Credit Risk",
            help="The overdue receivables exceed the configured threshold."),
        'get_crm_value', searcher='search_crm_value')
    crm_revenue = fields.Function(
        fields.Numeric("Revenue", digits=(16, 2),
            help="Invoiced revenue over the rolling window "
            "in the current company."),
        'get_crm_value')

    _crm_value_columns = {
        'crm_value_segment': ('segment', ''),
        'crm_rfm_score': ('rfm_score', None),
        'crm_credit_risk': ('credit_risk', False),
        'crm_revenue': ('revenue', None),
        }

    @classmethod
    def get_crm_value(cls, parties, names):
        PartyValue = Pool().get('crm.party.value')
        value = PartyValue.__table__()
        cursor = Transaction().connection.cursor()
        company = Transaction().context.get('company')
        result = {}
        for name in names:
            default = cls._crm_value_columns[name][1]
            result[name] = {p.id: default for p in parties}
        if not company:
            return result
        columns = [getattr(value, cls._crm_value_columns[n][0]) for n in names]
        cursor.execute(*value.select(value.party, *columns,
                where=(value.company == company)
                & fields.SQL_OPERATORS['in'](
                    value.party, [p.id for p in parties])))
        for party_id, *values in cursor:
            for name, column_value in zip(names, values):
                if name == 'crm_revenue' and column_value is not None:
                    column_value = Decimal(str(column_value)).quantize(
                        Decimal('0.01'))
                elif name == 'crm_credit_risk':
                    column_value = bool(column_value)
                result[name][party_id] = column_value
        return result

    @classmethod
    def search_crm_value(cls, name, clause):
        PartyValue = Pool().get('crm.party.value')
        party = cls.__table__()
        value = PartyValue.__table__()
        company = Transaction().context.get('company') or -1
        column_name, default = cls._crm_value_columns[name]
        _, operator, operand = clause
        Operator = fields.SQL_OPERATORS[operator]
        column = Coalesce(getattr(value, column_name), default)
        query = party.join(value, 'LEFT', condition=(
                (value.party == party.id) & (value.company == company))
            ).select(party.id, where=Operator(column, operand))
        return [('id', 'in', query)]


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    segment_window_months = fields.Integer(
        "Segment Window (months)",
        domain=[
            ('segment_window_months', '>', 0),
            ],
        help="The customer value uses the invoices of this many months.")
    credit_risk_threshold = fields.Numeric(
        "Credit Risk Threshold", digits=(16, 2),
        help="Customers whose overdue receivables exceed this amount "
        "are flagged at credit risk.")

    @classmethod
    def default_segment_window_months(cls):
        return 12

    @classmethod
    def default_credit_risk_threshold(cls):
        return Decimal(0)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.party.value|recompute_cron',
                "Recompute Customer Value Segments"))
