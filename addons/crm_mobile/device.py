# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A phone is a Tryton user application of type crm_mobile: its key is
given at sign-in with the desktop account's login and password, it acts
with the user's rights and is revoked (cancelled) from sao's preferences
or the devices list."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

APPLICATION = 'crm_mobile'


class UserApplication(metaclass=PoolMeta):
    __name__ = 'res.user.application'

    crm_device_name = fields.Char(
        "Device", readonly=True,
        help="The name the phone gave at sign-in.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.application.selection.append((APPLICATION, "CRM Mobile"))

    @classmethod
    def crm_mobile_sign_in(cls, login, password, device_name):
        """Return the new validated device key of the user with the login
        and password, or None"""
        User = Pool().get('res.user')
        user_id = User.get_login(login, {'password': password})
        if not user_id:
            return None
        application, = cls.create([{
                    'user': user_id,
                    'application': APPLICATION,
                    'state': 'validated',
                    'crm_device_name': (device_name or '')[:100] or None,
                    }])
        return application

    @classmethod
    def crm_mobile_sign_out(cls, authorization):
        "Revoke the device key of the Authorization header of its user"
        key = authorization.split(' ', 1)[-1].strip()
        with without_check_access():
            cls.cancel(cls.search([
                        ('key', '=', key),
                        ('application', '=', APPLICATION),
                        ('user', '=', Transaction().user),
                        ('state', '=', 'validated'),
                        ]))
