# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo personal home of crm_knowledge.

The demo users got the home boxes of their groups when they were created;
the administrator, created before the module, gets them here.  Each user
follows a few article categories, so the news box shows the articles just
published in them, and the Sales Manager is given an open case at SLA risk
when the demo cases left none to them: every box of the Sales Manager's
home shows rows.
"""
MODULE = 'crm_knowledge'
# login: the article categories followed
FOLLOWS = {
    'admin': ["Billing"],
    'manager': ["Hardware", "售后服务"],
    'sales1': ["Software", "Billing"],
    'sales2': ["Hardware"],
    'agent': ["售后服务", "Software"],
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
    _case_at_risk(pool, rng, users['manager'])


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
