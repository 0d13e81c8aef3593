# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import json
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_user, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module

from .sla_tools import H, at, create_case, create_policy, frozen_clock

AGENT = ['crm_service.group_crm_service_agent']
MANAGER = ['crm_service.group_crm_service_manager']


class EscalationTestCase(unittest.TestCase):
    "Test the escalation of the cases by the cron"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    @classmethod
    def setup_class_company(cls, company):
        pool = Pool()
        Team = pool.get('crm.sales.team')
        Level = pool.get('crm.service.escalation.level')
        agent = create_employee(company, "Agent")
        leader = create_employee(company, "Leader")
        team, = Team.create([{
                    'name': "Support", 'leader': leader.id,
                    'members': [('add', [agent.id])],
                    }])
        director = create_user(
            'director', company, create_employee(company, "Director"), AGENT)
        level1, level2 = Level.create([{
                    'name': "Team leader", 'sequence': 1,
                    'recipient': 'leader', 'delay': dt.timedelta(),
                    }, {
                    'name': "Director", 'sequence': 2,
                    'recipient': 'user', 'user': director.id,
                    'delay': 2 * H,
                    }])
        return {
            'policy': create_policy(company, [('normal', None, None, 2, 8)]),
            'agent': agent, 'leader': leader, 'team': team,
            'agent_user': create_user('agent', company, agent, AGENT),
            'leader_user': create_user('leader', company, leader, MANAGER),
            'director': director, 'level1': level1, 'level2': level2,
            }

    def notified(self, user):
        "Return the labels of the notifications of the user"
        pool = Pool()
        Notification = pool.get('res.notification')
        return [n.label for n in Notification.search(
                [('user', '=', user.id)], order=[('id', 'ASC')])]

    def logs(self, case):
        pool = Pool()
        Escalation = pool.get('crm.service.escalation')
        return [(e.kind, e.level, e.user) for e in Escalation.search(
                [('case', '=', case.id)], order=[('id', 'ASC')])]

    @with_company
    def test_escalation(self):
        "At risk notifies the agent, a breach the levels, each once"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Notification = pool.get('res.notification')
        with frozen_clock(at(0, 10)):
            case = create_case(team=self.team.id, agent=self.agent.id)
        number = case.number

        Case.escalate(now=at(0, 11))
        self.assertEqual(self.logs(case), [])
        self.assertEqual(case.sla_status, 'on_track')

        # 80% of the 2 hours of response
        for now in [at(0, 11, 40), at(0, 11, 45)]:
            Case.escalate(now=now)
        self.assertEqual(Case(case.id).sla_status, 'at_risk')
        self.assertEqual(
            self.notified(self.agent_user),
            [f"Case {number} is at risk of missing its SLA"])
        notification, = Notification.search(
            [('user', '=', self.agent_user.id)])
        self.assertEqual(
            (notification.model, json.loads(notification.records)),
            ('crm.service.case', [case.id]))
        self.assertEqual(
            self.logs(case), [('at_risk', None, self.agent_user)])

        # The breach goes to the team leader, once
        for now in [at(0, 12, 5), at(0, 12, 10), at(0, 13)]:
            Case.escalate(now=now)
        self.assertEqual(Case(case.id).sla_status, 'breached')
        self.assertEqual(
            self.notified(self.leader_user),
            [f"Case {number} missed its SLA"])
        self.assertEqual(self.notified(self.director), [])
        self.assertEqual(len(self.notified(self.agent_user)), 1)

        # Two hours after the breach, the second level
        for now in [at(0, 14), at(0, 14, 5)]:
            Case.escalate(now=now)
        self.assertEqual(
            self.notified(self.director), [f"Case {number} missed its SLA"])
        self.assertEqual(len(self.notified(self.leader_user)), 1)
        self.assertEqual(self.logs(case), [
                ('at_risk', None, self.agent_user),
                ('breach', self.level1, self.leader_user),
                ('breach', self.level2, self.director),
                ])
        self.assertEqual(len(Case(case.id).escalations), 3)

    @with_company
    def test_straight_to_breach(self):
        "A case found breached skips the at-risk notice"
        pool = Pool()
        Case = pool.get('crm.service.case')
        with frozen_clock(at(0, 10)):
            case = create_case(team=self.team.id, agent=self.agent.id)
        Case.escalate(now=at(0, 12, 30))
        self.assertEqual(self.notified(self.agent_user), [])
        self.assertEqual(
            self.logs(case), [('breach', self.level1, self.leader_user)])

    @with_company
    def test_stopped_clocks(self):
        "Waiting and resolved cases are not escalated"
        pool = Pool()
        Case = pool.get('crm.service.case')
        with frozen_clock(at(0, 10)) as clock:
            waiting, resolved = [
                create_case(
                    team=self.team.id, agent=self.agent.id, resolution="Ok")
                for _ in range(2)]
            clock.now = at(0, 11)
            Case.start([waiting, resolved])
            Case.wait([waiting])
            Case.resolve([resolved])
        Case.escalate(now=at(2, 12))
        self.assertEqual(
            (self.logs(waiting), self.logs(resolved)), ([], []))
        self.assertEqual(
            (waiting.sla_status, resolved.sla_status), ('on_track', 'met'))

    @with_company
    def test_nobody_to_notify(self):
        "A case without agent is logged once without a user"
        pool = Pool()
        Case = pool.get('crm.service.case')
        with frozen_clock(at(0, 10)):
            case = create_case()
        Case.escalate(now=at(0, 11, 40))
        Case.escalate(now=at(0, 11, 50))
        self.assertEqual(self.logs(case), [('at_risk', None, None)])

    @with_company
    def test_managers_level_of_policy(self):
        "A level of another policy does not apply; managers are notified"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Level = pool.get('crm.service.escalation.level')
        other = create_policy(
            self.company, [('normal', None, None, 1, 1)], name="Other",
            default=False)
        managers, _ = Level.create([{
                    'name': "Managers", 'sequence': 3, 'recipient': 'managers',
                    'policy': self.policy.id, 'delay': 3 * H,
                    }, {
                    'name': "Elsewhere", 'sequence': 4, 'recipient': 'agent',
                    'policy': other.id, 'delay': dt.timedelta(),
                    }])
        with frozen_clock(at(0, 10)):
            case = create_case(team=self.team.id, agent=self.agent.id)
        Case.escalate(now=at(0, 15))
        self.assertEqual(
            [kind for kind, level, user in self.logs(case)
                if level == managers and user == self.leader_user],
            ['breach'])
        self.assertNotIn(
            'Elsewhere', [level.name for _, level, _ in self.logs(case)
                if level])

    @with_company
    def test_escalations_of_other_team(self):
        "An agent of another team does not see the escalations"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Escalation = pool.get('crm.service.escalation')
        Team = pool.get('crm.sales.team')
        stranger = create_employee(self.company, "Stranger")
        Team.create([{'name': "Other", 'members': [('add', [stranger.id])]}])
        stranger_user = create_user(
            'stranger', self.company, stranger, AGENT)
        with frozen_clock(at(0, 10)):
            case = create_case(team=self.team.id, agent=self.agent.id)
        Case.escalate(now=at(0, 11, 40))
        escalation, = Escalation.search([('case', '=', case.id)])
        with as_user(self.agent_user):
            self.assertEqual(Escalation.search([]), [escalation])
            with self.assertRaises(AccessError):
                Escalation.write([escalation], {'date': at(0, 9)})
        with as_user(stranger_user):
            self.assertEqual(Escalation.search([]), [])
