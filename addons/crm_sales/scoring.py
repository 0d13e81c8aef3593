# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Explainable lead scoring: manager rules plus a naive Bayes model.

score = clamp(round(100 * sigmoid(logit) + sum(rule points)), 0, 100)

logit = log((W + 1) / (L + 1)) + sum over the lead's feature values v of
        log(P(v | won) / P(v | lost)),
P(v | outcome) = (n(v, outcome) + 1) / (N(feature, outcome) + K(feature))

W and L count the company's won and lost opportunities, n(v, outcome) those
having the value v, N the observations of the feature for the outcome and K
its number of distinct values (Laplace smoothing). Values never seen in the
history bring no evidence. Without history the model part is 50.
"""
import datetime
import math
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from sql import Cast, Null
from sql.aggregate import Count
from sql.conditionals import Case

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access

from .common import forget_cached


OPEN_STATES = ('lead', 'opportunity')
AMOUNT_BANDS = [1000, 5000, 20000, 100000]
FEATURES = [
    ('source', "Source"),
    ('campaign', "Campaign"),
    ('territory', "Territory"),
    ('segment', "Customer Segment"),
    ('product_category', "Product Category"),
    ('amount_band', "Amount Band"),
    ]
FORMULA_HELP = (
    "score = 100 × sigmoid(logit) + the points of the matching rules, "
    "bounded to 0-100.\n"
    "logit = log((won + 1) / (lost + 1)) + the sum, over the lead's source, "
    "campaign, territory, customer segment, product categories and amount "
    "band, of log(P(value | won) / P(value | lost)) learned from the "
    "company's won and lost opportunities with Laplace smoothing.")


def sigmoid(x):
    if x < -700:
        return 0.
    return 1 / (1 + math.exp(-x))


def amount_band_label(band):
    band = int(band)
    if band == 0:
        return "< %s" % format(AMOUNT_BANDS[0], ',')
    elif band == len(AMOUNT_BANDS):
        return "≥ %s" % format(AMOUNT_BANDS[-1], ',')
    return "%s - %s" % (
        format(AMOUNT_BANDS[band - 1], ','), format(AMOUNT_BANDS[band], ','))


class ScoringRule(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Points given to the leads whose field meets a condition"
    __name__ = 'crm.scoring.rule'
    __string__ = "Scoring Rule"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    field = fields.Char(
        "Field", required=True,
        help="The path of a field of the lead/opportunity, "
        "e.g. \"amount\", \"marketing_campaign\" or "
        "\"party.crm_value_segment\".")
    operator = fields.Selection([
            ('=', "="),
            ('!=', "≠"),
            ('<', "<"),
            ('<=', "≤"),
            ('>', ">"),
            ('>=', "≥"),
            ('in', "In"),
            ('not in', "Not In"),
            ], "Operator", required=True, sort=False)
    value = fields.Char(
        "Value",
        help="The value to compare with: a number, a date (YYYY-MM-DD), "
        "a selection key, a record name, \"true\"/\"false\", "
        "a comma-separated list for \"In\"; empty for no value.")
    points = fields.Integer(
        "Points", required=True,
        domain=[
            ('points', '>=', -100),
            ('points', '<=', 100),
            ],
        help="Added to the score of the matching leads (may be negative).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.company, Index.Range())))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_operator(cls):
        return '='

    @classmethod
    def default_points(cls):
        return 10

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        if field_names & {'field', 'operator', 'value'}:
            for rule in rules:
                rule.get_domain()

    def _field(self):
        "Return the last field of the path or raise ValidationError"
        pool = Pool()
        Model = pool.get('sale.opportunity')
        names = (self.field or '').strip().split('.')
        field = None
        for i, name in enumerate(names):
            field = Model._fields.get(name)
            if field is None or (
                    i < len(names) - 1
                    and field._type not in {
                        'many2one', 'one2many', 'many2many'}):
                raise ValidationError(gettext(
                        'crm_sales.msg_scoring_rule_bad_field',
                        rule=self.rec_name, field=self.field,
                        model=Model.__names__()['model']))
            if not field.searchable(Model):
                raise ValidationError(gettext(
                        'crm_sales.msg_scoring_rule_not_searchable',
                        rule=self.rec_name, field=self.field))
            if i < len(names) - 1:
                Model = field.get_target()
        return field

    def _convert(self, field, text):
        text = text.strip()
        if not text:
            return None
        if field._type == 'boolean':
            if text.lower() in {'true', '1', 'yes', 'y'}:
                return True
            elif text.lower() in {'false', '0', 'no', 'n'}:
                return False
            raise ValueError(text)
        elif field._type == 'integer':
            return int(text)
        elif field._type == 'float':
            return float(text)
        elif field._type == 'numeric':
            return Decimal(text)
        elif field._type == 'date':
            return datetime.date.fromisoformat(text)
        elif field._type == 'datetime':
            return datetime.datetime.fromisoformat(text)
        return text

    def get_domain(self):
        "Return the domain of the leads that match the rule"
        field = self._field()
        path = self.field.strip()
        if self.operator in {'in', 'not in'}:
            texts = (self.value or '').split(',')
        else:
            texts = [self.value or '']
        try:
            values = [self._convert(field, t) for t in texts]
        except (ValueError, InvalidOperation):
            raise ValidationError(gettext(
                    'crm_sales.msg_scoring_rule_bad_value',
                    rule=self.rec_name, value=self.value, field=self.field))
        if field._type in {'many2one', 'one2many', 'many2many'}:
            # Records are named by the manager, not by id
            negative = self.operator in {'!=', 'not in'}
            operator = 'not ilike' if negative else 'ilike'
            clauses = [
                (path + '.rec_name', operator, v) if v is not None
                else (path, '!=' if negative else '=', None)
                for v in values]
            return ['AND' if negative else 'OR'] + clauses
        if self.operator in {'in', 'not in'}:
            return [(path, self.operator, values)]
        return [(path, self.operator, values[0])]


class ScoringModel(ModelSQL, ModelView):
    "Naive Bayes model learned from the won and lost opportunities"
    __name__ = 'crm.scoring.model'
    __string__ = "Scoring Model"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    trained = fields.DateTime("Trained", readonly=True)
    won = fields.Integer("Won", readonly=True)
    lost = fields.Integer("Lost", readonly=True)
    features = fields.One2Many(
        'crm.scoring.model.feature', 'model', "Features", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('company_unique', Unique(t, t.company),
                'crm_sales.msg_scoring_model_company_unique'),
            ]
        cls._buttons.update({
                'train': {},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_rec_name(self, name):
        return self.company.rec_name

    @classmethod
    def _features(cls, opportunity):
        """Return (feature, from, value) to read the features in SQL

        opportunity is the table of sale.opportunity used in from.
        """
        pool = Pool()
        PartyValue = pool.get('crm.party.value')
        Line = pool.get('sale.opportunity.line')
        Product = pool.get('product.product')
        TemplateCategory = pool.get('product.template-product.category')
        party_value = PartyValue.__table__()
        line = Line.__table__()
        product = Product.__table__()
        template_category = TemplateCategory.__table__()

        # SQLite stores Decimal as text, which compares above any number
        amount = Cast(opportunity.amount, 'NUMERIC')
        # Without else, a lead without amount has no band
        band = Case(*(
                (amount < limit, i) for i, limit in enumerate(AMOUNT_BANDS)),
            (amount >= AMOUNT_BANDS[-1], len(AMOUNT_BANDS)))
        return [
            ('source', opportunity, opportunity.marketing_source),
            ('campaign', opportunity, opportunity.marketing_campaign),
            ('territory', opportunity, opportunity.crm_territory),
            ('segment', opportunity.join(party_value, condition=(
                        party_value.party == opportunity.party)
                    & (party_value.company == opportunity.company)),
                party_value.segment),
            ('product_category', opportunity
                .join(line, condition=line.opportunity == opportunity.id)
                .join(product, condition=line.product == product.id)
                .join(template_category,
                    condition=template_category.template == product.template),
                template_category.category),
            ('amount_band', opportunity, band),
            ]

    @classmethod
    @ModelView.button
    def train(cls, models):
        "Count the feature values of won and lost opportunities in SQL"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Feature = pool.get('crm.scoring.model.feature')
        cursor = Transaction().connection.cursor()
        opportunity = Opportunity.__table__()

        Feature.delete(Feature.search(
                [('model', 'in', [m.id for m in models])]))
        features = []
        for model in models:
            company_id = model.company.id
            closed = ((opportunity.company == company_id)
                & opportunity.state.in_(['won', 'lost']))
            cursor.execute(*opportunity.select(
                    opportunity.state, Count(opportunity.id),
                    where=closed, group_by=[opportunity.state]))
            totals = dict(cursor)
            model.won = totals.get('won', 0)
            model.lost = totals.get('lost', 0)
            model.trained = datetime.datetime.now()
            for name, from_, value in cls._features(opportunity):
                sub = from_.select(
                    opportunity.id.as_('opportunity'),
                    opportunity.state.as_('state'),
                    value.as_('value'),
                    where=closed)
                cursor.execute(*sub.select(
                        sub.value, sub.state,
                        Count(sub.opportunity, distinct=True),
                        where=sub.value != Null,
                        group_by=[sub.value, sub.state]))
                counts = defaultdict(lambda: {'won': 0, 'lost': 0})
                for value_, state, count in cursor:
                    counts[str(value_)][state] = count
                n_won = sum(c['won'] for c in counts.values())
                n_lost = sum(c['lost'] for c in counts.values())
                k = len(counts)
                for value_, count in counts.items():
                    log_won = math.log((count['won'] + 1) / (n_won + k))
                    log_lost = math.log((count['lost'] + 1) / (n_lost + k))
                    features.append({
                            'model': model.id,
                            'feature': name,
                            'value': value_,
                            'won': count['won'],
                            'lost': count['lost'],
                            'log_won': log_won,
                            'log_lost': log_lost,
                            'weight': log_won - log_lost,
                            })
            model.features = None
        cls.save(models)
        Feature.create(features)

    @classmethod
    def train_all(cls):
        "Train the model of every company (cron)"
        pool = Pool()
        Company = pool.get('company.company')
        companies = Company.search([])
        models = {m.company: m for m in cls.search([])}
        new = [cls(company=c) for c in companies if c not in models]
        cls.save(new)
        cls.train(list(models.values()) + new)

    def weights(self):
        "Return the weight by (feature, value)"
        if self.id is None or self.id < 0:
            return {}
        return {(f.feature, f.value): f.weight for f in self.features}

    def score(self, features, weights):
        """Return the model part of the score and its factors

        features is a list of (feature, value) and weights the result of
        weights(); the factors add up to the model part: the evidence is
        added in order of strength and each factor is the score change it
        brings.
        """
        prior = math.log((self.won + 1) / (self.lost + 1))
        base = 100 * sigmoid(prior)
        factors = [(('base', None), base)]
        evidence = sorted(
            ((key, weights[key]) for key in features if key in weights),
            key=lambda e: -abs(e[1]))
        logit, score = prior, base
        for key, weight in evidence:
            logit += weight
            new_score = 100 * sigmoid(logit)
            factors.append((key, new_score - score))
            score = new_score
        return score, factors

    @classmethod
    def _opportunity_features(cls, ids):
        "Return the list of (feature, value) of each opportunity id"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        cursor = Transaction().connection.cursor()
        opportunity = Opportunity.__table__()
        result = defaultdict(list)
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            where = reduce_ids(opportunity.id, sub_ids)
            for name, from_, value in cls._features(opportunity):
                sub = from_.select(
                    opportunity.id.as_('opportunity'), value.as_('value'),
                    where=where)
                cursor.execute(*sub.select(
                        sub.opportunity, sub.value,
                        where=sub.value != Null,
                        group_by=[sub.opportunity, sub.value]))
                for opportunity_id, value_ in cursor:
                    result[opportunity_id].append((name, str(value_)))
        return result

    @classmethod
    def feature_labels(cls, keys):
        "Return a label for each (feature, value)"
        pool = Pool()
        Source = pool.get('marketing.source')
        Campaign = pool.get('marketing.campaign')
        Territory = pool.get('crm.territory')
        Category = pool.get('product.category')
        Feature = pool.get('crm.scoring.model.feature')
        models = {
            'source': Source,
            'campaign': Campaign,
            'territory': Territory,
            'product_category': Category,
            }
        feature_names = dict(
            Feature.fields_get(['feature'])['feature']['selection'])
        ids = defaultdict(set)
        for feature, value in keys:
            if feature in models:
                ids[feature].add(int(value))
        names = {}
        with Transaction().set_context(active_test=False):
            for feature, f_ids in ids.items():
                for record in models[feature].browse(list(f_ids)):
                    names[(feature, str(record.id))] = record.rec_name
        labels = {}
        for feature, value in keys:
            if feature == 'amount_band':
                name = amount_band_label(value)
            else:
                name = names.get((feature, value), value)
            labels[(feature, value)] = '%s: %s' % (
                feature_names.get(feature, feature), name)
        return labels


class ScoringModelFeature(ModelSQL, ModelView):
    "Log-likelihoods of one feature value in a scoring model"
    __name__ = 'crm.scoring.model.feature'
    __string__ = "Scoring Model Feature"

    model = fields.Many2One(
        'crm.scoring.model', "Model", required=True, ondelete='CASCADE',
        readonly=True)
    feature = fields.Selection(FEATURES, "Feature", required=True,
        readonly=True)
    value = fields.Char("Value", required=True, readonly=True)
    value_name = fields.Function(fields.Char("Value"), 'get_value_name')
    won = fields.Integer("Won", readonly=True)
    lost = fields.Integer("Lost", readonly=True)
    log_won = fields.Float(
        "Log P(Value | Won)", readonly=True)
    log_lost = fields.Float(
        "Log P(Value | Lost)", readonly=True)
    weight = fields.Float(
        "Weight", readonly=True,
        help="log(P(value | won) / P(value | lost)): "
        "positive values raise the score.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.model, Index.Range()), (t.feature, Index.Equality())))
        cls._order = [('feature', 'ASC'), ('weight', 'DESC'), ('id', 'ASC')]

    @classmethod
    def get_value_name(cls, features, name):
        Model = Pool().get('crm.scoring.model')
        labels = Model.feature_labels({(f.feature, f.value) for f in features})
        return {
            f.id: labels[(f.feature, f.value)].split(': ', 1)[-1]
            for f in features}


class ScoringFactor(ModelSQL, ModelView):
    "What a lead's score is made of"
    __name__ = 'crm.scoring.factor'
    __string__ = "Score Factor"

    opportunity = fields.Many2One(
        'sale.opportunity', "Lead/Opportunity", required=True,
        ondelete='CASCADE', readonly=True)
    sequence = fields.Integer("Rank", readonly=True)
    kind = fields.Selection([
            ('model', "History"),
            ('rule', "Rule"),
            ], "Kind", required=True, readonly=True)
    label = fields.Char("Factor", readonly=True)
    contribution = fields.Float(
        "Points", digits=(16, 1), readonly=True,
        help="What the factor adds to (or removes from) the score.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.opportunity, Index.Range())))
        cls._order = [('sequence', 'ASC'), ('id', 'ASC')]
        # Who may not read the deal may not read what its score is made of
        cls.__access__.add('opportunity')


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    crm_score = fields.Integer(
        "Score", readonly=True,
        help="Lead score from 0 to 100 (separate from the conversion "
        "probability).\n" + FORMULA_HELP)
    crm_score_factors = fields.One2Many(
        'crm.scoring.factor', 'opportunity', "Why this Score", readonly=True,
        help="The factors of the score, the strongest first.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.crm_score, Index.Range()),
                where=t.state.in_(list(OPEN_STATES))))

    @classmethod
    def _crm_score_fields(cls):
        "Return the names of the fields that change the score"
        pool = Pool()
        Rule = pool.get('crm.scoring.rule')
        names = {
            'party', 'amount', 'marketing_campaign', 'marketing_source',
            'marketing_medium', 'crm_territory', 'lines', 'state', 'company'}
        with without_check_access():
            names.update(
                r.field.split('.')[0] for r in Rule.search([]))
        return names

    @classmethod
    def create(cls, vlist):
        opportunities = super().create(vlist)
        cls.crm_rescore(opportunities)
        return opportunities

    @classmethod
    def write(cls, *args):
        super().write(*args)
        fields = cls._crm_score_fields()
        to_score = []
        actions = iter(args)
        for records, values in zip(actions, actions):
            if fields & values.keys():
                to_score.extend(records)
        if to_score:
            cls.crm_rescore(to_score)

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('crm_score_factors')
        return super().copy(opportunities, default=default)

    @classmethod
    def crm_score_open(cls):
        "Score again every open lead and opportunity (cron)"
        open_ = cls.search(
            [('state', 'in', list(OPEN_STATES))], order=[('id', 'ASC')])
        for sub in grouped_slice(open_, 1000):
            cls.crm_rescore(list(sub))

    @classmethod
    def crm_rescore(cls, opportunities):
        """Compute and store the score and the factors of the open ones

        The score is derived data: it is stored in SQL without touching the
        write date, so a re-score never conflicts with a user's edit.
        """
        pool = Pool()
        Model = pool.get('crm.scoring.model')
        Rule = pool.get('crm.scoring.rule')
        Factor = pool.get('crm.scoring.factor')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        factor = Factor.__table__()

        with without_check_access():
            by_company = defaultdict(list)
            for values in cls.read(
                    [o.id for o in opportunities], ['company', 'state']):
                if values['state'] in OPEN_STATES:
                    by_company[values['company']].append(values['id'])
            scores, rows = {}, []
            for company_id, ids in by_company.items():
                with transaction.set_context(company=company_id):
                    models = Model.search([('company', '=', company_id)])
                    model = models[0] if models else Model(won=0, lost=0)
                    weights = model.weights()
                    features = Model._opportunity_features(ids)
                    points = cls._crm_rule_points(
                        Rule.search([('company', '=', company_id)]), ids)
                    parts = {}
                    keys = set()
                    for id_ in ids:
                        score, factors = model.score(
                            features.get(id_, []), weights)
                        parts[id_] = (score, factors)
                        keys.update(k for k, _ in factors)
                    labels = Model.feature_labels(
                        [k for k in keys if k[0] != 'base'])
                    base = gettext('crm_sales.msg_scoring_factor_base')
                    for id_ in ids:
                        score, factors = parts[id_]
                        lines = [
                            ('model', labels.get(k, base), c)
                            for k, c in factors]
                        lines.extend(points.get(id_, []))
                        score += sum(p for _, _, p in points.get(id_, []))
                        scores[id_] = max(0, min(100, round(score)))
                        lines.sort(key=lambda l: -abs(l[2]))
                        rows.extend(
                            [id_, i, kind, label, round(contribution, 1)]
                            for i, (kind, label, contribution)
                            in enumerate(lines, 1))

            ids = list(scores)
            for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
                cursor.execute(*factor.delete(
                        where=reduce_ids(factor.opportunity, sub_ids)))
            by_score = defaultdict(list)
            for id_, score in scores.items():
                by_score[score].append(id_)
            for score, s_ids in by_score.items():
                for sub_ids in grouped_slice(s_ids, backend.MAX_QUERY_PARAMS):
                    cursor.execute(*table.update(
                            [table.crm_score], [score],
                            where=reduce_ids(table.id, sub_ids)))
            now = datetime.datetime.now()
            user = transaction.user
            for sub_rows in grouped_slice(rows, 500):
                cursor.execute(*factor.insert(
                        [factor.opportunity, factor.sequence, factor.kind,
                            factor.label, factor.contribution,
                            factor.create_uid, factor.create_date],
                        [r + [user, now] for r in sub_rows]))
            # The records read before must see the new score and factors
            forget_cached(cls.__name__)
            for opportunity in opportunities:
                opportunity._local_cache.pop(opportunity.id, None)

    @classmethod
    def _crm_rule_points(cls, rules, ids):
        "Return the (kind, label, points) of the matching rules by id"
        result = defaultdict(list)
        for rule in rules:
            domain = rule.get_domain()
            for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
                for record in cls.search(
                        [('id', 'in', list(sub_ids)), domain], order=[]):
                    result[record.id].append(
                        ('rule', rule.name, rule.points))
        return result


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('crm.scoring.model|train_all', "Train Lead Scoring Models"),
                ('sale.opportunity|crm_score_open',
                    "Score Open Leads and Opportunities"),
                ])
