/* The phone app of the CRM suite: screens drawn from the API v1, changes
 * queued in IndexedDB when offline and replayed, with their idempotency
 * keys, when the phone is back online. */
'use strict';
(function() {
    const root = document.getElementById('app');
    const API = root.dataset.api;
    const T = JSON.parse(document.getElementById('strings').textContent);
    const KEY = 'crm_mobile_key:' + root.dataset.database;
    const status = document.getElementById('status');
    let map = null, markers = null, position = null;

    // The queue of changes made offline (IndexedDB)
    function openQueue() {
        return new Promise((resolve, reject) => {
            const request = indexedDB.open('crm_mobile_queue', 1);
            request.onupgradeneeded = () => request.result.createObjectStore(
                'queue', {keyPath: 'id', autoIncrement: true});
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
        });
    }
    async function queueStore(mode, action) {
        const db = await openQueue();
        return new Promise((resolve, reject) => {
            const tx = db.transaction('queue', mode);
            const result = action(tx.objectStore('queue'));
            tx.oncomplete = () => resolve(result.result);
            tx.onerror = () => reject(tx.error);
        });
    }
    const queueAdd = (item) => queueStore('readwrite', (s) => s.add(item));
    const queueAll = () => queueStore('readonly', (s) => s.getAll());
    const queueDelete = (id) => queueStore('readwrite', (s) => s.delete(id));

    function newKey() {
        if (window.crypto && crypto.randomUUID) {
            return crypto.randomUUID();
        }
        return Date.now().toString(36) + Math.random().toString(36).slice(2);
    }

    async function api(method, path, body, idempotencyKey) {
        const headers = {'Content-Type': 'application/json'};
        const key = localStorage.getItem(KEY);
        if (key) {
            headers.Authorization = 'Bearer ' + key;
        }
        if (idempotencyKey) {
            headers['Idempotency-Key'] = idempotencyKey;
        }
        const response = await fetch(API + path, {
            method: method, headers: headers,
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const data = await response.json();
        if (response.status === 401 && path !== '/signin') {
            signOut();
        }
        if (!response.ok) {
            const error = new Error(data.error || response.statusText);
            error.status = response.status;
            error.data = data;
            throw error;
        }
        return data;
    }

    // A change: sent now when online, else queued; a network failure
    // queues it too (the key makes a replay of a sent one harmless)
    async function change(method, path, body) {
        const item = {method: method, path: path, body: body, key: newKey()};
        if (navigator.onLine) {
            try {
                return await api(method, path, body, item.key);
            } catch (error) {
                if (error.status) {
                    throw error;
                }
            }
        }
        await queueAdd(item);
        await showPending();
        return null;
    }

    async function replay() {
        const items = await queueAll();
        for (const item of items) {
            try {
                await api(item.method, item.path, item.body, item.key);
            } catch (error) {
                if (!error.status) {
                    return;  // still offline: keep the rest in order
                }
                // Refused by the server (e.g. 409): keep it visible
                say(error.message, true);
            }
            await queueDelete(item.id);
        }
        await showPending();
        if (items.length) {
            say(T.synced);
            show(current);
        }
    }

    async function showPending() {
        const count = (await queueAll()).length;
        const online = navigator.onLine;
        status.classList.toggle('offline', !online);
        status.dataset.pending = count;
        status.textContent = (online ? '' : T.offline + ' ') +
            (count ? T.pending + ': ' + count : '');
    }

    function say(text, error) {
        status.textContent = text;
        status.classList.toggle('offline', Boolean(error));
    }

    function element(tag, attributes, ...children) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes || {})) {
            if (name === 'onclick') {
                node.addEventListener('click', value);
            } else {
                node.setAttribute(name, value);
            }
        }
        for (const child of children) {
            node.append(child);
        }
        return node;
    }

    function fill(list, items, draw) {
        list.replaceChildren(...(items.length
            ? items.map(draw) : [element('li', {class: 'muted'}, T.none)]));
    }

    function locate() {
        return new Promise((resolve) => {
            if (!navigator.geolocation) {
                resolve(position);
                return;
            }
            navigator.geolocation.getCurrentPosition((p) => {
                position = p.coords;
                resolve(position);
            }, () => resolve(position), {timeout: 10000});
        });
    }

    async function checkIn(customer) {
        const coords = await locate();
        const body = {customer: customer.id, time: new Date().toISOString()};
        if (coords) {
            body.latitude = coords.latitude;
            body.longitude = coords.longitude;
            body.accuracy = coords.accuracy;
        }
        try {
            const visit = await change('POST', '/visits', body);
            say(T.checked_in + ': ' + customer.name);
            if (visit) {
                show('visits');
            }
        } catch (error) {
            say(error.message, true);
        }
    }

    // A photo or file attached to a record: online only, within the
    // server's limits, checked here first to spare the upload
    async function upload(resource, id, file) {
        const types = root.dataset.uploadTypes.split(' ');
        if (!types.includes(file.type)) {
            say(T.file_type, true);
            return;
        }
        if (file.size > Number(root.dataset.uploadLimit)) {
            say(T.file_too_large, true);
            return;
        }
        if (!navigator.onLine) {
            say(T.offline, true);
            return;
        }
        const response = await fetch(API + `/uploads?resource=${resource}` +
            `&id=${id}&name=${encodeURIComponent(file.name)}`, {
            method: 'POST', body: file,
            headers: {'Content-Type': file.type,
                'Authorization': 'Bearer ' + localStorage.getItem(KEY),
                'Idempotency-Key': newKey()},
        });
        const data = await response.json();
        say(response.ok ? `${T.uploaded}: ${data.name}` : data.error,
            !response.ok);
    }

    function fileInput(resource, id) {
        const input = element('input', {type: 'file', class: 'upload',
            accept: root.dataset.uploadTypes.split(' ').join(','),
            'aria-label': T.photo});
        input.addEventListener('change', () => {
            if (input.files.length) {
                upload(resource, id, input.files[0])
                    .catch((error) => say(error.message, true));
            }
        });
        return element('label', {class: 'muted'}, T.photo, input);
    }

    function showFacts(list, rows) {
        list.replaceChildren(...rows.flatMap(([term, value]) => [
            element('dt', {}, term),
            element('dd', {}, String(value ?? '—'))]));
    }

    async function openCustomer(id) {
        const c = await api('GET', `/customers/${id}`);
        document.getElementById('customer-name').textContent = c.name;
        document.getElementById('customer-address').textContent =
            c.address || '';
        showFacts(document.getElementById('customer-facts'), [
            [T.segment, c.segment], [T.receivable, c.receivable]]);
        fill(document.getElementById('customer-opportunities'),
            c.open_opportunities, (o) => element('li', {},
                `${o.description || ''} · ${o.stage} · ${o.amount ?? ''}`));
        fill(document.getElementById('customer-activities'),
            c.recent_activities, (a) => element('li', {},
                `${(a.planned_date || '').slice(0, 10)} · ${a.type} · ` +
                a.subject));
        fill(document.getElementById('customer-cases'), c.cases,
            (k) => element('li', {}, `${k.number || ''} · ${k.subject} · ` +
                k.state));
        document.getElementById('customer-list').hidden = true;
        document.getElementById('customer-search').hidden = true;
        const card = document.getElementById('customer');
        card.dataset.customer = c.id;
        card.hidden = false;
    }

    // The opportunity being edited, with the version the edit is based on
    let editing = null;
    const opportunityForm = document.getElementById('opportunity');

    function openOpportunity(o) {
        editing = o;
        const form = opportunityForm;
        form.dataset.opportunity = o.id;
        document.getElementById('opportunity-customer').textContent =
            o.customer_name;
        form.description.value = o.description || '';
        form.next_step.value = o.next_step || '';
        form.amount.value = o.amount ?? '';
        form.probability.value = o.probability ?? '';
        document.getElementById('opportunity-server').hidden = true;
        document.getElementById('opportunity-list').hidden = true;
        form.hidden = false;
    }

    async function saveOpportunity() {
        const form = opportunityForm;
        const body = {version: editing.version,
            description: form.description.value,
            next_step: form.next_step.value};
        if (form.amount.value !== '') {
            body.amount = Number(form.amount.value);
        }
        if (form.probability.value !== '') {
            body.probability = Number(form.probability.value);
        }
        try {
            const saved = await change('PATCH',
                `/opportunities/${editing.id}`, body);
            if (saved) {
                say(T.saved);
                await show('opportunities');
            }
        } catch (error) {
            if (error.status !== 409) {
                say(error.message, true);
                return;
            }
            // Someone saved first: show their copy, keep this edit and
            // base it on their version, so that saving again is a choice
            const server = error.data.server;
            editing = server;
            const note = document.getElementById('opportunity-server');
            note.textContent = [server.description, server.next_step,
                server.amount, server.probability].map(
                (v) => v ?? '—').join(' · ');
            note.hidden = false;
            say(T.conflict, true);
        }
    }

    const screens = {
        async nearby() {
            say(T.locating);
            const coords = await locate();
            if (!coords) {
                return;
            }
            const data = await api('GET',
                `/customers/nearby?latitude=${coords.latitude}` +
                `&longitude=${coords.longitude}&radius=20000`);
            say('');
            drawMap(coords, data.items);
            fill(document.getElementById('nearby-list'), data.items,
                (c) => element('li', {'data-customer': c.id},
                    element('strong', {}, c.name),
                    element('span', {class: 'muted'},
                        `${T.distance}: ${c.distance} m`),
                    element('button', {type: 'button', class: 'check-in',
                        onclick: () => checkIn(c)}, T.check_in)));
        },
        async visits() {
            const data = await api('GET', '/visits');
            fill(document.getElementById('visit-list'), data.items, (v) => {
                const report = element('textarea', {'aria-label': T.report});
                report.value = v.report || '';
                const item = element('li', {'data-visit': v.id},
                    element('strong', {}, v.customer_name),
                    element('span', {class: v.far ? 'far muted' : 'muted'},
                        `${v.check_in_at} · ${v.distance ?? '?'} m` +
                        (v.far ? ' · ' + T.far : '')));
                if (v.state === 'checked_in') {
                    item.append(report, element('button', {
                        type: 'button', class: 'check-out',
                        onclick: () => change('POST',
                            `/visits/${v.id}/checkout`,
                            {report: report.value,
                                time: new Date().toISOString()})
                            .then((r) => r && show('visits'))
                            .catch((error) => say(error.message, true)),
                    }, T.check_out));
                } else {
                    item.append(element('span', {}, v.report || ''));
                }
                item.append(fileInput('visits', v.id));
                return item;
            });
        },
        async tasks() {
            const data = await api('GET', '/instructions');
            fill(document.getElementById('task-list'), data.items, (i) => {
                const item = element('li', {'data-task': i.id},
                    element('strong', {}, i.subject),
                    element('span', {class: 'muted'},
                        `${i.manager} · ${i.state} · ` +
                        `${Math.round(i.progress * 100)}%`));
                const mine = i.assignees.find((a) => a.user === me.id);
                if (mine && mine.state !== 'done' && i.state === 'sent') {
                    const comment = element('textarea',
                        {'aria-label': T.comment});
                    comment.value = mine.comment || '';
                    const answer = (action) => change('POST',
                        `/instructions/${i.id}/${action}`,
                        comment.value ? {comment: comment.value} : {})
                        .then(() => show('tasks'))
                        .catch((error) => say(error.message, true));
                    if (mine.state === 'pending') {
                        item.append(element('button', {type: 'button',
                            class: 'accept', onclick: () => answer('accept'),
                        }, T.accept));
                    }
                    item.append(comment, element('button', {type: 'button',
                        class: 'complete', onclick: () => answer('complete'),
                    }, T.complete));
                }
                return item;
            });
        },
        async opportunities() {
            opportunityForm.hidden = true;
            const list = document.getElementById('opportunity-list');
            list.hidden = false;
            const data = await api('GET', '/opportunities');
            fill(list, data.items,
                (o) => element('li', {'data-opportunity': o.id},
                    element('strong', {}, o.description || o.customer_name),
                    element('span', {class: 'muted'},
                        `${o.customer_name} · ${o.stage} · ${o.amount}`),
                    element('button', {type: 'button', class: 'edit',
                        onclick: () => openOpportunity(o)}, T.edit)));
        },
        async customers() {
            document.getElementById('customer').hidden = true;
            const search = document.getElementById('customer-search');
            search.hidden = false;
            const list = document.getElementById('customer-list');
            list.hidden = false;
            const data = await api('GET', '/customers?q=' +
                encodeURIComponent(search.q.value));
            fill(list, data.items, (c) => element('li',
                {'data-customer': c.id},
                element('button', {type: 'button', class: 'link',
                    onclick: () => openCustomer(c.id).catch(
                        (error) => say(error.message, true))}, c.name),
                element('span', {class: 'muted'},
                    [c.city, c.phone].filter(Boolean).join(' · '))));
        },
        async knowledge() {
            const search = document.getElementById('knowledge-search');
            const data = await api('GET', '/knowledge?q=' +
                encodeURIComponent(search.q.value));
            fill(document.getElementById('knowledge-list'), data.items,
                (a) => element('li', {'data-article': a.id}, a.title));
        },
        async me() {
            const data = await api('GET', '/me');
            const rows = [[T.login, data.name],
                [T.pipeline, `${data.kpis.pipeline_count} · ` +
                    data.kpis.pipeline_amount],
                [T.open_cases, data.kpis.open_cases]];
            document.getElementById('me').replaceChildren(...rows.flatMap(
                ([term, value]) => [element('dt', {}, term),
                    element('dd', {}, String(value))]));
        },
    };

    function drawMap(coords, customers) {
        if (!window.L) {
            return;
        }
        if (!map) {
            map = L.map('map');
            if (root.dataset.tiles) {
                L.tileLayer(root.dataset.tiles, {maxZoom: 19,
                    attribution: '&copy; OpenStreetMap'}).addTo(map);
            }
            markers = L.layerGroup().addTo(map);
        }
        markers.clearLayers();
        const here = [coords.latitude, coords.longitude];
        L.circleMarker(here, {radius: 8, color: '#1f4e79'}).addTo(markers);
        const points = [here];
        for (const c of customers) {
            const point = [c.latitude, c.longitude];
            L.marker(point, {title: c.name}).bindPopup(c.name)
                .addTo(markers);
            points.push(point);
        }
        // The phone and every customer found, in view
        map.fitBounds(points, {padding: [24, 24], maxZoom: 15});
    }

    let current = 'nearby';
    let me = null;
    async function show(name) {
        current = name;
        document.querySelectorAll('.screen').forEach((s) => {
            s.hidden = s.id !== 'screen-' + name;
        });
        document.querySelectorAll('#tabs button').forEach((b) => {
            if (b.dataset.screen === name) {
                b.setAttribute('aria-current', 'page');
            } else {
                b.removeAttribute('aria-current');
            }
        });
        try {
            await screens[name]();
        } catch (error) {
            if (error.status) {
                say(error.message, true);
            } else {
                await showPending();
            }
        }
    }

    function signOut() {
        localStorage.removeItem(KEY);
        document.getElementById('tabs').hidden = true;
        document.querySelectorAll('.screen').forEach((s) => {
            s.hidden = true;
        });
        document.getElementById('signin').hidden = false;
    }

    async function start() {
        document.getElementById('signin').hidden = true;
        document.getElementById('tabs').hidden = false;
        me = await api('GET', '/me');
        await replay();
        await show(current);
    }

    opportunityForm.addEventListener('submit', (e) => {
        e.preventDefault();
        saveOpportunity();
    });
    for (const name of ['customer', 'knowledge']) {
        document.getElementById(name + '-search').addEventListener(
            'submit', (e) => {
                e.preventDefault();
                show(name === 'customer' ? 'customers' : name);
            });
    }
    document.querySelectorAll('.back').forEach((b) => {
        b.addEventListener('click', () => show(current));
    });

    document.getElementById('signin').addEventListener('submit', async (e) => {
        e.preventDefault();
        const form = e.target;
        try {
            const device = await api('POST', '/signin', {
                login: form.login.value, password: form.password.value,
                device: navigator.userAgent.slice(0, 100)});
            localStorage.setItem(KEY, device.key);
            form.password.value = '';
            await start();
        } catch (error) {
            say(T.sign_in_failed, true);
        }
    });
    document.getElementById('signout').addEventListener('click', async () => {
        try {
            await api('POST', '/signout', {});
        } finally {
            signOut();
        }
    });
    document.querySelectorAll('#tabs button').forEach((b) => {
        b.addEventListener('click', () => show(b.dataset.screen));
    });
    window.addEventListener('online', replay);
    window.addEventListener('offline', showPending);
    if ('serviceWorker' in navigator) {
        navigator.serviceWorker.register('sw.js').catch(() => null);
    }
    if (localStorage.getItem(KEY)) {
        start().catch(() => showPending());
    } else {
        signOut();
    }
})();
