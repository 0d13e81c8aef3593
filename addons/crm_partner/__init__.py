# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.

# The HTTP routes of the portal register when the module is imported
from . import (
    portal, portal_case, portal_catalogue, portal_knowledge, portal_order,
    portal_partner)

__all__ = [
    portal, portal_case, portal_catalogue, portal_knowledge, portal_order,
    portal_partner]
