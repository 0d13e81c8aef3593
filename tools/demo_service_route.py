# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo skill-based routing of crm_service.

Skills for the Hardware, Software and Billing categories and for English and
Chinese; the Service Desk gets three more agents beside the Service Agent
and its leader, with levels and capacities: one of them is away, another
is absent next week. The customers in China speak Chinese, the others
English; the cases still new are routed again with these agents.
"""
import datetime as dt

MODULE = 'crm_service'
# name: (capacity, availability, {skill: level}); the capacities leave
# room for the new requests of the day once the queue is handed over
AGENTS = {
    "Service Agent": (20, 'on_duty', {
            "Hardware": 4, "Software": 3, "English": 5, "Chinese": 2}),
    "Sales Manager": (4, 'on_duty', {"Billing": 4, "English": 4}),
    "Wang Fang": (15, 'on_duty', {
            "Hardware": 3, "Billing": 3, "Chinese": 5, "English": 3}),
    "Tom Baker": (12, 'away', {"Software": 5, "English": 5}),
    "Li Na": (12, 'on_duty', {
            "Software": 4, "Billing": 2, "Chinese": 5}),
    }
ABSENT_NEXT_WEEK = "Li Na"


def populate(pool, rng, today):
    Party = pool.get('party.party')
    Employee = pool.get('company.employee')
    Team = pool.get('crm.sales.team')
    Category = pool.get('crm.service.case.category')
    Skill = pool.get('crm.service.skill')
    Absence = pool.get('crm.service.agent.absence')
    Lang = pool.get('ir.lang')
    Case = pool.get('crm.service.case')

    langs = {l.code: l for l in Lang.search([('code', 'in', ['en', 'zh_CN'])])}
    skills = {}
    for category in Category.search([
                ('name', 'in', ["Hardware", "Software", "Billing"]),
                ('parent', '=', None)]):
        skills[category.name], = Skill.create([{
                    'name': category.name, 'kind': 'category',
                    'category': category.id}])
    for name, code in [("English", 'en'), ("Chinese", 'zh_CN')]:
        skills[name], = Skill.create([{
                    'name': name, 'kind': 'language',
                    'language': langs[code].id}])

    # The customers speak the language of their country
    customers = Party.search([('addresses', '!=', None)])
    chinese = [p for p in customers
        if any(a.country and a.country.code == 'CN' for a in p.addresses)]
    others = [p for p in customers if p not in chinese]
    Party.write(chinese, {'lang': langs['zh_CN'].id},
        others, {'lang': langs['en'].id})
    args = []
    for lang, parties in [('zh_CN', chinese), ('en', others)]:
        cases = Case.search([
                ('party', 'in', [p.id for p in parties]),
                ('state', 'in', ['new', 'assigned', 'in_progress', 'waiting']),
                ])
        if cases:
            args.extend((cases, {'language': langs[lang].id}))
    if args:
        Case.write(*args)

    team, = Team.search([('name', '=', "Service Desk")])
    company = team.company
    employees = {e.party.name: e for e in Employee.search([
                ('party.name', 'in', list(AGENTS))])}
    for name in AGENTS.keys() - employees.keys():
        party, = Party.create([{'name': name}])
        employees[name], = Employee.create([{
                    'party': party.id, 'company': company.id,
                    'start_date': today - dt.timedelta(days=400)}])
    Team.write([team], {'members': [('add', [
                        e.id for e in employees.values()
                        if e != team.leader and e not in team.members])]})
    # With a capacity, the agents take the cases waiting in the queue
    Employee.write(*[arg for name, (capacity, availability, levels)
            in AGENTS.items() for arg in (
                [employees[name]], {
                    'service_skills': [('create', [
                                {'skill': skills[s].id, 'level': level}
                                for s, level in levels.items()])],
                    'service_capacity': capacity,
                    'service_availability': availability,
                    })])
    start = dt.datetime.combine(
        today + dt.timedelta(days=7 - today.weekday()), dt.time(9))
    Absence.create([{
                'employee': employees[ABSENT_NEXT_WEEK].id,
                'start': start,
                'end': start + dt.timedelta(days=4, hours=9),
                'reason': "Training",
                }])

    Case.route(Case.search([
                ('state', '=', 'new'), ('agent', '=', None)]),
        trigger='manual')
