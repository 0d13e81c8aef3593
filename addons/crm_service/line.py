# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .case import PRIORITIES
from .exceptions import ServiceLineNumberError


def normalize_number(value, region=None):
    """Return the E.164 form of the phone number value or None when it is
    not a valid number (read in the region when it has no country prefix)"""
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def number_region(e164):
    "Return the country code of the E.164 number"
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))


class Line(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'crm.service.line'
    __string__ = "Service Line"

    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True, translate=True)
    number = fields.Char(
        "Number", required=True,
        help="The dialled number (DNIS) of the line, stored in the "
        "international E.164 form.")
    team = fields.Many2One(
        'crm.sales.team', "Team",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The team that takes the requests of the line.")
    category = fields.Many2One(
        'crm.service.case.category', "Default Category",
        help="The category of a request without a mapped IVR choice.")
    priority = fields.Selection(
        PRIORITIES, "Default Priority", required=True, sort=False)
    ivr_choices = fields.One2Many(
        'crm.service.line.ivr', 'line', "IVR Choices",
        help="The keys the caller presses in the voice menu.")
    # Every call reads its line: the cache is cleared on any change of the
    # lines or their choices, in all processes
    _intake_cache = Cache('crm.service.line.intake', context=False)

    @classmethod
    def __setup__(cls):
        cls.number.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number),
                'crm_service.msg_service_line_number_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.number, Index.Equality())))
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_priority(cls):
        return 'normal'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('number'):
            number = normalize_number(values['number'])
            if not number:
                raise ServiceLineNumberError(gettext(
                        'crm_service.msg_service_line_number_invalid',
                        number=values['number']))
            values['number'] = number
        return values

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        super().on_modification(mode, lines, field_names=field_names)
        cls._intake_cache.clear()

    @classmethod
    def intake_settings(cls, dnis):
        """Return the settings of the active line dialled as dnis or None:
        id, company, team, number, category, priority and the category and
        priority of each IVR choice"""
        number = normalize_number(dnis)
        if not number:
            return None
        settings = cls._intake_cache.get(number, -1)
        if settings != -1:
            return settings
        lines = cls.search([('number', '=', number)], limit=1)
        settings = None
        if lines:
            line, = lines
            category = line.category.id if line.category else None
            settings = {
                'id': line.id,
                'company': line.company.id,
                'team': line.team.id if line.team else None,
                'number': line.number,
                'category': category,
                'priority': line.priority,
                'choices': {
                    ivr.choice: (
                        ivr.category.id if ivr.category else category,
                        ivr.priority or line.priority)
                    for ivr in line.ivr_choices},
                }
        cls._intake_cache.set(number, settings)
        return settings


class LineIVR(ModelSQL, ModelView):
    __name__ = 'crm.service.line.ivr'
    __string__ = "Service Line IVR Choice"

    line = fields.Many2One(
        'crm.service.line', "Line", required=True, ondelete='CASCADE')
    choice = fields.Char(
        "Choice", required=True,
        help="The keys pressed in the voice menu, such as 1 or 21.")
    category = fields.Many2One('crm.service.case.category', "Category")
    priority = fields.Selection(
        [(None, "")] + PRIORITIES, "Priority", sort=False,
        help="Leave empty to keep the default priority of the line.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('line')
        t = cls.__table__()
        cls._sql_constraints += [
            ('choice_unique', Unique(t, t.line, t.choice),
                'crm_service.msg_service_line_ivr_unique'),
            ]
        cls._order.insert(0, ('choice', 'ASC'))

    def get_rec_name(self, name):
        return f'{self.line.rec_name} {self.choice}'

    @classmethod
    def on_modification(cls, mode, choices, field_names=None):
        pool = Pool()
        Line = pool.get('crm.service.line')
        super().on_modification(mode, choices, field_names=field_names)
        Line._intake_cache.clear()


class Category(metaclass=PoolMeta):
    __name__ = 'crm.service.case.category'

    @classmethod
    def on_modification(cls, mode, categories, field_names=None):
        pool = Pool()
        Line = pool.get('crm.service.line')
        super().on_modification(mode, categories, field_names=field_names)
        # The settings of the lines carry their categories
        Line._intake_cache.clear()
