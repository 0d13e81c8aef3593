# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def set_preferences(cls, values):
        # The employee's domain cannot catch it: company's read answers the
        # employee of the context, set to the new one while writing. And the
        # stored employee scopes the record rules (get_employees).
        if values.get('employee'):
            cls.check_own_employee(
                cls(Transaction().user), values['employee'])
        super().set_preferences(values)

    @classmethod
    def check_own_employee(cls, user, employee_id):
        if employee_id not in {e.id for e in user.employees}:
            raise ValidationError(gettext(
                    'crm_sales.msg_user_employee_not_own',
                    user=user.rec_name))
