# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Text of a watched page: what matters, normalised, hashed.

The HTML is parsed with lxml, scripts, styles, navigation, comments and the
ignore rules are dropped, the selected region is kept and its text is
normalised (NFKC, one line per block, collapsed spaces) so that markup-only
and noise-only changes give the same hash.
"""
import functools
import hashlib
import itertools
import re
import unicodedata

import re2
from lxml import etree, html

DROP_TAGS = (
    'script', 'style', 'noscript', 'template', 'nav', 'iframe', 'svg',
    'head', 'object', 'embed', 'canvas')
BLOCK_TAGS = (
    'address', 'article', 'aside', 'blockquote', 'dd', 'details', 'dialog',
    'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form',
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'ol',
    'p', 'pre', 'section', 'table', 'tr', 'ul', 'br', 'option', 'caption',
    'title', 'summary')
CELL_TAGS = ('td', 'th')
_DROPPED = 'crm-knowledge-dropped'
# Marks the block boundaries: newlines in the source are mere spaces
_BREAK = '\ue000'
_CLASS = re.compile(r'^([a-zA-Z][\w-]*)?\.([\w-]+)$')
_PARSER = html.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True,
    default_doctype=False)


class RuleError(ValueError):
    "An invalid selector or regular expression, with its reason"

    def __init__(self, kind, rule, reason):
        super().__init__('%s %r: %s' % (kind, rule, reason))
        self.kind = kind
        self.rule = rule
        self.reason = reason


def compile_selector(selector):
    """Compile a CSS selector or an XPath (starting with / or ( or .) into
    an lxml XPath"""
    selector = selector.strip()
    if selector.startswith(('/', '(', './')):
        try:
            return etree.XPath(selector)
        except etree.XPathSyntaxError as exception:
            raise RuleError('XPath', selector, str(exception))
    match = _CLASS.match(selector)
    if match:
        return _ClassXPath(*match.groups())
    return etree.XPath(_css_to_xpath(selector))


@functools.lru_cache(maxsize=256)
def _css_to_xpath(selector):
    "The XPath of a CSS selector (translated once: every check compiles it)"
    from cssselect import GenericTranslator, SelectorError
    try:
        return GenericTranslator().css_to_xpath(selector)
    except SelectorError as exception:
        raise RuleError('CSS selector', selector, str(exception))


class _ClassXPath:
    "tag.class selectors: a cheap contains() then an exact check"

    def __init__(self, tag, name):
        self.name = name
        self.xpath = etree.XPath(
            'descendant-or-self::%s[contains(@class, $name)]' % (tag or '*'))

    def __call__(self, root):
        return [e for e in self.xpath(root, name=self.name)
            if self.name in e.get('class').split()]


def compile_regex(pattern):
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as exception:
        raise RuleError('Regular expression', pattern, str(exception))


def lines(value):
    "The non-empty stripped lines of a multi-line rule field"
    return [s.strip() for s in (value or '').splitlines() if s.strip()]


class Rules:
    "The compiled region and ignore rules of a page"

    def __init__(self, selector=None, ignore_selectors=None,
            ignore_regexes=None):
        self.region = compile_selector(selector) if selector else None
        self.ignore = [compile_selector(s) for s in lines(ignore_selectors)]
        patterns = lines(ignore_regexes)
        for pattern in patterns:
            compile_regex(pattern)
        self.ignore_text = _ignore_text(tuple(patterns))


@functools.lru_cache(maxsize=256)
def _ignore_text(patterns):
    return IgnoreText(patterns)


class IgnoreText:
    """Removes the text matched by any of the patterns (Python's syntax),
    leftmost first.

    The patterns that RE2 can run with Python's meaning are run by RE2 in
    one pass (its time does not grow with the patterns), the others by
    Python's re after it."""

    def __init__(self, patterns):
        translated, self.python = [], []
        for pattern in patterns:
            spelled = _to_re2(pattern)
            if spelled is not None:
                try:
                    re2.compile(spelled, _RE2_OPTIONS)
                except re2.error:
                    spelled = None
            if spelled is None:
                self.python.append(compile_regex(pattern))
            else:
                translated.append('(?:%s)' % spelled)
        # On UTF-8 bytes: RE2 works on them, str costs a mapping of offsets
        self.re2 = re2.compile(
            ('(?m)' + '|'.join(translated)).encode('utf-8'),
            _RE2_OPTIONS) if translated else None

    def __bool__(self):
        return bool(self.re2 or self.python)

    def remove(self, text):
        """The normalised text without the matches, normalised again

        With RE2 alone only the lines the matches were in are normalised
        again, not the whole page: removing a time stamp from a line of a
        100 KB page leaves the other lines as they were."""
        if self.python or not self.re2:
            text, removed = self.subn(text)
            return _normalise_again(text) if removed else text
        data = text.encode('utf-8')
        pieces, last = [], 0
        for first, stop, spans in _lines_of(data, self.re2.finditer(data)):
            pieces.append(data[last:first].decode('utf-8'))
            kept, start = [], first
            for begin, end in spans:
                kept.append(data[start:begin])
                start = end
            kept.append(data[start:stop])
            line = _normalise_again(b''.join(kept).decode('utf-8'))
            pieces.append(line)
            # A line left empty goes with its line break
            last = stop if line else stop + 1
        if not pieces:
            return text
        pieces.append(data[last:].decode('utf-8'))
        return ''.join(pieces).strip('\n')

    def subn(self, text):
        "Return the text without the matches and how many there were"
        removed = 0
        if self.re2:
            text, removed = self.re2.subn(b'', text.encode('utf-8'))
            text = text.decode('utf-8')
        for regex in self.python:
            text, count = regex.subn('', text)
            removed += count
        return text, removed


def _lines_of(data, matches):
    """Group the spans of the matches by the lines they are in:
    [(start of the first line, end of the last line, spans)]"""
    groups = []
    for match in matches:
        begin, end = match.span()
        first = data.rfind(b'\n', 0, begin) + 1
        stop = data.find(b'\n', end)
        if stop < 0:
            stop = len(data)
        if groups and first <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], stop)
            groups[-1][2].append((begin, end))
        else:
            groups.append([first, stop, [(begin, end)]])
    return groups


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
# The escapes that mean the same in both syntaxes; \d, \s and \w are
# Unicode classes in Python, ASCII ones in RE2: they are spelled out
_SAME_ESCAPES = frozenset('ntrfvaA')
_SHORTHANDS = {
    'd': str.isdecimal,
    's': str.isspace,
    'w': lambda c: c.isalnum() or c == '_',
    }


