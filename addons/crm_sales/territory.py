# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import re

from sql import Literal, Union
from sql.functions import CharLength, Upper

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, tree)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import StateTransition, Wizard

from .common import forget_cached


# Specificity of a match: an explicit party beats a postal code, which
# beats a subdivision, which beats a country; a deeper territory wins
# between matches of the same kind.
PARTY, POSTAL_CODE, SUBDIVISION, COUNTRY = 4, 3, 2, 1
_RANGE = re.compile(r'^([0-9A-Z]+)-([0-9A-Z]+)$')
_GLOB = re.compile(r'^[0-9A-Z *?-]+$')


class TerritoryCycleError(ValidationError):
    pass


class PostalCodePatternError(ValidationError):
    pass


class Territory(DeactivableMixin, tree(separator=' / '), ModelSQL, ModelView):
    __name__ = 'crm.territory'
    __string__ = "Territory"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")
    parent = fields.Many2One(
        'crm.territory', "Parent", ondelete='RESTRICT')
    children = fields.One2Many('crm.territory', 'parent', "Children")
    depth = fields.Integer(
        "Depth", readonly=True,
        help="The number of ancestors; deeper territories win.")
    countries = fields.Many2Many(
        'crm.territory-country.country', 'territory', 'country',
        "Countries")
    subdivisions = fields.Many2Many(
        'crm.territory-country.subdivision', 'territory', 'subdivision',
        "Subdivisions")
    postal_codes = fields.One2Many(
        'crm.territory.postal_code', 'territory', "Postal Codes",
        help="Patterns of the postal codes in the territory.")
    parties = fields.Many2Many(
        'crm.territory-party.party', 'territory', 'party', "Parties",
        help="Parties put explicitly in the territory.")
    team = fields.Many2One(
        'crm.sales.team', "Team",
        help="The team that works the territory by default.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order.insert(0, ('name', 'ASC'))
        cls._sql_indexes.add(Index(t, (t.parent, Index.Range())))

    @classmethod
    def default_depth(cls):
        return 0

    def get_sales_team(self):
        "Return the team of the territory or of its nearest ancestor"
        territory = self
        while territory and not territory.team:
            territory = territory.parent
        return territory.team if territory else None

    @classmethod
    def check_recursion(cls, territories, field_names=None):
        if field_names and 'parent' not in field_names:
            return
        for territory in territories:
            seen = {territory.id}
            parent = territory.parent
            while parent:
                if parent.id in seen:
                    raise TerritoryCycleError(gettext(
                            'crm_sales.msg_territory_cycle',
                            territory=territory.name))
                seen.add(parent.id)
                parent = parent.parent

    @classmethod
    def on_modification(cls, mode, territories, field_names=None):
        pool = Pool()
        Party = pool.get('party.party')
        super().on_modification(mode, territories, field_names=field_names)
        if mode == 'delete':
            return
        field_names = field_names or cls._fields.keys()
        if mode == 'create' or 'parent' in field_names:
            cls._update_depth()
        if mode == 'create' or (set(field_names) & {
                    'parent', 'countries', 'subdivisions', 'postal_codes',
                    'parties', 'active'}):
            Party.crm_compute_territories()

    @classmethod
    def on_delete(cls, territories):
        pool = Pool()
        Party = pool.get('party.party')
        return super().on_delete(territories) + [
            cls._update_depth, Party.crm_compute_territories]

    @classmethod
    def _update_depth(cls):
        "Store the depth of every territory (a small table)"
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(table.id, table.parent, table.depth))
        rows = cursor.fetchall()
        parents = {id_: parent for id_, parent, _ in rows}
        current = {id_: depth for id_, _, depth in rows}
        depths = {}

        def depth(id_):
            if id_ not in depths:
                parent = parents.get(id_)
                depths[id_] = depth(parent) + 1 if parent else 0
            return depths[id_]
        by_depth = {}
        for id_ in parents:
            if depth(id_) != current[id_]:
                by_depth.setdefault(depths[id_], []).append(id_)
        for value, ids in by_depth.items():
            cursor.execute(*table.update(
                    [table.depth], [value], where=table.id.in_(ids)))
        if by_depth:
            forget_cached(cls.__name__)

    @classmethod
    def candidates_query(cls, party_ids=None):
        """Return the query of (party, territory, rank) of every territory
        matching a party; the highest rank is the most specific"""
        pool = Pool()
        Address = pool.get('party.address')
        TerritoryCountry = pool.get('crm.territory-country.country')
        TerritorySubdivision = pool.get(
            'crm.territory-country.subdivision')
        PostalCode = pool.get('crm.territory.postal_code')
        TerritoryParty = pool.get('crm.territory-party.party')

        def rank(territory, kind):
            # 1000 levels of depth are more than any territory tree has
            return (Literal(kind * 1000) + territory.depth).as_('rank')

        def where(territory, party_column):
            clause = territory.active == Literal(True)
            if party_ids is not None:
                clause &= party_column.in_(list(party_ids) or [-1])
            return clause

        queries = []
        territory = cls.__table__()
        relation = TerritoryParty.__table__()
        queries.append(relation.join(territory,
                condition=territory.id == relation.territory
                ).select(
                relation.party.as_('party'),
                territory.id.as_('territory'),
                rank(territory, PARTY),
                where=where(territory, relation.party)))

        territory = cls.__table__()
        address = Address.__table__()
        postal_code = PostalCode.__table__()
        code = Upper(address.postal_code)
        same_length = (CharLength(address.postal_code)
            == CharLength(postal_code.range_low))
        queries.append(address.join(postal_code,
                condition=(code.like(postal_code.like_pattern)
                    | (same_length
                        & (code >= postal_code.range_low)
                        & (code <= postal_code.range_high)))
                ).join(territory,
                condition=territory.id == postal_code.territory
                ).select(
                address.party.as_('party'),
                territory.id.as_('territory'),
                rank(territory, POSTAL_CODE),
                where=where(territory, address.party)
                & (address.active == Literal(True))))

        for Relation, column, kind in [
                (TerritorySubdivision, 'subdivision', SUBDIVISION),
                (TerritoryCountry, 'country', COUNTRY)]:
            territory = cls.__table__()
            address = Address.__table__()
            relation = Relation.__table__()
            queries.append(address.join(relation,
                    condition=getattr(relation, column)
                    == getattr(address, column)
                    ).join(territory,
                    condition=territory.id == relation.territory
                    ).select(
                    address.party.as_('party'),
                    territory.id.as_('territory'),
                    rank(territory, kind),
                    where=where(territory, address.party)
                    & (address.active == Literal(True))))
        return Union(*queries, all_=True)


