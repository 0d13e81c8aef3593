# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, Id


class Configuration(
        ModelSingleton, ModelSQL, ModelView, CompanyMultiValueMixin):
    __name__ = 'crm.service.configuration'
    __string__ = "CRM Service Configuration"

    case_sequence = fields.MultiValue(fields.Many2One(
            'ir.sequence', "Case Sequence", required=True,
            domain=[
                ('company', 'in',
                    [Eval('context', {}).get('company', -1), None]),
                ('sequence_type', '=',
                    Id('crm_service', 'sequence_type_case')),
                ]))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'case_sequence':
            return pool.get('crm.service.configuration.sequence')
        return super().multivalue_model(field)

    @classmethod
    def default_case_sequence(cls, **pattern):
        return cls.multivalue_model(
            'case_sequence').default_case_sequence()


class ConfigurationSequence(ModelSQL, CompanyValueMixin):
    __name__ = 'crm.service.configuration.sequence'
    __string__ = "CRM Service Configuration Sequence"

    case_sequence = fields.Many2One(
        'ir.sequence', "Case Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=', Id('crm_service', 'sequence_type_case')),
            ])

    @classmethod
    def default_case_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('crm_service', 'sequence_case')
        except KeyError:
            return None
