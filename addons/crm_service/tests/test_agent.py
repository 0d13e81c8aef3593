# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.model.exceptions import (
    DomainValidationError, RequiredValidationError, SQLConstraintError)
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import with_company
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import activate_module


class AgentTestCase(unittest.TestCase):
    "Test the service profile of the employees"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def setup_company(self):
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        Skill = pool.get('crm.service.skill')
        self.category, = Category.create([{'name': "Hardware"}])
        self.skill, = Skill.create([{
                    'name': "Hardware", 'kind': 'category',
                    'category': self.category.id}])

    @with_company
    def test_skill_target(self):
        "A skill matches the target of its kind only"
        pool = Pool()
        Skill = pool.get('crm.service.skill')
        Lang = pool.get('ir.lang')
        english, = Lang.search([('code', '=', 'en')])
        with self.assertRaises(RequiredValidationError):
            Skill.create([{'name': "English", 'kind': 'language'}])
        skill, = Skill.create([{
                    'name': "English", 'kind': 'language',
                    'language': english.id, 'category': self.category.id}])
        self.assertEqual((skill.language, skill.category), (english, None))

        skill = Skill(kind='category', category=self.category)
        skill.on_change_category()
        self.assertEqual(skill.name, "Hardware")
        skill.kind = 'product'
        skill.on_change_kind()
        self.assertIsNone(skill.category)

    @with_company
    def test_level(self):
        "A skill level is from 1 to 5, one per agent and skill"
        pool = Pool()
        AgentSkill = pool.get('crm.service.agent.skill')
        agent = create_employee(self.company, "Agent")
        agent_skill, = AgentSkill.create([{
                    'employee': agent.id, 'skill': self.skill.id,
                    'level': 5}])
        self.assertEqual(agent_skill.rec_name, "Hardware (5)")
        self.assertEqual(agent_skill.kind, 'category')
        for level in [0, 6]:
            with self.assertRaises(DomainValidationError):
                AgentSkill.create([{
                            'employee': create_employee(self.company).id,
                            'skill': self.skill.id, 'level': level}])
        with self.assertRaises(SQLConstraintError):
            AgentSkill.create([{
                        'employee': agent.id, 'skill': self.skill.id,
                        'level': 3}])

    @with_company
    def test_capacity(self):
        "The capacity is 0 by default and never negative"
        pool = Pool()
        Employee = pool.get('company.employee')
        agent = create_employee(self.company, "Agent")
        self.assertEqual(agent.service_capacity, 0)
        self.assertEqual(agent.service_availability, 'on_duty')
        self.assertIsNone(agent.service_load_ratio)
        with self.assertRaises(DomainValidationError):
            Employee.write([agent], {'service_capacity': -1})

    @with_company
    def test_absence(self):
        "An absence ends after it starts and makes the agent unavailable"
        pool = Pool()
        Employee = pool.get('company.employee')
        Absence = pool.get('crm.service.agent.absence')
        agent = create_employee(self.company, "Agent")
        other = create_employee(self.company, "Other")
        now = datetime.datetime.now()
        with self.assertRaises(DomainValidationError):
            Absence.create([{
                        'employee': agent.id, 'start': now,
                        'end': now - datetime.timedelta(hours=1)}])
        Absence.create([
                {'employee': agent.id,
                    'start': now - datetime.timedelta(hours=1),
                    'end': now + datetime.timedelta(hours=1)},
                {'employee': other.id,
                    'start': now + datetime.timedelta(days=7),
                    'end': now + datetime.timedelta(days=8)},
                ])
        self.assertEqual(agent.service_availability, 'on_duty')
        self.assertFalse(agent.service_available)
        self.assertTrue(other.service_available)
        self.assertEqual(
            Employee.search([('service_available', '=', True)]), [other])
        self.assertEqual(
            Employee.search([('service_available', '=', False)]), [agent])
        Employee.write([other], {'service_availability': 'away'})
        self.assertEqual(
            Employee.search([('service_available', '!=', True)]),
            [agent, other])

    @with_company
    def test_load(self):
        "The load counts the open cases of the agent"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Employee = pool.get('company.employee')
        agent = create_employee(self.company, "Agent")
        Employee.write([agent], {'service_capacity': 4})
        cases = Case.create([{
                    'subject': f"Case {i}", 'agent': agent.id,
                    'resolution': "Done"} for i in range(3)])
        Case.start(cases[:1])
        Case.resolve(cases[:1])
        agent = Employee(agent.id)
        self.assertEqual(agent.service_load, 2)
        self.assertEqual(agent.service_load_ratio, 0.5)

    @with_company
    def test_agents_action(self):
        "The Agents menu lists the employees with capacity or skills"
        pool = Pool()
        Employee = pool.get('company.employee')
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action.act_window')
        skilled = create_employee(self.company, "Skilled")
        staffed = create_employee(self.company, "Staffed")
        create_employee(self.company, "Accountant")
        Employee.write([skilled], {
                'service_skills': [('create', [
                            {'skill': self.skill.id, 'level': 2}])]},
            [staffed], {'service_capacity': 3})
        action = Action(ModelData.get_id('crm_service', 'act_agent_form'))
        domain = PYSONDecoder().decode(action.pyson_domain)
        self.assertEqual(
            sorted(Employee.search(domain)), sorted([skilled, staffed]))
