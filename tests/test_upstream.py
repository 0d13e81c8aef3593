# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Tryton's own party and sale_opportunity tests, with crm_sales activated.

The CRM extends these models; their upstream behaviour must not change. The
upstream scenarios activate their own module: crm_sales is added to it.
The generic checks of a module test case (views, access, depends, company
fields ...) are not run again here: crm_sales's test_module runs them.
"""
import doctest
import pathlib
from unittest import mock

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.party.tests import test_module as party_tests
from trytond.modules.sale_opportunity.tests import (
    test_module as opportunity_tests)
from trytond.tests import tools
from trytond import backend
from trytond.tests import test_tryton
from trytond.tests.test_tryton import (
    STRIP_DECIMAL, OutputChecker, doctest_setup, doctest_teardown)

CRM = 'crm_sales'
GENERIC_CHECKS = {name
    for base in [test_tryton.ModuleTestCase, CompanyTestMixin]
    for name in dir(base) if name.startswith('test')}


def without_generic_checks(cls):
    "The test case without the checks crm_sales's own test case runs"
    for name in GENERIC_CHECKS:
        # unittest and pytest collect only callable attributes
        setattr(cls, name, None)
    return cls


@without_generic_checks
class PartyWithCrmTestCase(party_tests.PartyTestCase):
    "party's tests on a database where crm_sales is activated"
    module = CRM


@without_generic_checks
class SaleOpportunityWithCrmTestCase(
        opportunity_tests.SaleOpportunityTestCase):
    "sale_opportunity's tests on a database where crm_sales is activated"
    module = CRM


def _activate_with_crm(activate):
    def activate_modules(modules, *setup):
        modules = [modules] if isinstance(modules, str) else list(modules)
        return activate(modules + [CRM], *setup)
    return activate_modules


def _setup(test):
    doctest_setup(test)
    # doctest_teardown stops every patch
    mock.patch.object(tools, 'activate_modules',
        _activate_with_crm(tools.activate_modules)).start()


def load_tests(loader, tests, pattern):
    folder = pathlib.Path(opportunity_tests.__file__).parent
    scenarios = sorted(str(p) for p in folder.glob('scenario_*.rst'))
    optionflags = (doctest.REPORT_ONLY_FIRST_FAILURE | doctest.ELLIPSIS
        | doctest.IGNORE_EXCEPTION_DETAIL)
    if backend.name == 'sqlite':
        optionflags |= STRIP_DECIMAL
    tests.addTests(doctest.DocFileSuite(
            *scenarios, module_relative=False, setUp=_setup,
            tearDown=doctest_teardown, encoding='utf-8',
            checker=OutputChecker(), optionflags=optionflags))
    return tests
