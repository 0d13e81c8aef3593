# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""HTTP fetching of watched pages: pure Python, no Tryton model.

A Fetcher keeps one keep-alive connection pool per host, fetches many pages
at once with a bounded number of threads and of connections per host, and
refuses to talk to private addresses (SSRF) unless the host is allowed.
Every outcome is a FetchResult: nothing raises out of fetch().
"""
import codecs
import concurrent.futures
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.robotparser
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

SUPPORTED_TYPES = {'text/html', 'application/xhtml+xml', 'text/plain'}
REDIRECTS = {301, 302, 303, 307, 308}
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}

# Outcomes of a fetch, stored on the snapshot
OK, NOT_MODIFIED, ERROR, UNSUPPORTED, REFUSED, ROBOTS, TRUNCATED = (
    'ok', 'not_modified', 'error', 'unsupported', 'refused', 'robots',
    'truncated')

_META_CHARSET = re.compile(
    rb'<meta[^>]+charset\s*=\s*["\']?\s*([a-zA-Z0-9_.:-]+)', re.I)
# Declared names mapped to the codec that decodes all their real-world pages
_CHARSET_ALIASES = {
    'gb2312': 'gb18030', 'gbk': 'gb18030', 'x-gbk': 'gb18030',
    'gb_2312-80': 'gb18030', 'big5': 'cp950', 'x-x-big5': 'cp950',
    'iso-8859-1': 'cp1252', 'latin-1': 'cp1252', 'us-ascii': 'cp1252',
    }
# The most frequent Chinese characters in both scripts: the codec giving
# more of them is the right one when a page declares no charset.
_FREQUENT_HANZI = frozenset(
    '的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要'
    '就出会會也你对對生能而子那得于於着著下自之年过過发發后後作里裡用道行所'
    '然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分还還'
    '进進好小部其些主样樣理心她本前开開但因只从從想实實日军軍者意无無力它与與'
    '长長把机機十民第公此已工使情明性知全三又关關点點正业業外将將两兩高间間'
    '由问問很最重并並物手应應战戰向头頭文体體政美相见見被利什二等产產或新己制'
    '身果加西斯月话話合回特代内內信表化老给給世位次度门門任常先海通教儿兒原东'
    '東声聲提立及比员員解水名真论論处處走义義各入几幾口认認条條平系气氣题題活'
    '尔爾更别別打女变變四神总總何电電数數安少报報才结結反受目太量再感建务務做'
    '接必场場件计計管期市直德资資命山金指克许許统統区區保至队隊形社便空决決治'
    '展马馬科司五基眼书書非则則听聽白却界达達光放强強即像难難且权權思王象完设'
    '設式色路记記南品住告类類求据據程北边邊死张張该該交规規万萬取拉格望觉覺术'
    '術领領共确確传傳师師观觀清今切院让讓识識候带帶导導争爭运運笑飞飛风風步改'
    '收根干干价價元')


class FetchError(Exception):
    """A fetch that cannot go on: the message is recorded on the snapshot.

    A permanent error cannot heal by asking again (a redirect loop, a page
    gone, an invalid URL, a certificate for another name): it is not
    retried."""

    def __init__(self, outcome, message, status=None, permanent=False):
        super().__init__(message)
        self.outcome = outcome
        self.status = status
        self.permanent = permanent or (
            status is not None and 400 <= status < 500
            and status not in RETRY_STATUS)


@dataclass
class Policy:
    "What a fetcher may do; built from the configuration"
    connect_timeout: float = 5.0
    total_timeout: float = 20.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 0.5
    # How long a batch waits for its slowest pages: the ones still
    # running then are abandoned and checked again on their own
    batch_wait: float = 5.0
    threads: int = 16
    per_host: int = 4
    user_agent: str = 'Tryton-CRM-Watch/1.0'
    # Host names, IP addresses or networks that may be private
    allowed: tuple = ()
    allow_private: bool = False

    def host_allowed(self, host, address):
        if self.allow_private:
            return True
        for entry in self.allowed:
            if isinstance(entry, str):
                if host.lower() == entry:
                    return True
            elif address in entry:
                return True
        return False

    @classmethod
    def parse_allowed(cls, value):
        "Parse a comma or space separated allow-list"
        allowed = []
        for entry in re.split(r'[\s,]+', value or ''):
            if not entry:
                continue
            try:
                allowed.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                allowed.append(entry.lower())
        return tuple(allowed)


@dataclass
class Request:
    url: str
    etag: str = None
    last_modified: str = None
    robots: bool = False
    # Whatever the caller needs back in process()
    data: object = None


@dataclass
class Result:
    url: str
    outcome: str = OK
    status: int = None
    final_url: str = None
    content_type: str = None
    charset: str = None
    text: str = ''
    etag: str = None
    last_modified: str = None
    truncated: bool = False
    error: str = None
    duration: float = 0.0
    attempts: int = 0
    permanent: bool = False
    abandoned: bool = False
    # Failed in a way that may heal, left to the caller to ask again
    deferred: bool = False
    size: int = 0
    extra: dict = field(default_factory=dict)


def forbidden_address(address):
    "Tell whether an address is not a public unicast one"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (not address.is_global or address.is_multicast
        or address.is_reserved or address.is_loopback
        or address.is_link_local or address.is_private
        or address.is_unspecified)


def split_url(url):
    "Return (scheme, host, port, path) or raise FetchError"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exception:
        raise FetchError(
            ERROR, 'Invalid URL: %s' % exception, permanent=True)
    scheme = parts.scheme.lower()
    if scheme not in {'http', 'https'}:
        raise FetchError(
            REFUSED, 'Unsupported scheme: %s' % (scheme or '-'),
            permanent=True)
    if not parts.hostname:
        raise FetchError(ERROR, 'Invalid URL: no host', permanent=True)
    if parts.username or parts.password:
        raise FetchError(
            REFUSED, 'Credentials in URLs are not sent', permanent=True)
    port = port or (443 if scheme == 'https' else 80)
    path = parts.path or '/'
    if parts.query:
        path += '?' + parts.query
    return scheme, parts.hostname, port, path


def resolve(host, port, policy):
    "Resolve once and return the address to connect to, checked for SSRF"
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exception:
        raise FetchError(ERROR, 'Unknown host %s: %s' % (host, exception))
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split('%')[0])
        if forbidden_address(address) and not policy.host_allowed(
                host, address):
            raise FetchError(
                REFUSED, 'Refused private address %s for %s'
                % (address, host), permanent=True)
    return infos[0][4][0]


def decode(body, header_charset=None):
    "Decode a body: header, BOM, meta, UTF-8, then GB18030 or Big5"
    for bom, codec in [
            (codecs.BOM_UTF8, 'utf-8-sig'),
            (codecs.BOM_UTF16_LE, 'utf-16'),
            (codecs.BOM_UTF16_BE, 'utf-16')]:
        if body.startswith(bom):
            return body.decode(codec, 'replace'), codec
    declared = [header_charset]
    match = _META_CHARSET.search(body[:4096])
    if match:
        declared.append(match.group(1).decode('ascii', 'ignore'))
    for name in declared:
        if not name:
            continue
        name = name.strip().lower()
        name = _CHARSET_ALIASES.get(name, name)
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return body.decode(name, 'replace'), name
    try:
        return body.decode('utf-8'), 'utf-8'
    except UnicodeDecodeError:
        pass
    best = None
    for name in ['gb18030', 'cp950']:
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            continue
        score = sum(1 for c in text if c in _FREQUENT_HANZI)
        if best is None or score > best[0]:
            best = (score, text, name)
    if best and best[0]:
        return best[1], best[2]
    return body.decode('cp1252', 'replace'), 'cp1252'


def _content_type(header):
    "Return (mime type, charset) of a Content-Type header"
    mime, _, params = (header or '').partition(';')
    charset = None
    for param in params.split(';'):
        key, _, value = param.partition('=')
        if key.strip().lower() == 'charset':
            charset = value.strip().strip('"\'') or None
    return mime.strip().lower(), charset


_executors = {}
_executors_lock = threading.Lock()


def _executor(threads):
    "A thread pool kept for the process: starting threads is not free"
    with _executors_lock:
        if threads not in _executors:
            _executors[threads] = ThreadPoolExecutor(
                threads, thread_name_prefix='crm-knowledge-fetch')
        return _executors[threads]


class _Pool:
    "Idle keep-alive connections per (scheme, host, port, address)"

    def __init__(self):
        self._idle = defaultdict(list)
        self._lock = threading.Lock()

    def get(self, key, policy):
        with self._lock:
            if self._idle[key]:
                return self._idle[key].pop()
        scheme, host, port, address = key
        if scheme == 'https':
            connection = http.client.HTTPSConnection(
                host, port, timeout=policy.connect_timeout,
                context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(
                host, port, timeout=policy.connect_timeout)

        def create_connection(target, timeout=None, source=None):
            # Connect to the address checked, not to a second resolution
            return socket.create_connection(
                (address, target[1]), timeout, source)
        connection._create_connection = create_connection
        return connection

    def put(self, key, connection):
        with self._lock:
            self._idle[key].append(connection)

    def close(self):
        with self._lock:
            for connections in self._idle.values():
                for connection in connections:
                    connection.close()
            self._idle.clear()


class Fetcher:
    "Fetch pages in threads with a bounded concurrency per host"

    def __init__(self, policy=None):
        self.policy = policy or Policy()
        self._pool = _Pool()
        self._host_locks = defaultdict(
            lambda: threading.BoundedSemaphore(self.policy.per_host))
        self._lock = threading.Lock()
        self._robots = {}
        # The connection of each running fetch, to abandon it
        self._connections = {}

    def close(self):
        self._pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def _host_semaphore(self, host):
        with self._lock:
            return self._host_locks[host]

    def fetch_many(self, requests, process=None, wait=None, defer=False):
        """Fetch the requests in threads and return their results in order.

        process(request, result) is run in the calling thread once the
        fetches are over (parsing while the fetching threads read would
        have them fight for the interpreter) and its value is returned.

        With wait, the fetches still running once none has finished for
        wait seconds are abandoned (their connections closed) and their
        place in the list is None: a slow host does not hold the others
        until its time-out.  With defer, the fetches that failed in a way
        that may heal are not retried (with backoff) either: their place is
        None too.
        """
        results = [Result(r.url) for r in requests]
        values = [None] * len(requests)

        def finish(index):
            if not (results[index].abandoned or results[index].deferred):
                values[index] = (
                    process(requests[index], results[index]) if process
                    else results[index])
        if len(requests) <= 1 and not wait:
            for index, request in enumerate(requests):
                self.fetch(request, results[index], defer)
                finish(index)
            return values
        executor = _executor(self.policy.threads)
        futures = {
            executor.submit(self.fetch, request, result, defer): index
            for index, (request, result) in enumerate(
                zip(requests, results))}
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(
                pending, timeout=wait,
                return_when=concurrent.futures.FIRST_COMPLETED)
            if not done:
                break
        for future, index in futures.items():
            if future in pending:
                self._abandon(results[index])
            else:
                future.result()
                finish(index)
        return values

    def _abandon(self, result):
        "Stop a fetch running in another thread"
        with self._lock:
            result.abandoned = True
            connection = self._connections.pop(id(result), None)
        sock = connection.sock if connection is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def fetch(self, request, result=None, defer=False):
        """Fetch a Request with retries and backoff and return a Result.

        With defer, an error that may heal is not asked again: the result
        is marked deferred, for the caller to retry it patiently."""
        if isinstance(request, str):
            request = Request(request)
        if result is None:
            result = Result(request.url)
        start = time.monotonic()
        for attempt in range(self.policy.retries + 1):
            result.attempts = attempt + 1
            if attempt:
                time.sleep(self.policy.backoff * 2 ** (attempt - 1))
            result.error = None
            try:
                self._fetch(request, result, start)
            except FetchError as exception:
                result.outcome = exception.outcome
                result.error = str(exception)
                result.status = exception.status
                result.permanent = exception.permanent
                retry = exception.outcome == ERROR and not exception.permanent
            else:
                break
            if not retry or result.abandoned or (time.monotonic() - start
                    > self.policy.total_timeout):
                break
            if defer:
                result.deferred = True
                break
        result.duration = time.monotonic() - start
        return result

    def _fetch(self, request, result, start):
        url = request.url
        visited = set()
        if request.robots and not self._robots_allow(url, start):
            raise FetchError(ROBOTS, 'Disallowed by robots.txt')
        for _ in range(self.policy.max_redirects + 1):
            visited.add(url)
            headers = {}
            if url == request.url:
                if request.etag:
                    headers['If-None-Match'] = request.etag
                if request.last_modified:
                    headers['If-Modified-Since'] = request.last_modified
            location = self._get(url, headers, start, result)
            if location is None:
                return
            url = urllib.parse.urljoin(url, location)
            if url in visited:
                raise FetchError(
                    ERROR, 'Redirect loop at %s' % url, permanent=True)
            result.final_url = url
            if request.robots and not self._robots_allow(url, start):
                raise FetchError(ROBOTS, 'Disallowed by robots.txt')
        else:
            raise FetchError(
                ERROR, 'More than %s redirects' % self.policy.max_redirects,
                permanent=True)

    def _get(self, url, headers, start, result):
        """GET url and fill result; return a redirect location or None
        when the result is complete"""
        scheme, host, port, path = split_url(url)
        address = resolve(host, port, self.policy)
        key = (scheme, host, port, address)
        headers.update({
                'User-Agent': self.policy.user_agent,
                'Accept': 'text/html,application/xhtml+xml,text/plain;'
                'q=0.9,*/*;q=0.1',
                'Accept-Encoding': 'identity',
                })
        with self._host_semaphore(host):
            with self._lock:
                if result.abandoned:
                    raise FetchError(ERROR, 'Abandoned')
                connection = self._pool.get(key, self.policy)
                self._connections[id(result)] = connection
            keep = False
            try:
                keep, location = self._exchange(
                    connection, path, headers, start, url, result)
            except (OSError, http.client.HTTPException) as exception:
                permanent = False
                if isinstance(exception, (TimeoutError, socket.timeout)):
                    message = 'Timed out'
                elif isinstance(exception, ssl.SSLError):
                    message = 'TLS error: %s' % exception
                    # A certificate for another name or an untrusted one
                    permanent = isinstance(
                        exception, ssl.SSLCertVerificationError)
                else:
                    message = '%s: %s' % (
                        exception.__class__.__name__, exception)
                raise FetchError(ERROR, message, permanent=permanent)
            finally:
                with self._lock:
                    self._connections.pop(id(result), None)
                if keep and not result.abandoned:
                    self._pool.put(key, connection)
                else:
                    connection.close()
        return location

    def _remaining(self, start):
        remaining = self.policy.total_timeout - (time.monotonic() - start)
        if remaining <= 0:
            raise TimeoutError('total timeout')
        return remaining

    def _exchange(self, connection, path, headers, start, url, result):
        "Return (keep the connection, redirect location)"
        for retry_stale in (True, False):
            try:
                connection.timeout = min(
                    self.policy.connect_timeout, self._remaining(start))
                if connection.sock is not None:
                    connection.sock.settimeout(self._remaining(start))
                connection.request('GET', path, headers=headers)
                # The connection forgets its socket on "Connection: close"
                sock = connection.sock
                sock.settimeout(self._remaining(start))
                response = connection.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError):
                # A pooled keep-alive connection closed by the server
                connection.close()
                if not retry_stale or result.abandoned:
                    raise
        status = response.status
        result.status = status
        result.final_url = url
        if status in REDIRECTS:
            location = response.getheader('Location')
            response.read(self.policy.max_bytes)
            if not location:
                raise FetchError(ERROR, 'Redirect without location', status)
            return not response.will_close, location
        if status == 304:
            response.read()
            result.outcome = NOT_MODIFIED
            return not response.will_close, None
        if status >= 400:
            response.read(self.policy.max_bytes)
            raise FetchError(ERROR, 'HTTP %s %s' % (
                    status, response.reason), status)
        mime, charset = _content_type(response.getheader('Content-Type'))
        result.content_type = mime
        result.etag = response.getheader('ETag')
        result.last_modified = response.getheader('Last-Modified')
        if mime and mime not in SUPPORTED_TYPES:
            result.outcome = UNSUPPORTED
            result.error = 'Unsupported content type: %s' % mime
            return False, None
        chunks, size = [], 0
        limit = self.policy.max_bytes
        while size <= limit:
            sock.settimeout(self._remaining(start))
            chunk = response.read1(min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        body = b''.join(chunks)
        if response.length == 0:
            # All the announced body is read: read1() leaves the response
            # open, and its connection could not be used again
            response.close()
        keep = not response.will_close and response.isclosed()
        if len(body) > limit:
            body = body[:limit]
            result.truncated = True
            keep = False
        result.size = len(body)
        result.text, result.charset = decode(body, charset)
        if b'\x00' in body[:1024] and mime != 'text/html':
            result.outcome = UNSUPPORTED
            result.error = 'Binary content'
            return keep, None
        # A cut body is a warning: its text is not compared
        result.outcome = TRUNCATED if result.truncated else OK
        return keep, None

    def _robots_allow(self, url, start):
        scheme, host, port, _ = split_url(url)
        base = '%s://%s:%s' % (scheme, host, port)
        with self._lock:
            parser = self._robots.get(base)
        if parser is None:
            parser = urllib.robotparser.RobotFileParser()
            robots = Result(base + '/robots.txt')
            try:
                self._get(base + '/robots.txt', {}, start, robots)
            except FetchError as exception:
                robots.status = exception.status
            if robots.status and 400 <= robots.status < 500:
                parser.allow_all = True
            elif robots.outcome == OK:
                parser.parse(robots.text.splitlines())
            else:
                parser.allow_all = True
            with self._lock:
                self._robots[base] = parser
        return parser.can_fetch(self.policy.user_agent, url)
