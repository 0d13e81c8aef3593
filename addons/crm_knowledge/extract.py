# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Text of a watched page: what matters, normalised, hashed.

The HTML is parsed with lxml, scripts, styles, navigation, comments and the
ignore rules are dropped, the selected region is kept and its text is
normalised (NFKC, one line per block, collapsed spaces) so that markup-only
and noise-only changes give the same hash.
"""
import hashlib
import re
import unicodedata

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
    from cssselect import GenericTranslator, SelectorError
    try:
        expression = GenericTranslator().css_to_xpath(selector)
    except SelectorError as exception:
        raise RuleError('CSS selector', selector, str(exception))
    return etree.XPath(expression)


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
        self.regexes = [compile_regex(r) for r in lines(ignore_regexes)]


class RegionMissing(Exception):
    "The region selector matched nothing"


def normalise(text):
    "NFKC, one line per non-empty line, spaces collapsed"
    return '\n'.join(filter(None, map(_normalise_line, text.splitlines())))


def _normalise_line(line):
    # Line by line: a line break composes with nothing, and most lines of
    # a page need no NFKC (checking is much faster than normalising)
    if not unicodedata.is_normalized('NFKC', line):
        line = unicodedata.normalize('NFKC', line)
    # A printable line has no space but ' ': it is left as it is when it
    # has no double, leading or trailing one (most lines of prose)
    if (line.isprintable() and '  ' not in line
            and line[:1] != ' ' and line[-1:] != ' '):
        return line
    return ' '.join(line.split())


def _text(element):
    return etree.tostring(
        element, method='text', encoding='unicode', with_tail=False)


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
    removed = 0
    for regex in rules.regexes:
        content, count = regex.subn('', content)
        removed += count
    if removed:
        content = _normalise_again(content)
    return content


def _normalise_again(content):
    """normalise() of a normalised text some parts were removed from: only
    the lines left with extra spaces are collapsed again"""
    return '\n'.join(filter(None, map(_normalise_line, content.split('\n'))))


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
    for element in root.iter(*BLOCK_TAGS):
        element.text = _BREAK + (element.text or '')
        element.tail = _BREAK + (element.tail or '')
    for element in root.iter(*CELL_TAGS):
        element.tail = ' ' + (element.tail or '')
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
