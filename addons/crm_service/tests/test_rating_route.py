# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from unittest.mock import patch

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

SENDER = 'trytond.modules.crm_service.satisfaction.send_message_transactional'
# One closed case per test: the database is shared by the tests
CASES = ['rate', 'reuse', 'forged', 'invalid', 'comment', 'early', 'zh']


class RatingRouteTestCase(RouteTestCase):
    "Test the public rating page"
    module = 'crm_service'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Case = pool.get('crm.service.case')
        Configuration = pool.get('crm.service.configuration')
        # The first signature creates the key with its table locked, which
        # restarts a request's transaction but not this one: lock it first
        with Transaction().new_transaction(
                _lock_tables=[Configuration._table]) as transaction:
            Configuration.signing_key_for('crm.service.rating')
            transaction.commit()
        company = create_company()
        with set_company(company), patch(SENDER):
            agent = create_employee(company, "Agent")
            cases = Case.create([{
                        'subject': f"Case {name}",
                        'agent': agent.id,
                        'resolution': "Done",
                        } for name in CASES])
            Case.start(cases)
            Case.resolve(cases)
            Case.close(cases)
            cls.tokens, cls.ratings = {}, {}
            for name, case in zip(CASES, Case.browse(cases)):
                rating, = case.ratings
                cls.tokens[name] = rating.token
                cls.ratings[name] = rating.id

    def url(self, name, token=None, **args):
        token = token if token is not None else self.tokens[name]
        query = ''.join(
            f'{"&" if i else "?"}{k}={v}'
            for i, (k, v) in enumerate(args.items()))
        return f'/{self.db_name}/crm_service/rate/{token}{query}'

    def stored(self, name):
        "The score and the comment stored for the rating"
        with Transaction().start(self.db_name, 0):
            Rating = Pool().get('crm.service.rating')
            rating = Rating(self.ratings[name])
            return rating.score, rating.comment, bool(rating.rated_at)

    def test_rate(self):
        "A click on a score records it and thanks the customer"
        response = self.client().get(self.url('rate', score=4))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'text/html')
        page = response.get_data(as_text=True)
        self.assertIn("Thank you", page)
        self.assertIn("4 out of 5", page)
        self.assertIn('<form method="post">', page)
        self.assertEqual(self.stored('rate'), (4, None, True))

    def test_reused(self):
        "A second click reads back the first score"
        client = self.client()
        self.assertEqual(
            client.get(self.url('reuse', score=5)).status_code, 200)
        response = client.get(self.url('reuse', score=1))
        self.assertEqual(response.status_code, 409)
        page = response.get_data(as_text=True)
        self.assertIn("already rated", page)
        self.assertIn("5 out of 5", page)
        self.assertEqual(self.stored('reuse'), (5, None, True))

    def test_forged(self):
        "A forged or unknown token is refused and writes nothing"
        client = self.client()
        token = self.tokens['forged']
        id_, signature = token.split('.')
        other_id = self.ratings['rate']
        flipped = ('0' if signature[0] != '0' else '1') + signature[1:]
        for forged in [f'{id_}.{flipped}', f'{other_id}.{signature}',
                f'{id_}.{signature[:20]}', f'{id_}', f'999999.{signature}',
                'x.y', f'{id_}.%3Cscript%3E']:
            response = client.get(self.url('forged', forged, score=5))
            self.assertEqual(response.status_code, 403, forged)
            self.assertIn(
                "rating link is not valid", response.get_data(as_text=True))
            response = client.post(
                self.url('forged', forged), data={'comment': "Spam"})
            self.assertEqual(response.status_code, 403, forged)
        self.assertEqual(self.stored('forged'), (None, None, False))

    def test_invalid_score(self):
        "A score out of 1-5 is refused and writes nothing"
        client = self.client()
        for score in ['0', '6', 'x', '', '4.5', '%3Cb%3E']:
            response = client.get(self.url('invalid', score=score))
            self.assertEqual(response.status_code, 400, score)
            self.assertIn("from 1 to 5", response.get_data(as_text=True))
        self.assertEqual(client.get(self.url('invalid')).status_code, 400)
        page = client.get(self.url('invalid', score='%3Cb%3E')).get_data(
            as_text=True)
        self.assertNotIn('<b>', page)
        self.assertEqual(self.stored('invalid'), (None, None, False))

    def test_comment(self):
        "The comment is added once after the score"
        client = self.client()
        client.get(self.url('comment', score=2))
        response = client.post(
            self.url('comment'), data={'comment': ""})
        self.assertEqual(response.status_code, 400)
        response = client.post(
            self.url('comment'), data={'comment': "x" * 2001})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.stored('comment'), (2, None, True))

        response = client.post(
            self.url('comment'),
            data={'comment': "Slow <b>answer</b>"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("comment is recorded", response.get_data(as_text=True))
        response = client.post(
            self.url('comment'), data={'comment': "Changed"})
        self.assertEqual(response.status_code, 409)
        page = response.get_data(as_text=True)
        self.assertIn("Slow &lt;b&gt;answer&lt;/b&gt;", page)
        self.assertNotIn('<form', page)
        self.assertEqual(
            self.stored('comment'), (2, "Slow <b>answer</b>", True))

    def test_comment_before_score(self):
        "A comment waits for the score"
        response = self.client().post(
            self.url('early'), data={'comment': "Hello"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.stored('early'), (None, None, False))

    def test_chinese(self):
        "The page speaks the language of the browser"
        response = self.client().get(
            self.url('zh', score=3),
            headers={'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.5'})
        self.assertEqual(response.status_code, 200)
        self.assertIn('<html lang="zh-CN">', response.get_data(as_text=True))
        self.assertEqual(self.stored('zh'), (3, None, True))


del RouteTestCase
