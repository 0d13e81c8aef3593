# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A web server for the tests: 127.0.0.1, a random port, pages the test
changes between checks."""
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Page:
    "What the server answers on a path"

    def __init__(self, body=b'', status=200,
            content_type='text/html; charset=utf-8', headers=None,
            delay=0, etag=None, chunks=None):
        self.body = body.encode('utf-8') if isinstance(body, str) else body
        self.status = status
        self.content_type = content_type
        self.headers = headers or {}
        self.delay = delay
        self.etag = etag
        # An iterable of chunks sent without Content-Length (endless bodies)
        self.chunks = chunks


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.server.connections += 1

    def do_GET(self):
        server = self.server
        server.hits[self.path] += 1
        server.requests.append((self.path, dict(self.headers)))
        page = server.pages.get(self.path)
        if page is None:
            self._send(404, b'not found', 'text/plain')
            return
        if page.delay:
            time.sleep(page.delay)
        if page.etag and self.headers.get('If-None-Match') == page.etag:
            self.send_response(304)
            self.send_header('ETag', page.etag)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if page.chunks is not None:
            self.send_response(page.status)
            self.send_header('Content-Type', page.content_type)
            self.send_header('Connection', 'close')
            self.end_headers()
            try:
                for chunk in page.chunks:
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
            return
        headers = dict(page.headers)
        if page.etag:
            headers['ETag'] = page.etag
        self._send(page.status, page.body, page.content_type, headers)

    def _send(self, status, body, content_type, headers=None):
        self.send_response(status)
        if content_type:
            self.send_header('Content-Type', content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients cut off on purpose (timeouts, size limits) are expected
        pass


class WebServer:
    "Serve pages in a thread: with WebServer() as server: server.url('/a')"

    def __init__(self):
        self._server = _Server(('127.0.0.1', 0), _Handler)
        self._server.pages = {}
        self._server.hits = Counter()
        self._server.requests = []
        self._server.connections = 0
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True)

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def hits(self):
        return self._server.hits

    @property
    def requests(self):
        return self._server.requests

    @property
    def connections(self):
        "How many connections were accepted"
        return self._server.connections

    def url(self, path):
        return 'http://127.0.0.1:%s%s' % (self.port, path)

    def set(self, path, *args, **kwargs):
        "Serve a Page(*args, **kwargs) on path"
        self._server.pages[path] = Page(*args, **kwargs)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *args):
        self._server.shutdown()
        self._server.server_close()
