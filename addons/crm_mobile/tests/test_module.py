# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.crm_mobile import geo
from trytond.tests.test_tryton import ModuleTestCase


class CrmMobileTestCase(CompanyTestMixin, ModuleTestCase):
    "Test CRM Mobile module"
    module = 'crm_mobile'
    extras = ['crm_knowledge']

    def test_distance(self):
        "One degree of latitude is about 111 km"
        self.assertAlmostEqual(
            geo.distance(31, 121, 32, 121) / 1000, 111.2, places=1)
        self.assertEqual(geo.distance(31, 121, 31, 121), 0)

    def test_bounding_box_antimeridian(self):
        "A box around a point near the antimeridian wraps"
        south, west, north, east = geo.bounding_box(0, 179.99, 5000)
        self.assertGreater(west, east)
        self.assertLess(south, 0)
        self.assertGreater(north, 0)


del ModuleTestCase
