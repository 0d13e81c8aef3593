# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""./crm's answers to a broken environment: one line and the fix."""
import os
import socket
import subprocess
import sys
import uuid

import pytest

from tools import ROOT, SetupError, pgcluster
from tools.crmctl import (
    Backend, _write_stamp, check_port, database_state, free_port)


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use(busy_port):
    with pytest.raises(SetupError) as info:
        check_port(busy_port)
    assert f"port {busy_port} is already in use" in info.value.problem
    assert '--port' in info.value.fix


def test_run_on_busy_port_prints_no_traceback(busy_port):
    result = subprocess.run(
        [sys.executable, '-m', 'tools.crmctl', 'run', '--port',
            str(busy_port)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"crm: port {busy_port} is already in use (another ./crm run?)",
        "crm: fix: stop that program or choose another port: "
        "./crm run --port 8001"]


def test_unreachable_postgresql(monkeypatch):
    monkeypatch.setenv(
        'CRM_PG_URI', f'postgresql://nobody:secret@127.0.0.1:{free_port()}/')
    with pytest.raises(SetupError) as info:
        pgcluster.uri()
    assert "unreachable" in info.value.problem
    assert "CRM_PG_URI" in info.value.fix


def test_half_created_database_is_rebuilt():
    backend = Backend('sqlite')
    name = f'test_setup_{uuid.uuid4().hex[:8]}'
    backend.create(name)
    try:
        # Created but never stamped: an interrupted run
        assert database_state(backend, name, 1.0) == 'rebuild'
        _write_stamp(backend, name, 1.0)
        assert database_state(backend, name, 1.0) == 'ready'
        assert database_state(backend, name, 0.5) == 'rebuild'
        stamp = backend.db_path() / f'{name}.stamp.json'
        # Another demo generator: only a test database is rebuilt
        stamp.write_text(stamp.read_text().replace('"demo": "', '"demo": "x'))
        assert database_state(backend, name, 1.0) == 'ready'
        assert database_state(
            backend, name, 1.0, fresh_demo=True) == 'rebuild'
        stamp.write_text(stamp.read_text().replace('"code": "', '"code": "x'))
        assert database_state(backend, name, 1.0) == 'outdated'
    finally:
        backend.drop(name)
        (backend.db_path() / f'{name}.stamp.json').unlink(missing_ok=True)
    assert not os.path.exists(backend.db_path() / f'{name}.sqlite')
