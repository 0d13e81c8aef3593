# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The orders (sale.sale) and invoices (account.invoice) of the portal
user's party, with the document Tryton renders for each, as PDF."""
from werkzeug.exceptions import NotFound

from trytond.exceptions import UserError
from trytond.i18n import gettext

from trytond.pool import Pool, PoolMeta

from .portal import Pager, portal_route, portal_text, query_arg, send_file

# Drafts are still being written by the sales team
ORDER_STATES = ['quotation', 'confirmed', 'processing', 'done', 'cancelled']
INVOICE_STATES = ['posted', 'paid']


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    def portal_order_domain(self, query=None):
        domain = [
            ('party', '=', self.portal_party.id),
            ('state', 'in', ORDER_STATES),
            ]
        if query:
            domain.append(['OR',
                    ('number', 'ilike', f'%{query}%'),
                    ('reference', 'ilike', f'%{query}%'),
                    ('description', 'ilike', f'%{query}%'),
                    ])
        return domain

    def portal_orders(self, query=None, offset=0, limit=None):
        pool = Pool()
        Sale = pool.get('sale.sale')
        domain = self.portal_order_domain(query)
        return (Sale.search(domain, offset=offset, limit=limit),
            Sale.search_count(domain))

    def portal_order(self, sale_id):
        "Return the party's order of the id or raise NotFound"
        pool = Pool()
        Sale = pool.get('sale.sale')
        sales = Sale.search(
            [('id', '=', sale_id)] + self.portal_order_domain(), limit=1)
        if not sales:
            raise NotFound
        return sales[0]

    def portal_invoice_domain(self, query=None):
        domain = [
            ('party', '=', self.portal_party.id),
            ('type', '=', 'out'),
            ('state', 'in', INVOICE_STATES),
            ]
        if query:
            domain.append(['OR',
                    ('number', 'ilike', f'%{query}%'),
                    ('reference', 'ilike', f'%{query}%'),
                    ('description', 'ilike', f'%{query}%'),
                    ])
        return domain

    def portal_invoices(self, query=None, offset=0, limit=None):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        domain = self.portal_invoice_domain(query)
        return (Invoice.search(domain, offset=offset, limit=limit),
            Invoice.search_count(domain))

    def portal_invoice(self, invoice_id):
        "Return the party's invoice of the id or raise NotFound"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoices = Invoice.search(
            [('id', '=', invoice_id)] + self.portal_invoice_domain(),
            limit=1)
        if not invoices:
            raise NotFound
        return invoices[0]

    @classmethod
    def portal_document(cls, report_name, record):
        """Return the content and name of the PDF of the report Tryton
        renders for the record

        The report is rendered from its OpenDocument template as in sao,
        then converted to PDF by LibreOffice (./crm installs it): a
        customer opens a PDF on any device."""
        pool = Pool()
        Report = pool.get(report_name, type='report')
        ActionReport = pool.get('ir.action.report')
        extension, content, _, name = Report.execute([record.id], {
                'model': record.__name__, 'id': record.id,
                'ids': [record.id]})
        if extension != 'pdf':
            action, = ActionReport.search([
                    ('report_name', '=', report_name),
                    ], limit=1)
            action.extension = 'pdf'
            extension, content = Report.convert(action, content)
        if extension != 'pdf':
            raise UserError(gettext('crm_partner.msg_portal_document_pdf'))
        return content, name


def _list(request, portal, template, method):
    pager = Pager(request)
    query = query_arg(request)
    records, total = method(query, offset=pager.offset, limit=pager.size)
    pager.set_total(total)
    return portal.render(template, records=records, pager=pager, query=query)


@portal_route('orders')
def orders(request, portal):
    return _list(request, portal, 'orders.html', portal.user.portal_orders)


@portal_route('orders/<int:sale_id>')
def order(request, portal, sale_id):
    sale = portal.user.portal_order(sale_id)
    notice = None
    if request.args.get('placed'):
        notice = portal_text('msg_portal_order_placed', sale=sale.rec_name)
    elif request.args.get('confirmed'):
        notice = portal_text('msg_portal_order_confirmed', sale=sale.rec_name)
    return portal.render('order.html', sale=sale, notice=notice)


@portal_route('orders/<int:sale_id>/document', readonly=False)
def order_document(request, portal, sale_id):
    sale = portal.user.portal_order(sale_id)
    return _document(portal, 'sale.sale', sale)


@portal_route('invoices')
def invoices(request, portal):
    return _list(
        request, portal, 'invoices.html', portal.user.portal_invoices)


@portal_route('invoices/<int:invoice_id>/document', readonly=False)
def invoice_document(request, portal, invoice_id):
    invoice = portal.user.portal_invoice(invoice_id)
    return _document(portal, 'account.invoice', invoice)


def _document(portal, report_name, record):
    content, name = portal.user.portal_document(report_name, record)
    return send_file(name, 'pdf', content)
