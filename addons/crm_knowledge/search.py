# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Full-text index of the knowledge base, for English and Chinese.

Chinese has no spaces between words, so a text is turned into *terms*:
every run of letters or digits of an alphabetic script is one term
(NFKC-normalised and case-folded) and every run of Han or kana characters
becomes its overlapping bigrams followed by its last character, so
"退款流程" gives "退款 款流 流程 程".  A Chinese query is the phrase of its
bigrams: it finds exactly the texts that contain it as a contiguous run,
whatever the backend, without an extension nor a dictionary.  A single
character query is a prefix query on the bigrams (and the trailing
character of each run).

The terms are indexed in a table beside the model's: on PostgreSQL a
tsvector (built from a literal, so the text search parser and the database
locale play no part) with the title weighted A and the text D, under a GIN
index, ranked by ts_rank; on SQLite an FTS5 table whose rank is bm25 with
the title weighing ten times the text.  The rest of the module only uses
`FullTextIndex` and the helpers of this file.
"""
import html
import re
import unicodedata

from lxml import etree
from lxml import html as lxml_html
from sql import Cast, Column, Literal, Table
from sql.functions import Function
from sql.operators import BinaryOperator

from trytond import backend
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

_CJK = '\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff'
_TOKEN = re.compile(rf'([{_CJK}]+)|([^\W_{_CJK}]+)')
# Longer words are not words: hashes, base64 or garbage from a PDF
MAX_WORD = 60
# A tsvector keeps at most 16383 positions; text beyond is not indexed
MAX_TERMS = 16000
# Matches ranked at most on PostgreSQL
CANDIDATES = 2000
# Words too common to tell articles apart when matching any word of a text
STOP_WORDS = frozenset("""
a about after all also am an and any are as at be been but by can could do
does did for from had has have he her his how i if in into is it its me my
no not of on or our she so than that the their them then there these they
this to too up us was we were what when where which who why will with you
your 的 了 是 在 我 和 有 不 吗 呢
""".split())


def _words(text):
    "Yield (kind, token) of the text: 'word' or 'cjk' runs"
    text = unicodedata.normalize('NFKC', text or '').casefold()
    for match in _TOKEN.finditer(text):
        cjk, word = match.groups()
        if cjk:
            yield 'cjk', cjk
        elif len(word) <= MAX_WORD:
            yield 'word', word


def _bigrams(run):
    return [run[i:i + 2] for i in range(len(run) - 1)]


def terms(text):
    "Return the list of index terms of the text, in order"
    result = []
    for kind, token in _words(text):
        if kind == 'cjk':
            result.extend(_bigrams(token))
            result.append(token[-1])
        else:
            result.append(token)
        if len(result) >= MAX_TERMS:
            return result[:MAX_TERMS]
    return result


def parse_query(query, any_word=False):
    """Return the groups of the query: each group is (terms, prefix) and
    must be matched as a phrase (prefix: the last term is a prefix).

    With any_word, every term is a group of its own (bigrams of Chinese
    runs included) and common words are left out: for suggestions from a
    free text, ranked by how many terms match.
    """
    groups = []
    for kind, token in _words(query):
        if kind == 'word':
            if not (any_word and token in STOP_WORDS):
                groups.append(([token], False))
        elif len(token) == 1:
            if not (any_word and token in STOP_WORDS):
                groups.append(([token], True))
        elif any_word:
            groups.extend(([b], False) for b in _bigrams(token))
        else:
            groups.append((_bigrams(token), False))
    if not any_word:
        # Common words narrow nothing, unless the query has nothing else
        useful = [g for g in groups if not (
                len(g[0]) == 1 and g[0][0] in STOP_WORDS)]
        groups = useful or groups
    # Keep the order, drop duplicates
    return list(dict.fromkeys((tuple(t), p) for t, p in groups))


def html_to_text(value):
    "Return the text of an HTML fragment, blocks separated by new lines"
    if not value or not value.strip():
        return ''
    try:
        root = lxml_html.fragment_fromstring(value, create_parent='div')
    except (etree.ParserError, ValueError):
        return value
    for element in root.iter(etree.Comment, etree.ProcessingInstruction):
        element.text = ''
    for element in root.iter('script', 'style'):
        element.text = ''
    for element in root.iter(*_BLOCKS):
        element.tail = '\n' + (element.tail or '')
    return '\n'.join(
        ' '.join(line.split()) for line in root.text_content().splitlines()
        if line.strip())


_BLOCKS = ('p', 'div', 'br', 'li', 'tr', 'td', 'th', 'h1', 'h2', 'h3',
    'h4', 'h5', 'h6', 'blockquote', 'pre', 'table', 'ul', 'ol', 'hr')


def snippet(text, query, width=160):
    """Return an HTML snippet of the text around the first match of the
    query with the matches in <b>, everything else escaped"""
    text = unicodedata.normalize('NFKC', text or '')
    needles = [t for k, t in _words(query)]
    if not needles:
        return html.escape(text[:width])
    pattern = re.compile(
        '|'.join(re.escape(n) for n in sorted(needles, key=len,
                reverse=True)), re.IGNORECASE)
    match = pattern.search(text)
    start = max(0, match.start() - width // 4) if match else 0
    excerpt = text[start:start + width]
    parts, last = [], 0
    for found in pattern.finditer(excerpt):
        parts.append(html.escape(excerpt[last:found.start()]))
        parts.append('<b>%s</b>' % html.escape(found.group()))
        last = found.end()
    parts.append(html.escape(excerpt[last:]))
    return (('…' if start else '') + ''.join(parts)
        + ('…' if start + width < len(text) else ''))


class _Match(BinaryOperator):
    __slots__ = ()
    _operator = '@@'


class _FTSMatch(BinaryOperator):
    __slots__ = ()
    _operator = 'MATCH'


class _TsRank(Function):
    __slots__ = ()
    _function = 'ts_rank'


def _pg_quote(term):
    return "'%s'" % term.replace('\\', '\\\\').replace("'", "''")


def _fts_quote(term):
    return '"%s"' % term.replace('"', '""')


class FullTextIndex:
    """The full-text index of the records of one table, named after it.

    Each indexed record has a title, a text and a language code.
    """

    def __init__(self, table):
        self.name = '%s_fts' % table
        self.table = table

    @property
    def _postgresql(self):
        return backend.name == 'postgresql'

    def create(self):
        "Create the index table if it does not exist"
        cursor = Transaction().connection.cursor()
        if self._postgresql:
            cursor.execute(
                'CREATE TABLE IF NOT EXISTS "%s" ('
                'id INTEGER PRIMARY KEY REFERENCES "%s" ON DELETE CASCADE, '
                'lang VARCHAR, vector TSVECTOR NOT NULL)'
                % (self.name, self.table))
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "%s_vector" ON "%s" '
                'USING GIN (vector)' % (self.name, self.name))
        else:
            cursor.execute(
                'CREATE VIRTUAL TABLE IF NOT EXISTS "%s" USING fts5('
                'lang UNINDEXED, title, body, '
                'tokenize="unicode61 remove_diacritics 0")' % self.name)
            cursor.execute(
                'INSERT INTO "%s" ("%s", rank) VALUES (\'rank\', '
                '\'bm25(0.0, 10.0, 1.0)\')' % (self.name, self.name))

    def vector(self, title, text):
        "Return the tsvector literal of the title and text (PostgreSQL)"
        positions = {}
        weighted = [(t, 'A') for t in terms(title)] + [
            (t, 'D') for t in terms(text)]
        for position, (term, weight) in enumerate(weighted, 1):
            positions.setdefault(term, []).append(
                '%d%s' % (min(position, 16383), weight))
        return ' '.join('%s:%s' % (_pg_quote(t), ','.join(p[:256]))
            for t, p in positions.items())

    def update(self, rows):
        "Index rows of (id, lang, title, text), replacing their entries"
        if not rows:
            return
        cursor = Transaction().connection.cursor()
        self.remove([r[0] for r in rows])
        if self._postgresql:
            cursor.executemany(
                'INSERT INTO "%s" (id, lang, vector) '
                'VALUES (%%s, %%s, %%s::tsvector)' % self.name,
                [(id_, lang, self.vector(title, text))
                    for id_, lang, title, text in rows])
        else:
            cursor.executemany(
                'INSERT INTO "%s" (rowid, lang, title, body) '
                'VALUES (?, ?, ?, ?)' % self.name,
                [(id_, lang, ' '.join(terms(title)), ' '.join(terms(text)))
                    for id_, lang, title, text in rows])

    def remove(self, ids):
        "Remove the entries of the ids"
        cursor = Transaction().connection.cursor()
        table = Table(self.name)
        id_ = table.id if self._postgresql else Column(table, 'rowid')
        for i in range(0, len(ids), 1000):
            cursor.execute(*table.delete(
                    where=id_.in_(list(ids[i:i + 1000]))))

    def _expression(self, groups, any_word):
        "Return the query text of the groups for the backend"
        if self._postgresql:
            quote, follow, prefix = _pg_quote, ' <-> ', ':*'
            join = ' | ' if any_word else ' & '
        else:
            quote, follow, prefix = _fts_quote, ' + ', '*'
            join = ' OR ' if any_word else ' AND '
        parts = []
        for group_terms, is_prefix in groups:
            part = follow.join(quote(t) for t in group_terms)
            parts.append('(%s%s)' % (part, prefix if is_prefix else ''))
        return join.join(parts)

    def match(self, query, any_word=False, language=None):
        """Return the python-sql query of (id, rank) of the entries
        matching the query text, best first when ordered by rank, or None
        if the query has nothing to search"""
        groups = parse_query(query, any_word=any_word)
        if not groups:
            return None
        expression = self._expression(groups, any_word)
        table = Table(self.name)
        if self._postgresql:
            tsquery = Cast(Literal(expression), 'tsquery')
            where = _Match(table.vector, tsquery)
            id_, rank = table.id, -_TsRank(table.vector, tsquery)
        else:
            where = _FTSMatch(Column(table, self.name), expression)
            id_, rank = Column(table, 'rowid'), Column(table, 'rank')
        if language:
            where &= table.lang == language
        return table.select(id_.as_('id'), rank.as_('rank'), where=where)

    def search(self, query, subquery=None, any_word=False, language=None,
            limit=20):
        """Return the [(id, rank)] of the best matches (lowest rank first)
        among the ids of subquery.

        On PostgreSQL, the rank is computed for the first CANDIDATES
        matches in storage order only: ranking reads every matching
        tsvector, so a word in most of 100,000 articles would cost hundreds
        of milliseconds; such a query is to be narrowed."""
        match = self.match(query, any_word=any_word, language=language)
        if match is None:
            return []
        id_, rank = (c.expression for c in match.columns)
        if subquery is not None:
            match.where &= id_.in_(subquery)
        if self._postgresql:
            table, = match.from_
            # In storage order: the scan stops at the limit.  Ordered by id,
            # either every match is read or the primary key is scanned
            # until enough match (the whole table for a missing phrase).
            candidates = table.select(table.id,
                where=match.where, limit=CANDIDATES)
            tsquery = rank.operand.args[1]
            ranked = Table(self.name)
            match = ranked.join(candidates,
                condition=ranked.id == candidates.id).select(
                ranked.id.as_('id'),
                (-_TsRank(ranked.vector, tsquery)).as_('rank'))
            id_, rank = (c.expression for c in match.columns)
        match.order_by = [rank, id_]
        match.limit = limit
        cursor = Transaction().connection.cursor()
        if not self._postgresql:
            cursor.execute(*match)
            return cursor.fetchall()
        # The planner takes a rare phrase of bigrams for a common one and
        # scans the table until the limit: through the GIN index instead
        # (an error aborts the transaction, which ends the setting too)
        cursor.execute('SET LOCAL enable_seqscan = off')
        cursor.execute(*match)
        rows = cursor.fetchall()
        cursor.execute('SET LOCAL enable_seqscan TO DEFAULT')
        return rows


class FullTextMixin:
    """A model searched by full text: its records are indexed on create,
    write and delete, `search_text` ranks them and the `text` field can be
    searched from the client's search bar.

    The model defines `_full_text_fields` (the fields whose change
    re-indexes a record) and `_full_text_rows(records)` returning
    (id, language code, title, text) rows.
    """
    __slots__ = ()
    _full_text_fields = set()

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        cls.full_text_index().create()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['search_text'] = RPC()

    @classmethod
    def full_text_index(cls):
        return FullTextIndex(cls._table)

    @classmethod
    def _full_text_rows(cls, records):
        raise NotImplementedError

    @classmethod
    def reindex(cls, records):
        "Index the records again"
        for sub_records in grouped_slice(records, backend.MAX_QUERY_PARAMS):
            cls.full_text_index().update(
                cls._full_text_rows(cls.browse(sub_records)))

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode == 'delete':
            cls.full_text_index().remove([r.id for r in records])
        elif mode == 'create' or field_names & cls._full_text_fields:
            cls.reindex(records)

    @classmethod
    def search_full_text(cls, name, clause):
        "Searcher of a text field: '=' or 'ilike' with the query"
        _, operator, value = clause[:3]
        negative = operator.startswith('not')
        match = cls.full_text_index().match((value or '').strip('%'))
        if match is None:
            return [('id', '=', None)] if negative else []
        # The ids only, for the IN
        match.columns = match.columns[:1]
        return [('id', 'not in' if negative else 'in', match)]

    @classmethod
    def search_text(cls, query, language=None, limit=20, domain=None,
            any_word=False):
        """Return the best records readable by the user matching the
        query as a list of dict (id, rec_name, rank, snippet), best first.

        Every word and every Chinese run of the query must match (as a
        phrase for Chinese), unless any_word which ranks by how many of
        them match."""
        subquery = cls.search(domain or [], order=[], query=True)
        rows = cls.full_text_index().search(
            query, subquery=subquery, any_word=any_word, language=language,
            limit=limit)
        records = cls.browse([r[0] for r in rows])
        texts = {r[0]: r[3] for r in cls._full_text_rows(records)}
        return [{
                'id': r.id,
                'rec_name': r.rec_name,
                'rank': -rank,
                'snippet': snippet(texts[r.id], query),
                } for r, (_, rank) in zip(records, rows)]
