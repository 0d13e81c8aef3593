# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Collect the modules' tests under their canonical import path.

pytest would import addons/crm_x/tests/test_y.py as a top-level ``crm_x``
package, loading the module twice and registering its HTTP routes twice; the
test files are imported as ``trytond.modules.crm_x.tests.test_y`` instead.
"""
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).parent
ADDONS = ROOT / 'addons'


def _addon_module_name(path):
    relative = pathlib.Path(path).relative_to(ADDONS).with_suffix('')
    return '.'.join(('trytond', 'modules') + relative.parts)


class AddonModule(pytest.Module):

    def _getobj(self):
        return importlib.import_module(_addon_module_name(self.path))


def pytest_collect_directory(path, parent):
    if ADDONS in path.parents or path == ADDONS:
        return pytest.Dir.from_parent(parent, path=path)


def pytest_pycollect_makemodule(module_path, parent):
    if ADDONS in module_path.parents:
        return AddonModule.from_parent(parent, path=module_path)
