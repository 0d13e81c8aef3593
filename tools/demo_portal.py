# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo portal accounts of crm_partner.

A customer with service cases, orders and invoices gets the portal login
customer@portal.example.com; another customer, with a partner price list
(15 % off) and its own codes for two products, partner@portal.example.com.
Their password is the demo password (set with the staff users'). A few
knowledge articles are made public, one is for the partners. Leads of other
customers are proposed to the partner, to accept or decline on the portal.
"""

MODULE = 'crm_partner'
CUSTOMER = 'customer@portal.example.com'
PARTNER = 'partner@portal.example.com'
LOGINS = [CUSTOMER, PARTNER]
PROPOSED_LEADS = 4
AUDIENCES = {
    "Clear a paper jam": 'public',
    "Laptop does not boot": 'public',
    "Refund of a returned item": 'public',
    "退款流程": 'public',
    "商品未送达": 'public',
    "Server overheats": 'partners',
    }


def populate(pool, rng, today):
    Party = pool.get('party.party')
    Case = pool.get('crm.service.case')
    Sale = pool.get('sale.sale')
    WebUser = pool.get('web.user')
    PriceList = pool.get('product.price_list')
    Product = pool.get('product.product')
    ProductCustomer = pool.get('sale.product_customer')
    Article = pool.get('crm.knowledge.article')
    Opportunity = pool.get('sale.opportunity')
    Assignment = pool.get('crm.partner.assignment')
    company = pool.get('company.company').search([])[0]
    # The customers with cases and orders, the first one the most served
    served = {c.party for c in Case.search(
            [('party', '!=', None)], order=[('id', 'ASC')])}
    with_sales = [s.party for s in Sale.search(
            [('state', 'in', ['confirmed', 'processing', 'done'])],
            order=[('id', 'ASC')])]
    customers = [p for p in dict.fromkeys(with_sales) if p in served]
    customer, partner = (customers + list(dict.fromkeys(with_sales)))[:2]
    price_list, = PriceList.create([{
                'name': "Partner prices", 'company': company.id,
                'price': 'list_price',
                'lines': [('create', [{'formula': 'unit_price * 0.85'}])],
                }])
    managers = pool.get('company.employee').search([
            ('party.name', '=', "Sales Manager"),
            ('company', '=', company.id),
            ], limit=1)
    Party.write([partner], {
            'sale_price_list': price_list.id, 'is_partner': True,
            'partner_type': 'reseller',
            'partner_manager': managers[0].id if managers else None})
    products = Product.search(
        [('salable', '=', True)], order=[('code', 'ASC')], limit=2)
    ProductCustomer.create([{
                'template': p.template.id, 'party': partner.id,
                'code': f'PTN-{i + 1:03d}',
                } for i, p in enumerate(products)])
    WebUser.create([
            {'email': CUSTOMER, 'party': customer.id, 'email_valid': True},
            {'email': PARTNER, 'party': partner.id, 'email_valid': True},
            ])
    for title, audience in AUDIENCES.items():
        Article.write(Article.search([('title', '=', title)]),
            {'audience': audience})
    others = [c for c in dict.fromkeys(with_sales)
        if c not in {customer, partner}] or [customer]
    leads = Opportunity.create([{
                'company': company.id, 'currency': company.currency.id,
                'party': party.id, 'address': party.addresses[0].id,
                'description': f"{product.name} for {party.name}",
                'lines': [('create', [{
                                'product': product.id,
                                'quantity': rng.randint(2, 20),
                                'unit': product.default_uom.id,
                                }])],
                } for party, product in (
                (others[i % len(others)], products[i % len(products)])
                for i in range(PROPOSED_LEADS))])
    Assignment.distribute(leads, partner=partner, trigger='manual')
