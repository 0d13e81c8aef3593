# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The longest test files first (a pytest plugin of ./crm test).

pytest-xdist gives a worker the next test file whenever it ends one, in
the order of collection: a long file collected last (tests/ after addons/)
ran alone at the end while the other worker waited.  Each suite keeps how
long its files took (var/cache/durations-<suite>.json, the suite named by
CRM_TEST_SUITE) and the next run starts with the longest, so that both
workers end at about the same time.  A file not measured yet comes first.
"""
import json
import os
from collections import defaultdict

from . import ROOT

SUITE = os.environ.get('CRM_TEST_SUITE')


def durations_path(suite=SUITE):
    return ROOT / 'var' / 'cache' / f'durations-{suite}.json'


def _file(nodeid):
    return nodeid.split('::', 1)[0]


def _load():
    try:
        return json.loads(durations_path().read_text())
    except (OSError, ValueError):
        return {}


def pytest_collection_modifyitems(config, items):
    if not SUITE:
        return
    durations = _load()
    # Stable: the tests of a file keep their order
    items.sort(key=lambda i: -durations.get(_file(i.nodeid), float('inf')))


# Seconds a file of this run, from the reports of every worker
_seconds = defaultdict(float)


def pytest_runtest_logreport(report):
    if SUITE:
        _seconds[_file(report.nodeid)] += report.duration


def pytest_sessionfinish(session):
    if not SUITE or hasattr(session.config, 'workerinput') or not _seconds:
        return
    # The files of this run replace their earlier figures, the others stay
    durations = _load()
    durations.update({k: round(v, 1) for k, v in _seconds.items()})
    path = durations_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(durations, indent=0, sort_keys=True))
