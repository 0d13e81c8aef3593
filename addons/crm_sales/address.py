# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import logging

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.exceptions import UserError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

try:
    import geopy
    import geopy.geocoders
except ImportError:
    geopy = None

logger = logging.getLogger(__name__)
GEOCODING_TIMEOUT = 5
# Changing these fields moves the address
LOCATION_FIELDS = {'street', 'postal_code', 'city', 'country', 'subdivision'}
TERRITORY_FIELDS = {'party', 'postal_code', 'country', 'subdivision', 'active'}


class CoordinateError(ValidationError):
    pass


class GeocodingError(UserError):
    pass


class Address(metaclass=PoolMeta):
    __name__ = 'party.address'

    latitude = fields.Float(
        "Latitude", digits=(3, 7),
        help="In decimal degrees, from -90 (south) to 90 (north).")
    longitude = fields.Float(
        "Longitude", digits=(3, 7),
        help="In decimal degrees, from -180 (west) to 180 (east).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # A bounding box is a range on the latitude refined on the
        # longitude: one composite index serves it
        cls._sql_indexes.add(Index(
                t, (t.latitude, Index.Range()), (t.longitude, Index.Range()),
                where=(t.latitude != Null) & (t.longitude != Null)))
        cls._buttons.update({
                'geocode': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                })

    @classmethod
    def validate_fields(cls, addresses, field_names):
        super().validate_fields(addresses, field_names)
        cls.check_coordinates(addresses, field_names)

    @classmethod
    def check_coordinates(cls, addresses, field_names=None):
        if field_names and not (field_names & {'latitude', 'longitude'}):
            return
        for address in addresses:
            if (address.latitude is not None
                    and not -90 <= address.latitude <= 90):
                raise CoordinateError(gettext(
                        'crm_sales.msg_address_latitude_range',
                        address=address.rec_name,
                        latitude=address.latitude))
            if (address.longitude is not None
                    and not -180 <= address.longitude <= 180):
                raise CoordinateError(gettext(
                        'crm_sales.msg_address_longitude_range',
                        address=address.rec_name,
                        longitude=address.longitude))

    @classmethod
    def bbox_domain(cls, south, west, north, east, prefix=''):
        """Return the domain of the addresses inside the bounding box

        A box with west greater than east crosses the antimeridian.
        Use prefix (e.g. 'addresses.') to search from another model.
        """
        latitude, longitude = prefix + 'latitude', prefix + 'longitude'
        if west <= east:
            lon_domain = [
                (longitude, '>=', west),
                (longitude, '<=', east),
                ]
        else:
            lon_domain = ['OR',
                (longitude, '>=', west),
                (longitude, '<=', east),
                ]
        return [
            (latitude, '>=', south),
            (latitude, '<=', north),
            lon_domain,
            ]

    @classmethod
    def search_bbox(cls, south, west, north, east, domain=None, **kwargs):
        "Return the addresses inside the bounding box (and the domain)"
        bbox = cls.bbox_domain(south, west, north, east)
        return cls.search(
            [bbox, domain] if domain else bbox, **kwargs)

    @classmethod
    def _geocoder(cls):
        """Return the configured geopy geocoder or None

        Tests replace this method to inject a fake geocoder.
        """
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        config = Configuration(1)
        if geopy is None or not config.geocoding_provider:
            return None
        if config.geocoding_provider == 'nominatim':
            return geopy.geocoders.Nominatim(
                user_agent=config.geocoding_user_agent,
                domain=(config.geocoding_domain
                    or 'nominatim.openstreetmap.org'),
                timeout=GEOCODING_TIMEOUT)

    def _geocoding_query(self):
        "Return the text sent to the geocoder or None"
        parts = [
            self.street_single_line, self.postal_code, self.city,
            self.subdivision.name if self.subdivision else None,
            self.country.name if self.country else None,
            ]
        parts = [p.strip() for p in parts if p and p.strip()]
        if (self.city or self.postal_code) and parts:
            return ', '.join(parts)

    @classmethod
    def geocode_addresses(cls, addresses, geocoder=None):
        """Set the coordinates of the addresses from the geocoder

        Failures are logged and leave the address unchanged; return the
        geocoded addresses.
        """
        geocoder = geocoder or cls._geocoder()
        if not geocoder:
            return []
        to_write, done = [], []
        for address in addresses:
            query = address._geocoding_query()
            if not query:
                continue
            try:
                location = geocoder.geocode(query)
            except Exception:
                logger.warning(
                    "geocoding of address %s failed", address.id,
                    exc_info=True)
                continue
            if location is None:
                logger.info("no location found for address %s", address.id)
                continue
            to_write.extend([[address], {
                        'latitude': round(location.latitude, 7),
                        'longitude': round(location.longitude, 7),
                        }])
            done.append(address)
        if to_write:
            cls.write(*to_write)
        return done

    @classmethod
    @ModelView.button
    def geocode(cls, addresses):
        geocoder = cls._geocoder()
        if not geocoder:
            raise GeocodingError(gettext(
                    'crm_sales.msg_address_geocoding_unavailable'))
        cls.geocode_addresses(addresses, geocoder)

    @classmethod
    def _geocode_later(cls, addresses):
        "Queue geocoding of the addresses located but without coordinates"
        to_geocode = [
            a for a in addresses
            if a.latitude is None and a.longitude is None
            and a._geocoding_query()]
        if to_geocode and cls._geocoder():
            cls.__queue__.geocode_addresses(to_geocode)

    @classmethod
    def on_write(cls, addresses, values):
        pool = Pool()
        Party = pool.get('party.party')
        callbacks = super().on_write(addresses, values)
        if 'party' in values:
            # The former parties lose the address
            parties = {a.party.id for a in addresses if a.party}
            callbacks.append(
                lambda: Party.crm_compute_territories(list(parties)))
        return callbacks

    @classmethod
    def on_modification(cls, mode, addresses, field_names=None):
        pool = Pool()
        Party = pool.get('party.party')
        super().on_modification(mode, addresses, field_names=field_names)
        if mode == 'delete':
            return
        if mode == 'create' or (field_names & TERRITORY_FIELDS):
            Party.crm_compute_territories(
                list({a.party.id for a in addresses if a.party}))
        if mode == 'create' or (
                (field_names & LOCATION_FIELDS)
                and not (field_names & {'latitude', 'longitude'})):
            cls._geocode_later(addresses)

    @classmethod
    def on_delete(cls, addresses):
        pool = Pool()
        Party = pool.get('party.party')
        callbacks = super().on_delete(addresses)
        parties = list({a.party.id for a in addresses if a.party})
        callbacks.append(lambda: Party.crm_compute_territories(parties))
        return callbacks