class TerritoryCountry(ModelSQL):
    __name__ = 'crm.territory-country.country'
    __string__ = "Territory Country"
    territory = fields.Many2One(
        'crm.territory', "Territory", required=True, ondelete='CASCADE')
    country = fields.Many2One(
        'country.country', "Country", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.country, Index.Range())))


class TerritorySubdivision(ModelSQL):
    __name__ = 'crm.territory-country.subdivision'
    __string__ = "Territory Subdivision"
    territory = fields.Many2One(
        'crm.territory', "Territory", required=True, ondelete='CASCADE')
    subdivision = fields.Many2One(
        'country.subdivision', "Subdivision", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.subdivision, Index.Range())))


class TerritoryParty(ModelSQL):
    __name__ = 'crm.territory-party.party'
    __string__ = "Territory Party"
    territory = fields.Many2One(
        'crm.territory', "Territory", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))


class TerritoryPostalCode(ModelSQL, ModelView):
    """Postal code pattern of a territory

    A pattern is either a range of two codes of the same length separated
    by "-" (e.g. "200000-200999": the codes of that length between them)
    or a glob where "*" stands for any characters and "?" for one (e.g.
    "75*"); a code without wildcard matches only itself. Letters are
    compared without case.
    """
    __name__ = 'crm.territory.postal_code'
    __string__ = "Territory Postal Code"
    territory = fields.Many2One(
        'crm.territory', "Territory", required=True, ondelete='CASCADE')
    pattern = fields.Char(
        "Pattern", required=True,
        help='A glob such as "75*" ("*" any characters, "?" one) '
        'or a range of codes of the same length such as "200000-200999".')
    like_pattern = fields.Char("LIKE Pattern", readonly=True)
    range_low = fields.Char("Range Low", readonly=True)
    range_high = fields.Char("Range High", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.territory, Index.Range())))

    @classmethod
    def parse_pattern(cls, pattern):
        """Return the values matching the pattern:
        like_pattern, range_low and range_high"""
        pattern = (pattern or '').strip().upper()
        match = _RANGE.match(pattern)
        if match and len(match.group(1)) == len(match.group(2)):
            low, high = match.groups()
            if low > high:
                raise PostalCodePatternError(gettext(
                        'crm_sales.msg_territory_postal_code_range',
                        pattern=pattern))
            return {'like_pattern': None, 'range_low': low,
                'range_high': high}
        if not _GLOB.match(pattern):
            raise PostalCodePatternError(gettext(
                    'crm_sales.msg_territory_postal_code_invalid',
                    pattern=pattern))
        return {
            'like_pattern': pattern.replace('*', '%').replace('?', '_'),
            'range_low': None, 'range_high': None}

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'pattern' in values:
            values['pattern'] = (values['pattern'] or '').strip().upper()
            values.update(cls.parse_pattern(values['pattern']))
        return values

    @classmethod
    def on_modification(cls, mode, patterns, field_names=None):
        pool = Pool()
        Party = pool.get('party.party')
        super().on_modification(mode, patterns, field_names=field_names)
        if mode != 'delete':
            Party.crm_compute_territories()

    @classmethod
    def on_delete(cls, patterns):
        pool = Pool()
        Party = pool.get('party.party')
        return super().on_delete(patterns) + [Party.crm_compute_territories]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    crm_territory = fields.Many2One(
        'crm.territory', "Territory", ondelete='SET NULL',
        states={
            'readonly': ~Eval('crm_territory_manual', False),
            },
        help="Computed from the addresses unless set manually.")
    crm_territory_manual = fields.Boolean(
        "Manual Territory",
        help="Keep the territory set by hand instead of computing it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.crm_territory, Index.Range())))

    @classmethod
    def default_crm_territory_manual(cls):
        return False

    @classmethod
    def on_modification(cls, mode, parties, field_names=None):
        super().on_modification(mode, parties, field_names=field_names)
        if mode == 'write' and 'crm_territory_manual' in field_names:
            cls.crm_compute_territories(
                [p for p in parties if not p.crm_territory_manual])

    @classmethod
    def crm_compute_territories(cls, parties=None):
        """Set the territory of the parties (all when None) from their
        addresses, except where it is set manually"""
        pool = Pool()
        Territory = pool.get('crm.territory')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        party_ids = None if parties is None else [int(p) for p in parties]
        candidate = Territory.candidates_query(party_ids)
        best = candidate.select(candidate.territory,
            where=candidate.party == table.id,
            order_by=[candidate.rank.desc, candidate.territory.asc],
            limit=1)
        where = table.crm_territory_manual != Literal(True)
        if party_ids is not None:
            if not party_ids:
                return
            where &= table.id.in_(party_ids)
        cursor.execute(*table.update(
                [table.crm_territory], [best], where=where))
        forget_cached(cls.__name__)


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    crm_territory = fields.Many2One(
        'crm.territory', "Territory",
        states={
            'readonly': Eval('state').in_(
                ['converted', 'won', 'lost', 'cancelled']),
            },
        help="Defaults to the territory of the party.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.crm_territory, Index.Range())))

    @fields.depends('party', 'crm_territory', 'crm_team')
    def on_change_party(self):
        super().on_change_party()
        if self.party and self.party.crm_territory:
            self.crm_territory = self.party.crm_territory
            if not self.crm_team:
                self.crm_team = self.crm_territory.get_sales_team()

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Party = pool.get('party.party')
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and 'crm_territory' not in values
                and values.get('party')):
            territory = Party(values['party']).crm_territory
            if territory:
                values['crm_territory'] = territory.id
                team = territory.get_sales_team()
                if not values.get('crm_team') and team:
                    values['crm_team'] = team.id
        return values


class RecomputeTerritories(Wizard):
    __name__ = 'crm.territory.recompute'
    __string__ = "Recompute Territories"
    start = StateTransition()

    def transition_start(self):
        pool = Pool()
        Party = pool.get('party.party')
        Party.crm_compute_territories()
        return 'end'
