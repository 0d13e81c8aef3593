# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The partners' catalogue at their prices (the party's sale price list),
searched by our code, the partner's own code or name of a product or
its customers' (sale_product_customer, the customers are related to the
partner by party_relationship), and the cart kept on the server that becomes a
sale quotation."""
from decimal import Decimal, InvalidOperation

from werkzeug.exceptions import NotFound

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import HTTPStatus

from .portal import Pager, portal_route, portal_text, query_arg

MAX_QUANTITY = 100000
MAX_CART_LINES = 100


class CartLine(ModelSQL):
    "A product in the portal cart of a web user"
    __name__ = 'crm.partner.portal.cart.line'
    __string__ = "Portal Cart Line"

    user = fields.Many2One(
        'web.user', "User", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')
    quantity = fields.Float("Quantity", required=True)


def parse_quantity(value):
    "The quantity of the text or UserError"
    try:
        quantity = Decimal((value or '').strip())
    except InvalidOperation:
        quantity = None
    if (quantity is None or not quantity.is_finite() or quantity <= 0
            or quantity > MAX_QUANTITY or quantity != int(quantity)):
        raise UserError(gettext(
                'crm_partner.msg_portal_quantity_invalid',
                quantity=(value or '')[:20], max=MAX_QUANTITY))
    return int(quantity)


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    def portal_product_domain(self, query=None):
        domain = [
            ('salable', '=', True),
            ('active', '=', True),
            ]
        if query:
            like = f'%{query}%'
            parties = [self.portal_party.id] + self.portal_customer_ids()
            domain.append(['OR',
                    ('code', 'ilike', like),
                    ('name', 'ilike', like),
                    [('product_customers', 'where', [
                                ('party', 'in', parties),
                                ['OR',
                                    ('code', 'ilike', like),
                                    ('name', 'ilike', like),
                                    ]])],
                    [('template.product_customers', 'where', [
                                ('party', 'in', parties),
                                ('product', '=', None),
                                ['OR',
                                    ('code', 'ilike', like),
                                    ('name', 'ilike', like),
                                    ]])],
                    ])
        return domain

    def portal_customer_ids(self):
        """The ids of the party's customers: the parties it is related to
        as partner (party_relationship)"""
        pool = Pool()
        Relation = pool.get('party.relation.all')
        ModelData = pool.get('ir.model.data')
        if not self.portal_is_partner:
            return []
        relations = Relation.search([
                ('from_', '=', self.portal_party.id),
                ('type', '=', ModelData.get_id(
                        'crm_partner', 'relation_type_customer')),
                ])
        return [r.to.id for r in relations]

    def portal_products(self, query=None, offset=0, limit=None):
        pool = Pool()
        Product = pool.get('product.product')
        domain = self.portal_product_domain(query)
        return (Product.search(domain, offset=offset, limit=limit,
                order=[('code', 'ASC'), ('id', 'ASC')]),
            Product.search_count(domain))

    def portal_product(self, product_id):
        "Return the salable product of the id or raise NotFound"
        pool = Pool()
        Product = pool.get('product.product')
        products = Product.search(
            [('id', '=', product_id)] + self.portal_product_domain(),
            limit=1)
        if not products:
            raise NotFound
        return products[0]

    def portal_product_code(self, product):
        "The partner's own code of the product"
        for product_customer in product.product_customer_used(
                party=self.portal_party.id):
            if product_customer.code:
                return product_customer.code

    def portal_price(self, product, quantity=1):
        "The unit price of the product for the party at the quantity"
        pool = Pool()
        Product = pool.get('product.product')
        price_list = self.portal_party.sale_price_list
        if price_list:
            return price_list.compute(product, quantity, product.sale_uom)
        return Product.get_sale_price([product], quantity)[product.id]

    def portal_cart(self):
        pool = Pool()
        CartLine = pool.get('crm.partner.portal.cart.line')
        return CartLine.search([('user', '=', self.id)], order=[('id', 'ASC')])

    def portal_cart_add(self, product, quantity):
        "Add the quantity of the product to the cart"
        pool = Pool()
        CartLine = pool.get('crm.partner.portal.cart.line')
        try:
            product = self.portal_product(product.id)
        except NotFound:
            raise UserError(gettext('crm_partner.msg_portal_product_gone'))
        lines = [l for l in self.portal_cart() if l.product == product]
        if lines:
            line, = lines
            total = int(line.quantity) + quantity
            if total > MAX_QUANTITY:
                raise UserError(gettext(
                        'crm_partner.msg_portal_quantity_invalid',
                        quantity=total, max=MAX_QUANTITY))
            CartLine.write(lines, {'quantity': total})
        else:
            if len(self.portal_cart()) >= MAX_CART_LINES:
                raise UserError(gettext(
                        'crm_partner.msg_portal_cart_full',
                        max=MAX_CART_LINES))
            CartLine.create([{
                        'user': self.id,
                        'product': product.id,
                        'quantity': quantity,
                        }])

    def portal_cart_line(self, line_id):
        lines = [l for l in self.portal_cart() if l.id == line_id]
        if not lines:
            raise NotFound
        return lines[0]

    def portal_cart_set(self, line, quantity):
        "Change the quantity of the cart's line, 0 removes it"
        pool = Pool()
        CartLine = pool.get('crm.partner.portal.cart.line')
        line = self.portal_cart_line(line.id)
        if quantity:
            CartLine.write([line], {'quantity': quantity})
        else:
            CartLine.delete([line])

    def portal_cart_order(self):
        """Make a sale quotation of the cart at the party's prices, empty
        the cart and return the sale"""
        pool = Pool()
        CartLine = pool.get('crm.partner.portal.cart.line')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        cart = self.portal_cart()
        if not cart:
            raise UserError(gettext('crm_partner.msg_portal_cart_empty'))
        party = self.portal_party
        sale = Sale(company=self.portal_company(), party=party)
        sale.on_change_party()
        price_list = getattr(sale, 'price_list', None)
        # The price list's own check compares its company with the user's:
        # the portal works as root, so the prices are computed here
        sale.price_list = None
        sale.origin = None
        sale.description = gettext('crm_partner.msg_portal_sale_description')
        lines = []
        for cart_line in cart:
            product = cart_line.product
            if not product.active or not product.salable:
                raise UserError(gettext(
                        'crm_partner.msg_portal_product_unavailable',
                        product=product.rec_name))
            line = SaleLine(sale=sale, type='line', product=product,
                quantity=cart_line.quantity, unit=product.sale_uom)
            line.on_change_product()
            line.unit_price = self.portal_price(
                product, cart_line.quantity)
            if line.unit_price is None:
                raise UserError(gettext(
                        'crm_partner.msg_portal_product_unavailable',
                        product=product.rec_name))
            lines.append(line)
        sale.lines = lines
        sale.price_list = price_list
        # The partner earns its commission on what it orders
        sale.agent = party.partner_agent(sale.company)
        sale.save()
        Sale.quote([sale])
        CartLine.delete(cart)
        return sale

    def portal_order_confirm(self, sale):
        "Confirm the party's quotation"
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = self.portal_order(sale.id)
        if sale.state != 'quotation':
            raise UserError(gettext(
                    'crm_partner.msg_portal_order_not_quotation',
                    sale=sale.rec_name))
        Sale.confirm([sale])


@portal_route('catalogue', partner=True)
def catalogue(request, portal):
    pager = Pager(request)
    query = query_arg(request)
    products, total = portal.user.portal_products(
        query, offset=pager.offset, limit=pager.size)
    pager.set_total(total)
    user = portal.user
    rows = [{
            'product': p,
            'code': user.portal_product_code(p),
            'price': user.portal_price(p),
            } for p in products]
    notice = None
    if request.args.get('added'):
        notice = portal_text('msg_portal_cart_added')
    return portal.render('catalogue.html', rows=rows, pager=pager,
        query=query, notice=notice, currency=_currency())


def _currency():
    pool = Pool()
    WebUser = pool.get('web.user')
    company = WebUser.portal_company()
    return company.currency if company else None


@portal_route('cart', methods=('GET', 'POST'), partner=True)
def cart(request, portal):
    pool = Pool()
    Product = pool.get('product.product')
    user = portal.user
    if request.method == 'POST':
        action = request.form.get('action')
        if action == 'add':
            product_id = request.form.get('product') or ''
            if not product_id.isdigit():
                raise NotFound
            user.portal_cart_add(
                Product(int(product_id)),
                parse_quantity(request.form.get('quantity')))
            return portal.redirect(
                'catalogue', added=1, q=request.form.get('q') or '')
        elif action == 'update':
            for line in user.portal_cart():
                value = request.form.get(f'quantity-{line.id}')
                if value is None:
                    continue
                quantity = (0 if value.strip() == '0'
                    else parse_quantity(value))
                user.portal_cart_set(line, quantity)
            return portal.redirect('cart')
        elif action == 'order':
            sale = user.portal_cart_order()
            return portal.redirect(f'orders/{sale.id}', placed=1)
        return portal.message('msg_portal_error_title',
            'msg_portal_invalid', HTTPStatus.BAD_REQUEST, error=True)
    lines = user.portal_cart()
    rows = []
    total = Decimal(0)
    for line in lines:
        price = user.portal_price(line.product, line.quantity)
        amount = (price or 0) * Decimal(str(line.quantity))
        total += amount
        rows.append({'line': line, 'price': price, 'amount': amount,
                'quantity': int(line.quantity)})
    return portal.render('cart.html', rows=rows, total=total,
        currency=_currency())


@portal_route('orders/<int:sale_id>/confirm', methods=('POST',),
    partner=True)
def order_confirm(request, portal, sale_id):
    sale = portal.user.portal_order(sale_id)
    portal.user.portal_order_confirm(sale)
    return portal.redirect(f'orders/{sale.id}', confirmed=1)
