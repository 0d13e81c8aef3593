# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool
from trytond.pyson import Eval

SALESPERSON_SCOPES = [
    ('own', "Own"),
    ('team', "Team"),
    ('all', "All"),
    ]
salesperson_scope = fields.Selection(
    SALESPERSON_SCOPES, "Salesperson Scope", required=True,
    help="Which opportunities and activities a CRM salesperson sees:\n"
    "- Own: those assigned to their employees\n"
    "- Team: those of the members of the teams they belong to or lead\n"
    "- All: every record of the company")


class Configuration(
        ModelSingleton, ModelSQL, ModelView, CompanyMultiValueMixin):
    __name__ = 'crm.configuration'
    __string__ = "CRM Configuration"

    salesperson_scope = fields.MultiValue(salesperson_scope)
    geocoding_provider = fields.Selection([
            (None, "None"),
            ('nominatim', "Nominatim (OpenStreetMap)"),
            ], "Geocoding Provider",
        help="The service used to find the coordinates of addresses.\n"
        "Leave empty to disable geocoding.")
    geocoding_user_agent = fields.Char(
        "Geocoding User Agent",
        states={
            'invisible': ~Eval('geocoding_provider'),
            'required': Eval('geocoding_provider') == 'nominatim',
            },
        help="Identifies this installation to the geocoding service "
        "(Nominatim's usage policy requires it).")
    geocoding_domain = fields.Char(
        "Geocoding Domain",
        states={
            'invisible': ~Eval('geocoding_provider'),
            },
        help="The host name of the geocoding service, "
        "for a self-hosted instance.")

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'salesperson_scope':
            return pool.get('crm.configuration.salesperson_scope')
        return super().multivalue_model(field)

    @classmethod
    def default_salesperson_scope(cls, **pattern):
        return cls.multivalue_model(
            'salesperson_scope').default_salesperson_scope()

    @classmethod
    def default_geocoding_domain(cls):
        return 'nominatim.openstreetmap.org'


class ConfigurationSalespersonScope(ModelSQL, CompanyValueMixin):
    __name__ = 'crm.configuration.salesperson_scope'
    __string__ = "CRM Configuration Salesperson Scope"
    salesperson_scope = salesperson_scope

    @classmethod
    def default_salesperson_scope(cls):
        return 'team'

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Rule = pool.get('ir.rule')
        super().on_modification(mode, records, field_names=field_names)
        # The salesperson scope is part of the record rules' context
        Rule._domain_get_cache.clear()
