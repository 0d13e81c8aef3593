# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta

from .common import check_readable


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def check_modification(cls, mode, sales, values=None, external=False):
        # Before sale's "must cancel" on delete, which tells the state
        if external and mode == 'delete':
            check_readable(sales)
        super().check_modification(
            mode, sales, values=values, external=external)


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        # Before sale's checks of the state of the line's sale
        if external and mode in {'create', 'delete'}:
            check_readable(lines)
        super().check_modification(
            mode, lines, values=values, external=external)
