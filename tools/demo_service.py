# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo service cases of crm_service.

A Service Desk team (led by the Sales Manager, with the Service Agent), a
small tree of case categories and about forty cases of the customers over
the last month, in every state of the workflow and from every channel; the
time stamps of the transitions are spread over the days after each request.
"""
import datetime as dt

MODULE = 'crm_service'
CATEGORIES = [
    ("Hardware", ["Printer", "Laptop", "Server"]),
    ("Software", ["Installation", "Licence"]),
    ("Billing", ["Invoice question", "Refund"]),
    ("Delivery", []),
    ]
SUBJECTS = {
    "Printer": ["Printer jams", "Printing is slow"],
    "Laptop": ["Laptop does not boot", "Battery drains fast"],
    "Server": ["Server overheats", "Disk failure alarm"],
    "Installation": ["Installation fails", "Update breaks the login"],
    "Licence": ["Licence key rejected", "More seats needed"],
    "Invoice question": ["Invoice amount unclear", "Missing order number"],
    "Refund": ["Refund of a returned switch"],
    "Delivery": ["Parcel not delivered", "Wrong item delivered"],
    }
MESSAGES = {
    "Printer jams": "The office printer jams on every second page since "
    "Monday. We cleaned the rollers as the manual says; it still jams.",
    "Printing is slow": "Each page takes about a minute to come out, even "
    "a one-page letter. It used to be instant.",
    "Laptop does not boot": "My laptop shows the logo and turns itself off. "
    "I have a customer presentation tomorrow morning.",
    "Battery drains fast": "The battery is empty after an hour, though the "
    "laptop is only three months old.",
    "Server overheats": "The server room alarm went off twice this week; "
    "the server's fans run at full speed all day.",
    "Disk failure alarm": "The storage console reports a failing disk in "
    "bay 3. Please send a replacement under our contract.",
    "Installation fails": "The installer stops at 80% with error 1603. We "
    "tried twice, as administrator.",
    "Update breaks the login": "Since last night's update nobody in our "
    "team can log in: the password is refused.",
    "Licence key rejected": "The licence key from your e-mail is refused as "
    "invalid. We copied it without spaces.",
    "More seats needed": "We hired four people this month and need four "
    "more seats on our licence. What will it cost?",
    "Invoice amount unclear": "The invoice is higher than the quotation we "
    "signed. Which line is different?",
    "Missing order number": "Our accounts department needs our order "
    "number on the invoice before they can pay it.",
    "Refund of a returned switch": "We sent the switch back two weeks ago "
    "with the return form and have not been refunded yet.",
    "Parcel not delivered": "The tracking page says delivered, but nobody "
    "here received the parcel.",
    "Wrong item delivered": "We ordered the 24-port switch and received "
    "the 8-port model.",
    }
RESOLUTIONS = ["Replaced the part under warranty.",
    "Explained the configuration on the phone.",
    "Sent a corrected invoice.", "Shipped the missing item."]
# Number of cases per final state
STATES = {
    'new': 6, 'assigned': 6, 'in_progress': 8, 'waiting': 5,
    'resolved': 6, 'closed': 9,
    }
CHANNELS = ['phone', 'phone', 'email', 'email', 'web', 'fax', 'mobile',
    'field', 'portal', 'chat']
PRIORITIES = ['low', 'normal', 'normal', 'normal', 'high', 'urgent']


def _employee(pool, name):
    Employee = pool.get('company.employee')
    employee, = Employee.search([('party.name', '=', name)], limit=1)
    return employee


def populate(pool, rng, today):
    Team = pool.get('crm.sales.team')
    Category = pool.get('crm.service.case.category')
    Case = pool.get('crm.service.case')
    Sale = pool.get('sale.sale')

    manager = _employee(pool, "Sales Manager")
    agent = _employee(pool, "Service Agent")
    team, = Team.create([{
                'name': "Service Desk", 'leader': manager.id,
                'members': [('add', [agent.id])],
                }])
    leaves = []
    for parent, children in CATEGORIES:
        category, = Category.create([{
                    'name': parent,
                    'children': [('create', [
                                {'name': c} for c in children])],
                    }])
        leaves.extend(category.children or [category])

    sales = Sale.search([('state', 'not in', ['draft', 'cancelled'])])
    customers = sorted({s.party for s in sales}, key=lambda p: p.id)
    values, finals = [], []
    for state, count in STATES.items():
        for _ in range(count):
            category = rng.choice(leaves)
            subject = rng.choice(SUBJECTS[category.name])
            party = rng.choice(customers)
            party_sales = [s for s in sales if s.party == party]
            sale = rng.choice(party_sales) if party_sales else None
            values.append({
                    'subject': subject,
                    'description': MESSAGES[subject],
                    'party': party.id,
                    'channel': rng.choice(CHANNELS),
                    'category': category.id,
                    'priority': rng.choice(PRIORITIES),
                    'sale': sale.id if sale and rng.random() < 0.5 else None,
                    'team': team.id,
                    'agent': (None if state == 'new'
                        else rng.choice([agent, agent, manager]).id),
                    'resolution': (rng.choice(RESOLUTIONS)
                        if state in {'resolved', 'closed'} else None),
                    })
            finals.append(state)
    cases = Case.create(values)

    def in_state(*states):
        return [c for c, s in zip(cases, finals) if s in states]
    Case.assign(in_state(
            'assigned', 'in_progress', 'waiting', 'resolved', 'closed'))
    Case.start(in_state('in_progress', 'waiting', 'resolved', 'closed'))
    Case.wait(in_state('waiting'))
    Case.resolve(in_state('resolved', 'closed'))
    Case.close(in_state('closed'))
    # Two closed cases came back once
    reopened = in_state('closed')[:2]
    Case.reopen(reopened)
    Case.resolve(reopened)
    Case.close(reopened)

    # The requests came in over the last month, handled in the next days
    to_write = []
    now = dt.datetime.combine(today, dt.time(17))
    for case in Case.browse(cases):
        opened = now - dt.timedelta(
            days=rng.randint(1, 30), hours=rng.randint(0, 8))
        step = dt.timedelta(hours=rng.randint(1, 20))
        stamps = {}
        for name in ['assigned_at', 'first_response_at', 'waiting_since',
                'resolved_at', 'closed_at']:
            if getattr(case, name):
                opened += step
                stamps[name] = min(opened, now)
        if stamps:
            to_write.extend([[case], stamps])
    if to_write:
        Case.write(*to_write)
