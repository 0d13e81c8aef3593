# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal, Null, Union
from sql.conditionals import Coalesce
from sql.operators import Concat

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access

# A timeline row's id is the document's id times this plus the code of its
# kind, so that two documents of different kinds never share an id
KIND_CODES = 10
COLUMNS = ['date', 'summary', 'state', 'employee', 'amount', 'currency']


class PartyTimeline(ModelSQL, ModelView):
    """What happened with a party, newest first: activities, opportunities,
    sales and invoices (cases and competitor changes where their modules
    are activated), each as the reader may see it"""
    __name__ = 'crm.party.timeline'
    __string__ = "Customer Timeline"

    party = fields.Many2One('party.party', "Party")
    date = fields.DateTime("Date")
    kind = fields.Selection([
            ('activity', "Activity"),
            ('opportunity', "Opportunity"),
            ('sale', "Sale"),
            ('invoice', "Invoice"),
            ], "Type", sort=False)
    summary = fields.Char("Summary")
    state = fields.Char("State Code")
    state_string = fields.Function(
        fields.Char("State"), 'get_state_string')
    employee = fields.Many2One('company.employee', "Employee")
    amount = Monetary("Amount", currency='currency', digits='currency')
    currency = fields.Many2One('currency.currency', "Currency")
    document = fields.Reference(
        "Document", selection='get_documents', readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'DESC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def _sources(cls):
        """Return the sources as kind: (code, model, domain, columns) where
        columns(table) returns by name the columns of the model's table:
        date and summary, and if it has them party (the table's party by
        default), state, employee, amount and currency, and under 'from' the
        table joined to others when a column comes from them"""
        def activity(table):
            return {
                'date': table.planned_date,
                'summary': table.subject,
                'state': table.state,
                'employee': table.employee,
                }

        def opportunity(table):
            return {
                'date': table.start_date,
                'summary': Coalesce(table.description, table.number),
                'state': table.state,
                'employee': table.employee,
                'amount': table.amount,
                'currency': table.currency,
                }

        def document(date):
            def columns(table):
                return {
                    'date': Coalesce(getattr(table, date), table.create_date),
                    'summary': Coalesce(table.number, table.description),
                    'state': table.state,
                    'amount': table.total_amount_cache,
                    'currency': table.currency,
                    }
            return columns
        return {
            'activity': (1, 'crm.activity', [], activity),
            'opportunity': (2, 'sale.opportunity', [], opportunity),
            'sale': (3, 'sale.sale', [('state', '!=', 'cancelled')],
                document('sale_date')),
            'invoice': (4, 'account.invoice', [
                    ('type', '=', 'out'),
                    ('state', '!=', 'cancelled'),
                    ], document('invoice_date')),
            }

    @classmethod
    def get_documents(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, '')] + [
            (m, Model.get_name(m)) for _, m, _, _ in cls._sources().values()]

    @classmethod
    def get_state_string(cls, rows, name):
        "The state as the document's model labels it, in the reader's language"
        pool = Pool()
        sources = cls._sources()
        labels = {}
        for kind, (_, model, _, _) in sources.items():
            field = pool.get(model).fields_get(['state']).get('state', {})
            labels[kind] = dict(field.get('selection') or [])
        return {r.id: labels.get(r.kind, {}).get(r.state, r.state)
            for r in rows}

    @classmethod
    def _readable(cls, model, domain):
        """The query of the ids of the model the reader may read, or None when
        the reader may not read the model at all

        The sources are searched with the reader's access rights and record
        rules whoever asks, so the timeline shows nothing the reader could not
        open on its own."""
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Model = pool.get(model)
        domain = [domain]
        if 'party' in Model._fields:
            domain.append(('party', '!=', None))
        company = Transaction().context.get('company')
        if company and 'company' in Model._fields:
            domain.append(('company', '=', company))
        with check_access():
            if not ModelAccess.check(model, 'read', raise_exception=False):
                return None
            return Model.search(domain, order=[], query=True)

    @classmethod
    def table_query(cls):
        pool = Pool()
        queries = []
        for kind, (code, model, domain, columns) in cls._sources().items():
            readable = cls._readable(model, domain)
            if readable is None:
                continue
            table = pool.get(model).__table__()
            values = dict.fromkeys(COLUMNS)
            values['party'] = getattr(table, 'party', None)
            values.update(columns(table))
            from_item = values.pop('from', table)
            values.update(
                kind=Literal(kind),
                document=Concat(model + ',', table.id))
            # Each column cast to its field's type, so that the branches of
            # the union agree on PostgreSQL
            queries.append(from_item.select(
                    (table.id * KIND_CODES + code).as_('id'),
                    values['party'].as_('party'),
                    *(getattr(cls, c).sql_cast(
                            Literal(None) if values[c] is None else values[c]
                            ).as_(c) for c in COLUMNS + ['kind', 'document']),
                    where=table.id.in_(readable)
                    & (values['party'] != Null)))
        if not queries:
            # An empty table of the same columns
            table = pool.get('party.party').__table__()
            return table.select(
                table.id.as_('id'), table.id.as_('party'),
                *(getattr(cls, c).sql_cast(Literal(None)).as_(c)
                    for c in COLUMNS + ['kind', 'document']),
                where=table.id != table.id)
        return Union(*queries, all_=True)
