# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers shared by the tests of crm_sales"
import collections
import datetime
import functools
from contextlib import contextmanager, nullcontext
from decimal import Decimal

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.model import Model
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME, with_transaction
from trytond.transaction import (
    Transaction, TransactionError, check_access)

SALESPERSON = [
    'crm_sales.group_crm_salesperson', 'sale_opportunity.group_opportunity']
MANAGER = [
    'crm_sales.group_crm_sales_manager', 'sale_opportunity.group_opportunity']


def create_user(login, company, employee, groups):
    "Return a user of the company with the employee and the groups"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user, = User.create([{
                'login': login,
                'name': login,
                'companies': [('add', [company.id])],
                'company': company.id,
                'employees': [('add', [employee.id])],
                'employee': employee.id,
                'groups': [('add', [ModelData.get_id(g) for g in groups])],
                }])
    return user


def create_staff(company, people, password):
    """Return by login the users of new employees of the company, with the
    password: people maps a login to the employee's name and the groups"""
    User = Pool().get('res.user')
    users = {
        login: create_user(
            login, company, create_employee(company, name), groups)
        for login, (name, groups) in people.items()}
    User.write(list(users.values()), {'password': password})
    return users


def create_teams(members):
    "Return a sales team by name, each with the employees of its users"
    Team = Pool().get('crm.sales.team')
    return Team.create([{
                'name': name,
                'members': [('add', [u.employee.id for u in users])],
                } for name, users in members.items()])


@contextmanager
def as_user(user, access_check=True, **context):
    """Run as the user with their preferences and the context, access
    checked unless access_check is False (as when the client runs a wizard)"""
    pool = Pool()
    User = pool.get('res.user')
    transaction = Transaction()
    with transaction.set_user(user.id), \
            transaction.set_context(
                User.get_preferences(context_only=True), **context), \
            (check_access() if access_check else nullcontext()):
        yield


def with_company(func):
    """Run the test in a transaction with the company of its class as
    self.company, with the records its class shares (see class_company) as
    attributes, then set up by the setup_company() method of the test case
    if it has one"""
    @functools.wraps(func)
    def wrapper(self):
        company_id, shared = class_company(type(self))

        @with_transaction()
        def run():
            company = Pool().get('company.company')(company_id)
            with set_company(company):
                self.company = company
                for name, value in shared.items():
                    setattr(self, name, _instances(value))
                if hasattr(self, 'setup_company'):
                    self.setup_company()
                return func(self)
        return run()
    return wrapper


def class_company(cls):
    """The id of the company the tests of the class share and the records
    by name that its setup_class_company(company) class method returns, if
    it has one: created and committed before the first test, dropped with
    the database after the last (each test's own changes are rolled back)"""
    if '_company' not in vars(cls):
        cls._company = run_committed(functools.partial(
                _setup_class_company, cls))
        cls.addClassCleanup(test_tryton.drop_db)
    return cls._company


def _setup_class_company(cls):
    company = create_company()
    shared = {}
    if hasattr(cls, 'setup_class_company'):
        with set_company(company):
            shared = cls.setup_class_company(company) or {}
    return company.id, _references(shared)


