# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of the phones

Salesperson One has up to three customer visits planned today around
Shanghai (the route), check-ins of last week (the second one far from the
address) and a work
instruction of the Sales Manager waiting to be accepted, as has
Salesperson Two.
"""
import datetime

from trytond.transaction import Transaction

MODULE = 'crm_mobile'
SHANGHAI = (31.2304, 121.4737)


def populate(pool, rng, today):
    User = pool.get('res.user')
    Address = pool.get('party.address')
    Activity = pool.get('crm.activity')
    Visit = pool.get('crm.mobile.visit')
    Instruction = pool.get('crm.mobile.instruction')
    company = Transaction().context['company']
    users = {u.login: u for u in User.search([
                ('login', 'in', ['manager', 'sales1', 'sales2'])])}
    # The located customers nearest to Shanghai (a few at a small scale)
    addresses = sorted(Address.search([
                ('latitude', '>=', SHANGHAI[0] - 1),
                ('latitude', '<=', SHANGHAI[0] + 1),
                ('longitude', '>=', SHANGHAI[1] - 1),
                ('longitude', '<=', SHANGHAI[1] + 1),
                ('party.active', '=', True),
                ]), key=lambda a: (
            (a.latitude - SHANGHAI[0]) ** 2
            + (a.longitude - SHANGHAI[1]) ** 2, a.id))[:5]
    if not addresses or len(users) < 3:
        return
    sales1 = users['sales1']
    morning = datetime.datetime.combine(today, datetime.time(9))
    Activity.create([{
                'company': company,
                'type': 'visit',
                'subject': "Visit %s" % a.party.rec_name,
                'party': a.party.id,
                'employee': sales1.employee.id,
                'planned_date': morning + datetime.timedelta(hours=2 * i),
                'duration': datetime.timedelta(hours=1),
                } for i, a in enumerate(addresses[:3])])
    checked = addresses[3:] or addresses[:1]
    last_week = morning - datetime.timedelta(days=7)
    Visit.create([{
                'company': company,
                'user': sales1.id,
                'employee': sales1.employee.id,
                'party': a.party.id,
                'check_in_at': last_week + datetime.timedelta(hours=3 * i),
                'check_out_at': last_week + datetime.timedelta(
                    hours=3 * i, minutes=45),
                'state': 'checked_out',
                'latitude': a.latitude + offset,
                'longitude': a.longitude,
                'accuracy': 25,
                'report': report,
                } for i, (a, offset, report) in enumerate(zip(checked,
                        [0.0002, 0.02], [
                            "Presented the new catalogue.",
                            "Met the buyer at their depot.",
                            ]))])
    instruction, = Instruction.create([{
                'company': company,
                'manager': users['manager'].id,
                'subject': "Collect the signed order at %s"
                % addresses[0].party.rec_name,
                'description': "The buyer has it ready; bring a copy of the "
                "price list.",
                'party': addresses[0].party.id,
                'due_date': morning + datetime.timedelta(hours=8),
                'assignees': [('create', [
                            {'user': users['sales1'].id},
                            {'user': users['sales2'].id},
                            ])],
                }])
    Instruction.send([instruction])
