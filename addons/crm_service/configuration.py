# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import hashlib
import hmac
import secrets

from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, Id
from trytond.transaction import without_check_access


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

    signing_key = fields.Char(
        "Signing Key", readonly=True, strip=False,
        help="The secret signing the links and forms given to people "
        "without login (rating links, web form tokens).")

    @classmethod
    def signing_key_for(cls, purpose):
        """Return the key of the purpose, derived from the signing key

        The signing key is generated the first time it is needed, in the
        transaction that signs, and kept: every server signs with it.
        """
        with without_check_access():
            config = cls(1)
            if not config.signing_key:
                config.signing_key = secrets.token_hex(32)
                config.save()
            key = config.signing_key
        return hmac.new(
            key.encode(), purpose.encode(), hashlib.sha256).digest()

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
