# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pooled SQLite connections of the servers ./crm starts (see
tools/sqlitepool.py): a transaction gets back a connection another one
ended, on another thread, and sees what was committed since, even when the
one before left a query unread."""
import os
import subprocess
import sys
import textwrap

from tools import ROOT

SCRIPT = textwrap.dedent('''
    import sqlite3
    import threading

    from trytond import config
    config.update_etc()
    from tools import sqlitepool
    sqlitepool.install()
    from trytond.backend.sqlite.database import Database

    def transaction(work):
        database = Database('pooled').connect()
        connection = database.get_connection()
        try:
            return connection, work(connection)
        finally:
            connection.commit()
            database.put_connection(connection)

    Database.create(None, 'pooled')
    transaction(lambda c: c.executescript(
            'CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);'))
    # A query not read to its end, its cursor still referenced
    kept = []
    first, _ = transaction(lambda c: kept.append(c.cursor())
        or kept[0].execute('SELECT x FROM t').fetchone())
    other = sqlite3.connect(Database('pooled')._make_uri(), uri=True)
    other.execute('INSERT INTO t VALUES (3)')
    other.commit()

    result = {}

    def read_and_write():
        result['connection'], result['count'] = transaction(
            lambda c: c.execute('SELECT COUNT(*) FROM t').fetchone()[0])
        transaction(lambda c: c.execute('INSERT INTO t VALUES (4)'))
    thread = threading.Thread(target=read_and_write)
    thread.start()
    thread.join()
    assert result['connection'] is first, "not pooled"
    assert result['count'] == 3, result['count']
    assert other.execute('SELECT COUNT(*) FROM t').fetchone()[0] == 4
    Database.drop(None, 'pooled')
    print('ok')
    ''')


def test_pooled_connection_sees_commits(tmp_path):
    config = tmp_path / 'trytond.conf'
    config.write_text(f'[database]\nuri = sqlite://\npath = {tmp_path}\n')
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    env['TRYTOND_CONFIG'] = str(config)
    result = subprocess.run([sys.executable, '-c', SCRIPT], cwd=ROOT,
        env=env, capture_output=True, text=True)
    assert result.stdout.strip() == 'ok', result.stderr
