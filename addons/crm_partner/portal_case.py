# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The service cases of the portal user's party: list, detail, a new case,
replies and the rating of a resolved case (crm_service's models)."""
import datetime

from werkzeug.exceptions import NotFound

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import HTTPStatus

from .portal import Pager, portal_route, portal_text, query_arg
from .portal_notify import notify_staff

MAX_SUBJECT = 200
MAX_TEXT = 10000
# The correspondence of a case the customer sees: internal notes, calls and
# tasks of the agents stay internal
THREAD_TYPES = ['email']


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    def portal_case_domain(self, query=None):
        domain = [('party', '=', self.portal_party.id)]
        if query:
            domain.append(['OR',
                    ('number', 'ilike', f'%{query}%'),
                    ('subject', 'ilike', f'%{query}%'),
                    ])
        return domain

    def portal_cases(self, query=None, offset=0, limit=None):
        "Return the party's cases matching the query and their count"
        pool = Pool()
        Case = pool.get('crm.service.case')
        domain = self.portal_case_domain(query)
        return (Case.search(domain, offset=offset, limit=limit),
            Case.search_count(domain))

    def portal_case(self, case_id):
        "Return the party's case of the id or raise NotFound"
        pool = Pool()
        Case = pool.get('crm.service.case')
        cases = Case.search([
                ('id', '=', case_id),
                ] + self.portal_case_domain(), limit=1)
        if not cases:
            raise NotFound
        return cases[0]

    def portal_case_thread(self, case):
        "The messages of the case the customer sees, oldest first"
        pool = Pool()
        Activity = pool.get('crm.activity')
        return Activity.search([
                ('resource', '=', str(case)),
                ('type', 'in', THREAD_TYPES),
                ('state', '=', 'done'),
                ], order=[('planned_date', 'ASC'), ('id', 'ASC')])

    def portal_case_create(self, subject, description, category=None):
        "Create and return the party's case asked on the portal"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Configuration = pool.get('crm.service.configuration')
        line = Configuration(1).request_line
        company = line.company if line else self.portal_company()
        category = category or (line.category if line else None)
        values = {
            'company': company.id,
            'subject': subject,
            'description': description,
            'party': self.portal_party.id,
            'channel': 'portal',
            'category': category.id if category else None,
            'requester_email': self.email,
            }
        if line:
            values.update({
                    'priority': line.priority,
                    'team': line.team.id if line.team else None,
                    'line': line.id,
                    })
        case, = Case.create([values])
        self._notify_case(case, 'msg_notice_case_subject', description)
        return case

    def _notify_case(self, case, subject_id, text):
        "E-mail the case's agent, else its team's leader, what was written"
        employee = case.agent or (case.team.leader if case.team else None)
        notify_staff(employee, subject_id, self.portal_party.rec_name,
            case.rec_name, text, case.__href__, case=case.rec_name)

    def portal_case_reply(self, case, text):
        """Add the customer's reply to the case and bring it back to work,
        as an e-mail of the customer would"""
        pool = Pool()
        Activity = pool.get('crm.activity')
        Case = pool.get('crm.service.case')
        case = self.portal_case(case.id)
        Activity.create([{
                    'company': case.company.id,
                    'type': 'email',
                    'state': 'done',
                    'subject': case.subject[:200],
                    'description': text,
                    'party': case.party.id,
                    'resource': str(case),
                    'planned_date': datetime.datetime.now(),
                    }])
        self._notify_case(case, 'msg_notice_reply_subject', text)
        if case.state in {'resolved', 'closed'}:
            Case.reopen([case])
        elif case.state == 'waiting':
            Case.start([case])

    def portal_case_rating(self, case):
        "The rating of the case the customer may give, or None"
        if case.state not in {'resolved', 'closed'}:
            return None
        ratings = sorted(case.ratings, key=lambda r: r.id)
        if ratings:
            return ratings[-1]

    def portal_case_rate(self, case, score, comment=None):
        """Rate the resolved or closed case once; the rating request is
        made now when the case is resolved but not yet closed"""
        pool = Pool()
        Rating = pool.get('crm.service.rating')
        case = self.portal_case(case.id)
        if case.state not in {'resolved', 'closed'}:
            raise UserError(gettext('crm_partner.msg_portal_case_not_rated'))
        score = Rating.parse_score(str(score))
        rating = self.portal_case_rating(case)
        if rating is None:
            rating, = Rating.create([{
                        'case': case.id,
                        'company': case.company.id,
                        'party': case.party.id,
                        'agent': case.agent.id if case.agent else None,
                        'team': case.team.id if case.team else None,
                        }])
        if not rating.rate(score):
            raise UserError(gettext('crm_partner.msg_portal_case_rated'))
        if comment:
            rating.add_comment(comment)
        return rating


def read_case_form(form, categories):
    "The values of the new case form and the error of each field"
    values = {
        'subject': (form.get('subject') or '').strip(),
        'description': (form.get('description') or '').strip(),
        'category': None,
        }
    errors = {}
    for name, size, label in [
            ('subject', MAX_SUBJECT, 'msg_portal_case_subject'),
            ('description', MAX_TEXT, 'msg_portal_case_description')]:
        if not values[name]:
            errors[name] = portal_text(
                'msg_portal_required', field=portal_text(label))
        elif len(values[name]) > size:
            errors[name] = portal_text(
                'msg_portal_too_long', field=portal_text(label), size=size)
    category = form.get('category') or ''
    if category:
        matches = [c for c in categories if str(c.id) == category]
        if matches:
            values['category'] = matches[0]
        else:
            errors['category'] = portal_text('msg_portal_invalid_choice')
    return values, errors


@portal_route('cases')
def cases(request, portal):
    pager = Pager(request)
    query = query_arg(request)
    records, total = portal.user.portal_cases(
        query, offset=pager.offset, limit=pager.size)
    pager.set_total(total)
    return portal.render('cases.html', cases=records, pager=pager,
        query=query)


@portal_route('cases/new', methods=('GET', 'POST'))
def case_new(request, portal):
    pool = Pool()
    Category = pool.get('crm.service.case.category')
    categories = Category.search([])
    if request.method == 'GET':
        return portal.render('case_new.html', categories=categories,
            values={}, errors={})
    values, errors = read_case_form(request.form, categories)
    if errors:
        return portal.render('case_new.html', HTTPStatus.BAD_REQUEST,
            categories=categories, values=values, errors=errors,
            notice=portal_text('msg_portal_invalid'), notice_error=True)
    case = portal.user.portal_case_create(
        values['subject'], values['description'], values['category'])
    return portal.redirect(f'cases/{case.id}', created=1)


@portal_route('cases/<int:case_id>')
def case(request, portal, case_id):
    record = portal.user.portal_case(case_id)
    notice = None
    if request.args.get('created'):
        notice = portal_text('msg_portal_case_created', number=record.number)
    elif request.args.get('replied'):
        notice = portal_text('msg_portal_case_replied')
    elif request.args.get('rated'):
        notice = portal_text('msg_portal_case_thanks')
    return portal.render('case.html', case=record,
        thread=portal.user.portal_case_thread(record),
        rating=portal.user.portal_case_rating(record), notice=notice)


@portal_route('cases/<int:case_id>/reply', methods=('POST',))
def case_reply(request, portal, case_id):
    record = portal.user.portal_case(case_id)
    text = (request.form.get('text') or '').strip()
    if not text or len(text) > MAX_TEXT:
        return portal.render('case.html', HTTPStatus.BAD_REQUEST,
            case=record, thread=portal.user.portal_case_thread(record),
            rating=portal.user.portal_case_rating(record),
            reply=text, notice_error=True, notice=portal_text(
                'msg_portal_too_long' if text else 'msg_portal_required',
                field=portal_text('msg_portal_case_reply'), size=MAX_TEXT))
    portal.user.portal_case_reply(record, text)
    return portal.redirect(f'cases/{record.id}', replied=1)


@portal_route('cases/<int:case_id>/rate', methods=('POST',))
def case_rate(request, portal, case_id):
    record = portal.user.portal_case(case_id)
    comment = (request.form.get('comment') or '').strip()[:2000]
    portal.user.portal_case_rate(
        record, request.form.get('score') or '', comment or None)
    return portal.redirect(f'cases/{record.id}', rated=1)
