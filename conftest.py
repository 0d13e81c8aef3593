# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Collect the modules' tests under their canonical import path.

pytest would import addons/crm_x/tests/test_y.py as a top-level ``crm_x``
package, loading the module twice and registering its HTTP routes twice; the
test files are imported as ``trytond.modules.crm_x.tests.test_y`` instead.

Test files with a ``load_tests`` function (the scenario doctests) are run
through it, as Tryton's own runner does: its set-up, tear-down and output
checker (decimals on SQLite) then apply.
"""
import importlib
import os
import pathlib
import unittest

import pytest

ROOT = pathlib.Path(__file__).parent
ADDONS = ROOT / 'addons'
# The longest test files first
pytest_plugins = ['tools.testorder']


def _addon_module_name(path):
    relative = pathlib.Path(path).relative_to(ADDONS).with_suffix('')
    return '.'.join(('trytond', 'modules') + relative.parts)


class AddonModule(pytest.Module):

    def _getobj(self):
        return importlib.import_module(_addon_module_name(self.path))


class LoadTestsModule(pytest.Module):
    "A test file whose load_tests function adds tests (doctests)"

    def collect(self):
        # The test classes as pytest collects them (class fixtures run once)
        yield from super().collect()
        added = self.obj.load_tests(
            unittest.TestLoader(), unittest.TestSuite(), None)
        for test in _iter_suite(added):
            yield SuiteItem.from_parent(self, name=test.id(), test=test)


class AddonLoadTestsModule(LoadTestsModule, AddonModule):
    pass


def _iter_suite(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _iter_suite(test)
        else:
            yield test


class SuiteFailure(Exception):
    pass


class SuiteItem(pytest.Item):

    def __init__(self, *, test, **kwargs):
        super().__init__(**kwargs)
        self.test = test

    def runtest(self):
        from trytond import backend
        from trytond.tests.test_tryton import drop_db
        if backend.name == 'postgresql':
            # A scenario restores its database from a cached dump, which
            # creates it: the one the unit tests before it left must go
            drop_db()
        result = unittest.TestResult()
        self.test.run(result)
        problems = result.failures + result.errors
        if problems:
            raise SuiteFailure('\n'.join(text for _, text in problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SuiteFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


def pytest_collect_directory(path, parent):
    if ADDONS in path.parents or path == ADDONS:
        return pytest.Dir.from_parent(parent, path=path)


def pytest_pycollect_makemodule(module_path, parent):
    has_load_tests = 'def load_tests(' in module_path.read_text()
    if ADDONS in module_path.parents:
        cls = AddonLoadTestsModule if has_load_tests else AddonModule
        return cls.from_parent(parent, path=module_path)
    if has_load_tests:
        return LoadTestsModule.from_parent(parent, path=module_path)


def _database_name():
    """Each test process of a PostgreSQL run has a database of its own
    (the workers inherit the name trytond gave the controller's)"""
    worker = os.environ.get('PYTEST_XDIST_WORKER')
    if worker and os.environ.get('DB_NAME') != ':memory:':
        os.environ['DB_NAME'] = f'test_{worker}_{os.getpid()}'


def _report_failed_subtests_only():
    """A passed subtest is not reported: its test function is. Tryton's
    generic module checks make some 90,000 subtests a backend, and pytest
    would build, send from the worker and print a report for each"""
    from _pytest.unittest import TestCaseFunction
    add_subtest = TestCaseFunction.addSubTest

    def addSubTest(self, test_case, test, exc_info):
        if exc_info is not None:
            add_subtest(self, test_case, test, exc_info)
    TestCaseFunction.addSubTest = addSubTest


def _install():
    # Before trytond's test module is imported: it reads the name then
    _database_name()
    from tools import keptcache, testcache, testhash, testpool

    _report_failed_subtests_only()

    testpool.install()
    testhash.install()
    keptcache.install()
    if os.environ.get('DB_CACHE'):
        testcache.install()


_install()
