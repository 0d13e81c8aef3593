# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Distances on the Earth between coordinates in decimal degrees"
import math

EARTH_RADIUS = 6371008.8  # metres, the mean radius


def distance(latitude1, longitude1, latitude2, longitude2):
    "Return the great-circle distance in metres (haversine)"
    phi1, phi2 = math.radians(latitude1), math.radians(latitude2)
    dphi = phi2 - phi1
    dlambda = math.radians(longitude2 - longitude1)
    a = (math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2)
    return 2 * EARTH_RADIUS * math.asin(min(1, math.sqrt(a)))


def bounding_box(latitude, longitude, radius):
    """Return (south, west, north, east) of the box around the circle of
    radius metres; west > east when it crosses the antimeridian"""
    dlat = math.degrees(radius / EARTH_RADIUS)
    south, north = max(-90, latitude - dlat), min(90, latitude + dlat)
    cos = math.cos(math.radians(latitude))
    if south <= -90 or north >= 90 or cos < 1e-9:
        return south, -180, north, 180
    dlon = math.degrees(radius / (EARTH_RADIUS * cos))
    if dlon >= 180:
        return south, -180, north, 180
    west, east = longitude - dlon, longitude + dlon
    if west < -180:
        west += 360
    if east > 180:
        east -= 360
    return south, west, north, east


def order_by_travel(start, points):
    """Return the points (objects with latitude and longitude) in the
    order of a nearest-neighbour route from start (latitude, longitude)"""
    route, todo = [], list(points)
    latitude, longitude = start
    while todo:
        nearest = min(todo, key=lambda p: distance(
                latitude, longitude, p.latitude, p.longitude))
        todo.remove(nearest)
        route.append(nearest)
        latitude, longitude = nearest.latitude, nearest.longitude
    return route
