/* The pipeline board: a card dropped on another column (or moved with its
   "Move to" list) is posted to the server, which moves the opportunity
   through its workflow as the user; a refused move puts the card back and
   says why. */
(function () {
    'use strict';
    var board = document.getElementById('board');
    var status = document.getElementById('board-status');
    if (!board) {
        return;
    }

    function say(text, error) {
        status.textContent = text;
        status.hidden = false;
        status.classList.toggle('error', Boolean(error));
        status.setAttribute('role', error ? 'alert' : 'status');
    }

    function list(stage) {
        return board.querySelector('ol[data-stage="' + stage + '"]');
    }

    function putBack(card, from, index) {
        var sibling = from.children[index];
        if (sibling === card) {
            return;
        }
        from.insertBefore(card, sibling || null);
        card.querySelector('select.move').value = from.dataset.stage;
    }

    function update(columns) {
        columns.forEach(function (column) {
            var section = board.querySelector(
                'section[data-stage="' + column.stage + '"]');
            section.querySelector('[data-total]').textContent = column.total;
            section.querySelector('[data-count]').textContent = column.count;
        });
    }

    function move(card, from, index, stage) {
        var body = new URLSearchParams();
        body.set('csrf_token', board.dataset.csrfToken);
        body.set('opportunity', card.dataset.id);
        body.set('stage', stage);
        body.set('scope', board.dataset.scope);
        card.classList.add('moving');
        board.setAttribute('aria-busy', 'true');
        return fetch(board.dataset.moveUrl, {
            method: 'POST',
            body: body,
            credentials: 'same-origin',
            headers: {'X-Requested-With': 'XMLHttpRequest'}
        }).then(function (response) {
            return response.json().catch(function () {
                return {error: board.dataset.failed};
            }).then(function (data) {
                if (!response.ok) {
                    throw new Error(data.error || board.dataset.failed);
                }
                return data;
            });
        }).then(function (data) {
            card.dataset.stage = data.stage;
            card.querySelector('select.move').value = data.stage;
            if (data.stage !== stage) {
                putBack(card, list(data.stage), 0);
            }
            update(data.columns);
            say(data.message, false);
        }, function (error) {
            putBack(card, from, index);
            say(error.message, true);
        }).then(function () {
            card.classList.remove('moving');
            board.removeAttribute('aria-busy');
            board.dataset.moves = String(Number(board.dataset.moves || 0) + 1);
        });
    }

    board.querySelectorAll('ol[data-stage]').forEach(function (ol) {
        Sortable.create(ol, {
            group: 'board',
            animation: 150,
            forceFallback: true,
            fallbackTolerance: 4,
            delayOnTouchOnly: true,
            delay: 150,
            filter: 'select, a, label',
            preventOnFilter: false,
            onEnd: function (event) {
                if (event.to !== event.from) {
                    move(event.item, event.from, event.oldIndex,
                        event.to.dataset.stage);
                }
            }
        });
    });

    board.addEventListener('change', function (event) {
        var select = event.target;
        if (!select.matches('select.move')) {
            return;
        }
        var card = select.closest('.card');
        var from = card.parentNode;
        var index = Array.prototype.indexOf.call(from.children, card);
        var target = list(select.value);
        target.insertBefore(card, target.firstChild);
        move(card, from, index, select.value).then(function () {
            card.querySelector('select.move').focus();
        });
    });
}());
