# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo personal home of crm_knowledge.

The demo users got the home boxes of their groups when they were created;
the administrator, created before the module, gets them here.  Each user
follows a few article categories, so the news box shows the articles just
published in them; a user without an activity due gets a call to make
today, and the Sales Manager an open case at SLA risk when the demo cases
left none to them: every box of the demo users' homes shows rows (the
administrator has no employee, so no activity nor case).
"""
import datetime as dt

MODULE = 'crm_knowledge'
# login: the article categories followed
FOLLOWS = {
    'admin': ["Billing"],
    'manager': ["Hardware", "售后服务"],
    'sales1': ["Software", "Billing"],
    'sales2': ["Hardware"],
    'agent': ["售后服务", "Software"],
    'analyst': ["Billing", "Hardware"],
    }


def populate(pool, rng, today):
    User = pool.get('res.user')
    Category = pool.get('crm.knowledge.category')
    users = {u.login: u for u in User.search([
                ('login', 'in', list(FOLLOWS)),
                ])}
    User.set_default_home([users['admin']])
    categories = {c.name: c for c in Category.search([
                ('name', 'in', sorted({
                            n for names in FOLLOWS.values() for n in names})),
                ])}
    to_write = []
    for login, names in FOLLOWS.items():
        to_write.extend(([categories[n] for n in names], {
                    'followers': [('add', [users[login].id])],
                    }))
    Category.write(*to_write)
    _call_today(pool, rng, today, [u for u in users.values() if u.employee])
    _case_at_risk(pool, rng, users['manager'])


def _call_today(pool, rng, today, users):
    "Give the users without an activity due a call to make today"
    Activity = pool.get('crm.activity')
    Sale = pool.get('sale.sale')
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    due = {a.employee for a in Activity.search([
                ('employee', 'in', [u.employee.id for u in users]),
                ('state', '=', 'planned'),
                ('planned_date', '<', tomorrow),
                ])}
    customers = sorted(
        {s.party for s in Sale.search([], limit=20)}, key=lambda p: p.id)
    Activity.create([{
                'company': u.employee.company.id,
                'employee': u.employee.id,
                'type': 'call',
                'subject': "Call back about the renewal",
                'party': rng.choice(customers).id,
                'planned_date': tomorrow - dt.timedelta(hours=8),
                } for u in users if u.employee not in due])


def _case_at_risk(pool, rng, user):
    "Give the user an open case at SLA risk unless they have one"
    Case = pool.get('crm.service.case')
    domain = [
        ('sla_status', 'in', ['at_risk', 'breached']),
        ('state', 'in', ['assigned', 'in_progress', 'waiting']),
        ]
    if Case.search(domain + [('agent', '=', user.employee.id)], limit=1):
        return
    cases = Case.search(domain, order=[('id', 'ASC')])
    if cases:
        Case.write([rng.choice(cases)], {'agent': user.employee.id})
