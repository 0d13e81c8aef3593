# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import unittest

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_customer, create_user, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

AGENT = ['crm_service.group_crm_service_agent']
MORNING = dt.datetime(2026, 3, 2, 9)
HOUR = dt.timedelta(hours=1)


class VisitTestCase(unittest.TestCase):
    "Test the field visits"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def setup_company(self):
        self.technician = create_employee(self.company, "Technician")
        self.customer = create_customer(
            "Customer", street="1 Main Street", latitude=31.2304,
            longitude=121.4737)

    def create_case(self, **values):
        pool = Pool()
        Case = pool.get('crm.service.case')
        values.setdefault('party', self.customer)
        case = Case(subject="Server overheats", **values)
        case.save()
        return case

    def create_visit(self, case=None, start=MORNING, hours=2, **values):
        pool = Pool()
        Visit = pool.get('crm.service.visit')
        visit = Visit(
            case=case or self.create_case(),
            technician=values.pop('technician', self.technician),
            scheduled_start=start,
            scheduled_end=start + hours * HOUR, **values)
        visit.save()
        return visit

    @with_company
    def test_workflow(self):
        "A visit is planned, the technician arrives and reports"
        pool = Pool()
        Visit = pool.get('crm.service.visit')
        visit = self.create_visit(address=self.customer.addresses[0])
        self.assertTrue(visit.number.startswith('VISIT'))
        self.assertEqual(visit.state, 'planned')
        self.assertEqual(visit.party, self.customer)
        self.assertEqual(
            (visit.latitude, visit.longitude), (31.2304, 121.4737))
        self.assertIn('mlat=31.2304&mlon=121.4737', visit.map_url)

        Visit.arrive([visit])
        self.assertEqual(visit.state, 'in_progress')
        self.assertTrue(visit.arrived_at)

        visit.report = "Cleaned the fans, replaced the thermal paste."
        visit.save()
        Visit.do([visit])
        self.assertEqual(visit.state, 'done')
        self.assertGreaterEqual(visit.done_at, visit.arrived_at)
        self.assertEqual(Visit.search([('party', '=', self.customer)]),
            [visit])

    @with_company
    def test_done_requires_report(self):
        "A visit is done only with its result report"
        pool = Pool()
        Visit = pool.get('crm.service.visit')
        visit = self.create_visit()
        Visit.arrive([visit])
        visit.report = "  "
        visit.save()
        with self.assertRaisesRegex(UserError, "write its result report"):
            Visit.do([visit])
        self.assertEqual(Visit(visit.id).state, 'in_progress')
        self.assertIsNone(Visit(visit.id).done_at)

    @with_company
    def test_end_before_start(self):
        "A visit ends after it starts"
        with self.assertRaises(DomainValidationError):
            self.create_visit(hours=-1)
        with self.assertRaises(DomainValidationError):
            self.create_visit(hours=0)

    @with_company
    def test_double_booking(self):
        "A technician is not booked on two overlapping visits"
        first = self.create_visit(start=MORNING, hours=2)
        # Back to back is fine, and so is another technician
        self.create_visit(start=MORNING + 2 * HOUR)
        other = create_employee(self.company, "Other Technician")
        self.create_visit(start=MORNING, technician=other)
        with self.assertRaisesRegex(UserError, "already booked") as cm:
            self.create_visit(start=MORNING + HOUR, hours=2)
        self.assertIn(first.number, str(cm.exception))
        self.assertIn("Technician", str(cm.exception))

    @with_company
    def test_double_booking_move(self):
        "Moving a visit onto another of the technician is refused"
        pool = Pool()
        Visit = pool.get('crm.service.visit')
        self.create_visit(start=MORNING, hours=2)
        after = self.create_visit(start=MORNING + 2 * HOUR)
        with self.assertRaisesRegex(UserError, "already booked"):
            Visit.write([after], {'scheduled_start': MORNING + HOUR})

    @with_company
    def test_cancelled_frees_slot(self):
        "A cancelled visit frees the slot until it is planned again"
        pool = Pool()
        Visit = pool.get('crm.service.visit')
        first = self.create_visit(start=MORNING, hours=2)
        Visit.cancel([first])
        overlapping = self.create_visit(start=MORNING + HOUR, hours=1)
        Visit.cancel([overlapping])
        Visit.plan([first])
        self.assertEqual(first.state, 'planned')
        with self.assertRaisesRegex(UserError, "already booked"):
            Visit.plan([overlapping])

    @with_company
    def test_scheduled_date(self):
        "The dispatch finds the visits of a day in the company's time zone"
        pool = Pool()
        Visit = pool.get('crm.service.visit')
        self.company.timezone = 'Asia/Shanghai'
        self.company.save()
        # 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai
        late = self.create_visit(start=dt.datetime(2026, 3, 1, 23, 30))
        morning = self.create_visit(start=dt.datetime(2026, 3, 2, 3))
        next_day = self.create_visit(start=dt.datetime(2026, 3, 2, 17))
        self.assertEqual(late.scheduled_date, dt.date(2026, 3, 2))
        self.assertEqual(
            sorted(Visit.search(
                    [('scheduled_date', '=', dt.date(2026, 3, 2))])),
            sorted([late, morning]))
        self.assertEqual(
            Visit.search([('scheduled_date', '>', dt.date(2026, 3, 2))]),
            [next_day])

    @with_company
    def test_schedule_visit_button(self):
        "The case's button schedules a planned visit and opens it"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Visit = pool.get('crm.service.visit')
        Wizard = pool.get('crm.service.case.schedule_visit', type='wizard')
        case = self.create_case(agent=self.technician)
        ModelData = pool.get('ir.model.data')
        self.assertEqual(
            Case.schedule_visit([case]),
            ModelData.get_id('crm_service', 'wizard_case_schedule_visit'))

        session_id, _, _ = Wizard.create()
        with Transaction().set_context(
                active_model='crm.service.case', active_id=case.id,
                active_ids=[case.id]):
            wizard = Wizard(session_id)
            defaults = wizard.default_start(None)
            self.assertEqual(defaults['technician'], self.technician.id)
            self.assertEqual(
                defaults['address'], self.customer.addresses[0].id)
            self.assertGreater(
                defaults['scheduled_end'], defaults['scheduled_start'])

            wizard.start.technician = self.technician
            wizard.start.address = self.customer.addresses[0]
            wizard.start.scheduled_start = MORNING
            wizard.start.scheduled_end = MORNING + HOUR
            _, data = wizard.do_schedule({})
        visit, = Visit.search([('case', '=', case.id)])
        self.assertEqual(data, {'res_id': [visit.id]})
        self.assertEqual(
            (visit.state, visit.technician, visit.scheduled_start),
            ('planned', self.technician, MORNING))
        self.assertEqual(Case(case.id).visits, (visit,))

    @with_company
    def test_rules_other_team(self):
        "An agent of another team neither sees nor changes the visits"
        pool = Pool()
        Team = pool.get('crm.sales.team')
        Visit = pool.get('crm.service.visit')
        mine = create_employee(self.company, "Agent North")
        other = create_employee(self.company, "Agent South")
        north, south = Team.create([
                {'name': "North", 'members': [('add', [mine.id])]},
                {'name': "South", 'members': [('add', [other.id])]},
                ])
        visit = self.create_visit(case=self.create_case(team=north.id))
        own_user = create_user('north', self.company, mine, AGENT)
        other_user = create_user('south', self.company, other, AGENT)
        technician_user = create_user(
            'tech', self.company, self.technician, AGENT)

        with as_user(own_user):
            self.assertEqual(Visit.search([]), [visit])
            Visit.arrive([Visit(visit.id)])
        with as_user(technician_user):
            self.assertEqual(Visit.search([]), [visit])
        with as_user(other_user):
            self.assertEqual(Visit.search([]), [])
            with self.assertRaises(AccessError):
                Visit.read([visit.id], ['report'])
            with self.assertRaises(AccessError):
                Visit.write([Visit(visit.id)], {'report': "Hacked"})
            with self.assertRaises(AccessError):
                Visit.delete([Visit(visit.id)])
        self.assertEqual(Visit(visit.id).state, 'in_progress')
        self.assertIsNone(Visit(visit.id).report)
