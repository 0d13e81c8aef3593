# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""One pool of model classes per set of activated modules in a test process.

trytond builds the pool of the test database again whenever a test class
creates, restores or reuses it: each model class set up anew, about 7 s for
the suite's modules on a 2-core machine, some fifty times a run. Without an
update, what trytond builds depends only on the names of the activated
modules (``load_modules`` reads nothing else of the database), so the pool
built once serves every later database with the same modules.

Building one also resolves every class registered by name through the
"trytond.modules" entry points, a scan of all the installed entry points a
class; the resolved modules are kept.
"""
import functools

from sql import Table

from trytond.pool import Pool
from trytond.tools import misc
from trytond.transaction import Transaction

# The states load_modules reads when it does not update
LOADED_STATES = ('activated', 'to upgrade', 'to remove')


def install():
    misc.import_module = functools.cache(misc.import_module)
    original = Pool.init
    built = {}

    def init(self, update=None, lang=None, activatedeps=False,
            indexes=None):
        if update or lang or activatedeps:
            return original(self, update=update, lang=lang,
                activatedeps=activatedeps, indexes=indexes)
        modules = loaded_modules(self.database_name)
        if modules in built:
            _reuse(self, *built[modules])
        else:
            original(self, indexes=indexes)
            built[modules] = (
                Pool._pools[self.database_name],
                Pool._pool_modules[self.database_name])
    Pool.init = init


def loaded_modules(database_name):
    "The names of the modules a pool of the database loads"
    module = Table('ir_module')

    def read():
        cursor = Transaction().connection.cursor()
        cursor.execute(*module.select(module.name,
                where=module.state.in_(LOADED_STATES)))
        return frozenset(name for name, in cursor)
    if not Transaction().connection:
        with Transaction().start(database_name, 0, readonly=True):
            return read()
    with Transaction().new_transaction(readonly=True):
        return read()


def _reuse(pool, classes, modules):
    "What Pool.init leaves, with classes already built"
    with Pool._lock:
        Pool._pools[pool.database_name] = pool._pool = classes
        Pool._pool_modules[pool.database_name] = pool._modules = modules
        Pool._pool_instances.clear()
        Pool._pool_instances.add(pool)
        pool.ready = True
