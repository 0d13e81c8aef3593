# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.

from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class CrmBiTestCase(CompanyTestMixin, ModuleTestCase):
    "Test CRM BI module"
    module = 'crm_bi'
    extras = ['crm_partner']


del ModuleTestCase
