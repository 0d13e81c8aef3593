# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo activities and stage playbooks of crm_sales.

The salespersons' calls, meetings, e-mails, visits, tasks and notes over the
last four months (mostly done, a few cancelled or overdue) and the next three
weeks (planned), and the playbooks of the lead and opportunity stages, applied
to the open pipeline.
"""
import datetime as dt

PLAYBOOKS = [
    ("Qualify new leads", 'lead', [
            ('call', "Qualify: call within 1 day", 1, 15),
            ('email', "Send company presentation", 2, 10),
            ]),
    ("Work the opportunity", 'opportunity', [
            ('meeting', "Needs analysis meeting", 3, 60),
            ('task', "Prepare the proposal", 7, 120),
            ('call', "Follow-up call on the proposal", 14, 15),
            ]),
    ]
SALESPEOPLE = ["Sales Manager", "Salesperson One", "Salesperson Two"]
SUBJECTS = {
    'call': ["Introduction call", "Follow-up call", "Pricing question"],
    'meeting': ["Quarterly review", "Product demonstration"],
    'email': ["Send price list", "Answer the tender questions"],
    'visit': ["Site visit", "Visit the purchasing department"],
    'task': ["Update the account plan", "Check the credit limit"],
    'note': ["Met at the trade show", "New purchasing manager"],
    }
OUTCOMES = ["Interested, send an offer", "No budget before next quarter",
    "Asked for references", "Order expected next month"]


def populate(pool, rng, today):
    Employee = pool.get('company.employee')
    Opportunity = pool.get('sale.opportunity')
    Sale = pool.get('sale.sale')
    Activity = pool.get('crm.activity')
    Playbook = pool.get('crm.playbook')

    Playbook.create([{
                'name': name, 'stage': stage,
                'lines': [('create', [{
                                'sequence': i, 'type': type_,
                                'subject': subject, 'offset_days': offset,
                                'duration': dt.timedelta(minutes=minutes),
                                } for i, (type_, subject, offset, minutes)
                            in enumerate(lines)])],
                } for name, stage, lines in PLAYBOOKS])
    Opportunity.apply_playbooks(Opportunity.search([
                ('state', 'in', ['lead', 'opportunity']),
                ]))

    employees = Employee.search([('party.name', 'in', SALESPEOPLE)])
    opportunities = Opportunity.search([('party', '!=', None)])
    customers = sorted({s.party for s in Sale.search([])}, key=lambda p: p.id)
    now = dt.datetime.combine(today, dt.time(9))
    values, done, cancelled = [], [], []
    for employee in employees:
        own = [o for o in opportunities if o.employee == employee]
        for _ in range(60):
            type_ = rng.choice(list(SUBJECTS))
            day = rng.randint(-120, 21)
            planned = now + dt.timedelta(days=day, hours=rng.randint(0, 8))
            if own and rng.random() < 0.4:
                resource = rng.choice(own)
                party = resource.party
            else:
                resource, party = None, rng.choice(customers)
            values.append({
                    'type': type_,
                    'subject': rng.choice(SUBJECTS[type_]),
                    'party': party.id,
                    'resource': str(resource) if resource else None,
                    'employee': employee.id,
                    'planned_date': planned,
                    'duration': dt.timedelta(
                        minutes=rng.choice([15, 30, 60, 90])),
                    })
            if day < 0:
                draw = rng.random()
                if draw < 0.8:
                    done.append(len(values) - 1)
                elif draw < 0.9:
                    cancelled.append(len(values) - 1)
    activities = Activity.create(values)
    done = [activities[i] for i in done]
    for activity in done:
        activity.outcome = rng.choice(OUTCOMES)
    Activity.save(done)
    Activity.do(done)
    Activity.cancel([activities[i] for i in cancelled])
