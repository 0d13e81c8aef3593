# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError


class CaseResolutionError(UserError):
    pass


class CaseClosedError(UserError):
    pass


class ServiceLineNumberError(UserError):
    pass


class UnknownServiceLineError(UserError):
    pass
