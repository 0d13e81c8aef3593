# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""./crm's answers to a broken environment: one line and the fix."""
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tools import ROOT, SetupError, pgcluster, testcache
from tools.crmctl import (
    Backend, Suite, _split_paths, _write_stamp, check_port, database_state,
    free_port)
from tools.progress import Step, Steps


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


def clear_keys():
    for function in [testcache.suite_depends, testcache.module_key,
            testcache.tryton_pins]:
        function.cache_clear()


@pytest.fixture
def keys_cleared():
    """The keys are computed afresh, and again after the test: a key kept
    from its files would name every later database of the test process,
    which would then rebuild the cache"""
    clear_keys()
    yield
    clear_keys()


def test_cache_key_follows_the_code_of_the_modules(
        tmp_path, monkeypatch, keys_cleared):
    "A test or a dependent module's change rebuilds no cached database"
    addons = tmp_path / 'addons'
    for module, depends in [('crm_a', ''), ('crm_b', 'crm_a')]:
        (addons / module / 'tests').mkdir(parents=True)
        (addons / module / 'tryton.cfg').write_text(
            f"[tryton]\ndepends:\n    ir\n    {depends}\n")
        (addons / module / 'model.py').write_text("# model\n")
        (addons / module / 'tests' / 'test_x.py').write_text("# test\n")
    (tmp_path / 'requirements.txt').write_text("trytond==8.0.12\n")
    monkeypatch.setattr(testcache, 'ROOT', tmp_path)
    monkeypatch.setattr(testcache, 'ADDONS', addons)

    def keys():
        clear_keys()
        return testcache.key(['crm_a']), testcache.key(['party', 'crm_b'])
    a, b = keys()
    assert testcache.suite_depends('crm_b') == {'crm_a', 'crm_b'}
    (addons / 'crm_b' / 'tests' / 'test_x.py').write_text("# edited\n")
    assert keys() == (a, b)
    (addons / 'crm_b' / 'model.py').write_text("# a new field\n")
    a2, b2 = keys()
    assert a2 == a and b2 != b
    (addons / 'crm_a' / 'view.xml').write_text("<form/>\n")
    a3, b3 = keys()
    assert a3 != a and b3 != b2
    # A test tool's version makes no database, Tryton's does
    (tmp_path / 'requirements.txt').write_text(
        "trytond==8.0.12\npytest-xdist==3.8.0\n")
    assert keys() == (a3, b3)
    (tmp_path / 'requirements.txt').write_text("trytond==8.0.13\n")
    assert keys()[0] != a3


def test_cache_lock_serialises_test_processes():
    "The second worker that needs a cached database waits for the first"
    events = []

    def build(name):
        with testcache.lock('test_setup'):
            events.append(('start', name))
            time.sleep(0.2)
            events.append(('end', name))
    threads = [threading.Thread(target=build, args=(n,)) for n in 'ab']
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e for e, _ in events] == ['start', 'end', 'start', 'end']


def test_cache_manifest_replaces_stale_databases(tmp_path):
    manifest = testcache.Manifest(tmp_path / 'manifest.json')
    assert manifest.replace('crm_a', 'postgresql:///test-1') is None
    assert manifest.replace('crm_a', 'postgresql:///test-1') is None
    assert manifest.replace('crm_a', 'postgresql:///test-2') == (
        'postgresql:///test-1')
    manifest.replace('crm_b', '/cache/b.dump')
    assert manifest.databases() == {'test-2'}
    assert testcache.modules_of('crm_a-party--create_company') == [
        'crm_a', 'party']
    # The keys of the modules a database was made of are kept with it
    keys = {'': 'tryton', 'crm_a': '1'}
    assert manifest.replace('crm_a', 'postgresql:///test-2', keys) is None
    assert manifest.entry('crm_a') == {
        'file': 'postgresql:///test-2', 'modules': keys}
    # A manifest of an earlier run has the files only
    (tmp_path / 'manifest.json').write_text('{"crm_c": "/cache/c.dump"}')
    assert manifest.entry('crm_c') == {'file': '/cache/c.dump', 'modules': {}}


def test_cache_manifest_one_set_up_database_a_class(tmp_path):
    "A class's set-up keeps one database and its result, the newest"
    manifest = testcache.Manifest(tmp_path / 'manifest.json')
    name = 'crm_a--tests.test_a.ATestCase'
    manifest.replace(f'{name}#1', '/cache/1.dump', result=[1, {'x': 2}])
    # Restored: the result stays with its database
    assert manifest.replace(f'{name}#1', '/cache/1.dump') is None
    assert manifest.entry(f'{name}#1')['result'] == [1, {'x': 2}]
    # The test code or the date changed: a new database replaces it
    assert manifest.replace(f'{name}#2', '/cache/2.dump') == '/cache/1.dump'
    assert 'result' not in manifest.entry(f'{name}#2')


def test_set_up_key_follows_the_test_files_imported():
    "A class's set-up is keyed on its test file and the test files it uses"
    from trytond.modules.crm_bi.tests import test_attack_catalogue
    files = testcache._test_files(test_attack_catalogue.__name__)
    assert {(p.parent.parent.name, p.name) for p in files} == {
        ('crm_bi', 'test_attack_catalogue.py'),
        ('crm_bi', 'test_catalogue.py'), ('crm_bi', 'tools.py'),
        ('crm_sales', 'tools.py'), ('crm_sales', 'rpc.py'),
        }


