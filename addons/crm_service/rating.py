# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public page of the one-click rating links: no login, the signed
token of the link is the only credential."""
from html import escape

from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wsgi import app

from .exceptions import RatingScoreError
from .webform import browser_language

MAX_COMMENT = 2000
PAGE = '''<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{font-family: sans-serif; max-width: 32em; margin: 2em auto;
    padding: 0 1em; color: #222;}}
.score {{font-size: 2em; color: #e8a317;}}
textarea {{width: 100%; min-height: 6em;}}
</style></head>
<body><h1>{title}</h1>
{body}
</body></html>
'''


def _text(msg_id, **values):
    return escape(gettext(f'crm_service.{msg_id}', **values))


def _page(status, title_id, paragraphs, form=''):
    language = Transaction().language
    body = ''.join(f'<p>{p}</p>\n' for p in paragraphs) + form
    html = PAGE.format(
        lang=escape(language.replace('_', '-')),
        title=_text(title_id), body=body)
    return Response(
        html, status=status, content_type='text/html; charset=utf-8',
        headers={
            'Cache-Control': 'no-store',
            'Referrer-Policy': 'no-referrer',
            'X-Robots-Tag': 'noindex',
            })


def _stars(score):
    return f'<span class="score">{"★" * score}{"☆" * (5 - score)}</span>'


def _comment_form():
    return (
        '<form method="post">'
        f'<label for="comment">{_text("msg_rating_page_comment")}</label>'
        f'<textarea id="comment" name="comment" maxlength="{MAX_COMMENT}">'
        '</textarea>'
        f'<button type="submit">{_text("msg_rating_page_send")}</button>'
        '</form>\n')


def _scored_page(status, title_id, rating):
    paragraphs = [
        _text('msg_rating_page_case', case=rating.case.rec_name),
        _stars(rating.score),
        _text('msg_rating_page_score', score=rating.score),
        ]
    if rating.comment:
        paragraphs.append(escape(rating.comment))
        form = ''
    else:
        form = _comment_form()
    return _page(status, title_id, paragraphs, form)


def _forbidden():
    return _page(HTTPStatus.FORBIDDEN, 'msg_rating_page_invalid_title', [
            _text('msg_rating_page_invalid')])


def _bad_request(msg_id, **values):
    return _page(HTTPStatus.BAD_REQUEST, 'msg_rating_page_error_title', [
            _text(msg_id, **values)])


def _rating(pool, token):
    "The rating signed by the token, None if it is forged or unknown"
    try:
        Rating = pool.get('crm.service.rating')
    except KeyError:
        # crm_service is not activated on this database
        return None
    return Rating.from_token(token)


@app.route(
    '/<database_name>/crm_service/rate/<token>', methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=False)
def rate(request, pool, token):
    with Transaction().set_context(language=browser_language(request)):
        rating = _rating(pool, token)
        if rating is None:
            return _forbidden()
        if request.method == 'POST':
            return _comment(request, rating)
        return _score(request, rating)


def _score(request, rating):
    pool = Pool()
    Rating = pool.get('crm.service.rating')
    if rating.score is not None:
        return _scored_page(
            HTTPStatus.CONFLICT, 'msg_rating_page_already_title', rating)
    try:
        score = Rating.parse_score(request.args.get('score'))
    except RatingScoreError:
        return _bad_request(
            'msg_rating_page_bad_score', score=request.args.get('score'))
    if not rating.rate(score):
        return _scored_page(
            HTTPStatus.CONFLICT, 'msg_rating_page_already_title',
            Rating(rating.id))
    return _scored_page(
        HTTPStatus.OK, 'msg_rating_page_thanks_title', Rating(rating.id))


def _comment(request, rating):
    pool = Pool()
    Rating = pool.get('crm.service.rating')
    if rating.score is None:
        return _bad_request('msg_rating_page_score_first')
    comment = (request.form.get('comment') or '').strip()
    if not comment or len(comment) > MAX_COMMENT:
        return _bad_request(
            'msg_rating_page_bad_comment', max=MAX_COMMENT)
    if not rating.add_comment(comment):
        return _scored_page(
            HTTPStatus.CONFLICT, 'msg_rating_page_already_title',
            Rating(rating.id))
    return _page(HTTPStatus.OK, 'msg_rating_page_thanks_title', [
            _text('msg_rating_page_case', case=rating.case.rec_name),
            _text('msg_rating_page_commented'),
            ])
