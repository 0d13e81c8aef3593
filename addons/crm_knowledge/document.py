# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import io
import mimetypes

from trytond.model import ModelSQL, ModelView, fields, tree
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, check_access

from .search import FullTextMixin, html_to_text

try:
    import pypdf
except ImportError:
    pypdf = None

# The models a document can be linked to: the suite's "event" records
LINKED_MODELS = [
    'party.party', 'party.contact_mechanism', 'sale.opportunity',
    'crm.activity', 'crm.service.case', 'marketing.campaign']
# Extracted text kept for the search, in characters
MAX_TEXT = 200_000
TEXT_TYPES = {'text/plain', 'text/csv', 'text/markdown'}
HTML_TYPES = {'text/html', 'application/xhtml+xml'}


def _decode(data):
    for encoding in ('utf-8-sig', 'gb18030'):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode('latin-1')


def _pdf_text(data):
    if pypdf is None:
        return ''
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        return '\n'.join(page.extract_text() or '' for page in reader.pages)
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError):
        # A damaged PDF is kept as a file but not searched
        return ''


def file_type(file_name, data):
    "Return the MIME type of the file from its name or its first bytes"
    mime, _ = mimetypes.guess_type(file_name or '')
    head = bytes(data[:512]).lstrip().lower()
    if mime is None:
        if head.startswith(b'%pdf'):
            mime = 'application/pdf'
        elif head.startswith((b'<!doctype html', b'<html')):
            mime = 'text/html'
        elif b'\0' not in head:
            mime = 'text/plain'
    return mime or 'application/octet-stream'


def extract_text(file_name, data):
    "Return the searchable text of the file: plain text, HTML or PDF"
    if not data:
        return ''
    data = bytes(data)
    mime = file_type(file_name, data)
    if mime in TEXT_TYPES:
        text = _decode(data)
    elif mime in HTML_TYPES:
        text = html_to_text(_decode(data))
    elif mime == 'application/pdf':
        text = _pdf_text(data)
    else:
        text = ''
    return text[:MAX_TEXT]


class Folder(tree(separator=' / '), ModelSQL, ModelView):
    __name__ = 'crm.knowledge.folder'
    __string__ = "Document Folder"

    name = fields.Char("Name", required=True)
    parent = fields.Many2One(
        'crm.knowledge.folder', "Parent", ondelete='CASCADE')
    children = fields.One2Many(
        'crm.knowledge.folder', 'parent', "Children")
    documents = fields.One2Many(
        'crm.knowledge.document', 'folder', "Documents")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))