def test_stale_database_upgraded_for_changed_modules_only():
    "A changed module is upgraded; other modules or Tryton's make it anew"
    old = {'': 'tryton', 'crm_a': '1', 'crm_b': '1'}
    assert testcache.changed_modules(old, dict(old)) == []
    assert testcache.changed_modules(old, dict(old, crm_b='2')) == ['crm_b']
    assert testcache.changed_modules(old, dict(old, crm_c='1')) is None
    assert testcache.changed_modules(old, dict(old, **{'': 'new'})) is None
    # A database of an earlier run without its keys
    assert testcache.changed_modules({}, old) is None


def test_progress_without_terminal():
    "Plain lines: the start, details at most so often, the end"
    stream = io.StringIO()
    with Step("loading", stream, every=60) as step:
        step.detail("customers")
        step.detail("history")
        step.say("a line of its own")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "crm: loading"
    assert lines[1].startswith("crm: loading: customers (")
    assert lines[2] == "a line of its own"
    assert re.fullmatch(r"crm: loading: done in \d+s", lines[3])
    assert len(lines) == 4


def test_progress_on_terminal():
    "One line redrawn with the step number, what it does and its time"
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    stream = Terminal()
    steps = Steps(3, stream)
    with steps.step("activating") as step:
        step.detail("load party")
        time.sleep(1.2)
    output = stream.getvalue()
    # The seconds shown depend on the load of the machine
    assert re.search(
        r"\r\033\[Kcrm: \[1/3\] activating: load party \.\.\. [1-9]\d*s",
        output)
    assert re.search(r"crm: \[1/3\] activating: done in [1-9]\d*s\n$", output)


def test_counts_are_of_test_functions(tmp_path):
    "Subtests are not counted: a function fails once, however many fail"
    (tmp_path / 'test_sub.py').write_text(
        "import unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_a(self):\n"
        "        for i in range(5):\n"
        "            with self.subTest(i=i):\n"
        "                self.assertLess(i, 3)\n"
        "    def test_b(self):\n"
        "        for i in range(5):\n"
        "            with self.subTest(i=i):\n"
        "                pass\n"
        "    @unittest.skip('no')\n"
        "    def test_c(self):\n"
        "        pass\n")
    suite = Suite('sub', [str(tmp_path / 'test_sub.py'), '-p',
            'no:cacheprovider', '--rootdir', str(tmp_path)], os.environ,
        logs=tmp_path)
    suite.start().wait()
    assert suite.counts() == {'passed': 1, 'failed': 1, 'skipped': 1}
    # Its CPU, printed with its wall time
    assert suite.cpu[0] > 0


def test_paths_choose_the_phases():
    "A test path runs the phase it belongs to; options go to both"
    assert _split_paths(['-k', 'territory']) == (
        ['addons', 'tests', '--ignore=tests/browser', '-k', 'territory'],
        ['tests/browser', '-k', 'territory'])
    assert _split_paths(['addons/crm_sales', '-x']) == (
        ['addons/crm_sales', '--ignore=tests/browser', '-x'], None)
    assert _split_paths(['tests/browser/test_smoke.py::test_x']) == (
        None, ['tests/browser/test_smoke.py::test_x'])


def test_one_name_for_one_database():
    "A list of modules names the database of the modules it needs alone"
    assert testcache.minimal(
        ['crm_knowledge', 'crm_sales', 'crm_service']) == ['crm_knowledge']
    assert testcache.minimal(['sale_opportunity', 'crm_sales']) == [
        'crm_sales']
    assert testcache.minimal(['party', 'company']) == ['company']


def test_a_database_builds_on_its_parent():
    """A database missing from the cache is made by activating one module
    more on the cached database of the modules it builds on"""
    assert testcache.parent(['crm_sales']) is None
    assert testcache.parent(['crm_service']) == ['crm_sales']
    assert testcache.parent(['crm_bi']) == ['crm_knowledge']
    assert testcache.parent(['crm_bi', 'crm_partner']) == ['crm_bi']
    assert testcache.parent(['crm_sales', 'sale_supply']) == ['crm_sales']
    assert testcache.parent(['sale_supply']) is None


def test_longest_test_files_first(tmp_path, monkeypatch):
    """The files the last run measured longest come first, the files not
    measured yet before them; a file's tests keep their order"""
    from tools import testorder
    path = tmp_path / 'durations-sqlite.json'
    path.write_text('{"a.py": 1.0, "b.py": 30.0}')
    monkeypatch.setattr(testorder, 'SUITE', 'sqlite')
    monkeypatch.setattr(testorder, 'durations_path', lambda: path)

    class Item:
        def __init__(self, nodeid):
            self.nodeid = nodeid
    items = [Item(n) for n in [
                'a.py::T::test_1', 'a.py::T::test_2', 'b.py::test_3',
                'new.py::test_4']]
    testorder.pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == [
        'new.py::test_4', 'b.py::test_3', 'a.py::T::test_1',
        'a.py::T::test_2']
