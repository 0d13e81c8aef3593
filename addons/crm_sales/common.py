# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.transaction import Transaction


def forget_cached(model_name):
    """Drop the records of the model cached by the transaction, after they
    were written by SQL behind the ORM's back (as ModelStorage.write does)"""
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        cache.pop(model_name, None)
