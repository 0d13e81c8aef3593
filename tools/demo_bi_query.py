# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of the users' own queries: the admin's, shared with the BI
analysts, to run, chart and export."""
import datetime

from trytond.transaction import Transaction

MODULE = 'crm_bi'
QUERIES = [
    ("Opportunities by state",
        "SELECT state, COUNT(id) AS opportunities, SUM(amount) AS amount "
        "FROM sale_opportunity WHERE company = :company "
        "GROUP BY state ORDER BY state",
        [('company', "Company", 'integer', None)]),
    ("Won revenue by month",
        "SELECT SUBSTR(CAST(end_date AS TEXT), 1, 7) AS month, "
        "SUM(amount) AS won FROM sale_opportunity "
        "WHERE state = 'won' AND end_date >= :since "
        "GROUP BY SUBSTR(CAST(end_date AS TEXT), 1, 7) ORDER BY month",
        [('since', "Since", 'date', 'year')]),
    ("Service cases by channel",
        "SELECT channel, COUNT(id) AS cases FROM crm_service_case "
        "GROUP BY channel ORDER BY cases DESC",
        []),
    ]


def populate(pool, rng, today):
    ModelData = pool.get('ir.model.data')
    Query = pool.get('crm.bi.query')
    User = pool.get('res.user')
    company = Transaction().context['company']
    admin, = User.search([('login', '=', 'admin')])
    defaults = {
        'company': str(company),
        'year': (today - datetime.timedelta(days=365)).isoformat(),
        }
    Query.create([{
                'name': name,
                'sql': sql,
                'owner': admin.id,
                'groups': [('add', [
                            ModelData.get_id('crm_bi', 'group_crm_bi_analyst'),
                            ])],
                'parameters': [('create', [{
                                'name': n, 'string': s, 'type': t,
                                'default': defaults.get(d or n),
                                } for n, s, t, d in parameters])],
                } for name, sql, parameters in QUERIES])
