# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access


def forget_cached(model_name):
    """Drop the records of the model cached by the transaction, after they
    were written by SQL behind the ORM's back (as ModelStorage.write does)"""
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        cache.pop(model_name, None)


def check_readable(records):
    """Raise the access error of the records the user may not read

    check_modification runs before ModelSQL checks the record rules, and
    without access checks: a check of the state made before this one would
    tell the state and the name of a record the user may not even read.
    """
    if records:
        Model = records[0].__class__
        with check_access():
            Model.read([r.id for r in records], ['id'])


class CompanyCurrencyGraphMixin:
    """A model of amounts in the currency of the context's company: its
    graphs name each amount with that currency ("Revenue (USD)")"""
    __slots__ = ()

    @classmethod
    def fields_view_get(cls, view_id=None, view_type='form', level=None):
        result = super().fields_view_get(
            view_id=view_id, view_type=view_type, level=level)
        company = Transaction().context.get('company')
        if view_type != 'graph' or not company or company < 0:
            return result
        code = Pool().get('company.company')(company).currency.code
        # The cached result is left as it is
        fields = dict(result['fields'])
        for name, definition in fields.items():
            field = cls._fields.get(name)
            if isinstance(getattr(field, '_field', field), Monetary):
                fields[name] = dict(definition,
                    string=f"{definition['string']} ({code})")
        return dict(result, fields=fields)
