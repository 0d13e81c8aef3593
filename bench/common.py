# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What the benchmarks share: the command line and the backend they run on"
import argparse
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(doc, database):
    """Parse --scale and --postgresql and point trytond's test database at
    the chosen backend: SQLite in memory or the suite's PostgreSQL.

    The returned arguments carry the backend name. A PostgreSQL database
    of an earlier run is dropped: each run builds its own, with the schema
    of the current code and nothing left by another run.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--scale', type=float, default=1,
        help="fraction of the full size (default: 1)")
    parser.add_argument('--postgresql', action='store_true')
    args = parser.parse_args()
    if args.postgresql:
        from tools import pgcluster
        uri = pgcluster.uri()
        _drop_database(uri, database)
        os.environ['TRYTOND_DATABASE__URI'] = uri
        os.environ['DB_NAME'] = database
        args.backend = 'postgresql'
    else:
        os.environ['DB_NAME'] = ':memory:'
        args.backend = 'sqlite'
    return args


def _drop_database(uri, database):
    import psycopg
    from psycopg import sql
    with psycopg.connect(uri + 'postgres', autocommit=True) as connection:
        connection.execute(sql.SQL('DROP DATABASE IF EXISTS {}').format(
                sql.Identifier(database)))