@functools.cache
def _shorthand(letter):
    "The ranges of Python's \\d, \\s or \\w for an RE2 class"
    test, ranges = _SHORTHANDS[letter], []
    for code in itertools.chain(range(0xd800), range(0xe000, 0x110000)):
        if test(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return ''.join(
        '\\x{%x}' % a if a == b else '\\x{%x}-\\x{%x}' % (a, b)
        for a, b in ranges)


def _to_re2(pattern):
    """The pattern in RE2's syntax with Python's meaning, or None when the
    translation is not sure to match the same text"""
    spelled, in_class, index = [], False, 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == '\\':
            if index == len(pattern):
                return None
            char = pattern[index]
            index += 1
            if char in _SHORTHANDS:
                ranges = _shorthand(char)
                spelled.append(ranges if in_class else '[%s]' % ranges)
            elif char.lower() in _SHORTHANDS and not in_class:
                spelled.append('[^%s]' % _shorthand(char.lower()))
            elif char in _SAME_ESCAPES or (
                    char.isascii() and not char.isalnum()):
                spelled.append('\\' + char)
            else:
                # Word boundaries, back-references, octal, \x, \u, \N, ...
                return None
        elif in_class:
            if char == '[':
                # A nested set or a POSIX class in RE2
                return None
            in_class = char != ']'
            spelled.append(char)
        elif char == '[':
            in_class = True
            spelled.append(char)
            if pattern[index:index + 1] == '^':
                spelled.append('^')
                index += 1
            if pattern[index:index + 1] == ']':
                spelled.append('\\]')
                index += 1
        elif char == '{' and pattern[index:index + 1] == ',':
            # {,n} is a repetition in Python, literal text in RE2
            return None
        else:
            spelled.append(char)
    return ''.join(spelled)


class RegionMissing(Exception):
    "The region selector matched nothing"


def normalise(text):
    "NFKC, one line per non-empty line, spaces collapsed"
    text = _nfkc_text(text)
    # Within a line of an NFKC text the only spaces but ' ' are these
    collapse = _collapse if any(c in text for c in '\t\x1f\u1680') else (
        _collapse_spaces)
    return '\n'.join(filter(None, map(collapse, text.splitlines())))


def _nfkc_text(text):
    """NFKC of a page's text: the common compatibility characters of prose
    (no-break space and ellipsis, then the full-width punctuation of
    Chinese) are replaced in C, the whole text at once; the lines still
    not normalised are normalised one by one"""
    for common in _COMMON:
        if unicodedata.is_normalized('NFKC', text):
            return text
        for char in common:
            if char in text:
                text = text.replace(char, _COMPATIBLE[ord(char)])
    if unicodedata.is_normalized('NFKC', text):
        return text
    # Line by line: a line break composes with nothing, and most lines
    # of a page need no NFKC (checking is much faster than normalising)
    return '\n'.join(map(_nfkc, text.split('\n')))


def _nfkc(line):
    if unicodedata.is_normalized('NFKC', line):
        return line
    # NFKC of the translated line is NFKC of the line: each character is
    # replaced by its own NFKC, which decomposes the same
    line = line.translate(_COMPATIBLE)
    if unicodedata.is_normalized('NFKC', line):
        return line
    return unicodedata.normalize('NFKC', line)


def _compatible(*blocks):
    "The NFKC of the starters with a compatibility form in the blocks"
    table = {}
    for start, end in blocks:
        for code in range(start, end + 1):
            char = chr(code)
            if (unicodedata.decomposition(char).startswith('<')
                    and not unicodedata.combining(char)):
                table[code] = unicodedata.normalize('NFKC', char)
    return table


# The compatibility characters of common pages: Latin-1 (no-break space,
# superscripts), general punctuation (ellipsis, spaces), letter-like
# symbols, enclosed numbers, CJK symbols and compatibility forms, Latin
# ligatures, full- and half-width forms; str.translate with them is about
# twice as fast as normalising
_COMPATIBLE = _compatible(
    (0x00a0, 0x00ff), (0x2000, 0x206f), (0x2100, 0x218f),
    (0x2460, 0x24ff), (0x3000, 0x303f), (0x3200, 0x33ff),
    (0xfb00, 0xfb06), (0xfe30, 0xfe6f), (0xff00, 0xffef))
# Replacing a character by its NFKC leaves the NFKC of the text unchanged:
# it decomposes the same
_COMMON = [
    '\u00a0\u2026',
    '\uff0c\uff08\uff09\uff1a\uff1b\uff1f\uff01\u3000\uffe5\uff06\uff0e'
    '\uff0f\uff05\uff0b\uff0d\uff1d\uff1c\uff1e\uff3b\uff3d\uff5b\uff5d'
    '\uff5e\uff02\uff07',
    ]


def _collapse_spaces(line):
    """A line whose only space is ' ', stripped and collapsed: left as it is
    when it has no double one (most lines of prose)"""
    line = line.strip(' ')
    if '  ' not in line:
        return line
    return ' '.join(line.split())


def _collapse(line):
    # A printable line has no space but ' '
    if line.isprintable():
        return _collapse_spaces(line)
    return ' '.join(line.split())


# The text of an element with block boundaries marked and cells spaced, in
# C: much faster than marking the tree from Python
_TEXT = etree.XSLT(etree.XML(
        '<xsl:stylesheet version="1.0" '
        'xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="text" encoding="UTF-8"/>'
        '<xsl:template match="%s">&#x%x;<xsl:apply-templates/>&#x%x;'
        '</xsl:template>'
        '<xsl:template match="%s"><xsl:apply-templates/>'
        '<xsl:text> </xsl:text></xsl:template>'
        '</xsl:stylesheet>' % (
            '|'.join(BLOCK_TAGS), ord(_BREAK), ord(_BREAK),
            '|'.join(CELL_TAGS))))


def _text(element):
    return str(_TEXT(element))


def extract(text, rules=None, content_type='text/html'):
    """Return the normalised text of a page.

    Raise RegionMissing when the region selector matches nothing.
    """
    rules = rules or Rules()
    if content_type == 'text/plain' or not text.strip():
        content = text
    else:
        content = _extract_html(text, rules)
    content = normalise(content)
    if rules.ignore_text:
        content = rules.ignore_text.remove(content)
    return content


def _normalise_again(content):
    """normalise() of a normalised text some parts were removed from: its
    only spaces are ' ' and '\\n', so the doubled, leading and trailing
    ones left are removed in C rather than line by line"""
    while '  ' in content:
        content = content.replace('  ', ' ')
    content = content.replace(' \n', '\n').replace('\n ', '\n')
    while '\n\n' in content:
        content = content.replace('\n\n', '\n')
    return content.strip(' \n')


def _extract_html(text, rules):
    try:
        root = html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        # An XML declaration in a str or an empty document
        root = html.document_fromstring(
            text.encode('utf-8', 'replace'), parser=_PARSER)
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)
    if rules.ignore:
        # Renaming then stripping in C is much faster than drop_tree()
        for xpath in rules.ignore:
            for element in xpath(root):
                if isinstance(element, etree._Element):
                    element.tag = _DROPPED
        etree.strip_elements(root, _DROPPED, with_tail=False)
    if rules.region is None:
        return _lines(_text(root))
    parts = []
    for element in rules.region(root):
        if isinstance(element, etree._Element):
            parts.append(_text(element))
        elif isinstance(element, str):
            parts.append(element)
    if not parts:
        raise RegionMissing()
    return _lines(_BREAK.join(parts))


def _lines(text):
    return text.replace('\n', ' ').replace(_BREAK, '\n')


def digest(text):
    return hashlib.blake2b(text.encode('utf-8'), digest_size=20).hexdigest()


def fold(text):
    "Case- and width-insensitive form of a text or keyword"
    return unicodedata.normalize('NFKC', text).casefold()
