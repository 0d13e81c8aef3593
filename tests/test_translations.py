# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every user-facing string of the suite has its Simplified Chinese text.

The strings are gathered as `trytond-admin --export-translations` does
(fields, selections, models, views, reports, messages, menus, groups ...)
and compared with each module's locale/zh_CN.po.
"""
import pathlib
import unittest

import polib

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

ADDONS = pathlib.Path(__file__).resolve().parent.parent / 'addons'
MODULES = sorted(p.parent.name for p in ADDONS.glob('*/tryton.cfg'))


class TranslationTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(MODULES)

    @with_transaction()
    def test_zh_cn_complete(self):
        pool = Pool()
        Lang = pool.get('ir.lang')
        Translation = pool.get('ir.translation')
        TranslationSet = pool.get('ir.translation.set', type='wizard')
        TranslationUpdate = pool.get('ir.translation.update', type='wizard')

        lang, = Lang.search([('code', '=', 'zh_CN')])
        lang.translatable = True
        lang.save()
        session_id, _, _ = TranslationSet.create()
        TranslationSet.execute(session_id, {}, 'set_')
        session_id, _, _ = TranslationUpdate.create()
        TranslationUpdate.execute(
            session_id, {'start': {'language': lang.id}}, 'update')

        missing = []
        for module in MODULES:
            exported = polib.pofile(
                Translation.translation_export('zh_CN', module).decode())
            # What the .po file gives, whether or not it was loaded
            given = {
                (e.msgctxt, e.msgid) for e in polib.pofile(
                    str(ADDONS / module / 'locale' / 'zh_CN.po'))
                if e.msgstr}
            missing.extend(
                f"{module}: {e.msgctxt} {e.msgid!r}" for e in exported
                if not e.msgstr and (e.msgctxt, e.msgid) not in given)
        self.assertEqual(missing, [], "\n".join(
                ["strings without zh_CN translation:"] + missing))
