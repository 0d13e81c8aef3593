# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pooled SQLite connections for the servers ./crm starts on SQLite.

trytond's SQLite backend opens a connection for every transaction, so for
every request, and the first statement of a connection reads and parses the
database's whole schema: some 4 ms of CPU a request on the suite's database
(about 1,000 tables and indexes), a fifth of the browser tests' server CPU.
Here a connection to a database file goes back to a pool at the end of its
transaction, committed or rolled back by then, and the next transaction
takes it, on whichever thread: a connection serves one transaction at a
time, so sqlite3's same-thread check is off for them.

    python -m tools.sqlitepool <trytond console script> [arguments]
"""
import runpy
import sys
import threading
import weakref
from collections import defaultdict

# Idle connections kept a database: trytond's threaded server answers the
# few requests a page sends at once
KEEP = 8


def install():
    from trytond.backend.sqlite import database as module
    Database = module.Database
    idle = defaultdict(list)
    lock = threading.Lock()

    class Connection(module.SQLiteConnection):
        def __init__(self, *args, **kwargs):
            kwargs['check_same_thread'] = False
            super().__init__(*args, **kwargs)
            self.cursors = weakref.WeakSet()

        def cursor(self, *args):
            cursor = super().cursor(*args)
            self.cursors.add(cursor)
            return cursor

        def reset(self):
            """Close the cursors still open: a statement not read to its
            end holds its snapshot, which the next transaction would read
            and could not write from"""
            for cursor in list(self.cursors):
                cursor.close()
    module.SQLiteConnection = Connection

    connect = Database.connect

    def pooled_connect(self):
        if self._conn is None and self.name != ':memory:':
            with lock:
                if idle[self.name]:
                    self._conn = idle[self.name].pop()
        return connect(self)

    put_connection = Database.put_connection

    def pooled_put_connection(self, connection=None):
        put_connection(self, connection)
        if (self.name == ':memory:' or connection is None
                or connection is not self._conn
                or connection.in_transaction):
            return
        self._conn = None
        connection.reset()
        with lock:
            if len(idle[self.name]) < KEEP:
                idle[self.name].append(connection)
                return
        connection.close()

    drop = Database.drop.__func__

    def pooled_drop(cls, connection, database_name):
        with lock:
            stale = idle.pop(database_name, [])
        for pooled in stale:
            pooled.close()
        drop(cls, connection, database_name)

    Database.connect = pooled_connect
    Database.put_connection = pooled_put_connection
    Database.drop = classmethod(pooled_drop)


if __name__ == '__main__':
    install()
    script = sys.argv.pop(1)
    sys.argv[0] = script
    runpy.run_path(script, run_name='__main__')
