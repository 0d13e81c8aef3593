# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What makes the phone's offline queue safe to replay and its delta sync
complete: the answers given to idempotency keys, and the deletions of the
records a phone keeps (a deleted record leaves no write_date behind)."""
import datetime

from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

# A replayed create is answered from its key for this long: longer than a
# phone is expected to stay offline
IDEMPOTENCY_DAYS = 30


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
    "CRM Mobile Deletion"
    __name__ = 'crm.mobile.deletion'
    __string__ = "Phone Sync Deletion"

    model = fields.Char("Model", required=True)
    record = fields.Integer("Record", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.model, Index.Equality()),
                (t.create_date, Index.Range())))

    @classmethod
    @without_check_access
    def since(cls, model, cursor):
        "Return the ids of the records of the model deleted since cursor"
        return [d.record for d in cls.search([
                    ('model', '=', model),
                    ('create_date', '>=', cursor),
                    ], order=[('id', 'ASC')])]


class TrackDeletions:
    "Record the deletions of the model for the phones' delta sync"
    __slots__ = ()

    @classmethod
    def on_delete(cls, records):
        Deletion = Pool().get('crm.mobile.deletion')
        callbacks = super().on_delete(records)
        values = [{'model': cls.__name__, 'record': r.id} for r in records]
        callbacks.append(
            lambda: without_check_access(Deletion.create)(values))
        return callbacks


class Activity(TrackDeletions, metaclass=PoolMeta):
    __name__ = 'crm.activity'


class Opportunity(TrackDeletions, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append((
                'crm.mobile.idempotency|clean',
                "Forget Old Idempotency Keys of Phones"))
