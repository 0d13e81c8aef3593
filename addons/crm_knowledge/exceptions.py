# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PageValidationError(ValidationError):
    pass


class KeywordValidationError(ValidationError):
    pass


class ChangeActivityError(UserError):
    pass


class ArticleReviewError(ValidationError):
    pass
