# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.crm_knowledge.document import extract_text, pypdf
from trytond.modules.crm_sales.tests.tools import as_user, with_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .test_article import AGENT, SALESPERSON, create_user


def make_pdf(text):
    "Return a one-page PDF showing the ASCII text"
    stream = b'BT /F1 12 Tf 72 720 Td (%s) Tj ET' % text.encode('ascii')
    objects = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] '
        b'/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
        b'<< /Length %d >>\nstream\n%s\nendstream' % (len(stream), stream),
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        ]
    pdf = b'%PDF-1.4\n'
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b'%d 0 obj\n%s\nendobj\n' % (number, body)
    xref = len(pdf)
    pdf += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    pdf += b''.join(b'%010d 00000 n \n' % o for o in offsets)
    pdf += (b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n'
        % (len(objects) + 1, xref))
    return pdf


class ExtractTestCase(unittest.TestCase):
    "Test the text extraction of the uploads"

    def test_plain_text(self):
        "Plain text in UTF-8 or GB18030"
        self.assertEqual(extract_text('a.txt', '退款流程'.encode('utf-8')),
            '退款流程')
        self.assertEqual(extract_text('a.txt', '退款流程'.encode('gb18030')),
            '退款流程')
        self.assertEqual(extract_text('notes', b'plain words'),
            'plain words')

    def test_html(self):
        "HTML without its scripts and styles"
        text = extract_text('page.html',
            b'<html><head><style>p {}</style></head><body><p>Refund</p>'
            b'<script>alert(1)</script><p>policy</p></body></html>')
        self.assertEqual(text.split(), ['Refund', 'policy'])

    @unittest.skipIf(pypdf is None, "pypdf is not installed")
    def test_pdf(self):
        "The text of a PDF; a broken PDF gives no text"
        self.assertIn('Warranty terms',
            extract_text('terms.pdf', make_pdf('Warranty terms')))
        self.assertEqual(extract_text('broken.pdf', b'%PDF-1.4 garbage'), '')

    def test_binary(self):
        "Other files are kept but not searched"
        self.assertEqual(extract_text('photo.png', b'\x89PNG\0\0'), '')


class DocumentTestCase(unittest.TestCase):
    "Test the document library"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_knowledge'])

    @with_transaction()
    def test_versions(self):
        "A new upload is a new version; the previous ones are kept"
        pool = Pool()
        Document = pool.get('crm.knowledge.document')
        Attachment = pool.get('ir.attachment')
        document, = Document.create([{
                    'name': "Price list", 'file_name': 'prices.txt',
                    'file': b'Old prices'}])
        self.assertEqual(document.version, 1)
        Document.write([document], {
                'file_name': 'prices.html',
                'file': b'<p>New prices for the warranty</p>'})
        document = Document(document.id)
        self.assertEqual(document.version, 2)
        self.assertEqual(bytes(document.file),
            b'<p>New prices for the warranty</p>')
        old, = [v for v in document.versions if v.number == 1]
        self.assertEqual(bytes(old.data), b'Old prices')
        self.assertEqual(old.file_name, 'v1 prices.txt')
        self.assertEqual(document.versions[0].mime_type, 'text/html')
        self.assertEqual(document.text, 'New prices for the warranty')
        self.assertEqual(len(Attachment.search(
                    [('resource', '=', str(document))])), 2)
        # The search finds the text of the last version only
        self.assertEqual(
            [r['id'] for r in Document.search_text("warranty")],
            [document.id])
        self.assertEqual(Document.search_text("old"), [])
        self.assertEqual(
            Document.search([('text', 'ilike', '%prices%')]), [document])

    @unittest.skipIf(pypdf is None, "pypdf is not installed")
    @with_transaction()
    def test_pdf_search(self):
        "The text of an uploaded PDF is searched"
        Document = Pool().get('crm.knowledge.document')
        document, = Document.create([{
                    'name': "Terms", 'file_name': 'terms.pdf',
                    'file': make_pdf('Extended warranty conditions')}])
        self.assertEqual(
            [r['id'] for r in Document.search_text("warranty conditions")],
            [document.id])

    @with_company
    def test_links(self):
        "A document links to any number of records; the party shows it"
        pool = Pool()
        Document = pool.get('crm.knowledge.document')
        Party = pool.get('party.party')
        Case = pool.get('crm.service.case')
        party, other = Party.create([{
                    'name': "Customer",
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'buyer@example.com'}])],
                    }, {'name': "Other"}])
        mechanism, = party.contact_mechanisms
        case, = Case.create([{'subject': "Broken", 'party': party.id}])
        contract, brochure = Document.create([{
                    'name': "Contract",
                    'links': [('create', [
                                {'record': str(party)},
                                {'record': str(case)}])],
                    }, {
                    'name': "Brochure",
                    'links': [('create', [{'record': str(mechanism)}])],
                    }])
        self.assertEqual(Party(party.id).knowledge_documents,
            (brochure, contract))
        self.assertEqual(Party(other.id).knowledge_documents, ())
        self.assertEqual(
            {l.record for l in contract.links}, {party, case})

    @with_transaction()
    def test_group_access(self):
        "A document restricted to groups is invisible to the others"
        pool = Pool()
        Document = pool.get('crm.knowledge.document')
        Attachment = pool.get('ir.attachment')
        Link = pool.get('crm.knowledge.document.link')
        Party = pool.get('party.party')
        ModelData = pool.get('ir.model.data')
        agent_group = ModelData.get_id('crm_service.group_crm_service_agent')
        agent = create_user('agent', AGENT)
        seller = create_user('seller', SALESPERSON)
        owner = create_user('owner', SALESPERSON)
        party, = Party.create([{'name': "Customer"}])
        restricted, shared = Document.create([{
                    'name': "Escalation contacts", 'owner': owner.id,
                    'groups': [('add', [agent_group])],
                    'file_name': 'contacts.txt', 'file': b'secret phone',
                    'links': [('create', [{'record': str(party)}])],
                    }, {
                    'name': "Brochure", 'owner': owner.id,
                    }])
        with as_user(agent):
            self.assertEqual(set(Document.search([])), {restricted, shared})
        with as_user(owner):
            self.assertEqual(set(Document.search([])), {restricted, shared})
        with as_user(seller):
            self.assertEqual(Document.search([]), [shared])
            self.assertEqual(Document.search_text("secret"), [])
            with self.assertRaises(AccessError):
                Document.read([restricted.id], ['name'])
            with self.assertRaises(AccessError):
                Document.write([Document(restricted.id)], {'name': "Mine"})
            self.assertEqual(Link.search([]), [])
            self.assertEqual(Party(party.id).knowledge_documents, ())
            self.assertEqual(Attachment.search(
                    [('resource', '=', str(restricted))]), [])
