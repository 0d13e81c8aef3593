# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The resources of the phones' API: each function reads or changes the
models as the signed-in user (access rights and record rules apply) and
returns plain JSON data. Errors are raised as api.ApiError."""
import datetime
import json
import os
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus
from trytond.transaction import Transaction

from . import geo
from .sync import PHONE_STATES

PAGE_SIZE = 50
# The largest id of a record (an integer column on PostgreSQL): a larger
# number sent is no record rather than an overflow of the database
MAX_ID = 2 ** 31 - 1
MAX_PAGE_SIZE = 200
# The cursor of a delta sync starts this long before the server's time:
# a record written by a transaction still running at the cursor shows up
# twice (the phone keeps the last copy by id) rather than never
SYNC_OVERLAP = datetime.timedelta(seconds=60)
SYNC_RESOURCES = {
    'opportunities': 'sale.opportunity',
    'activities': 'crm.activity',
    'visits': 'crm.mobile.visit',
    'instructions': 'crm.mobile.instruction',
    }
ATTACHABLE = {
    'visits': 'crm.mobile.visit',
    'cases': 'crm.service.case',
    'activities': 'crm.activity',
    'instructions': 'crm.mobile.instruction',
    }


def error(status, message, **extra):
    from .api import ApiError
    return ApiError(status, message, **extra)


def invalid(field, message_id='crm_mobile.msg_api_invalid'):
    return error(
        HTTPStatus.BAD_REQUEST, gettext(message_id, field=field),
        field=field)


def not_found():
    return error(HTTPStatus.NOT_FOUND, gettext('crm_mobile.msg_api_not_found'))


def number(values, name, default=None, minimum=None, maximum=None,
        integer=False):
    "Return the number named in values (query or body) or raise 400"
    value = values.get(name, default)
    if value is None:
        raise invalid(name, 'crm_mobile.msg_api_required')
    try:
        value = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise invalid(name)
    if value != value or (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum):
        raise invalid(name)
    return value


def position(values):
    "Return the (latitude, longitude) of the values or raise 400"
    try:
        latitude = number(values, 'latitude', minimum=-90, maximum=90)
    except Exception:
        raise invalid('latitude', 'crm_mobile.msg_api_latitude')
    try:
        longitude = number(values, 'longitude', minimum=-180, maximum=180)
    except Exception:
        raise invalid('longitude', 'crm_mobile.msg_api_longitude')
    # The precision the coordinates are stored with
    return round(latitude, 7), round(longitude, 7)


def page(args):
    "Return the (offset, limit) of the query arguments"
    return (
        number(args, 'offset', 0, minimum=0, integer=True),
        number(args, 'limit', PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE,
            integer=True))


def text(values, name, required=False, size=None):
    value = values.get(name)
    if value is None or value == '':
        if required:
            raise invalid(name, 'crm_mobile.msg_api_required')
        return None
    if not isinstance(value, str) or (size and len(value) > size):
        raise invalid(name)
    return value


def timestamp(values, name):
    "Return the ISO date and time of the values as a naive UTC datetime"
    value = values.get(name)
    if value is None:
        return None
    try:
        value = datetime.datetime.fromisoformat(
            str(value).replace('Z', '+00:00'))
    except ValueError:
        raise invalid(name)
    if value.tzinfo:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def record_id(values, name, model, required=True):
    "Return the record of the model whose id is in values, readable"
    value = values.get(name)
    if value is None:
        if required:
            raise invalid(name, 'crm_mobile.msg_api_required')
        return None
    if not is_id(value):
        raise invalid(name)
    Model = Pool().get(model)
    records = Model.search([('id', '=', value)])
    if not records:
        raise invalid(name)
    return records[0]


def is_id(value):
    "Whether the value sent may be the id of a record"
    return (isinstance(value, int) and not isinstance(value, bool)
        and 0 < value <= MAX_ID)


def get(model, id_):
    "Return the record of the model the user may read or raise 404"
    if not is_id(id_):
        raise not_found()
    Model = Pool().get(model)
    records = Model.search([('id', '=', id_)])
    if not records:
        raise not_found()
    return records[0]


def iso(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0).isoformat() + 'Z'
    return value.isoformat()


def amount(value):
    return str(value) if isinstance(value, Decimal) else value


def version(record):
    "The version of the record (or of its row read) for optimistic concurrency"
    if isinstance(record, dict):
        stamp = record['write_date'] or record['create_date']
    else:
        stamp = record.write_date or record.create_date
    return iso(stamp) + ':%s' % stamp.microsecond


def _address(party):
    for address in party.addresses:
        if address.latitude is not None and address.longitude is not None:
            return address
    return party.addresses[0] if party.addresses else None


def customer_item(party, address=None):
    "The customer as the lists give it: without the formatted address"
    address = address or _address(party)
    return {
        'id': party.id,
        'name': party.rec_name,
        'phone': party.phone,
        'city': address.city if address else None,
        'latitude': address.latitude if address else None,
        'longitude': address.longitude if address else None,
        }


def customer_data(party, address=None):
    "The customer with its formatted address (Tryton's, costly in a list)"
    address = address or _address(party)
    data = customer_item(party, address)
    data['address'] = address.full_address if address else None
    return data


OPPORTUNITY_READ = [
    'description', 'party', 'party.rec_name', 'employee.rec_name', 'state',
    'conversion_probability', 'amount', 'comment', 'end_date',
    'create_date', 'write_date']
ACTIVITY_READ = [
    'type', 'subject', 'description', 'party', 'planned_date', 'state',
    'outcome', 'create_date', 'write_date']


def opportunities_data(opportunities):
    "The opportunities (records or ids) as the API gives them, read at once"
    Opportunity = Pool().get('sale.opportunity')
    rows = Opportunity.read([int(o) for o in opportunities], OPPORTUNITY_READ)
    return [{
            'id': row['id'],
            'version': version(row),
            'description': row['description'],
            'customer': row['party'],
            'customer_name': (row['party.'] or {}).get('rec_name'),
            'employee': (row['employee.'] or {}).get('rec_name'),
            'stage': row['state'],
            'probability': row['conversion_probability'],
            'amount': amount(row['amount']),
            'next_step': row['comment'],
            'end_date': iso(row['end_date']),
            } for row in rows]


def opportunity_data(opportunity):
    return opportunities_data([opportunity])[0]


def activities_data(activities):
    "The activities (records or ids) as the API gives them, read at once"
    Activity = Pool().get('crm.activity')
    rows = Activity.read([int(a) for a in activities], ACTIVITY_READ)
    return [{
            'id': row['id'],
            'version': version(row),
            'type': row['type'],
            'subject': row['subject'],
            'description': row['description'],
            'customer': row['party'],
            'planned_date': iso(row['planned_date']),
            'state': row['state'],
            'outcome': row['outcome'],
            } for row in rows]


def activity_data(activity):
    return activities_data([activity])[0]


def visit_data(visit):
    return {
        'id': visit.id,
        'version': version(visit),
        'customer': visit.party.id,
        'customer_name': visit.party.rec_name,
        'check_in_at': iso(visit.check_in_at),
        'check_out_at': iso(visit.check_out_at),
        'latitude': visit.latitude,
        'longitude': visit.longitude,
        'accuracy': visit.accuracy,
        'distance': visit.distance,
        'far': bool(visit.far),
        'report': visit.report,
        'state': visit.state,
        }


def case_data(case):
    return {
        'id': case.id,
        'number': case.number,
        'subject': case.subject,
        'customer': case.party.id if case.party else None,
        'state': case.state,
        'priority': case.priority,
        'description': case.description,
        'resolution': case.resolution,
        }


def instruction_data(instruction):
    user = Transaction().user
    return {
        'id': instruction.id,
        'version': version(instruction),
        'subject': instruction.subject,
        'description': instruction.description,
        'customer': instruction.party.id if instruction.party else None,
        'manager': instruction.manager.rec_name,
        'mine': instruction.manager.id == user,
        'due_date': iso(instruction.due_date),
        'state': instruction.state,
        'progress': instruction.progress,
        'assignees': [{
                'id': a.id,
                'user': a.user.id,
                'name': a.user.rec_name,
                'state': a.state,
                'comment': a.comment,
                } for a in instruction.assignees],
        }


def readable(model):
    "Whether the user may read the model (a salesperson has no cases)"
    ModelAccess = Pool().get('ir.model.access')
    return ModelAccess.check(model, 'read', raise_exception=False)


SERIALIZERS = {
    'sale.opportunity': opportunities_data,
    'crm.activity': activities_data,
    'crm.mobile.visit': lambda ids: [
        visit_data(v) for v in Pool().get('crm.mobile.visit').browse(ids)],
    'crm.mobile.instruction': lambda ids: [
        instruction_data(i)
        for i in Pool().get('crm.mobile.instruction').browse(ids)],
    }


def me():
    pool = Pool()
    User = pool.get('res.user')
    Opportunity = pool.get('sale.opportunity')
    Case = pool.get('crm.service.case')
    Target = pool.get('crm.target')
    user = User(Transaction().user)
    employee = user.employee
    today = datetime.date.today()
    pipeline = Opportunity.search([
            ('employee', '=', employee.id if employee else None),
            ('state', 'in', ['lead', 'opportunity']),
            ])
    targets = Target.search([
            ('employee', '=', employee.id if employee else None),
            ('start_date', '<=', today),
            ('end_date', '>=', today),
            ])
    open_cases = None
    if readable('crm.service.case'):
        open_cases = Case.search([
                ('agent', '=', employee.id if employee else None),
                ('state', 'not in', ['resolved', 'closed', 'cancelled']),
                ], count=True)
    return {
        'id': user.id,
        'name': user.rec_name,
        'login': user.login,
        'language': user.language.code if user.language else 'en',
        'employee': employee.rec_name if employee else None,
        'kpis': {
            'pipeline_count': len(pipeline),
            'pipeline_amount': amount(sum(
                    (o.amount or 0 for o in pipeline), Decimal(0))),
            'open_cases': open_cases,
            'targets': [{
                    'name': t.rec_name,
                    'achievement': t.amount_achievement,
                    } for t in targets],
            },
        }


def customers(query, offset, limit):
    Party = Pool().get('party.party')
    domain = [('rec_name', 'ilike', f'%{query}%')] if query else []
    parties = Party.search(domain, offset=offset, limit=limit,
        order=[('name', 'ASC'), ('id', 'ASC')])
    return {'items': [customer_item(p) for p in parties]}


NEARBY_READ = [
    'party', 'party.rec_name', 'party.phone', 'city', 'latitude', 'longitude']


def nearby(latitude, longitude, radius, offset, limit):
    """The customers with an address within radius metres, nearest first:
    the index-friendly bounding box first, then the exact distance on the
    candidates' coordinates; only the page's customers are read, at once
    and without the formatted address (the customer's own page has it)"""
    Address = Pool().get('party.address')
    address = Address.__table__()
    # The search's query keeps the access rights and record rules
    allowed = Address.search_bbox(
        *geo.bounding_box(latitude, longitude, radius),
        domain=[('party.active', '=', True)], order=[], query=True)
    cursor = Transaction().connection.cursor()
    cursor.execute(*address.select(
            address.id, address.party, address.latitude, address.longitude,
            where=address.id.in_(allowed)))
    found = {}
    for address_id, party_id, address_latitude, address_longitude in cursor:
        distance = geo.distance(
            latitude, longitude, address_latitude, address_longitude)
        if distance <= radius and (
                party_id not in found or distance < found[party_id][0]):
            found[party_id] = (distance, address_id)
    ranked = sorted(found.values())
    page = ranked[offset:offset + limit]
    rows = {r['id']: r for r in Address.read(
            [a for _, a in page], NEARBY_READ)}
    return {
        'total': len(ranked),
        'items': [{
                'id': rows[a]['party'],
                'name': rows[a]['party.']['rec_name'],
                'phone': rows[a]['party.']['phone'],
                'city': rows[a]['city'],
                'latitude': rows[a]['latitude'],
                'longitude': rows[a]['longitude'],
                'distance': round(d),
                } for d, a in page],
        }


def customer(party_id):
    "The 360° summary of the customer"
    pool = Pool()
    Case = pool.get('crm.service.case')
    party = get('party.party', party_id)
    cases = []
    if readable('crm.service.case'):
        cases = Case.search([('party', '=', party.id)], limit=10)
    data = customer_data(party)
    data.update({
            'segment': party.crm_value_segment,
            'receivable': amount(party.receivable),
            'open_opportunities': opportunities_data(
                party.crm_open_opportunities),
            'recent_activities': activities_data(
                party.crm_recent_activities),
            'cases': [case_data(c) for c in cases],
            })
    return data


def opportunities(scope, offset, limit):
    Opportunity = Pool().get('sale.opportunity')
    employee = Transaction().context.get('employee')
    domain = [('state', 'in', ['lead', 'opportunity'])]
    if scope == 'mine':
        domain.append(('employee', '=', employee))
    elif scope != 'team':
        raise invalid('scope')
    records = Opportunity.search(domain, offset=offset, limit=limit)
    return {'items': opportunities_data(records)}


def opportunity(record_id):
    return opportunity_data(get('sale.opportunity', record_id))


OPPORTUNITY_FIELDS = {
    'description': ('description', 100),
    'next_step': ('comment', 2000),
    }


def update_opportunity(record_id, values):
    """Change the opportunity if the version sent is the server's, else
    answer 409 with the server's copy"""
    Opportunity = Pool().get('sale.opportunity')
    record = get('sale.opportunity', record_id)
    sent = text(values, 'version', required=True)
    Opportunity.lock([record])
    record = Opportunity(record.id)
    if sent != version(record):
        raise error(
            HTTPStatus.CONFLICT, gettext('crm_mobile.msg_api_stale'),
            field='version', server=opportunity_data(record))
    changes = {}
    for name, (field, size) in OPPORTUNITY_FIELDS.items():
        if name in values:
            changes[field] = text(values, name, size=size)
    if 'amount' in values:
        value = number(values, 'amount', minimum=0)
        changes['amount'] = Decimal(str(value)).quantize(Decimal('0.01'))
    if 'probability' in values:
        changes['conversion_probability'] = number(
            values, 'probability', minimum=0, maximum=1)
    if changes:
        Opportunity.write([record], changes)
    return opportunity_data(Opportunity(record.id))


def activities(offset, limit):
    Activity = Pool().get('crm.activity')
    employee = Transaction().context.get('employee')
    records = Activity.search(
        [('employee', '=', employee)], offset=offset, limit=limit)
    return {'items': activities_data(records)}


ACTIVITY_TYPES = {'call', 'visit', 'meeting', 'task', 'note'}


def create_activity(values):
    "Log a done call, visit or meeting, or plan a follow-up"
    Activity = Pool().get('crm.activity')
    type_ = text(values, 'type', required=True)
    if type_ not in ACTIVITY_TYPES:
        raise invalid('type')
    party = record_id(values, 'customer', 'party.party')
    planned = timestamp(values, 'planned_date')
    state = text(values, 'state') or 'done'
    if state not in {'planned', 'done'}:
        raise invalid('state')
    activity, = Activity.create([{
                'type': type_,
                'subject': text(values, 'subject', required=True, size=200),
                'description': text(values, 'description', size=10000),
                'party': party.id,
                'planned_date': planned or datetime.datetime.now().replace(
                    microsecond=0),
                'outcome': text(values, 'outcome', size=10000),
                }])
    if state == 'done':
        Activity.do([activity])
    return activity_data(Activity(activity.id))


def visits(offset, limit):
    Visit = Pool().get('crm.mobile.visit')
    records = Visit.search(
        [('user', '=', Transaction().user)], offset=offset, limit=limit)
    return {'items': [visit_data(v) for v in records]}


def check_in(values):
    Visit = Pool().get('crm.mobile.visit')
    party = record_id(values, 'customer', 'party.party')
    latitude, longitude = position(values)
    accuracy = None
    if values.get('accuracy') is not None:
        accuracy = number(values, 'accuracy', minimum=0, maximum=100000)
    visit, = Visit.create([{
                'party': party.id,
                'latitude': latitude,
                'longitude': longitude,
                'accuracy': accuracy,
                'check_in_at': (timestamp(values, 'time')
                    or Visit.default_check_in_at()),
                'report': text(values, 'report', size=10000),
                }])
    return visit_data(visit)


def check_out(record_id, values):
    Visit = Pool().get('crm.mobile.visit')
    visit = get('crm.mobile.visit', record_id)
    if visit.state == 'checked_in':
        report = text(values, 'report', size=10000)
        if report is not None:
            Visit.write([visit], {'report': report})
        Visit.check_out([visit])
        at = timestamp(values, 'time')
        if at:
            Visit.write([visit], {'check_out_at': at})
    return visit_data(Visit(visit.id))


def today_route(start):
    """Today's visits and planned visit activities, in the order of a
    nearest-neighbour route from start (or the first stop)"""
    pool = Pool()
    Activity = pool.get('crm.activity')
    today = datetime.datetime.combine(
        datetime.date.today(), datetime.time())
    activities = Activity.search([
            ('employee', '=', Transaction().context.get('employee')),
            ('type', '=', 'visit'),
            ('planned_date', '>=', today),
            ('planned_date', '<', today + datetime.timedelta(days=1)),
            ('party', '!=', None),
            ])
    stops, unlocated = [], []
    for activity in activities:
        address = _address(activity.party)
        stop = {
            'activity': activity_data(activity),
            'customer': customer_data(activity.party, address),
            }
        if address and address.latitude is not None:
            stops.append(Stop(stop, address.latitude, address.longitude))
        else:
            unlocated.append(stop)
    if stops:
        start = start or (stops[0].latitude, stops[0].longitude)
        stops = geo.order_by_travel(start, stops)
    return {'items': [s.data for s in stops] + unlocated}


class Stop:
    __slots__ = ('data', 'latitude', 'longitude')

    def __init__(self, data, latitude, longitude):
        self.data, self.latitude, self.longitude = data, latitude, longitude


def cases(offset, limit):
    Case = Pool().get('crm.service.case')
    if not readable('crm.service.case'):
        return {'items': []}
    records = Case.search([
            ('agent', '=', Transaction().context.get('employee')),
            ], offset=offset, limit=limit)
    return {'items': [case_data(c) for c in records]}


def instructions(offset, limit):
    Instruction = Pool().get('crm.mobile.instruction')
    user = Transaction().user
    records = Instruction.search(['OR',
            ('manager', '=', user),
            ('assignees.user', '=', user),
            ], offset=offset, limit=limit)
    return {'items': [instruction_data(i) for i in records]}


def create_instruction(values):
    "A manager sends a task to colleagues"
    pool = Pool()
    Instruction = pool.get('crm.mobile.instruction')
    User = pool.get('res.user')
    assignees = values.get('assignees')
    if (not isinstance(assignees, list) or not assignees
            or not all(is_id(a) for a in assignees)):
        raise invalid('assignees')
    users = User.search([('id', 'in', assignees)])
    if len(users) != len(set(assignees)):
        raise invalid('assignees')
    party = record_id(values, 'customer', 'party.party', required=False)
    instruction, = Instruction.create([{
                'subject': text(values, 'subject', required=True, size=200),
                'description': text(values, 'description', size=10000),
                'party': party.id if party else None,
                'due_date': timestamp(values, 'due_date'),
                'assignees': [('create', [{'user': u.id} for u in users])],
                }])
    Instruction.send([instruction])
    return instruction_data(Instruction(instruction.id))


def answer_instruction(record_id, action, values):
    Assignee = Pool().get('crm.mobile.instruction.assignee')
    instruction = get('crm.mobile.instruction', record_id)
    mine = [a for a in instruction.assignees
        if a.user.id == Transaction().user]
    if not mine:
        raise not_found()
    if action == 'accept':
        Assignee.accept(mine)
    elif action == 'complete':
        Assignee.complete(mine)
    if action == 'comment' or values.get('comment') is not None:
        Assignee.comment_on(
            mine, text(values, 'comment', required=True, size=10000))
    return instruction_data(get('crm.mobile.instruction', record_id))


def knowledge(query, offset, limit):
    Article = Pool().get('crm.knowledge.article')
    domain = [('rec_name', 'ilike', f'%{query}%')] if query else []
    articles = Article.search(domain, offset=offset, limit=limit)
    return {'items': [{'id': a.id, 'title': a.rec_name} for a in articles]}


def upload(args, content_type, data):
    "Attach the file to a record the user may read"
    Attachment = Pool().get('ir.attachment')
    resource = args.get('resource')
    if resource not in ATTACHABLE:
        raise invalid('resource')
    record = get(ATTACHABLE[resource], number(
            args, 'id', minimum=1, maximum=MAX_ID, integer=True))
    name = os.path.basename(args.get('name') or 'upload')[:100]
    attachment, = Attachment.create([{
                'name': name,
                'resource': str(record),
                'type': 'data',
                'data': data,
                }])
    return {
        'id': attachment.id, 'name': attachment.name,
        'size': len(data), 'type': content_type,
        }


def sync(since, names):
    """The records of each resource changed since the cursor (all of them
    without a cursor) and the ids deleted or gone out of the phone's scope
    since, with the next cursor"""
    pool = Pool()
    Deletion = pool.get('crm.mobile.deletion')
    now = datetime.datetime.now()
    cursor = None
    if since:
        try:
            cursor = datetime.datetime.fromisoformat(since)
        except ValueError:
            raise invalid('since')
    names = names.split(',') if names else list(SYNC_RESOURCES)
    if not set(names) <= set(SYNC_RESOURCES):
        raise invalid('resources')
    changes, deletions = {}, {}
    for name in names:
        model = SYNC_RESOURCES[name]
        Model = pool.get(model)
        domain = sync_domain(model)
        if cursor:
            domain = [domain, ['OR',
                    ('create_date', '>=', cursor),
                    ('write_date', '>=', cursor),
                    ] + (
                    [('assignees.write_date', '>=', cursor)]
                    if model == 'crm.mobile.instruction' else [])]
        # The ids only: instantiating thousands of records costs more
        # than reading them
        db_cursor = Transaction().connection.cursor()
        db_cursor.execute(*Model.search(
                domain, order=[('id', 'ASC')], query=True))
        changes[name] = SERIALIZERS[model]([i for i, in db_cursor])
        # A record that left the scope and came back since is a change
        changed = {c['id'] for c in changes[name]}
        deletions[name] = [i for i in Deletion.since(model, cursor)
            if i not in changed] if cursor else []
    return {
        'cursor': (now - SYNC_OVERLAP).isoformat(),
        'changes': changes,
        'deletions': deletions,
        }


def sync_domain(model):
    "The records of the model a phone keeps"
    context = Transaction().context
    user = Transaction().user
    if model == 'sale.opportunity':
        return [('state', 'in', sorted(PHONE_STATES))]
    if model == 'crm.activity':
        return [('employee', '=', context.get('employee'))]
    if model == 'crm.mobile.visit':
        return [('user', '=', user)]
    return ['OR', ('manager', '=', user), ('assignees.user', '=', user)]


def openapi(base):
    "The OpenAPI document of the API served under base"
    path = os.path.join(os.path.dirname(__file__), 'static', 'openapi.json')
    with open(path) as f:
        document = json.load(f)
    document['servers'] = [{'url': base}]
    return document
