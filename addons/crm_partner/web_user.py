# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal accounts are web.user records: what the portal adds to them."""
import urllib.parse

from trytond.config import config
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction
from trytond.url import http_base


def portal_url(path):
    "The absolute URL of the portal's path on the current database"
    database = urllib.parse.quote(Transaction().database.name)
    return urllib.parse.urljoin(
        http_base(), f'/{database}/crm_partner/portal/{path}')


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    @classmethod
    def portal_login(cls, email, password, old_session=None):
        """Return a new session key for the e-mail and password or None

        The session of old_session is removed: a key known before the login
        never becomes a logged-in one (no fixation). Raises
        RateLimitException after too many failures."""
        pool = Pool()
        Session = pool.get('web.user.session')
        if old_session:
            Session.remove(old_session)
        user = cls.authenticate(email or '', password or '')
        if not user or not user.active or not user.party:
            return None
        return user.new_session()

    @classmethod
    def portal_user(cls, session):
        "Return the active user of the session that has a party, or None"
        if not session:
            return None
        user = cls.get_user(session)
        if user and user.active and user.party:
            return user

    @classmethod
    def portal_logout(cls, session):
        pool = Pool()
        Session = pool.get('web.user.session')
        if session:
            Session.remove(session)

    @classmethod
    def portal_reset_password(cls, email):
        """Send the reset link to the e-mail's user, if any: the answer is
        the same whether the address has an account or not"""
        users = cls.search([('email', '=', (email or '').lower())])
        if users:
            cls.reset_password(users)

    def get_email_reset_password_url(self, url=None):
        if url is None and not config.get('web', 'reset_password_url'):
            url = portal_url('set-password')
        return super().get_email_reset_password_url(url=url)

    def get_email_validation_url(self, url=None):
        if url is None and not config.get('web', 'email_validation_url'):
            url = portal_url('validate-email')
        return super().get_email_validation_url(url=url)

    @property
    def portal_party(self):
        "The party whose records the user sees"
        return self.party

    @property
    def portal_is_partner(self):
        "Whether the user sees the partners' pages"
        return bool(self.party and self.party.is_partner)

    @property
    def portal_language(self):
        if self.party and self.party.lang:
            return self.party.lang.code

    @classmethod
    def portal_company(cls):
        "The company the portal's new cases and quotations are made for"
        pool = Pool()
        Company = pool.get('company.company')
        companies = Company.search([], order=[('id', 'ASC')], limit=1)
        if companies:
            return companies[0]
