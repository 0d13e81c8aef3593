# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The no-code builder of queries

The person picks one of the models the reports analyse, the columns to
group by, the measures and the filters; the builder writes the SELECT with
a :name parameter for each filter, shows it, and saves it as a query like
any other: validated, shared, run, charted and exported the same way."""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .query import SECRET_COLUMNS, check_sql

# The models of the suite the reports read, with a table each
MODELS = [
    'sale.opportunity', 'sale.sale', 'sale.line', 'crm.service.case',
    'account.invoice', 'account.invoice.line', 'marketing.campaign',
    'party.party',
    ]
AGGREGATES = [
    ('count', "Count"),
    ('sum', "Sum"),
    ('avg', "Average"),
    ('min', "Minimum"),
    ('max', "Maximum"),
    ]
OPERATORS = [
    ('=', "="),
    ('!=', "≠"),
    ('<', "<"),
    ('<=', "≤"),
    ('>', ">"),
    ('>=', "≥"),
    ('like', "Like"),
    ]
# The type of a filter's parameter by field type
PARAMETER_TYPES = {
    'integer': 'integer', 'many2one': 'integer', 'float': 'numeric',
    'numeric': 'numeric', 'date': 'date', 'datetime': 'date',
    'timestamp': 'date', 'boolean': 'boolean',
    }
FIELD_TYPES = {
    'char', 'selection', 'text', 'integer', 'many2one', 'float', 'numeric',
    'date', 'datetime', 'timestamp', 'boolean',
    }


def field_domain():
    "The domain of the fields a builder may use: the chosen model's columns"
    return [
        ('model', '=', Eval('model', '')),
        ('ttype', 'in', list(FIELD_TYPES)),
        ('name', 'not in', list(SECRET_COLUMNS)),
        ]


def quote(name):
    return '"%s"' % name.replace('"', '""')


class BuilderStart(ModelView):
    __name__ = 'crm.bi.query.builder.start'
    __string__ = "Build Query"

    name = fields.Char("Name", required=True)
    model = fields.Selection('get_models', "Model", required=True)
    group_by = fields.Many2Many(
        'ir.model.field', None, None, "Group By",
        domain=field_domain(), depends=['model'])
    measures = fields.One2Many(
        'crm.bi.query.builder.measure', None, "Measures",
        context={'crm_bi_model': Eval('model')}, depends=['model'])
    filters = fields.One2Many(
        'crm.bi.query.builder.filter', None, "Filters",
        context={'crm_bi_model': Eval('model')}, depends=['model'])

    @classmethod
    def get_models(cls):
        Model = Pool().get('ir.model')
        models = Model.search([('name', 'in', MODELS)])
        return sorted((m.name, m.string) for m in models)

    @fields.depends('model', 'group_by', 'measures', 'filters')
    def on_change_model(self):
        self.group_by = []
        self.measures = []
        self.filters = []

    def build(self):
        "Return the SQL and the parameters of the query"
        if self.model not in MODELS:
            raise ValidationError(gettext('crm_bi.msg_builder_no_model'))
        Model = Pool().get(self.model)
        self.check_fields()
        columns = [quote(f.name) for f in self.group_by or []]
        selected = list(columns)
        for measure in self.measures or []:
            selected.append(measure.expression())
        if not selected:
            raise ValidationError(gettext('crm_bi.msg_builder_empty'))
        conditions, parameters = [], []
        for i, filter_ in enumerate(self.filters or []):
            condition, parameter = filter_.condition(i + 1)
            conditions.append(condition)
            parameters.append(parameter)
        sql = 'SELECT %s FROM %s' % (
            ', '.join(selected), quote(Model._table))
        if conditions:
            sql += ' WHERE ' + ' AND '.join(conditions)
        if columns and self.measures:
            sql += ' GROUP BY ' + ', '.join(columns)
        if columns:
            sql += ' ORDER BY ' + ', '.join(columns)
        check_sql(sql)
        return sql, parameters

    def check_fields(self):
        "Check that every field is a column of the model that may be read"
        chosen = list(self.group_by or []) + [
            line.field for line in list(self.measures or [])
            + list(self.filters or []) if line.field]
        for field in chosen:
            if (field.model != self.model
                    or field.ttype not in FIELD_TYPES
                    or field.name in SECRET_COLUMNS):
                raise ValidationError(gettext(
                        'crm_bi.msg_builder_field', field=field.name))


class BuilderPreview(ModelView):
    __name__ = 'crm.bi.query.builder.preview'
    __string__ = "Build Query Preview"

    sql = fields.Text("SQL", readonly=True)


class BuilderMeasure(ModelView):
    __name__ = 'crm.bi.query.builder.measure'
    __string__ = "Build Query Measure"

    model = fields.Char("Model", readonly=True)
    aggregate = fields.Selection(AGGREGATES, "Aggregate", required=True)
    field = fields.Many2One(
        'ir.model.field', "Field",
        domain=field_domain(),
        states={
            'required': Eval('aggregate') != 'count',
            },
        depends=['model'])

    @classmethod
    def default_aggregate(cls):
        return 'count'

    @classmethod
    def default_model(cls):
        return Transaction().context.get('crm_bi_model')

    def expression(self):
        "Return the SQL of the measure with its column name"
        if self.aggregate == 'count':
            column = quote(self.field.name) if self.field else '*'
            alias = 'count_%s' % self.field.name if self.field else 'count'
            return 'COUNT(%s) AS %s' % (column, quote(alias))
        if not self.field:
            raise ValidationError(gettext(
                    'crm_bi.msg_builder_measure_field'))
        return '%s(%s) AS %s' % (
            self.aggregate.upper(), quote(self.field.name),
            quote('%s_%s' % (self.aggregate, self.field.name)))


class BuilderFilter(ModelView):
    __name__ = 'crm.bi.query.builder.filter'
    __string__ = "Build Query Filter"

    model = fields.Char("Model", readonly=True)
    field = fields.Many2One(
        'ir.model.field', "Field", required=True,
        domain=field_domain(), depends=['model'])
    operator = fields.Selection(OPERATORS, "Operator", required=True)
    value = fields.Char(
        "Value", help="The default value of the filter's parameter; it is "
        "asked each time the query runs.")

    @classmethod
    def default_operator(cls):
        return '='

    @classmethod
    def default_model(cls):
        return Transaction().context.get('crm_bi_model')

    def condition(self, number):
        """Return the SQL condition and the parameter values of the
        filter's :name parameter"""
        if not self.field:
            raise ValidationError(gettext('crm_bi.msg_builder_filter_field'))
        name = '%s_%d' % (self.field.name, number)
        operator = 'LIKE' if self.operator == 'like' else self.operator
        return '%s %s :%s' % (quote(self.field.name), operator, name), {
            'name': name,
            'string': self.field.string,
            'type': PARAMETER_TYPES.get(self.field.ttype, 'char'),
            'default': self.value,
            }


class Builder(Wizard):
    "Build a query from a model, filters, group by and measures"
    __name__ = 'crm.bi.query.builder'

    start = StateView('crm.bi.query.builder.start',
        'crm_bi.query_builder_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
    preview = StateView('crm.bi.query.builder.preview',
        'crm_bi.query_builder_preview_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Save", 'save', 'tryton-ok', default=True),
            ])
    save = StateAction('crm_bi.act_query')

    def default_preview(self, fields):
        return {'sql': self.start.build()[0]}

    def do_save(self, action):
        Query = Pool().get('crm.bi.query')
        sql, parameters = self.start.build()
        query, = Query.create([{
                    'name': self.start.name,
                    'sql': sql,
                    'parameters': [('create', parameters)],
                    }])
        action['views'].reverse()
        return action, {'res_id': [query.id]}
