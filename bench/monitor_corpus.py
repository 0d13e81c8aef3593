# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The competitor pages of bench/monitor.py: real prose, real noise.

English prose is Python's own documentation (pydoc_data.topics), Chinese
prose the Simplified Chinese translations shipped with Tryton's modules
and ours.  A page is about 100 KB, its region `main#content` holding most
of the text; 80% are English, 10% Chinese in UTF-8 and 10% Chinese in GBK
or GB18030.  Every request gets a new time stamp, viewer counter and
session ids; the state of a page (prices, paragraphs, table rows,
keywords) is replayed from the rounds in which it changed, so the expected
changes and keyword events are known exactly.
"""
import glob
import hashlib
import os
import random
import re
from html import escape

import pydoc_data.topics

KEYWORDS = [
    'limited-time offer', 'free trial', 'end-of-life sale',
    'enterprise bundle', 'price match guarantee', 'early bird pricing',
    '限时优惠', '免费试用', '停产通知', '企业套餐', '价格保护', '新品首发']
# What a user types to drop the noise
IGNORE_REGEXES = [
    r'\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}',
    r'[\d,]+ (?:people viewing|人正在浏览)',
    r'(?:session|会话) [0-9a-f]{16}',
    ]
SELECTOR = 'main#content'
CHANGES = ('price', 'paragraph', 'row', 'keyword')
SIZE = 100 * 1024
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CJK = re.compile(r'[\u4e00-\u9fff]')


def _english():
    paragraphs = []
    for text in pydoc_data.topics.topics.values():
        for block in re.split(r'\n\s*\n', text):
            block = ' '.join(block.split())
            letters = sum(c.isalpha() or c == ' ' for c in block)
            if len(block) > 80 and letters > 0.85 * len(block):
                paragraphs.append(block)
    return paragraphs


def _chinese():
    import trytond
    files = sorted(glob.glob(os.path.join(
                    os.path.dirname(trytond.__file__), 'modules', '*',
                    'locale', 'zh_CN.po'))
        + glob.glob(os.path.join(ROOT, 'addons', '*', 'locale', 'zh_CN.po')))
    sentences = set()
    for path in files:
        with open(path, encoding='utf-8') as po:
            for line in po:
                if line.startswith('msgstr "'):
                    text = line[8:].rstrip().rstrip('"')
                    text = text.replace('\\"', '"').replace('\\n', ' ')
                    if len(_CJK.findall(text)) >= 4 and '%' not in text:
                        sentences.add(text)
    sentences = sorted(sentences)
    rng = random.Random(7)
    paragraphs = []
    for _ in range(len(sentences) // 4):
        paragraphs.append('，'.join(
                rng.choice(sentences).rstrip('。.') for _ in range(6)) + '。')
    return paragraphs


def _clean(paragraphs):
    "No paragraph may hold a keyword or look like noise by chance"
    folded = [k.casefold() for k in KEYWORDS]
    noise = [re.compile(r) for r in IGNORE_REGEXES]
    return [p for p in paragraphs
        if not any(k in p.casefold() for k in folded)
        and not any(n.search(p) for n in noise)]


class Corpus:
    "The pages, their states per round and their bodies"

    def __init__(self, count):
        self.count = count
        # Escaped once: the web server's CPU is on this machine's cores,
        # not on the competitors' ones
        self.english = [escape(p) for p in _clean(_english())]
        self.chinese = [escape(p) for p in _clean(_chinese())]
        self._static = {}

    def language(self, page):
        return 'en' if page % 10 < 8 else 'zh'

    def charset(self, page):
        if page % 10 < 9:
            return 'utf-8'
        return 'gbk' if page % 20 == 9 else 'gb18030'

    @staticmethod
    def _hash(*values):
        digest = hashlib.blake2b(
            '-'.join(map(str, values)).encode(), digest_size=8).digest()
        return int.from_bytes(digest, 'big')

    def changed(self, page, round_):
        "Whether the page changes before round_ (20%)"
        return round_ > 0 and self._hash('c', page, round_) % 5 == 0

    def kind(self, page, round_):
        return CHANGES[self._hash('k', page, round_) % len(CHANGES)]

    def state(self, page, round_):
        "The state of page at round_, replayed from its changes"
        state = {'price': 0, 'paragraphs': 1, 'rows': 8, 'keywords': set()}
        for r in range(1, round_ + 1):
            if not self.changed(page, r):
                continue
            kind = self.kind(page, r)
            pick = self._hash('p', page, r)
            if kind == 'price':
                state['price'] += 1
            elif kind == 'paragraph':
                state['paragraphs'] += 1 if pick % 2 or not state[
                    'paragraphs'] else -1
            elif kind == 'row':
                state['rows'] += 1 if pick % 2 or state['rows'] < 2 else -1
            else:
                keyword = self._keywords(page)[pick % 2]
                state['keywords'] ^= {keyword}
        return state

    def _keywords(self, page):
        "The two keywords that may come and go on page"
        start = 0 if self.language(page) == 'en' else 6
        return [KEYWORDS[start + page % 6], KEYWORDS[start + (page + 1) % 6]]

    def events(self, page, round_):
        "The expected keyword events of page at round_"
        if not self.changed(page, round_):
            return set()
        before = self.state(page, round_ - 1)['keywords']
        after = self.state(page, round_)['keywords']
        return ({(k, 'appeared') for k in after - before}
            | {(k, 'disappeared') for k in before - after})

    def _prose(self, page):
        "The fixed paragraphs of page and the pool it grows from"
        if page not in self._static:
            rng = random.Random(page)
            pool = self.english if self.language(page) == 'en' else (
                self.chinese)
            paragraphs, size = [], 0
            limit = SIZE if self.language(page) == 'en' else SIZE * 2 // 5
            while size < limit:
                paragraph = rng.choice(pool)
                paragraphs.append(paragraph)
                size += len(paragraph) + 30
            extra = [rng.choice(pool) + ' (%d)' % i for i in range(40)]
            self._static[page] = (paragraphs, extra)
        return self._static[page]

    def body(self, page, round_, counter):
        "The encoded HTML of page at round_ with fresh noise"
        state = self.state(page, round_)
        paragraphs, extra = self._prose(page)
        noise = random.Random(counter)
        en = self.language(page) == 'en'
        session = '%016x' % noise.getrandbits(64)
        stamp = '2026-12-%02d %02d:%02d:%02d' % (
            noise.randint(1, 28), noise.randint(0, 23),
            noise.randint(0, 59), noise.randint(0, 59))
        viewers = '{:,}'.format(noise.randint(100, 99999))
        meta = ('Page generated %s, %s people viewing, session %s' % (
                stamp, viewers, session) if en else
            '页面生成于 %s，%s 人正在浏览，会话 %s' % (
                stamp, viewers, session))
        charset = self.charset(page)
        parts = [
            '<!DOCTYPE html><html><head><meta charset="%s">'
            '<title>Competitor %d</title><script>var session="%s";</script>'
            '<style>main{margin:0}</style></head><body>'
            '<nav><a href="/">Home</a> <a href="/products">Products</a></nav>'
            '<div class="banner">%s</div>'
            '<main id="content"><h1>%s %d</h1><p class="meta">%s</p>' % (
                charset, page, session, escape(stamp),
                'Catalogue' if en else '产品目录', page, escape(meta))]
        if charset == 'gb18030':
            # Beyond GBK: only GB18030 encodes it
            parts.append('<p>𠮷野家 %d</p>' % page)
        cut = len(paragraphs) // 2
        for k, paragraph in enumerate(paragraphs[:cut]):
            if k % 12 == 0:
                parts.append('<h2>%s %d</h2>' % (
                        'Section' if en else '章节', k // 12 + 1))
            parts.append('<p>%s</p>' % paragraph)
        parts.append('<table class="prices"><tr><th>%s</th><th>%s</th></tr>'
            % (('Plan', 'Price') if en else ('方案', '价格')))
        for row in range(state['rows']):
            price = 100 + 37 * row + (state['price'] * 5 if row == 0 else 0)
            parts.append('<tr><td>%s %d</td><td>%s%d</td></tr>' % (
                    'Plan' if en else '方案', row + 1,
                    '¥' if en else '￥', price))
        parts.append('</table>')
        for paragraph in paragraphs[cut:]:
            parts.append('<p>%s</p>' % paragraph)
        for paragraph in extra[:state['paragraphs']]:
            parts.append('<p class="news">%s</p>' % paragraph)
        for keyword in sorted(state['keywords']):
            parts.append('<p class="promo">%s: %s</p>' % (
                    'Now' if en else '现在', keyword))
        parts.append(
            '<p class="meta">%s</p></main><aside>%s %s</aside>'
            '<footer>%s</footer></body></html>' % (
                escape(meta), viewers, session, escape(stamp)))
        return ''.join(parts).encode(charset, 'xmlcharrefreplace')