class Document(FullTextMixin, ModelSQL, ModelView):
    __name__ = 'crm.knowledge.document'
    __string__ = "Document"
    _full_text_fields = {'name', 'description'}

    name = fields.Char("Name", required=True)
    description = fields.Text("Description")
    folder = fields.Many2One(
        'crm.knowledge.folder', "Folder", ondelete='RESTRICT')
    tags = fields.Many2Many(
        'crm.knowledge.document-crm.knowledge.tag', 'document', 'tag',
        "Tags")
    owner = fields.Many2One(
        'res.user', "Owner", required=True, ondelete='RESTRICT')
    groups = fields.Many2Many(
        'crm.knowledge.document-res.group', 'document', 'group', "Groups",
        help="Only the members of these groups (and the owner) see the "
        "document; everybody sees it when empty.")
    file = fields.Function(fields.Binary(
            "File", filename='file_name',
            help="Upload a new version: the previous ones are kept."),
        'get_file', setter='set_file')
    file_name = fields.Char("File Name")
    versions = fields.One2Many(
        'crm.knowledge.document.version', 'document', "Versions",
        readonly=True)
    version = fields.Function(fields.Integer("Version"), 'get_version')
    links = fields.One2Many(
        'crm.knowledge.document.link', 'document', "Links")
    text = fields.Function(
        fields.Text("Text"), 'get_text', searcher='search_full_text')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @staticmethod
    def default_owner():
        return Transaction().user or None

    @property
    def last_version(self):
        return self.versions[0] if self.versions else None

    def get_file(self, name):
        if self.last_version:
            return self.last_version.attachment.data

    def get_version(self, name):
        if self.last_version:
            return self.last_version.number

    def get_text(self, name):
        if self.last_version:
            return self.last_version.text

    @classmethod
    def set_file(cls, documents, name, value):
        "Keep the upload as a new version of each document"
        if value is None:
            return
        Version = Pool().get('crm.knowledge.document.version')
        Version.upload(documents, value)

    @classmethod
    def _full_text_rows(cls, documents):
        return [(d.id, None, d.name,
                '\n'.join(filter(None, [d.description, d.text])))
            for d in documents]

    @classmethod
    def copy(cls, documents, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('versions')
        default.setdefault('owner', Transaction().user or None)
        return super().copy(documents, default=default)


class DocumentTag(ModelSQL):
    __name__ = 'crm.knowledge.document-crm.knowledge.tag'
    __string__ = "Document - Tag"

    document = fields.Many2One(
        'crm.knowledge.document', "Document", required=True,
        ondelete='CASCADE')
    tag = fields.Many2One(
        'crm.knowledge.tag', "Tag", required=True, ondelete='CASCADE')


class DocumentGroup(ModelSQL):
    __name__ = 'crm.knowledge.document-res.group'
    __string__ = "Document - Group"

    document = fields.Many2One(
        'crm.knowledge.document', "Document", required=True,
        ondelete='CASCADE')
    group = fields.Many2One(
        'res.group', "Group", required=True, ondelete='CASCADE')


class DocumentVersion(ModelSQL, ModelView):
    __name__ = 'crm.knowledge.document.version'
    __string__ = "Document Version"

    document = fields.Many2One(
        'crm.knowledge.document', "Document", required=True,
        ondelete='CASCADE', readonly=True)
    number = fields.Integer("Number", required=True, readonly=True)
    attachment = fields.Many2One(
        'ir.attachment', "Attachment", required=True, readonly=True,
        ondelete='RESTRICT')
    file_name = fields.Function(
        fields.Char("File Name"), 'get_attachment_field')
    data = fields.Function(
        fields.Binary("File", filename='file_name'), 'get_attachment_field')
    size = fields.Integer("Size", readonly=True)
    mime_type = fields.Char("MIME Type", readonly=True)
    text = fields.Text("Extracted Text", readonly=True)
    uploaded_by = fields.Function(
        fields.Many2One('res.user', "Uploaded by"), 'get_uploaded')
    uploaded_at = fields.Function(
        fields.Timestamp("Uploaded at"), 'get_uploaded')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('document')
        cls._order = [
            ('document', 'ASC'), ('number', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return '%s v%d' % (self.document.rec_name, self.number)

    def get_attachment_field(self, name):
        return getattr(self.attachment, {
                'file_name': 'name', 'data': 'data'}[name])

    def get_uploaded(self, name):
        return {
            'uploaded_by': self.create_uid.id if self.create_uid else None,
            'uploaded_at': self.create_date,
            }[name]

    @classmethod
    def upload(cls, documents, data):
        """Store the data as the new version of each document: an
        attachment of the document and the text extracted for the search"""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Document = pool.get('crm.knowledge.document')
        data = bytes(data)
        attachments, versions = [], []
        for document in documents:
            file_name = document.file_name or document.name
            attachments.append(Attachment(
                    resource=document, name=file_name, type='data',
                    data=data))
            versions.append(cls(
                    document=document,
                    number=(document.version or 0) + 1,
                    size=len(data),
                    mime_type=file_type(file_name, data),
                    text=extract_text(file_name, data)))
        # The names of the attachments of a resource must be unique
        for attachment, version in zip(attachments, versions):
            attachment.name = 'v%d %s' % (version.number, attachment.name)
        Attachment.save(attachments)
        for attachment, version in zip(attachments, versions):
            version.attachment = attachment
        cls.save(versions)
        Document.reindex(documents)
        return versions


class DocumentLink(ModelSQL, ModelView):
    __name__ = 'crm.knowledge.document.link'
    __string__ = "Document Link"

    document = fields.Many2One(
        'crm.knowledge.document', "Document", required=True,
        ondelete='CASCADE')
    record = fields.Reference(
        "Record", selection='get_models', required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('document')

    @classmethod
    def get_models(cls):
        "The linkable models the user reads: the others hide the field"
        pool = Pool()
        Model = pool.get('ir.model')
        ModelAccess = pool.get('ir.model.access')
        return [(None, '')] + [(m, Model.get_name(m)) for m in LINKED_MODELS
            if ModelAccess.check(m, 'read', raise_exception=False)]

    def get_rec_name(self, name):
        return '%s: %s' % (
            self.document.rec_name,
            self.record.rec_name if self.record else '')


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    knowledge_documents = fields.Function(fields.Many2Many(
            'crm.knowledge.document', None, None, "Documents",
            help="The documents linked to the party or its contact "
            "mechanisms."),
        'get_knowledge_documents')

    @classmethod
    def get_knowledge_documents(cls, parties, name):
        pool = Pool()
        Link = pool.get('crm.knowledge.document.link')
        result = {p.id: [] for p in parties}
        records = [str(p) for p in parties] + [
            str(m) for p in parties for m in p.contact_mechanisms]
        # Getters run without access check: the groups of the documents
        # must still hide them
        with check_access():
            links = Link.search([('record', 'in', records)],
                order=[('document.name', 'ASC'), ('id', 'ASC')])
        for link in links:
            record = link.record
            party = (record if record.__name__ == 'party.party'
                else record.party)
            if link.document.id not in result[party.id]:
                result[party.id].append(link.document.id)
        return result


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name == 'crm.knowledge.document':
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        # The owner sees their documents
        if 'crm.knowledge.document' in model_names:
            key = (*key, Transaction().user)
        return key
