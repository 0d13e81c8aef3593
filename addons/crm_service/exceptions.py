# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class CaseResolutionError(UserError):
    pass


class CaseClosedError(UserError):
    pass


class CalendarHoursError(ValidationError):
    pass


class CalendarNoWorkingTimeError(ValidationError):
    pass


class SLAPolicyError(ValidationError):
    pass


class AgentAvailabilityError(AccessError):
    pass


class ServiceLineNumberError(UserError):
    pass


class UnknownServiceLineError(UserError):
    pass


class VisitOverlapError(UserError):
    pass


class VisitReportError(UserError):
    pass


class RatingScoreError(UserError):
    pass
