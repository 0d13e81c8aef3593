# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The phone app's page and files as trytond serves them"
import json
import os
import re
from http import HTTPStatus
from unittest.mock import patch

from trytond.modules.crm_mobile import app
from trytond.tests.test_tryton import RouteTestCase


class MobileAppTestCase(RouteTestCase):
    "Test the PWA routes"
    module = 'crm_mobile'

    def get(self, path, **kwargs):
        return self.client().get(
            f'/{self.db_name}/crm_mobile/app/{path}', **kwargs)

    def test_page(self):
        "The app page in English and Chinese, with its strings and tiles"
        for lang, html_lang in [('en', 'en'), ('zh_CN', 'zh-CN')]:
            with self.subTest(lang=lang):
                response = self.get(f'?lang={lang}')
                self.assertEqual(response.status_code, HTTPStatus.OK)
                html = response.get_data(as_text=True)
                self.assertIn(f'<html lang="{html_lang}">', html)
                self.assertIn('<title>', html)
                self.assertIn('rel="manifest"', html)
                strings = json.loads(re.search(
                        r'<script type="application/json" id="strings">'
                        r'(.*?)</script>', html).group(1))
                self.assertEqual(set(strings), set(app.STRINGS))
        policy = response.headers['Content-Security-Policy']
        self.assertIn("img-src 'self' data: https://tile.openstreetmap.org",
            policy)

    def test_no_tiles(self):
        "An empty tile URL draws no tiles and allows no other images"
        with patch.object(app, 'tile_url', return_value=''):
            response = self.get('')
        self.assertIn('data-tiles=""', response.get_data(as_text=True))
        self.assertIn("img-src 'self' data:;",
            response.headers['Content-Security-Policy'])

    def test_files(self):
        "The manifest, the service worker and the scripts; nothing else"
        manifest = json.loads(self.get('manifest.webmanifest').get_data())
        self.assertEqual(manifest['display'], 'standalone')
        worker = self.get('sw.js')
        self.assertEqual(worker.mimetype, 'text/javascript')
        self.assertIn(b'caches', worker.get_data())
        for name in ['app.js', 'app.css', 'icon.svg']:
            with self.subTest(name=name):
                self.assertEqual(
                    self.get(f'static/{name}').status_code, HTTPStatus.OK)
        for path in ['static/openapi.json', 'static/../api.py',
                'leaflet/package.json', 'static/sw.js']:
            with self.subTest(path=path):
                self.assertEqual(
                    self.get(path).status_code, HTTPStatus.NOT_FOUND)

    def test_leaflet(self):
        "Leaflet comes from npm, beside sao"
        folder = os.path.join(os.path.dirname(__file__), os.pardir,
            os.pardir, os.pardir, 'web', 'node_modules', 'leaflet', 'dist')
        if not os.path.isdir(folder):
            self.skipTest("npm packages not installed")
        with patch.object(app, 'leaflet_folder', return_value=folder):
            response = self.get('leaflet/leaflet.js')
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn(b'Leaflet', response.get_data())
