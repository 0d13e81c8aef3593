# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What makes the phone's offline queue safe to replay and its delta sync
complete: the answers given to idempotency keys, and the deletions of the
records a phone keeps (a deleted record leaves no write_date behind)."""
import datetime

from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

# A replayed create is answered from its key for this long: longer than a
# phone is expected to stay offline
IDEMPOTENCY_DAYS = 30
# The states of the opportunities a phone keeps
PHONE_STATES = {'lead', 'opportunity'}


class IdempotencyKey(ModelSQL):
    "CRM Mobile Idempotency Key"
    __name__ = 'crm.mobile.idempotency'
    __string__ = "Phone Idempotency Key"

    user = fields.Many2One('res.user', "User", required=True,
        ondelete='CASCADE')
    key = fields.Char("Key", required=True, strip=False)
    status = fields.Integer("Status", required=True)
    response = fields.Text("Response", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('user_key_unique', Unique(t, t.user, t.key),
                'crm_mobile.msg_idempotency_key_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.create_date, Index.Range())))

    @classmethod
    @without_check_access
    def answer(cls, user, key):
        "Return the (status, response) given to the key or None"
        records = cls.search([
                ('user', '=', user),
                ('key', '=', key),
                ], limit=1)
        if records:
            record, = records
            return record.status, record.response

    @classmethod
    @without_check_access
    def remember(cls, user, key, status, response):
        cls.create([{
                    'user': user, 'key': key, 'status': status,
                    'response': response}])

    @classmethod
    @without_check_access
    def clean(cls):
        "Forget the keys older than IDEMPOTENCY_DAYS (cron)"
        limit = datetime.datetime.now() - datetime.timedelta(
            days=IDEMPOTENCY_DAYS)
        cls.delete(cls.search([('create_date', '<', limit)]))


class Deletion(ModelSQL):
    """CRM Mobile Deletion

    A record a phone keeps that was deleted or left the phones' scope (won,
    lost, given to another salesperson or team). The row keeps the company,
    employee and team the record had, so that it is shown only to the users
    the record rules let read such a record: the ids of another team's
    records are not given away."""
    __name__ = 'crm.mobile.deletion'
    __string__ = "Phone Sync Deletion"

    model = fields.Char("Model", required=True)
    record = fields.Integer("Record", required=True)
    company = fields.Many2One(
        'company.company', "Company", ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", ondelete='SET NULL')
    crm_team = fields.Many2One(
        'crm.sales.team', "Sales Team", ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.model, Index.Equality()),
                (t.create_date, Index.Range())))

    @classmethod
    def since(cls, model, cursor):
        """Return the ids of the records of the model deleted since cursor
        that the user could read"""
        domain = cls.audience(model)
        with without_check_access():
            return list(dict.fromkeys(d.record for d in cls.search([
                            ('model', '=', model),
                            ('create_date', '>=', cursor),
                            domain,
                            ], order=[('id', 'ASC')])))

    @classmethod
    def audience(cls, model):
        """The domain of the deletions of the model the user may see: the
        record rules of the model applied to the fields the row kept, or
        only the user's own records when a rule reads another field"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        domain = Rule.domain_get(model, mode='read')
        if all(name.split('.')[0] in cls._fields
                for name in cls._domain_fields(domain)):
            return domain
        return [('employee', '=', Transaction().context.get('employee', -1))]

    @classmethod
    def _domain_fields(cls, domain):
        for clause in domain:
            if isinstance(clause, (list, tuple)) and clause:
                if isinstance(clause[0], str) and clause[0] not in {
                        'AND', 'OR'}:
                    yield clause[0]
                else:
                    yield from cls._domain_fields(clause)

    @classmethod
    def values(cls, record):
        "The values of a deletion row for the record as it is now"
        def get(name):
            value = getattr(record, name, None)
            return value.id if value else None
        return {
            'model': record.__name__,
            'record': record.id,
            'company': get('company'),
            'employee': get('employee'),
            'crm_team': get('crm_team'),
            }


class TrackDeletions:
    "Record the deletions of the model for the phones' delta sync"
    __slots__ = ()

    @classmethod
    def on_delete(cls, records):
        Deletion = Pool().get('crm.mobile.deletion')
        callbacks = super().on_delete(records)
        values = [Deletion.values(r) for r in records]
        callbacks.append(
            lambda: without_check_access(Deletion.create)(values))
        return callbacks


class Activity(TrackDeletions, metaclass=PoolMeta):
    __name__ = 'crm.activity'


class Opportunity(TrackDeletions, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    @classmethod
    def on_write(cls, records, values):
        """Record as deleted for the phones of its old owner and team an
        open opportunity that leaves them or stops being open"""
        Deletion = Pool().get('crm.mobile.deletion')
        callbacks = super().on_write(records, values)
        leaving = []
        for record in records:
            kept = Deletion.values(record)
            if record.state in PHONE_STATES and (
                    values.get('state', record.state) not in PHONE_STATES
                    or any(values.get(name, kept[name]) != kept[name]
                        for name in ['company', 'employee', 'crm_team'])):
                leaving.append(kept)
        if leaving:
            callbacks.append(
                lambda: without_check_access(Deletion.create)(leaving))
        return callbacks


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append((
                'crm.mobile.idempotency|clean',
                "Forget Old Idempotency Keys of Phones"))
