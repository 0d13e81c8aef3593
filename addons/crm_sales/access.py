# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Searches that reveal nothing the user may not read

trytond checks the access rights of every model and field a search
reaches, but it converts the related part of a domain (``origin.amount``,
``create_uid.password_hash``) without access checks: the record rules of the
target are not applied and a field that reads back empty is still compared.
Counting the matches is then an oracle for what the user may not read.
Sorting on a field of a related record (``opportunity.amount``, or the name
of a Many2One) joins the target without its rules: the order of the rows
would tell what the user may not read.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, check_access


class SearchAccessMixin:
    """Searches of users (not root) apply the record rules of related
    records and never reach a secret field

    A model lists its secret fields in ``_secret_fields``.
    Registered on every model in tryton.cfg.
    """
    __slots__ = ()

    @classmethod
    def search(cls, domain, *args, **kwargs):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            order = kwargs.get('order', args[2] if len(args) > 2 else None)
            cls._check_secret_search(domain, order)
            if order:
                with transaction.set_context(
                        _search_order_rules=(cls.__name__, tuple(order))):
                    return super().search(domain, *args, **kwargs)
        return super().search(domain, *args, **kwargs)

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # Only while the domain is converted: what the search reads
            # afterwards (the target of a Reference, say) is read as usual
            with transaction.set_context(_search_related_rules=True):
                result = super().search_domain(
                    domain, active_test=active_test, tables=tables)
            model_name, order = transaction.context.get(
                '_search_order_rules') or (None, ())
            if tables is None and model_name == cls.__name__:
                # The order is converted with the tables of the domain
                for oexpr, _ in order:
                    _join_readable(cls, result[0], oexpr)
            return result
        return super().search_domain(
            domain, active_test=active_test, tables=tables)

    @classmethod
    def _check_secret_search(cls, domain, order):
        for Model, name in (
                list(_domain_fields(cls, domain))
                + list(_order_fields(cls, order or []))):
            secrets = getattr(Model, '_secret_fields', set())
            if name == 'rec_name':
                name = Model._rec_name
            if name in secrets:
                raise AccessError(gettext(
                        'crm_sales.msg_search_secret_field',
                        **Model.__names__(name)))


def _target(Model, name):
    "Return the model a relation field of the model points to, or None"
    field = Model._fields.get(name)
    if field is not None and hasattr(field, 'get_target'):
        return field.get_target()
    return None


def _domain_fields(Model, domain):
    "Yield the model and name of each field the domain compares"
    if is_leaf(domain):
        local, _, related = domain[0].partition('.')
        yield Model, local
        field = Model._fields.get(local)
        if field is None:
            return
        # As ModelStorage.search reads it: a Reference names its target
        if field._type == 'reference' and len(domain) >= 4:
            Target, rest = Pool().get(domain[3]), domain[4:]
        else:
            Target, rest = _target(Model, local), domain[3:]
        if Target is None:
            return
        if related:
            yield from _domain_fields(
                Target, (related, domain[1], domain[2], *rest))
        elif isinstance(domain[2], str) and field._type != 'reference':
            # A relation compared to a text searches its target's name
            yield Target, 'rec_name'
    elif domain and not isinstance(domain, str):
        for clause in domain:
            if not isinstance(clause, str):
                yield from _domain_fields(Model, clause)


def _order_fields(Model, order):
    "Yield the model and name of each field the order sorts on"
    for oexpr, _ in order:
        local, _, related = oexpr.partition('.')
        yield Model, local
        Target = _target(Model, local)
        if Target is not None:
            yield from _order_fields(Target, [(related or 'rec_name', None)])


def _join_readable(Model, tables, oexpr):
    """Join the target of each Many2One the order goes through to the
    records the user may read only, as trytond joins it to sort"""
    pool = Pool()
    Rule = pool.get('ir.rule')
    name, _, related = oexpr.partition('.')
    field = Model._fields.get(name)
    if not isinstance(field, fields.Many2One):
        return
    Target = field.get_target()
    target_tables = field._get_target_tables(tables, Model)
    if Rule.domain_get(Target.__name__, mode='read'):
        readable = Rule.query_get(Target.__name__, mode='read')
        target, condition = target_tables[None]
        target_tables[None] = (target, condition & target.id.in_(readable))
    _join_readable(Target, target_tables,
        related or Target._order_name or Target._rec_name)


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def domain_get(cls, model_name, mode='read'):
        transaction = Transaction()
        if (mode == 'read' and not transaction.check_access
                and transaction.context.get('_search_related_rules')):
            # The related part of a user's search is converted without
            # access checks: the target's rules must still apply
            with transaction.set_context(_search_related_rules=False), \
                    check_access():
                return super().domain_get(model_name, mode=mode)
        return super().domain_get(model_name, mode=mode)


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._secret_fields = {'password_hash', 'password_reset'}


class UserApplication(metaclass=PoolMeta):
    __name__ = 'res.user.application'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._secret_fields = {'key'}
