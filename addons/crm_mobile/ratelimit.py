# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The requests each device key sent in the current minute, counted in the
database so that every trytond process behind the proxy shares them."""
import hashlib
import time

from trytond.backend import DatabaseIntegrityError
from trytond.model import ModelSQL, Unique, fields
from trytond.transaction import Transaction


class RateLimit(ModelSQL):
    "CRM Mobile Rate Limit"
    __name__ = 'crm.mobile.rate_limit'
    __string__ = "Phone Rate Limit"

    key = fields.Char("Key Hash", required=True, strip=False)
    window = fields.Integer("Window", required=True)
    hits = fields.Integer("Hits", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_window_unique', Unique(t, t.key, t.window),
                'crm_mobile.msg_rate_limit_unique'),
            ]

    @classmethod
    def allow(cls, key, limit, period=60):
        """Count a request of the key and return whether it is within the
        limit of the current window of period seconds

        The count is committed at once in its own transaction: a request
        refused or failing later still counts, and the request's own
        transaction (read-only for a GET) writes nothing. The increment is
        one UPDATE, atomic between processes; the counters are kept in SQL
        rather than with write() because they are no records a user
        reads or changes."""
        digest = hashlib.sha256((key or '').encode()).hexdigest()
        window = int(time.time() // period)
        table = cls.__table__()
        with Transaction().new_transaction() as transaction:
            cursor = transaction.connection.cursor()
            where = (table.key == digest) & (table.window == window)
            cursor.execute(*table.update(
                    [table.hits], [table.hits + 1], where=where))
            if not cursor.rowcount:
                # The first request of the window: forget the past ones
                cursor.execute(*table.delete(
                        where=(table.key == digest)
                        & (table.window < window)))
                try:
                    cursor.execute(*table.insert(
                            [table.key, table.window, table.hits],
                            [[digest, window, 1]]))
                except DatabaseIntegrityError:
                    # Another process inserted it first
                    transaction.rollback()
                    cursor = transaction.connection.cursor()
                    cursor.execute(*table.update(
                            [table.hits], [table.hits + 1], where=where))
            cursor.execute(*table.select(table.hits, where=where))
            hits, = cursor.fetchone()
            transaction.commit()
        return hits <= limit
