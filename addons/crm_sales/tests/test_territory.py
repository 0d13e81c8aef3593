# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest
from types import SimpleNamespace
from unittest.mock import patch

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


class FakeGeocoder:
    "Answer from a table instead of the network"

    def __init__(self, answers):
        self.answers = answers
        self.queries = []

    def geocode(self, query):
        self.queries.append(query)
        answer = self.answers.get(query.split(', ')[-2])
        if isinstance(answer, Exception):
            raise answer
        if answer:
            return SimpleNamespace(latitude=answer[0], longitude=answer[1])


class TerritoryTestCase(unittest.TestCase):
    "Test territories and address coordinates"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def setup_geography(self):
        pool = Pool()
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        self.fr, self.de = Country.create([
                {'name': "France", 'code': 'FR'},
                {'name': "Germany", 'code': 'DE'}])
        self.paris, self.rhone = Subdivision.create([{
                    'name': "Paris", 'code': 'FR-75', 'type': 'province',
                    'country': self.fr.id,
                    }, {
                    'name': "Rhône", 'code': 'FR-69', 'type': 'province',
                    'country': self.fr.id,
                    }])

    def party(self, name, **address):
        Party = Pool().get('party.party')
        party, = Party.create([{
                    'name': name,
                    'addresses': [('create', [address])],
                    }])
        return party

    def territories(self):
        """Set up the geography and return Europe > France > Paris area,
        with Germany beside France"""
        Territory = Pool().get('crm.territory')
        self.setup_geography()
        europe, = Territory.create([{
                    'name': "Europe",
                    'countries': [('add', [self.fr.id, self.de.id])],
                    }])
        france, = Territory.create([{
                    'name': "France", 'parent': europe.id,
                    'countries': [('add', [self.fr.id])],
                    }])
        paris, = Territory.create([{
                    'name': "Paris area", 'parent': france.id,
                    'subdivisions': [('add', [self.paris.id])],
                    }])
        return europe, france, paris

    @with_transaction()
    def test_deepest_territory_wins(self):
        "A party gets the deepest territory matching its address"
        europe, france, paris = self.territories()
        p_paris = self.party("Paris Co", country=self.fr.id,
            subdivision=self.paris.id, postal_code='75001')
        p_lyon = self.party("Lyon Co", country=self.fr.id,
            subdivision=self.rhone.id, postal_code='69001')
        p_berlin = self.party("Berlin Co", country=self.de.id)
        p_nowhere = self.party("Nowhere Co")
        self.assertEqual(p_paris.crm_territory, paris)
        self.assertEqual(p_lyon.crm_territory, france)
        self.assertEqual(p_berlin.crm_territory, europe)
        self.assertIsNone(p_nowhere.crm_territory)

    @with_transaction()
    def test_specificity(self):
        "Explicit party beats postal code beats subdivision beats country"
        pool = Pool()
        Territory = pool.get('crm.territory')
        europe, france, paris = self.territories()
        party = self.party("Lyon Co", country=self.fr.id,
            subdivision=self.rhone.id, postal_code='69003')
        self.assertEqual(party.crm_territory, france)
        # A shallow postal code territory beats the deeper subdivision one
        lyon, = Territory.create([{
                    'name': "Lyon", 'postal_codes': [
                        ('create', [{'pattern': '69*'}])],
                    }])
        rhone, = Territory.create([{
                    'name': "Rhône", 'parent': paris.id,
                    'subdivisions': [('add', [self.rhone.id])],
                    }])
        self.assertEqual(party.crm_territory, lyon)
        key, = Territory.create([{
                    'name': "Key accounts",
                    'parties': [('add', [party.id])],
                    }])
        self.assertEqual(party.crm_territory, key)
        Territory.delete([key])
        self.assertEqual(party.crm_territory, lyon)

    @with_transaction()
    def test_postal_code_patterns(self):
        "Globs and ranges match postal codes"
        pool = Pool()
        Territory = pool.get('crm.territory')
        self.setup_geography()
        shanghai, = Territory.create([{
                    'name': "Shanghai", 'postal_codes': [('create', [
                                {'pattern': '200000-200999'},
                                {'pattern': 'sw1a ?aa'},
                                ])],
                    }])
        inside = self.party("Inside", postal_code='200500')
        outside = self.party("Outside", postal_code='201000')
        longer = self.party("Longer", postal_code='2005000')
        london = self.party("London", postal_code='SW1A 1AA')
        self.assertEqual(inside.crm_territory, shanghai)
        self.assertIsNone(outside.crm_territory)
        self.assertIsNone(longer.crm_territory)
        self.assertEqual(london.crm_territory, shanghai)
        pattern, = shanghai.postal_codes[1:]
        self.assertEqual(pattern.pattern, 'SW1A ?AA')

    @with_transaction()
    def test_invalid_postal_code_patterns(self):
        "Bad patterns are refused with a clear error"
        pool = Pool()
        Territory = pool.get('crm.territory')
        for pattern, message in [
                ('200999-200000', "starts after it ends"),
                ('75%', "is not valid"),
                ('[0-9]*', "is not valid"),
                ]:
            with self.subTest(pattern=pattern):
                with self.assertRaisesRegex(ValidationError, message):
                    Territory.create([{
                                'name': "Bad", 'postal_codes': [
                                    ('create', [{'pattern': pattern}])],
                                }])

    @with_transaction()
    def test_cycle(self):
        "A territory cannot be its own ancestor"
        pool = Pool()
        Territory = pool.get('crm.territory')
        europe, france, paris = self.territories()
        with self.assertRaisesRegex(ValidationError, "own ancestor"):
            Territory.write([europe], {'parent': paris.id})
        with self.assertRaisesRegex(ValidationError, "own ancestor"):
            Territory.write([europe], {'parent': europe.id})
        self.assertEqual(
            [t.depth for t in [europe, france, paris]], [0, 1, 2])

    @with_transaction()
    def test_address_change_recomputes(self):
        "Moving, adding or deleting an address updates the territory"
        pool = Pool()
        Address = pool.get('party.address')
        europe, france, paris = self.territories()
        party = self.party("Mover", country=self.fr.id)
        self.assertEqual(party.crm_territory, france)
        address, = party.addresses
        Address.write([address], {'subdivision': self.paris.id})
        self.assertEqual(party.crm_territory, paris)
        Address.write([address], {'country': self.de.id, 'subdivision': None})
        self.assertEqual(party.crm_territory, europe)
        Address.delete([address])
        self.assertIsNone(party.crm_territory)

    @with_transaction()
    def test_manual_override(self):
        "A manual territory is kept until the override is removed"
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        europe, france, paris = self.territories()
        party = self.party("Manual", country=self.fr.id)
        Party.write([party], {
                'crm_territory_manual': True, 'crm_territory': europe.id})
        address, = party.addresses
        Address.write([address], {'subdivision': self.paris.id})
        Party.crm_compute_territories()
        self.assertEqual(party.crm_territory, europe)
        Party.write([party], {'crm_territory_manual': False})
        self.assertEqual(party.crm_territory, paris)

    @with_transaction()
    def test_territory_searchable(self):
        "Parties are searched by territory and its children"
        pool = Pool()
        Party = pool.get('party.party')
        europe, france, paris = self.territories()
        p_paris = self.party("Paris Co", subdivision=self.paris.id,
            country=self.fr.id)
        p_lyon = self.party("Lyon Co", country=self.fr.id)
        self.assertEqual(
            Party.search([('crm_territory', '=', france.id)]), [p_lyon])
        self.assertEqual(
            set(Party.search([('crm_territory', 'child_of', [france.id],
                            'parent')])), {p_paris, p_lyon})

    @with_transaction()
    def test_recompute_wizard(self):
        "The wizard recomputes every party"
        pool = Pool()
        Party = pool.get('party.party')
        Recompute = pool.get('crm.territory.recompute', type='wizard')
        europe, france, paris = self.territories()
        party = self.party("Paris Co", subdivision=self.paris.id,
            country=self.fr.id)
        table = Party.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.crm_territory], [None]))
        session_id, _, _ = Recompute.create()
        Recompute.execute(session_id, {}, 'start')
        self.assertEqual(Party(party.id).crm_territory, paris)

    @with_transaction()
    def test_opportunity_territory(self):
        "The opportunity takes the party's territory and its team"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Team = pool.get('crm.sales.team')
        Territory = pool.get('crm.territory')
        company = create_company()
        with set_company(company):
            europe, france, paris = self.territories()
            team, = Team.create([{'name': "France"}])
            Territory.write([france], {'team': team.id})
            party = self.party("Lyon Co", country=self.fr.id)
            opportunity, = Opportunity.create([{
                        'party': party.id,
                        'start_date': datetime.date.today(),
                        }])
            self.assertEqual(opportunity.crm_territory, france)
            self.assertEqual(opportunity.crm_team, team)

            opportunity = Opportunity(party=party)
            opportunity.on_change_party()
            self.assertEqual(opportunity.crm_territory, france)

            # Paris area has no team: the parent's team is used
            parisian = self.party("Paris Co", country=self.fr.id,
                subdivision=self.paris.id)
            opportunity, = Opportunity.create([{
                        'party': parisian.id,
                        'start_date': datetime.date.today(),
                        }])
            self.assertEqual(opportunity.crm_territory, paris)
            self.assertEqual(opportunity.crm_team, team)

    @with_transaction()
    def test_coordinates_range(self):
        "Coordinates outside the globe are refused"
        pool = Pool()
        Address = pool.get('party.address')
        party = self.party("Geo")
        address, = party.addresses
        Address.write([address], {'latitude': 48.8566, 'longitude': 2.3522})
        with self.assertRaisesRegex(ValidationError, "between -90 and 90"):
            Address.write([address], {'latitude': 91})
        with self.assertRaisesRegex(ValidationError, "between -180 and 180"):
            Address.write([address], {'latitude': 0, 'longitude': -180.5})

    @with_transaction()
    def test_search_bbox(self):
        "The bounding box finds the addresses inside it"
        pool = Pool()
        Address = pool.get('party.address')
        Party = pool.get('party.party')
        places = {
            "Paris": (48.8566, 2.3522), "Lyon": (45.764, 4.8357),
            "Fiji": (-17.7134, 178.065), "Samoa": (-13.759, -172.1046),
            "Nowhere": (None, None),
            }
        addresses = {}
        for name, (lat, lon) in places.items():
            addresses[name], = self.party(
                name, latitude=lat, longitude=lon).addresses
        found = Address.search_bbox(45, 0, 50, 5)
        self.assertEqual(
            set(found), {addresses["Paris"], addresses["Lyon"]})
        self.assertEqual(
            Address.search_bbox(48, 0, 50, 5), [addresses["Paris"]])
        # Across the antimeridian
        self.assertEqual(
            set(Address.search_bbox(-20, 170, -10, -170)),
            {addresses["Fiji"], addresses["Samoa"]})
        parties = Party.search(
            Address.bbox_domain(45, 0, 50, 5, prefix='addresses.'))
        self.assertEqual({p.name for p in parties}, {"Paris", "Lyon"})

    @with_transaction()
    def test_geocode(self):
        "The geocoder fills the coordinates; failures are ignored"
        pool = Pool()
        Address = pool.get('party.address')
        self.setup_geography()
        paris = self.party("Paris Co", city="Paris", country=self.fr.id)
        berlin = self.party("Berlin Co", city="Berlin", country=self.de.id)
        lyon = self.party("Lyon Co", city="Lyon", country=self.fr.id,
            subdivision=self.rhone.id)
        geocoder = FakeGeocoder({
                "Paris": (48.8566, 2.3522),
                "Berlin": OSError("network is unreachable"),
                "Rhône": None,
                })
        addresses = [p.addresses[0] for p in [paris, berlin, lyon]]
        with patch.object(Address, '_geocoder', return_value=geocoder):
            Address.geocode(addresses)
        self.assertEqual(len(geocoder.queries), 3)
        self.assertEqual(
            (paris.addresses[0].latitude, paris.addresses[0].longitude),
            (48.8566, 2.3522))
        self.assertIsNone(berlin.addresses[0].latitude)
        self.assertIsNone(lyon.addresses[0].latitude)

    @with_transaction()
    def test_geocode_unavailable(self):
        "Without a provider the button says so and saving never geocodes"
        pool = Pool()
        Address = pool.get('party.address')
        party = self.party("Paris Co", city="Paris")
        self.assertIsNone(party.addresses[0].latitude)
        with self.assertRaisesRegex(UserError, "not available"):
            Address.geocode(list(party.addresses))

    @with_transaction()
    def test_geocoder_from_configuration(self):
        "The configured provider gives a geopy geocoder"
        pool = Pool()
        Address = pool.get('party.address')
        Configuration = pool.get('crm.configuration')
        try:
            import geopy  # noqa: F401
        except ImportError:
            self.skipTest("geopy is not installed")
        self.assertIsNone(Address._geocoder())
        Configuration.write([Configuration(1)], {
                'geocoding_provider': 'nominatim',
                'geocoding_user_agent': 'crm-test',
                })
        geocoder = Address._geocoder()
        self.assertEqual(type(geocoder).__name__, 'Nominatim')
        self.assertEqual(geocoder.domain, 'nominatim.openstreetmap.org')