def _references(value):
    "The value with each record replaced by its model name and id"
    if isinstance(value, Model):
        return _Reference(value.__name__, value.id)
    if isinstance(value, dict):
        return {k: _references(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_references(v) for v in value)
    return value


def _instances(value):
    "The value with each reference replaced by its record"
    if isinstance(value, _Reference):
        return Pool().get(value.model)(value.id)
    if isinstance(value, dict):
        return {k: _instances(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_instances(v) for v in value)
    return value


_Reference = collections.namedtuple('_Reference', ['model', 'id'])


# Set by the suite's test runner (tools/testcache.py) to keep the database
# and result of a class's set-up between runs: (cls, run) -> run()
class_set_up_cache = None


def set_up_class_data(cls, func):
    """Return what func returns, run committed (see run_committed) outside
    any transaction to set up the data that cls's tests share; the result
    must be JSON data. The suite's runner may give back the database and
    result of an earlier run instead: func must not depend on the time of
    day. Worth it for a set-up that takes longer than copying a database"""
    if class_set_up_cache:
        return class_set_up_cache(cls, lambda: run_committed(func))
    return run_committed(func)


def run_committed(func):
    """Return what func returns, run in a transaction committed at its end
    and started again with the tables it must lock upfront, as trytond does
    for a request and with_transaction for a test"""
    extras = {}
    while True:
        try:
            with Transaction().start(
                    DB_NAME, 1, close=True, **extras) as transaction:
                result = func()
                transaction.commit()
                return result
        except TransactionError as error:
            error.fix(extras)


def create_customer(name="Customer", **address):
    "Return a party with an address"
    pool = Pool()
    Party = pool.get('party.party')
    Address = pool.get('party.address')
    party = Party(name=name, addresses=[Address(**address)])
    party.save()
    return party


def create_segment_parties(company, segments):
    "Return a party per name, of the value segment it maps to in the company"
    pool = Pool()
    Party = pool.get('party.party')
    PartyValue = pool.get('crm.party.value')
    parties = Party.create([{'name': name} for name in segments])
    PartyValue.create([{
                'party': party.id,
                'company': company.id,
                'segment': segment,
                } for party, segment in zip(parties, segments.values())])
    return parties


def create_opportunity(
        company, employee, party=None, description="Deal", **values):
    "Return a lead of the employee for the party, a new customer by default"
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    if party is None:
        party = create_customer()
    opportunity = Opportunity(
        party=party, company=company, employee=employee,
        description=description, **values)
    opportunity.save()
    return opportunity


def create_sale(opportunity, amounts, state='draft', currency=None):
    """Return a sale of the opportunity with a service line per amount,
    cancelled or confirmed through its workflow"""
    pool = Pool()
    Sale = pool.get('sale.sale')
    SaleLine = pool.get('sale.line')
    party = opportunity.party
    sale = Sale(
        company=opportunity.company, party=party,
        invoice_address=party.addresses[0],
        shipment_address=party.addresses[0],
        currency=currency or opportunity.company.currency, origin=opportunity,
        lines=[SaleLine(
                type='line', quantity=1, unit_price=Decimal(amount),
                description="Service") for amount in amounts])
    sale.save()
    if state == 'cancelled':
        Sale.cancel([sale])
    elif state == 'confirmed':
        Sale.quote([sale])
        Sale.confirm([sale])
    return sale


def setup_accounting(company, today):
    "Create a chart and a fiscal year around today with invoice sequences"
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    SequenceType = pool.get('ir.sequence.type')
    InvoiceSequence = pool.get('account.fiscalyear.invoice_sequence')
    create_chart(company)
    fiscalyear = get_fiscalyear(
        company, today=today,
        start_date=today - datetime.timedelta(days=400),
        end_date=today + datetime.timedelta(days=100))
    sequence_type, = SequenceType.search([('name', '=', "Invoice")])
    sequence = Sequence(
        name="Invoice", sequence_type=sequence_type, company=company)
    sequence.save()
    fiscalyear.invoice_sequences = [InvoiceSequence(
            out_invoice_sequence=sequence,
            out_credit_note_sequence=sequence,
            in_invoice_sequence=sequence,
            in_credit_note_sequence=sequence)]
    fiscalyear.save()
    FiscalYear.create_period([fiscalyear])


def post_invoice(company, party, date, amount, payment_term=None,
        origin=None):
    "Create and post a customer invoice of one line"
    pool = Pool()
    Account = pool.get('account.account')
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    Journal = pool.get('account.journal')
    journal, = Journal.search([('type', '=', 'revenue')], limit=1)
    revenue, = Account.search([
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ('company', '=', company.id),
            ], limit=1)
    invoice = Invoice(
        type='out', company=company, journal=journal, party=party,
        invoice_date=date,
        invoice_address=party.addresses[0], currency=company.currency,
        account=party.account_receivable_used, payment_term=payment_term)
    invoice.lines = [InvoiceLine(
            type='line', account=revenue, quantity=1,
            unit_price=Decimal(amount), description="Service",
            origin=origin)]
    invoice.save()
    # A back-dated invoice may be due in the past: that is the point
    with Transaction().set_context(_skip_warnings=True):
        Invoice.post([invoice])
    return invoice
