# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""trytond's memory caches kept from one test to the next of a database.

After each test, ``with_transaction`` rolls the transaction back and drops
every memory cache of the database: the next test reads again the names of
all models (about 0.5 s), the access rights, the views and the translations.
The drop is not needed: as on a server, where transactions are rolled back
without dropping anything, a cache cleared in a transaction is served from
a cache of that transaction only, forgotten at its rollback; what a test
commits clears the shared cache as a server's commit does. The caches are
still dropped with the database they are of: before it is dropped, copied
into the cache or replaced by a restore (a scenario's restore does not drop
the database first).
"""
import functools

from trytond.cache import Cache
from trytond.tests import test_tryton, tools


class KeptCache:
    """trytond's Cache as test_tryton sees it: its drop after a test's
    rollback keeps the caches (drop_db drops them through _released)"""

    def __getattr__(self, name):
        return getattr(Cache, name)

    @staticmethod
    def drop(dbname):
        pass


def _released(function):
    """The function, run once this process's hold on the test database is
    released: on PostgreSQL the cache's listener keeps a connection to it,
    so it could be neither dropped nor copied as a template"""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        Cache.drop(test_tryton.DB_NAME)
        return function(*args, **kwargs)
    return wrapper


def install():
    test_tryton.Cache = KeptCache()
    test_tryton.drop_db = _released(test_tryton.drop_db)
    test_tryton.backup_db_cache = _released(test_tryton.backup_db_cache)
    # A restore may replace a database under the name of another: its
    # caches go with it
    restore = _released(test_tryton.restore_db_cache)
    test_tryton.restore_db_cache = restore
    tools.restore_db_cache = restore
    tools.backup_db_cache = test_tryton.backup_db_cache
