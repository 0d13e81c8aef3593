# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A zh_CN user sees Chinese on every screen, upstream strings included.

Simplified Chinese is loaded as `trytond-admin -l zh_CN` loads it: each
module's locale/zh_CN.po, then the locale/override/zh_CN.po of the suite
modules, which translate the strings of the upstream modules they depend on
where upstream Tryton's zh_CN leaves them empty, fuzzy or in English. One
query then counts, per module, the English strings without a usable zh_CN
translation. Each string the suite exports, as `trytond-admin
--export-translations` gathers them, is also in its module's
locale/zh_CN.po.
"""
import pathlib
import re
import unittest

import polib
from lxml import etree

from sql import Literal
from sql.aggregate import Max

from trytond.modules.crm_sales.tests.tools import set_up_class_data
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

ADDONS = pathlib.Path(__file__).resolve().parent.parent / 'addons'
MODULES = sorted(p.parent.name for p in ADDONS.glob('*/tryton.cfg'))
# The upstream modules whose screens the suite shows
UPSTREAM = [
    'account', 'account_invoice', 'account_product', 'commission', 'company',
    'country', 'currency', 'dashboard', 'inbound_email', 'ir', 'marketing',
    'marketing_campaign', 'party', 'party_relationship', 'product',
    'product_price_list', 'res', 'sale', 'sale_complaint', 'sale_opportunity',
    'sale_price_list', 'sale_product_customer', 'stock', 'web_user',
    ]
# Types of which the source text is part of the key
SOURCE_TYPES = ['view', 'selection', 'report', 'wizard_button']
# The screens a salesperson opens first
SCREENS = [
    ('sale.opportunity', 'tree'), ('sale.opportunity', 'form'),
    ('party.party', 'tree'), ('party.party', 'form'),
    ('sale.sale', 'tree'), ('sale.sale', 'form'),
    ]
# trytond keys an overriding help text by field only: the help of each
# option of a selection cannot be overridden
NOT_OVERRIDABLE = {('stock', 'help', 'stock.location,type')}
CHINESE = re.compile('[\u4e00-\u9fff]')


def load_zh_cn():
    """Give the view and report strings their English rows, then load
    zh_CN"""
    pool = Pool()
    Lang = pool.get('ir.lang')
    TranslationSet = pool.get('ir.translation.set', type='wizard')
    session_id, _, _ = TranslationSet.create()
    TranslationSet.execute(session_id, {}, 'set_')
    lang, = Lang.search([('code', '=', 'zh_CN')])
    Lang.load_translations([lang])


class ZhCompleteTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(MODULES)
        # Once for the class: the database goes with it
        set_up_class_data(cls, load_zh_cn)
        cls.addClassCleanup(test_tryton.drop_db)

    def strings(self, modules):
        "[(module, type, name, English, has zh_CN)] of the modules"
        pool = Pool()
        Translation = pool.get('ir.translation')
        english = Translation.__table__()
        chinese = Translation.__table__()
        cursor = Transaction().connection.cursor()

        same_source = ((chinese.src == english.src)
            | ~english.type.in_(SOURCE_TYPES))
        query = english.join(chinese, 'LEFT', condition=(
                (chinese.lang == 'zh_CN')
                & (chinese.module == english.module)
                & (chinese.type == english.type)
                & (chinese.name == english.name)
                & (chinese.res_id == english.res_id)
                & same_source
                & (chinese.value != '')
                & (chinese.fuzzy == Literal(False))))
        cursor.execute(*query.select(
                english.module, english.type, english.name, english.src,
                Max(chinese.id),
                where=(english.lang == 'en')
                & english.module.in_(modules)
                & (english.src != ''),
                group_by=[english.id, english.module, english.type,
                    english.name, english.src]))
        return [(module, type_, name, src, bool(chinese_id))
            for module, type_, name, src, chinese_id in cursor]

    @with_transaction()
    def test_zh_cn_complete(self):
        "No string of the suite's screens is left without zh_CN text"
        modules = MODULES + UPSTREAM
        counts = {m: [0, 0] for m in modules}
        missing = []
        for module, type_, name, src, translated in self.strings(modules):
            if (not any(c.isalpha() for c in src)
                    or (module, type_, name) in NOT_OVERRIDABLE):
                # "%", "#", ":" read the same in Chinese
                continue
            counts[module][0] += 1
            if not translated:
                counts[module][1] += 1
                missing.append(f"{module}: {type_}:{name} {src!r}")
        print("\nzh_CN untranslated strings per module:")
        for module in modules:
            total, untranslated = counts[module]
            print(f"  {module:24} {untranslated:4} of {total:4}")
        self.assertEqual(missing, [], "\n".join(
                ["strings without zh_CN translation:"] + sorted(missing)))

    @with_transaction()
    def test_po_files_complete(self):
        "Each string the suite modules export has its text in their .po"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Translation = pool.get('ir.translation')
        TranslationUpdate = pool.get('ir.translation.update', type='wizard')

        lang, = Lang.search([('code', '=', 'zh_CN')])
        lang.translatable = True
        lang.save()
        # The update adds the missing rows of every module: leave it those
        # of the suite (the test's transaction is rolled back)
        translation = Translation.__table__()
        Transaction().connection.cursor().execute(*translation.delete(
                where=~translation.module.in_(MODULES)))
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

    @with_transaction()
    def test_zh_cn_screens(self):
        "The sales screens and the menus read in Chinese"
        pool = Pool()
        Menu = pool.get('ir.ui.menu')

        english = []
        with Transaction().set_context(language='zh_CN'):
            for model, view_type in SCREENS:
                view = pool.get(model).fields_view_get(view_type=view_type)
                shown = {f['string'] for n, f in view['fields'].items()}
                shown.update(etree.fromstring(view['arch']).xpath(
                        '//@string | //@sum'))
                english.extend(f"{model} {view_type}: {s!r}"
                    for s in shown if not CHINESE.search(s)
                    and s != 'ID' and any(c.isalpha() for c in s))
            english.extend(f"menu: {m.name!r}" for m in Menu.search([])
                if not CHINESE.search(m.name))
        print("\n".join(english))
        self.assertEqual(english, [])
