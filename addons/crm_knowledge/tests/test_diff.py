# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Diffs readable in Chinese, prices and keyword events (no database)"
import unittest

from trytond.modules.crm_knowledge import diff


class DiffTestCase(unittest.TestCase):
    "Test diffs"

    def test_lines(self):
        "Added and removed lines are counted and shown unified"
        old = 'a\nb\nc\nd'
        new = 'a\nB\nc\nd\ne'
        result = diff.Diff(old, new)
        self.assertEqual((result.added, result.removed), (2, 1))
        self.assertIn('-b\n+B', result.unified())
        self.assertIn('+e', result.unified())
        self.assertTrue(result.unified().startswith('@@ -1,'))
        self.assertEqual(diff.Diff(old, old).unified(), '')
        self.assertEqual(diff.Diff(old, old).html(), '')

    def test_common_head_and_tail(self):
        "Lines in common at both ends are matched as difflib matches them"
        import difflib
        lines = ['line %d' % i for i in range(50)]
        cases = [
            (lines, lines[:20] + ['new'] + lines[20:]),
            (lines, lines[1:]),
            (lines, lines[:-1] + ['last']),
            (lines, ['first'] + lines + ['last']),
            (lines, []),
            ([], lines),
            (['a', 'b', 'a', 'b'], ['a', 'b', 'c', 'a', 'b']),
            (['x'] * 5, ['x'] * 3),
            ]
        for old, new in cases:
            result = diff.Diff('\n'.join(old), '\n'.join(new))
            self.assertEqual(result.opcodes, difflib.SequenceMatcher(
                    None, old, new, False).get_opcodes())

    def test_chinese_words(self):
        "Chinese changes are marked character by character"
        old = '旗舰版价格为199元，包含一年服务'
        new = '旗舰版价格为179元，包含两年服务'
        removed, added = diff.word_diff(old, new)
        self.assertEqual(removed, ['199', '一'])
        self.assertEqual(added, ['179', '两'])
        html = diff.Diff(old, new).html()
        self.assertIn('<del>一</del>', html)
        self.assertIn('<ins>两</ins>', html)
        self.assertIn('旗舰版价格为', html)

    def test_rich(self):
        "The rich text keeps to the tags the web client allows"
        import re
        rich = diff.Diff(
            'a\n价格 <b>199</b>\nc', 'a\n价格 <b>179</b>\nc\nnew').rich()
        self.assertEqual(
            set(re.findall(r'</?(\w+)', rich)), {'div', 'font', 'b', 'u'})
        self.assertIn('&lt;b&gt;<b><u>199</u></b>', rich)
        self.assertIn('+ new', rich)

    def test_tokens(self):
        "Latin words stay whole, CJK characters are words"
        self.assertEqual(
            diff.tokens('Pro版 v2.0'),
            ['Pro', '版', ' ', 'v2', '.', '0'])

    def test_escaped(self):
        "Page text cannot inject markup into the side-by-side diff"
        html = diff.Diff(
            'safe', '<script>alert(1)</script><img src=x onerror=y>').html()
        self.assertNotIn('<script>', html)
        self.assertNotIn('<img', html)
        self.assertIn('&lt;script&gt;', html)

    def test_prices(self):
        "Price-like amounts that changed are listed"
        removed, added = diff.changed_prices(
            'Basic ¥199, Pro $49.90, Team 1,200元, ref 2026',
            'Basic ¥179, Pro $49.90, Team 1,200元, ref 2027')
        self.assertEqual(removed, ['¥199'])
        self.assertEqual(added, ['¥179'])

    def test_keyword_events(self):
        "Keywords appear and disappear whatever their case and width"
        events = diff.keyword_events(
            'Free trial now. ＡＩ assistant',
            'ai Assistant and price cut 降价',
            ['free trial', 'AI assistant', '降价', 'absent'])
        self.assertEqual(events, [
                ('free trial', 'disappeared'), ('降价', 'appeared')])
