# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A partner's catalogue at their prices, the cart and the quotation."""
import re
from http import HTTPStatus

from trytond.modules.crm_partner.tests.portal_tools import PortalTestCase
from trytond.transaction import Transaction


class PortalPartnerTestCase(PortalTestCase):
    "The partner pages"

    def cart_lines(self, email):
        def lines(pool):
            CartLine = pool.get('crm.partner.portal.cart.line')
            return [(l.product.id, l.quantity) for l in CartLine.search(
                    [('user.email', '=', email)])]
        return self.query(lines)

    def add(self, client, product, quantity):
        return self.post(client, 'cart', {
                'action': 'add', 'product': str(product),
                'quantity': quantity}, form='catalogue')

    def test_catalogue_prices_and_codes(self):
        """The partner's prices; search by our code, their code, their
        customers' code or name"""
        client, _ = self.login('pat@example.com')
        page = self.text(client.get(self.url('catalogue')))
        self.assertIn('TON-1', page)
        self.assertIn('PAT-TONER', page)
        self.assertIn('80.00', page)
        self.assertNotIn('OLD-1', page)
        for query, expected, absent in [
                ('TON-1', 'Toner cartridge', 'Drum unit'),
                ('PAT-TONER', 'Toner cartridge', 'Drum unit'),
                ('drum', 'Drum unit', 'Toner cartridge'),
                ('OLD-1', 'Nothing to show', 'Old printer'),
                ]:
            with self.subTest(query=query):
                page = self.text(client.get(self.url(f'catalogue?q={query}')))
                self.assertIn(expected, page)
                self.assertNotIn(absent, page)
        # A customer's code: Carol buys through Pat, Dave does not
        page = self.text(client.get(self.url('catalogue?q=CAROL-DRUM')))
        self.assertIn('Drum unit', page)
        self.assertNotIn('Toner cartridge', page)
        page = self.text(client.get(self.url('catalogue?q=DAVE-TONER')))
        self.assertIn('Nothing to show', page)
        # A partner without a price list of its own: the list price
        client, _ = self.login('bob@example.com')
        page = self.text(client.get(self.url('catalogue')))
        self.assertIn('100.00', page)
        page = self.text(client.get(self.url('catalogue?q=CAROL-DRUM')))
        self.assertIn('Nothing to show', page)

    def test_cart_to_quotation_and_confirmation(self):
        "The cart becomes a quotation at the partner's prices, confirmed"
        client, _ = self.login('pat@example.com')
        response = self.add(client, self.ids['toner'], '3')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.add(client, self.ids['toner'], '2')
        self.add(client, self.ids['drum'], '1')
        self.assertEqual(sorted(self.cart_lines('pat@example.com')), sorted([
                    (self.ids['toner'], 5), (self.ids['drum'], 1)]))
        page = self.text(client.get(self.url('cart')))
        self.assertIn('480.00', page)
        response = self.post(client, 'cart', {'action': 'order'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        path = response.headers['Location']
        sale_id = int(re.search(r'orders/(\d+)', path).group(1))
        page = self.text(client.get(path))
        self.assertIn('is ready', page)
        self.assertIn('480.00', page)
        self.assertEqual(self.cart_lines('pat@example.com'), [])

        def sale(pool):
            Sale = pool.get('sale.sale')
            sale = Sale(sale_id)
            return (sale.state, sale.party.name, sale.untaxed_amount,
                sale.price_list.name if sale.price_list else None)
        state, party, amount, price_list = self.query(sale)
        self.assertEqual((state, party, str(amount), price_list),
            ('quotation', "Pat Partner", '480.00', "Partners"))
        response = self.post(client, f'orders/{sale_id}/confirm', {},
            form=f'orders/{sale_id}')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(self.query(sale)[0], 'confirmed')
        response = self.post(client, f'orders/{sale_id}/confirm', {},
            form=f'orders/{sale_id}')
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

    def test_bad_quantities(self):
        "Negative, huge, decimal or missing quantities change nothing"
        client, _ = self.login('pat@example.com')
        before = self.cart_lines('pat@example.com')
        for quantity in ['-1', '0', '1e9', '2.5', 'abc', '', 'NaN']:
            with self.subTest(quantity=quantity):
                response = self.add(client, self.ids['drum'], quantity)
                self.assertEqual(
                    response.status_code, HTTPStatus.BAD_REQUEST)
                self.assertIn('is not valid', self.text(response))
        self.assertEqual(self.cart_lines('pat@example.com'), before)

    def test_inactive_product(self):
        "An inactive product cannot be added"
        client, _ = self.login('pat@example.com')
        response = self.add(client, self.ids['old'], '1')
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn('no longer available', self.text(response))
        self.assertNotIn(self.ids['old'], [
                p for p, _ in self.cart_lines('pat@example.com')])

    def test_empty_cart(self):
        "An empty cart makes no quotation"
        def empty(pool):
            CartLine = pool.get('crm.partner.portal.cart.line')
            CartLine.delete(CartLine.search(
                    [('user.email', '=', 'bob@example.com')]))
            Transaction().commit()
        # Another test may have filled Bob's cart in the same database
        self.query(empty)
        client, _ = self.login('bob@example.com')
        response = self.post(client, 'cart', {'action': 'order'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn('Your cart is empty', self.text(response))

    def test_cart_of_another_user(self):
        "A cart line of another user is not changed"
        client, _ = self.login('bob@example.com')
        self.add(client, self.ids['drum'], '1')
        (line_id,) = self.query(lambda pool: [l.id for l in pool.get(
                        'crm.partner.portal.cart.line').search(
                        [('user.email', '=', 'bob@example.com')])])
        other, _ = self.login('pat@example.com')
        self.post(other, 'cart', {
                'action': 'update', f'quantity-{line_id}': '0'})
        self.assertEqual(self.cart_lines('bob@example.com'),
            [(self.ids['drum'], 1)])

    def test_articles_search_paged(self):
        "A search counts every match and makes the snippets of its page"
        def search(pool):
            WebUser = pool.get('web.user')
            user, = WebUser.search([('email', '=', 'pat@example.com')])
            return [user.portal_articles('paper', offset=offset, limit=1)
                for offset in range(3)]
        (first, total1), (second, total2), (rest, total3) = self.query(
            search)
        self.assertEqual((total1, total2, total3), (2, 2, 2))
        self.assertEqual(rest, [])
        titles = {first[0]['rec_name'], second[0]['rec_name']}
        self.assertEqual(
            titles, {"Clear a paper jam", "Partner rebates on paper"})
        for found in first + second:
            self.assertIn('<b>paper</b>', found['snippet'].lower())

    def test_customer_not_partner(self):
        "A party that is not a partner has no catalogue nor cart"
        client, _ = self.login('alice@example.com')
        for path in ['catalogue', 'cart']:
            with self.subTest(path=path):
                self.assertEqual(client.get(self.url(path)).status_code,
                    HTTPStatus.NOT_FOUND)
        page = self.text(client.get(self.url('articles')))
        self.assertNotIn('Partner rebates', page)
        client, _ = self.login('pat@example.com')
        page = self.text(client.get(self.url('articles')))
        self.assertIn('Partner rebates', page)
