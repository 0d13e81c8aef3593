# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Extraction, ignore rules and normalisation (no database)"
import unittest

from trytond.modules.crm_knowledge import extract

PAGE = '''<html><head><title>Acme prices</title>
<style>p {color: red}</style><script>var session = "%(session)s";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<div class="banner">%(banner)s</div>
<!-- generated %(date)s -->
<div id="prices">
  <h2>Prices</h2>
  <table><tr><td>Basic</td><td>%(price)s</td></tr></table>
  <p>Updated on %(date)s, %(visits)s visits</p>
</div>
<footer>Session %(session)s</footer>
</body></html>'''


def page(**values):
    defaults = {
        'session': 'abc123', 'banner': 'Spring sale', 'date': '2026-11-23',
        'visits': '1024', 'price': '¥199'}
    defaults.update(values)
    return PAGE % defaults


class ExtractTestCase(unittest.TestCase):
    "Test extraction"

    def test_text(self):
        "Scripts, styles, navigation and comments are dropped"
        text = extract.extract(page())
        self.assertNotIn('session', text.lower().replace('session abc', ''))
        self.assertNotIn('color', text)
        self.assertNotIn('Home', text)
        self.assertNotIn('generated', text)
        self.assertIn('Basic ¥199', text)
        self.assertEqual(text.splitlines()[0], 'Spring sale')

    def test_noise_ignored(self):
        "Ignore rules make noise-only changes hash the same"
        rules = extract.Rules(
            None, '.banner\nfooter', r'\d{4}-\d\d-\d\d' + '\n' + r'\d+ visits')
        first = extract.extract(page(), rules)
        noisy = extract.extract(page(
                session='zz999', banner='Winter deals', date='2026-11-24',
                visits='2048'), rules)
        self.assertEqual(extract.digest(first), extract.digest(noisy))
        changed = extract.extract(page(price='¥179'), rules)
        self.assertNotEqual(extract.digest(first), extract.digest(changed))

    def test_markup_only(self):
        "A markup-only change is no change"
        before = '<div><p>Price: <b>10</b> EUR</p></div>'
        after = ('<div class="new"><p style="x">Price:   <span>10</span>'
            '\n EUR</p></div>')
        self.assertEqual(extract.extract(before), extract.extract(after))

    def test_region(self):
        "Only the selected region counts, by CSS or XPath"
        for selector in ['#prices', '//div[@id="prices"]']:
            rules = extract.Rules(selector)
            text = extract.extract(page(banner='Other'), rules)
            self.assertNotIn('Other', text)
            self.assertIn('Prices', text)
        with self.assertRaises(extract.RegionMissing):
            extract.extract(page(), extract.Rules('#missing'))

    def test_class_selector(self):
        "A class selector matches whole class names only"
        rules = extract.Rules(None, 'p.ad')
        text = extract.extract(
            '<p class="ad x">A</p><p class="adx">B</p><div class="ad">C</div>',
            rules)
        self.assertEqual(text, 'B\nC')

    def test_nfkc(self):
        "Full-width and compatibility forms are normalised"
        self.assertEqual(
            extract.extract('<p>ＡＢＣ　１２３</p>'), 'ABC 123')
        self.assertEqual(extract.fold('ＰＲＯ Max'), 'pro max')
        # A full-width letter composes with the accent that follows
        self.assertEqual(
            extract.extract('<p>ＣＡＦＥ\u0301，ﬁ…</p>'), 'CAF\u00c9,fi...')
        # Prose whose only compatibility forms are the common ones
        self.assertEqual(
            extract.extract('<p>价格（含税）：１００￥，\u00a0见…</p>'),
            '价格(含税):100¥, 见...')
        self.assertEqual(
            extract.extract('<p>See\u00a0more…</p><p>x\u00a0\u00a0y</p>'),
            'See more...\nx y')

    def test_removed_text_normalised(self):
        "The text left by the ignore rules is normalised again"
        rules = extract.Rules(None, None, 'noise\n^x$')
        self.assertEqual(
            extract.extract(
                '<p>a noise b</p><p>noise</p><p>x</p><p>noise c</p>'
                '<p>d  noise</p>', rules),
            'a b\nc\nd')

    def test_plain_text(self):
        "Plain text is normalised line by line"
        self.assertEqual(
            extract.extract('a  b\n\n  c ', content_type='text/plain'),
            'a b\nc')

    def test_spaces_collapsed(self):
        "Every kind of space is collapsed, whether the text has tabs or not"
        self.assertEqual(
            extract.normalise(' a  b \u3000c\n\n d\u200b  e\u2009\n'),
            'a b c\nd\u200b e')
        for space in ['\t', '\x1f', '\u1680']:
            with self.subTest(space=space):
                self.assertEqual(
                    extract.normalise(' a %s b\n%sc  d%s\n' % ((space,) * 3)),
                    'a b\nc d')

    def test_malformed(self):
        "Malformed HTML and XML declarations do not fail"
        self.assertEqual(extract.extract('<p>a<div>b</p></span>c'), 'a\nbc')
        self.assertEqual(extract.extract(
                '<?xml version="1.0" encoding="utf-8"?><html><p>x</p></html>'),
            'x')
        self.assertEqual(extract.extract(''), '')

    def test_invalid_rules(self):
        "Invalid selectors and regexes are refused with the reason"
        for kwargs, kind in [
                ({'selector': 'div['}, 'CSS selector'),
                ({'selector': '//div[@'}, 'XPath'),
                ({'ignore_selectors': 'p\n:nth-child(x'}, 'CSS selector'),
                ({'ignore_regexes': 'ok\n(unclosed'}, 'Regular expression'),
                ]:
            with self.assertRaises(extract.RuleError) as context:
                extract.Rules(**kwargs)
            self.assertEqual(context.exception.kind, kind)
            self.assertTrue(context.exception.reason)

    def test_ignore_regexes_as_python(self):
        "Ignore rules remove what Python's re matches, RE2 or not"
        text = (
            'Viewed 1,024 times ٣٤ ＩＤ\u3000x\xa0y_z 2026-11-23 12:00:01\n'
            'session 0123456789abcdef 会话 fedcba9876543210 '
            'KELVIN Kelvin ſ İ ı\n\tend  word wordy aa aaa')
        for pattern in [
                r'\d+', r'[\d,]+ times', r'\D+', r'\s+', r'\S+', r'\w+',
                r'\W+', r'[^\d\s]+', r'[\w-]+', r'^\w+', r'\w+$',
                r'(?i)kelvin', r'(?i)session [0-9a-f]{16}', r'(?s)x.y',
                r'[]a]+', r'[^]a]+', r'\.', r'a{,2}',
                # RE2 cannot run these: Python's re does
                r'\bword\b', r'(a)\1', r'word(?=y)', r'[\S]+',
                r'[[:alpha:]]',
                ]:
            with self.subTest(pattern=pattern):
                ignore = extract.IgnoreText((pattern,))
                self.assertEqual(
                    ignore.subn(text)[0],
                    extract.compile_regex(pattern).sub('', text))

    def test_ignore_regexes_lines(self):
        "Only the lines of the matches are normalised again, as a whole"
        text = extract.normalise(
            'Page generated 2026-12-01 10:00:00, 1,234 people viewing\n'
            'Price $10\nsession 0123456789abcdef\n'
            '中文 会话 fedcba9876543210 结束\nend')
        self.assertEqual(extract.IgnoreText((
                    r'\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}',
                    r'[\d,]+ people viewing',
                    r'(?:session|会话) [0-9a-f]{16}',
                    )).remove(text),
            'Page generated ,\nPrice $10\n中文 结束\nend')
        for patterns in [
                (r'\d+',), (r'\s+',), (r'\n',), (r'(?s)0.*f',),
                (r'^\w+',), (r'(?m)^.*$',), (r'Price \S+', r'end'),
                # Python's re after RE2: the whole text
                (r'\bend\b', r'\d+'),
                ]:
            with self.subTest(patterns=patterns):
                ignore = extract.IgnoreText(patterns)
                removed, _ = ignore.subn(text)
                self.assertEqual(ignore.remove(text),
                    extract._normalise_again(removed))

    def test_ignore_regexes_together(self):
        "Several ignore rules are applied at once, leftmost first"
        ignore = extract.IgnoreText((r'\d+ viewing', r'(?<=id )\w+', 'ad'))
        self.assertTrue(ignore.re2)
        self.assertEqual(
            ignore.subn('ad 12 viewing, id x1 bad'), (' , id  b', 4))
