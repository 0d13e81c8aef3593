# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Differences between two extracted texts, readable in Chinese too.

Lines are compared first; changed lines are compared word by word, where a
Chinese, Japanese or Korean character counts as a word (those scripts have
no spaces).  The HTML output escapes every text: a page cannot inject
markup into the client or the e-mails.
"""
import difflib
import re
from collections import Counter
from functools import cached_property
from html import escape

from .extract import fold

_TOKEN = re.compile(
    r'[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]'
    r'|[^\W\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]+|\s+|[^\w\s]')
_AMOUNT = r'(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?'
_PRICE = re.compile(
    r'(?:(?:[$€£¥]|US\$|HK\$|NT\$|RMB|CNY|USD|EUR)\s?' + _AMOUNT
    + r'|' + _AMOUNT + r'\s?(?:元|€|RMB|CNY|USD|EUR|美元|人民币))')
CONTEXT = 2


def tokens(text):
    return _TOKEN.findall(text)


class Diff:
    "The line differences between two texts"

    def __init__(self, old, new):
        self.old = old.splitlines() if old else []
        self.new = new.splitlines() if new else []
        self.opcodes = _opcodes(self.old, self.new)
        self.added = sum(
            j2 - j1 for tag, _, _, j1, j2 in self.opcodes if tag != 'equal')
        self.removed = sum(
            i2 - i1 for tag, i1, i2, _, _ in self.opcodes if tag != 'equal')

    @cached_property
    def hunks(self):
        "Opcodes grouped in hunks with some context"
        # The grouping reads only the opcodes, not the sequences
        matcher = difflib.SequenceMatcher(None, (), ())
        matcher.opcodes = self.opcodes
        return list(matcher.get_grouped_opcodes(CONTEXT))

    def unified(self):
        result = []
        for group in self.hunks:
            first, last = group[0], group[-1]
            result.append('@@ -%s,%s +%s,%s @@' % (
                    first[1] + 1, last[2] - first[1],
                    first[3] + 1, last[4] - first[3]))
            for tag, i1, i2, j1, j2 in group:
                if tag == 'equal':
                    result.extend(' ' + line for line in self.old[i1:i2])
                    continue
                result.extend('-' + line for line in self.old[i1:i2])
                result.extend('+' + line for line in self.new[j1:j2])
        return '\n'.join(result)

    def changed_lines(self):
        "The removed and the added lines, as two texts"
        removed, added = [], []
        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag != 'equal':
                removed.extend(self.old[i1:i2])
                added.extend(self.new[j1:j2])
        return '\n'.join(removed), '\n'.join(added)

    def excerpt(self, limit=10):
        "The first changed lines, for notifications and e-mails"
        result = []
        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag == 'equal':
                continue
            result.extend('- ' + line for line in self.old[i1:i2])
            result.extend('+ ' + line for line in self.new[j1:j2])
            if len(result) >= limit:
                break
        return '\n'.join(result[:limit])

    def html(self):
        "A side-by-side table with the changed words marked"
        rows = []
        for group in self.hunks:
            rows.append('<tr class="hunk"><td colspan="2">&#8942;</td></tr>')
            for tag, i1, i2, j1, j2 in group:
                if tag == 'equal':
                    for line in self.old[i1:i2]:
                        line = escape(line)
                        rows.append('<tr><td>%s</td><td>%s</td></tr>' % (
                                line, line))
                    continue
                old, new = self.old[i1:i2], self.new[j1:j2]
                for k in range(max(len(old), len(new))):
                    left, right = _words(
                        old[k] if k < len(old) else '',
                        new[k] if k < len(new) else '')
                    rows.append(
                        '<tr><td class="removed">%s</td>'
                        '<td class="added">%s</td></tr>' % (left, right))
        return ('<table class="diff">%s</table>' % ''.join(rows)
            if rows else '')

    def rich(self):
        """The changes for the rich text widget of the web client, which
        keeps only div, br, b, i, u and font: removed lines in red, added
        lines in green, changed words in bold"""
        rows = []
        removed = '<div><font color="#b42318">- %s</font></div>'
        added = '<div><font color="#067647">+ %s</font></div>'
        for group in self.hunks:
            rows.append('<div>&#8942;</div>')
            for tag, i1, i2, j1, j2 in group:
                if tag == 'equal':
                    rows.extend('<div>&#160; %s</div>' % escape(line)
                        for line in self.old[i1:i2])
                    continue
                old, new = self.old[i1:i2], self.new[j1:j2]
                pairs = min(len(old), len(new))
                marked = [_words(old[k], new[k], ('<b><u>%s</u></b>',) * 2)
                    for k in range(pairs)]
                rows.extend(removed % m[0] for m in marked)
                rows.extend(removed % escape(line) for line in old[pairs:])
                rows.extend(added % m[1] for m in marked)
                rows.extend(added % escape(line) for line in new[pairs:])
        return ''.join(rows)


def _opcodes(old, new):
    """The opcodes of the lines of old to those of new

    A page changes in a few places: the lines the two texts start and end
    with in common are left out of the matching, which is quadratic at
    worst, and added back as equal."""
    size = min(len(old), len(new))
    head = 0
    while head < size and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < size - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    matcher = difflib.SequenceMatcher(
        None, old[head:len(old) - tail], new[head:len(new) - tail], False)
    opcodes = [('equal', 0, head, 0, head)] if head else []
    opcodes.extend((tag, i1 + head, i2 + head, j1 + head, j2 + head)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes())
    if tail:
        opcodes.append(('equal', len(old) - tail, len(old),
                len(new) - tail, len(new)))
    return opcodes


def _words(old, new, marks=('<del>%s</del>', '<ins>%s</ins>')):
    "The two lines escaped with their differing words marked"
    old_tokens, new_tokens = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, False)
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before = escape(''.join(old_tokens[i1:i2]))
        after = escape(''.join(new_tokens[j1:j2]))
        if tag == 'equal':
            left.append(before)
            right.append(after)
            continue
        if before:
            left.append(marks[0] % before)
        if after:
            right.append(marks[1] % after)
    return ''.join(left), ''.join(right)


def word_diff(old, new):
    "The words removed and added between two lines, as two lists"
    matcher = difflib.SequenceMatcher(None, tokens(old), tokens(new), False)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != 'equal':
            removed.append(''.join(matcher.a[i1:i2]))
            added.append(''.join(matcher.b[j1:j2]))
    return [w for w in removed if w], [w for w in added if w]


def prices(text):
    return Counter(' '.join(p.split()) for p in _PRICE.findall(text))


def changed_prices(old, new):
    """The price-like amounts that disappeared and appeared.

    old and new are whole texts or, faster, only their changed lines
    (Diff.changed_lines()).
    """
    before, after = prices(old), prices(new)
    removed = sorted((before - after).elements())
    added = sorted((after - before).elements())
    return removed, added


def keyword_events(old, new, keywords, changed=None):
    """Return [(keyword, 'appeared'|'disappeared')] for the keywords whose
    presence differs; keywords are compared case- and width-insensitively

    changed, the removed and added lines (Diff.changed_lines()), spares
    folding two whole pages when no keyword is in them: a keyword within a
    line can come or go only with a changed line.
    """
    watches = [(k, fold(k)) for k in keywords]
    if changed is not None:
        lines = fold('\n'.join(changed))
        watches = [(k, f) for k, f in watches if '\n' in f or f in lines]
        if not watches:
            return []
    old, new = fold(old or ''), fold(new or '')
    events = []
    for keyword, folded in watches:
        before, after = folded in old, folded in new
        if before != after:
            events.append((keyword, 'appeared' if after else 'disappeared'))
    return events
