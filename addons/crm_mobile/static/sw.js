/* The service worker of the phone app: the app shell from the cache when
 * offline, the API's answers read last when the network is down.
 * Changes are never cached: app.js queues them in IndexedDB. */
'use strict';
const CACHE = 'crm-mobile-v2';
const SHELL = [
    './', 'static/app.js', 'static/app.css', 'static/icon.svg',
    'leaflet/leaflet.js', 'leaflet/leaflet.css', 'manifest.webmanifest',
];

self.addEventListener('install', (event) => {
    event.waitUntil(caches.open(CACHE)
        .then((cache) => cache.addAll(SHELL))
        .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
    event.waitUntil(caches.keys()
        .then((keys) => Promise.all(keys.filter((k) => k !== CACHE)
            .map((k) => caches.delete(k))))
        .then(() => self.clients.claim()));
});

// Network first, the cache when offline: what the phone shows is the
// server's whenever it can be
self.addEventListener('fetch', (event) => {
    const request = event.request;
    if (request.method !== 'GET'
            || new URL(request.url).origin !== self.location.origin) {
        return;
    }
    event.respondWith(fetch(request).then((response) => {
        if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
    }).catch(() => caches.match(request).then((cached) => cached
        || Response.error())));
});
