# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
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
