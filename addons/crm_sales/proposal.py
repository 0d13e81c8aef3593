# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import slugify
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateReport, StateTransition, StateView, Wizard)

from .common import check_readable

# The fields that make up an issued proposal: its document shows them
ISSUED_FIELDS = {
    'opportunity', 'company', 'party', 'version', 'sale', 'date',
    'valid_until', 'terms', 'currency', 'untaxed_amount', 'tax_amount',
    'total_amount', 'document', 'document_name',
    }
QUOTATION_STATES = ['draft', 'quotation']


class ProposalError(UserError):
    pass


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    proposal_validity = fields.Integer(
        "Proposal Validity (days)",
        domain=[
            ('proposal_validity', '>=', 0),
            ],
        help="How many days a new proposal stays valid.")
    proposal_terms = fields.Text(
        "Proposal Terms", translate=True,
        help="The default terms and conditions printed on proposals.")

    @classmethod
    def default_proposal_validity(cls):
        return 30


class Proposal(Workflow, ModelSQL, ModelView):
    __name__ = 'crm.proposal'
    __string__ = "Proposal"

    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, readonly=True,
        ondelete='CASCADE')
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    party = fields.Many2One(
        'party.party', "Party", required=True, readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    version = fields.Integer("Version", required=True, readonly=True)
    sale = fields.Many2One(
        'sale.sale', "Quotation", readonly=True, ondelete='SET NULL',
        help="The quotation the proposal was generated from.")
    date = fields.Date("Date", required=True, readonly=True)
    valid_until = fields.Date("Valid Until", required=True, readonly=True)
    terms = fields.Text("Terms and Conditions", readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    untaxed_amount = Monetary(
        "Untaxed", currency='currency', digits='currency', readonly=True)
    tax_amount = Monetary(
        "Tax", currency='currency', digits='currency', readonly=True)
    total_amount = Monetary(
        "Total", currency='currency', digits='currency', readonly=True)
    document = fields.Binary(
        "Document", filename='document_name', readonly=True)
    document_name = fields.Char("Document Name", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('sent', "Sent"),
            ('accepted', "Accepted"),
            ('rejected', "Rejected"),
            ('superseded', "Superseded"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # A proposal is visible to whoever may see its opportunity
        cls.__access__.add('opportunity')
        t = cls.__table__()
        cls._sql_constraints += [
            ('opportunity_version_unique',
                Unique(t, t.opportunity, t.version),
                'crm_sales.msg_proposal_version_unique'),
            ]
        cls._order = [
            ('date', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'sent'),
            ('sent', 'accepted'),
            ('sent', 'rejected'),
            ('draft', 'superseded'),
            ('sent', 'superseded'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'accept': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return gettext(
            'crm_sales.msg_proposal_rec_name',
            opportunity=self.opportunity.rec_name, version=self.version)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('opportunity.rec_name', *clause[1:])]

    @classmethod
    def check_modification(cls, mode, proposals, values=None, external=False):
        super().check_modification(
            mode, proposals, values=values, external=external)
        if not external:
            return
        if mode in {'write', 'delete'}:
            # The errors below name the proposal
            check_readable(proposals)
        # Proposals are generated and, once issued, history: the access
        # rights shared with the opportunity do not allow to forge them
        if mode == 'create':
            raise AccessError(gettext('crm_sales.msg_proposal_create'))
        elif mode == 'write' and values.keys() & ISSUED_FIELDS:
            raise AccessError(gettext(
                    'crm_sales.msg_proposal_issued',
                    proposal=proposals[0].rec_name))
        elif mode == 'delete':
            for proposal in proposals:
                if proposal.state != 'draft':
                    raise AccessError(gettext(
                            'crm_sales.msg_proposal_delete_draft',
                            proposal=proposal.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, proposals):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('accepted')
    def accept(cls, proposals):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, proposals):
        pass

    @classmethod
    @Workflow.transition('superseded')
    def supersede(cls, proposals):
        pass

    @classmethod
    def new_terms(cls, previous=None):
        "Terms of a new version: the previous version's or the default ones"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        if previous:
            return previous.terms
        return Configuration(1).proposal_terms

    @classmethod
    def new_valid_until(cls, date):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        days = Configuration(1).proposal_validity or 0
        return date + datetime.timedelta(days=days)

    @classmethod
    def latest(cls, opportunities):
        "Return the latest proposal of each opportunity by id"
        proposals = cls.search([
                ('opportunity', 'in', [o.id for o in opportunities]),
                ], order=[('version', 'ASC')])
        return {p.opportunity.id: p for p in proposals}

    @classmethod
    def generate(cls, opportunities, valid_until=None, terms=None):
        """Issue a new version for each opportunity from its quotation

        The previous open version is superseded, never overwritten."""
        pool = Pool()
        Date = pool.get('ir.date')
        latest = cls.latest(opportunities)
        proposals = []
        for opportunity in opportunities:
            previous = latest.get(opportunity.id)
            sale = opportunity.proposal_quotation
            if not sale.lines:
                raise ProposalError(gettext(
                        'crm_sales.msg_proposal_no_lines',
                        opportunity=opportunity.rec_name))
            with Transaction().set_context(company=opportunity.company.id):
                today = Date.today()
            proposals.append(cls(
                    opportunity=opportunity,
                    company=opportunity.company,
                    party=sale.party,
                    version=previous.version + 1 if previous else 1,
                    sale=sale,
                    date=today,
                    valid_until=valid_until or cls.new_valid_until(today),
                    terms=(terms if terms is not None
                        else cls.new_terms(previous)),
                    currency=sale.currency,
                    untaxed_amount=sale.untaxed_amount,
                    tax_amount=sale.tax_amount,
                    total_amount=sale.total_amount,
                    ))
        cls.save(proposals)
        cls.supersede([
                p for p in latest.values() if p.state in {'draft', 'sent'}])
        cls.render(proposals)
        return proposals

    @classmethod
    def render(cls, proposals):
        "Store the printed document of proposals"
        pool = Pool()
        ProposalReport = pool.get('crm.proposal', type='report')
        for proposal in proposals:
            extension, content, _, name = ProposalReport.execute(
                [proposal.id], {})
            if isinstance(content, str):
                content = content.encode('utf-8')
            proposal.document = content
            proposal.document_name = f'{slugify(name)}.{extension}'
        cls.save(proposals)


class ProposalReport(Report):
    __name__ = 'crm.proposal'

    @classmethod
    def _execute(cls, records, header, data, action):
        # A proposal prints as issued: its stored document
        if len(records) == 1 and records[0].document:
            record, = records
            extension = record.document_name.rsplit('.', 1)[-1]
            return extension, record.document
        return super()._execute(records, header, data, action)

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['company_address'] = cls.company_address
        return context

    @staticmethod
    def company_address(company):
        address = company.party.address_get()
        return address.full_address if address else ''


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    proposals = fields.One2Many(
        'crm.proposal', 'opportunity', "Proposals", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'generate_proposal': {
                    'invisible': ~Eval('state').in_(
                        ['opportunity', 'converted']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('proposals')
        return super().copy(opportunities, default=default)

    @property
    def proposal_quotation(self):
        "The open quotation a proposal presents"
        quotations = [s for s in self.sales if s.state in QUOTATION_STATES]
        if quotations:
            return max(quotations, key=lambda s: s.id)

    @classmethod
    @ModelView.button_action('crm_sales.wizard_proposal_generate')
    def generate_proposal(cls, opportunities):
        pass

    @classmethod
    def check_proposal(cls, opportunities):
        for opportunity in opportunities:
            if opportunity.state not in {'opportunity', 'converted'}:
                raise ProposalError(gettext(
                        'crm_sales.msg_proposal_opportunity_state',
                        opportunity=opportunity.rec_name))
            if not opportunity.party:
                raise ProposalError(gettext(
                        'crm_sales.msg_proposal_no_party',
                        opportunity=opportunity.rec_name))
            if not opportunity.lines:
                raise ProposalError(gettext(
                        'crm_sales.msg_proposal_no_lines',
                        opportunity=opportunity.rec_name))
            if (opportunity.state == 'converted'
                    and not opportunity.proposal_quotation):
                raise ProposalError(gettext(
                        'crm_sales.msg_proposal_no_quotation',
                        opportunity=opportunity.rec_name))

    @classmethod
    def create_proposals(cls, opportunities, valid_until=None, terms=None):
        """Issue a proposal for each opportunity and return them

        The quotation comes from the upstream conversion."""
        pool = Pool()
        Proposal = pool.get('crm.proposal')
        Sale = pool.get('sale.sale')
        cls.check_proposal(opportunities)
        cls.convert([o for o in opportunities if o.state == 'opportunity'])
        opportunities = cls.browse(opportunities)
        # convert skips opportunities reopened with their cancelled sales
        sales = [o.create_sale() for o in opportunities
            if not o.proposal_quotation]
        if sales:
            Sale.save(sales)
            for sale in sales:
                sale.origin.copy_resources_to(sale)
            opportunities = cls.browse(opportunities)
        return Proposal.generate(
            opportunities, valid_until=valid_until, terms=terms)


class ProposalGenerateStart(ModelView):
    __name__ = 'crm.proposal.generate.start'
    __string__ = "Generate Proposal"

    valid_until = fields.Date("Valid Until", required=True)
    terms = fields.Text("Terms and Conditions")


class ProposalGenerate(Wizard):
    __name__ = 'crm.proposal.generate'
    start = StateView(
        'crm.proposal.generate.start',
        'crm_sales.proposal_generate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Generate", 'generate', 'tryton-ok', default=True),
            ])
    generate = StateTransition()
    print_ = StateReport('crm.proposal')

    def default_start(self, fields):
        pool = Pool()
        Date = pool.get('ir.date')
        Proposal = pool.get('crm.proposal')
        opportunity = self.records[0]
        previous = Proposal.latest([opportunity]).get(opportunity.id)
        with Transaction().set_context(company=opportunity.company.id):
            today = Date.today()
        return {
            'valid_until': Proposal.new_valid_until(today),
            'terms': Proposal.new_terms(previous),
            }

    def transition_generate(self):
        self.model.create_proposals(
            self.records, valid_until=self.start.valid_until,
            terms=self.start.terms)
        return 'print_'

    def do_print_(self, action):
        pool = Pool()
        Proposal = pool.get('crm.proposal')
        latest = Proposal.latest(self.records)
        return action, {'ids': [p.id for p in latest.values()]}
