# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fetching against a real local web server (no database)"
import itertools
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from trytond.modules.crm_knowledge import fetch
from trytond.modules.crm_knowledge.tests.webserver import WebServer


def policy(**kwargs):
    values = dict(
        allowed=fetch.Policy.parse_allowed('127.0.0.1'), backoff=0,
        connect_timeout=2, total_timeout=5)
    values.update(kwargs)
    return fetch.Policy(**values)


class FetchTestCase(unittest.TestCase):
    "Test the fetcher"

    def setUp(self):
        self.server = WebServer().__enter__()
        self.addCleanup(self.server.__exit__)

    def fetch(self, path, **kwargs):
        request = kwargs.pop('request', {})
        with fetch.Fetcher(policy(**kwargs)) as fetcher:
            return fetcher.fetch(fetch.Request(
                    self.server.url(path), **request))

    def test_ok(self):
        "A page is fetched and decoded"
        self.server.set('/a', '<p>Prix 10 €</p>', etag='"v1"')
        result = self.fetch('/a')
        self.assertEqual(result.outcome, fetch.OK)
        self.assertEqual(result.status, 200)
        self.assertEqual(result.text, '<p>Prix 10 €</p>')
        self.assertEqual(result.etag, '"v1"')
        self.assertEqual(result.final_url, self.server.url('/a'))

    def test_keep_alive(self):
        "The pages of a host are fetched on one kept-alive connection"
        for path in ['/a', '/b', '/c']:
            self.server.set(path, '<p>%s</p>' % path)
        with fetch.Fetcher(policy()) as fetcher:
            results = [fetcher.fetch(self.server.url(p))
                for p in ['/a', '/b', '/c']]
        self.assertEqual([r.text for r in results],
            ['<p>/a</p>', '<p>/b</p>', '<p>/c</p>'])
        self.assertEqual(self.server.connections, 1)

    def test_private_refused_by_default(self):
        "Loopback is refused unless allowed"
        self.server.set('/a', 'x')
        result = self.fetch('/a', allowed=())
        self.assertEqual(result.outcome, fetch.REFUSED)
        self.assertIn('127.0.0.1', result.error)
        self.assertEqual(self.server.hits['/a'], 0)

    def test_redirect_to_private_refused(self):
        "A redirect to a private address is refused"
        for target in ['http://10.1.2.3/', 'http://169.254.169.254/',
                'http://[::1]/', 'http://192.168.0.1:8080/x']:
            self.server.set('/r', status=302, headers={'Location': target})
            result = self.fetch('/r')
            self.assertEqual(result.outcome, fetch.REFUSED, target)
            self.assertIn('Refused private address', result.error)

    def test_forbidden_addresses(self):
        "Every non-public address is forbidden"
        import ipaddress
        for address in ['127.0.0.1', '10.0.0.1', '172.16.0.1',
                '192.168.1.1', '169.254.1.1', '224.0.0.1', '0.0.0.0',
                '::1', 'fe80::1', '::ffff:127.0.0.1', '240.0.0.1']:
            self.assertTrue(fetch.forbidden_address(
                    ipaddress.ip_address(address)), address)
        self.assertFalse(fetch.forbidden_address(
                ipaddress.ip_address('93.184.216.34')))

    def test_scheme_refused(self):
        "Only http and https are fetched"
        with fetch.Fetcher(policy()) as fetcher:
            for url in ['ftp://example.com/', 'file:///etc/passwd',
                    'javascript:alert(1)', 'http://user:pw@example.com/']:
                result = fetcher.fetch(url)
                self.assertEqual(result.outcome, fetch.REFUSED, url)
            result = fetcher.fetch('http://[bad/')
            self.assertEqual(result.outcome, fetch.ERROR)
            result = fetcher.fetch('http://no-such-host.invalid/')
            self.assertEqual(result.outcome, fetch.ERROR)
            self.assertIn('Unknown host', result.error)

    def test_redirects(self):
        "Redirects are followed up to the cap; loops are errors"
        self.server.set('/a', 'final')
        self.server.set('/r1', status=301, headers={'Location': '/r2'})
        self.server.set('/r2', status=302, headers={'Location': '/a'})
        result = self.fetch('/r1')
        self.assertEqual(result.outcome, fetch.OK)
        self.assertEqual(result.final_url, self.server.url('/a'))
        result = self.fetch('/r1', max_redirects=1)
        self.assertEqual(result.outcome, fetch.ERROR)
        self.assertIn('redirects', result.error)
        self.server.set('/l1', status=302, headers={'Location': '/l2'})
        self.server.set('/l2', status=302, headers={'Location': '/l1'})
        result = self.fetch('/l1', retries=2)
        self.assertEqual(result.outcome, fetch.ERROR)
        self.assertIn('loop', result.error)

    def test_permanent_errors_not_retried(self):
        "A redirect loop, a page gone or an invalid URL is asked once"
        self.server.set('/l1', status=302, headers={'Location': '/l2'})
        self.server.set('/l2', status=302, headers={'Location': '/l1'})
        self.server.set('/gone', 'gone', status=410)
        result = self.fetch('/l1', retries=2)
        self.assertTrue(result.permanent)
        self.assertEqual(result.attempts, 1)
        self.assertEqual(
            (self.server.hits['/l1'], self.server.hits['/l2']), (1, 1))
        for path in ['/gone', '/missing']:
            result = self.fetch(path, retries=2)
            self.assertEqual(result.outcome, fetch.ERROR)
            self.assertTrue(result.permanent)
            self.assertEqual(result.attempts, 1)
            self.assertEqual(self.server.hits[path], 1)
        with fetch.Fetcher(policy(retries=2)) as fetcher:
            result = fetcher.fetch('http://[bad/')
        self.assertTrue(result.permanent)
        self.assertEqual(result.attempts, 1)

    @unittest.skipUnless(shutil.which('openssl'), "openssl is needed")
    def test_bad_certificate_not_retried(self):
        "A certificate that does not verify is not asked again"
        with tempfile.TemporaryDirectory() as directory:
            cert = os.path.join(directory, 'cert.pem')
            key = os.path.join(directory, 'key.pem')
            subprocess.run([
                    'openssl', 'req', '-x509', '-newkey', 'rsa:2048',
                    '-nodes', '-keyout', key, '-out', cert, '-days', '1',
                    '-subj', '/CN=other.example.com'],
                check=True, capture_output=True)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
        server = WebServer()
        server._server.socket = context.wrap_socket(
            server._server.socket, server_side=True)
        server.set('/a', 'secret')
        with server, fetch.Fetcher(policy(retries=2)) as fetcher:
            result = fetcher.fetch('https://127.0.0.1:%s/a' % server.port)
        self.assertEqual(result.outcome, fetch.ERROR)
        self.assertIn('TLS error', result.error)
        self.assertTrue(result.permanent)
        self.assertEqual(result.attempts, 1)
        self.assertEqual(server.hits['/a'], 0)

    def test_transient_errors_retried(self):
        "A refused connection and a 503 are asked again with backoff"
        self.server.set('/busy', 'busy', status=503)
        result = self.fetch('/busy', retries=2, backoff=0.1)
        self.assertFalse(result.permanent)
        self.assertEqual(self.server.hits['/busy'], 3)
        self.assertGreaterEqual(result.duration, 0.3)
        closed = socket.socket()
        closed.bind(('127.0.0.1', 0))
        port = closed.getsockname()[1]
        closed.close()
        with fetch.Fetcher(policy(retries=1)) as fetcher:
            result = fetcher.fetch('http://127.0.0.1:%s/' % port)
        self.assertEqual(result.outcome, fetch.ERROR)
        self.assertIn('ConnectionRefused', result.error)
        self.assertEqual(result.attempts, 2)

    def test_oversized_cut_off(self):
        "A body over the maximum is cut off and recorded"
        self.server.set('/big', '<p>%s</p>' % ('x' * 50000))
        result = self.fetch('/big', max_bytes=1000)
        self.assertEqual(result.outcome, fetch.TRUNCATED)
        self.assertTrue(result.truncated)
        self.assertEqual(result.size, 1000)

    def test_endless_body(self):
        "An endless body is cut off too"
        self.server.set('/endless', chunks=itertools.repeat(b'<p>x</p>' * 64))
        result = self.fetch('/endless', max_bytes=10000)
        self.assertEqual(result.outcome, fetch.TRUNCATED)
        self.assertTrue(result.truncated)
        self.assertEqual(result.size, 10000)

    def test_slow_server_timed_out(self):
        "A slow server is timed out"
        self.server.set('/slow', 'late', delay=2)
        result = self.fetch('/slow', total_timeout=0.5, retries=0)
        self.assertEqual(result.outcome, fetch.ERROR)
        self.assertEqual(result.error, 'Timed out')
        self.assertLess(result.duration, 1.5)

    def test_server_error_retried(self):
        "A 500 is retried with backoff then recorded"
        self.server.set('/err', 'boom', status=500)
        result = self.fetch('/err', retries=2)
        self.assertEqual(result.outcome, fetch.ERROR)
        self.assertEqual(result.status, 500)
        self.assertEqual(result.attempts, 3)
        self.assertEqual(self.server.hits['/err'], 3)
        self.server.set('/missing', 'no', status=404)
        result = self.fetch('/missing', retries=2)
        self.assertEqual(result.status, 404)
        self.assertEqual(self.server.hits['/missing'], 1)

    def test_conditional_get(self):
        "ETag and Last-Modified are sent; 304 means not modified"
        self.server.set('/c', 'same', etag='"e1"')
        result = self.fetch('/c', request={
                'etag': '"e1"', 'last_modified': 'Mon, 23 Nov 2026'})
        self.assertEqual(result.outcome, fetch.NOT_MODIFIED)
        self.assertEqual(result.status, 304)
        _, headers = self.server.requests[-1]
        self.assertEqual(headers['If-None-Match'], '"e1"')
        self.assertEqual(headers['If-Modified-Since'], 'Mon, 23 Nov 2026')
        self.assertNotIn('Cookie', headers)
        self.assertNotIn('Authorization', headers)

    def test_unsupported_content(self):
        "Other content types are recorded as unsupported"
        self.server.set('/img', b'\x89PNG\x00\x00', content_type='image/png')
        result = self.fetch('/img')
        self.assertEqual(result.outcome, fetch.UNSUPPORTED)
        self.assertIn('image/png', result.error)
        self.server.set('/bin', b'\x00\x01\x02binary',
            content_type='text/plain')
        self.assertEqual(self.fetch('/bin').outcome, fetch.UNSUPPORTED)

    def test_gbk_page(self):
        "A GBK page declared in its meta is decoded"
        html = ('<html><head><meta charset="gbk"></head>'
            '<body><p>新产品价格下调，欢迎咨询</p></body></html>')
        self.server.set('/gbk', html.encode('gbk'), content_type='text/html')
        result = self.fetch('/gbk')
        self.assertEqual(result.charset, 'gb18030')
        self.assertIn('新产品价格下调', result.text)

    def test_undeclared_gbk_and_big5(self):
        "Undeclared GBK and Big5 pages are told apart"
        simplified = '<p>我们的新产品是这个月发布的，价格和服务都很好。</p>'
        traditional = '<p>我們的新產品是這個月發佈的，價格和服務都很好。</p>'
        self.server.set('/gb', simplified.encode('gbk'),
            content_type='text/html')
        self.server.set('/big5', traditional.encode('big5'),
            content_type='text/html')
        result = self.fetch('/gb')
        self.assertEqual(result.charset, 'gb18030')
        self.assertEqual(result.text, simplified)
        result = self.fetch('/big5')
        self.assertEqual(result.charset, 'cp950')
        self.assertEqual(result.text, traditional)

    def test_header_charset(self):
        "The charset of the header wins"
        text = '<p>價格調整</p>'
        self.server.set('/b', text.encode('big5'),
            content_type='text/html; charset=big5')
        self.assertEqual(self.fetch('/b').text, text)

    def test_robots(self):
        "robots.txt is respected when asked"
        self.server.set('/robots.txt', 'User-agent: *\nDisallow: /private',
            content_type='text/plain')
        self.server.set('/private/a', 'secret')
        self.server.set('/public', 'open')
        result = self.fetch('/private/a', request={'robots': True})
        self.assertEqual(result.outcome, fetch.ROBOTS)
        self.assertEqual(self.server.hits['/private/a'], 0)
        result = self.fetch('/public', request={'robots': True})
        self.assertEqual(result.outcome, fetch.OK)
        result = self.fetch('/private/a')
        self.assertEqual(result.outcome, fetch.OK)

    def test_fetch_many(self):
        "Many pages are fetched in threads, results in order"
        for i in range(20):
            self.server.set('/p%s' % i, 'page %s' % i)
        with fetch.Fetcher(policy(threads=8, per_host=3)) as fetcher:
            results = fetcher.fetch_many(
                [fetch.Request(self.server.url('/p%s' % i))
                    for i in range(20)],
                lambda request, result: result.text)
        self.assertEqual(results, ['page %s' % i for i in range(20)])

    def test_retry_deferred(self):
        "With defer, an error that may heal is left to the caller at once"
        for i in range(3):
            self.server.set('/p%s' % i, 'page %s' % i)
        self.server.set('/busy', 'busy', status=503)
        urls = ['/p0', '/busy', '/p1', '/p2']
        start = time.monotonic()
        with fetch.Fetcher(policy(retries=2, backoff=2)) as fetcher:
            results = fetcher.fetch_many(
                [fetch.Request(self.server.url(u)) for u in urls],
                lambda request, result: result.text, wait=5, defer=True)
        self.assertLess(time.monotonic() - start, 1)
        self.assertEqual(results, ['page 0', None, 'page 1', 'page 2'])
        self.assertEqual(self.server.hits['/busy'], 1)

    def test_slow_host_abandoned(self):
        "A slow page does not hold the others until its time-out"
        for i in range(10):
            self.server.set('/p%s' % i, 'page %s' % i)
        self.server.set('/slow', 'late', delay=5)
        urls = ['/p%s' % i for i in range(5)] + ['/slow'] + [
            '/p%s' % i for i in range(5, 10)]
        start = time.monotonic()
        with fetch.Fetcher(policy(total_timeout=30)) as fetcher:
            results = fetcher.fetch_many(
                [fetch.Request(self.server.url(u)) for u in urls],
                lambda request, result: result.text, wait=0.5)
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(results[5], None)
        self.assertEqual(
            results[:5] + results[6:], ['page %s' % i for i in range(10)])
