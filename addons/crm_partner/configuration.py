# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    partner_response_time = fields.TimeDelta(
        "Partner Response Time",
        help="How long a partner has to accept or decline a lead before it "
        "goes to the next partner.\nLeave empty for no limit.")
    partner_distance = fields.Float(
        "Partner Distance", digits=(16, 0),
        help="The distance in km beyond which a partner's address earns "
        "no points for a lead.")
    partner_protection_days = fields.Integer(
        "Deal Protection Days",
        help="How many days an approved deal registration protects the "
        "customer for its partner, unless the deal says otherwise.")

    @classmethod
    def default_partner_response_time(cls):
        return datetime.timedelta(days=2)

    @classmethod
    def default_partner_distance(cls):
        return 200.

    @classmethod
    def default_partner_protection_days(cls):
        return 90
