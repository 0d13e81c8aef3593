# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public page of the one-click rating links: no login, the signed
token of the link is the only credential."""
from trytond.modules.crm_sales.web import (
    browser_language, html_response, render)
from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wsgi import app

from .exceptions import RatingScoreError

MAX_COMMENT = 2000
HEADERS = {'X-Robots-Tag': 'noindex'}


def _page(status, title, rating=None, message=None, commented=False,
        **message_values):
    return html_response(render('crm_service', 'rating.html',
            Transaction().language, title=title, rating=rating,
            message=message, message_values=message_values,
            commented=commented, max_comment=MAX_COMMENT), status, HEADERS)


def _forbidden():
    return _page(HTTPStatus.FORBIDDEN, 'msg_rating_page_invalid_title',
        message='msg_rating_page_invalid')


def _bad_request(msg_id, **values):
    return _page(HTTPStatus.BAD_REQUEST, 'msg_rating_page_error_title',
        message=msg_id, **values)


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
        return _page(
            HTTPStatus.CONFLICT, 'msg_rating_page_already_title', rating)
    try:
        score = Rating.parse_score(request.args.get('score'))
    except RatingScoreError:
        return _bad_request(
            'msg_rating_page_bad_score', score=request.args.get('score'))
    if not rating.rate(score):
        return _page(HTTPStatus.CONFLICT, 'msg_rating_page_already_title',
            Rating(rating.id))
    return _page(
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
        return _page(HTTPStatus.CONFLICT, 'msg_rating_page_already_title',
            Rating(rating.id))
    return _page(HTTPStatus.OK, 'msg_rating_page_thanks_title',
        Rating(rating.id), commented=True)
