# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError


class CaseResolutionError(UserError):
    pass


class CaseClosedError(UserError):
    pass


class VisitOverlapError(UserError):
    pass


class VisitReportError(UserError):
    pass


class RatingScoreError(UserError):
    pass
