# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.

# The HTTP routes register when the module is imported
from . import api, app

__all__ = [api, app]
