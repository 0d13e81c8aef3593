# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A work instruction: a manager sends a task to one or more colleagues
(from sao or the phone); each assignee is notified, accepts, comments and
completes it, and the manager follows the progress."""
import datetime

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .sync import TrackDeletions


class Instruction(TrackDeletions, Workflow, ModelSQL, ModelView):
    "CRM Mobile Work Instruction"
    __name__ = 'crm.mobile.instruction'
    __string__ = "Work Instruction"
    _rec_name = 'subject'

    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    manager = fields.Many2One(
        'res.user', "Manager", required=True, readonly=True,
        help="Who gave the instruction.")
    subject = fields.Char("Subject", required=True, states=_states)
    description = fields.Text("Description", states=_states)
    party = fields.Many2One(
        'party.party', "Customer", states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customer the task is about.")
    due_date = fields.DateTime("Due", states=_states)
    assignees = fields.One2Many(
        'crm.mobile.instruction.assignee', 'instruction', "Assignees",
        states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('sent', "Sent"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    progress = fields.Function(
        fields.Float("Progress", digits=(1, 2),
            help="The share of the assignees who completed the task."),
        'get_progress')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.manager, Index.Range())),
                Index(t, (t.write_date, Index.Range())),
                })
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('sent', 'done'),
            ('draft', 'cancelled'),
            ('sent', 'cancelled'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'sent']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_manager(cls):
        return Transaction().user

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def get_progress(cls, instructions, name):
        return {
            i.id: (sum(a.state == 'done' for a in i.assignees)
                / len(i.assignees)) if i.assignees else 0.
            for i in instructions}

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, instructions):
        pool = Pool()
        Notification = pool.get('res.notification')
        notifications = []
        for instruction in instructions:
            for assignee in instruction.assignees:
                notifications.append({
                        'user': assignee.user.id,
                        'label': gettext(
                            'crm_mobile.msg_instruction_notification',
                            manager=instruction.manager.rec_name),
                        'description': instruction.subject,
                        'icon': 'tryton-forward',
                        'model': cls.__name__,
                        'records': str([instruction.id]),
                        })
        # The assignees may not create notifications for themselves
        without_check_access(Notification.create)(notifications)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, instructions):
        pass

    @classmethod
    def check_done(cls, instructions):
        "Close the sent instructions whose assignees all completed"
        done = [i for i in instructions
            if i.state == 'sent' and i.assignees
            and all(a.state == 'done' for a in i.assignees)]
        if done:
            without_check_access(cls.done)(done)

    @classmethod
    @Workflow.transition('done')
    def done(cls, instructions):
        pass


class Assignee(ModelSQL, ModelView):
    "CRM Mobile Work Instruction Assignee"
    __name__ = 'crm.mobile.instruction.assignee'
    __string__ = "Work Instruction Assignee"

    instruction = fields.Many2One(
        'crm.mobile.instruction', "Instruction", required=True,
        ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", required=True,
        states={'readonly': Eval('state') != 'pending'})
    manager = fields.Function(
        fields.Many2One('res.user', "Manager"),
        'get_instruction_field', searcher='search_instruction_field')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'get_instruction_field', searcher='search_instruction_field')
    state = fields.Selection([
            ('pending', "Pending"),
            ('accepted', "Accepted"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)
    comment = fields.Text("Comment",
        states={'readonly': Eval('state') == 'done'})
    accepted_at = fields.DateTime("Accepted at", readonly=True)
    done_at = fields.DateTime("Done at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.user, Index.Range())))
        cls._buttons.update({
                'accept': {
                    'invisible': Eval('state') != 'pending',
                    'depends': ['state'],
                    },
                'complete': {
                    'invisible': Eval('state') == 'done',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    def get_instruction_field(self, name):
        return getattr(self.instruction, name).id

    @classmethod
    def search_instruction_field(cls, name, clause):
        """Search on the instruction's table: the record rules of the
        instructions search their assignees"""
        Instruction = Pool().get('crm.mobile.instruction')
        instruction = Instruction.__table__()
        _, operator, value = clause[:3]
        Operator = fields.SQL_OPERATORS[operator]
        return [('instruction', 'in', instruction.select(
                    instruction.id,
                    where=Operator(getattr(instruction, name), value)))]

    def check_assignee(self):
        "Only the assignee answers the instruction"
        if (Transaction().check_access
                and self.user.id != Transaction().user):
            raise AccessError(gettext(
                    'crm_mobile.msg_instruction_not_assignee',
                    instruction=self.instruction.rec_name))
        if self.instruction.state != 'sent':
            raise AccessError(gettext(
                    'crm_mobile.msg_instruction_not_sent',
                    instruction=self.instruction.rec_name))

    @classmethod
    @ModelView.button
    def accept(cls, assignees):
        for assignee in assignees:
            assignee.check_assignee()
        now = datetime.datetime.now().replace(microsecond=0)
        cls.write([a for a in assignees if a.state == 'pending'], {
                'state': 'accepted', 'accepted_at': now})

    @classmethod
    @ModelView.button
    def complete(cls, assignees):
        Instruction = Pool().get('crm.mobile.instruction')
        for assignee in assignees:
            assignee.check_assignee()
        now = datetime.datetime.now().replace(microsecond=0)
        cls.write([a for a in assignees if a.state != 'done'], {
                'state': 'done', 'done_at': now,
                })
        Instruction.check_done(list({a.instruction for a in assignees}))

    @classmethod
    def comment_on(cls, assignees, text):
        for assignee in assignees:
            assignee.check_assignee()
        cls.write(assignees, {'comment': text})
