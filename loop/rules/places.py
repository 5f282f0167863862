"""Where a point (WGS84 latitude and longitude) lies: inside the county's bounds
or not, and which community's centre is nearest to it.

The bounds are the deployment's (``LISHU_COUNTY_BOUNDS``): a bounding box
``south,west,north,east`` in degrees, or a GeoJSON ``Polygon`` or
``MultiPolygon`` geometry (longitude first, as GeoJSON writes it), or the path
of a file holding one. None set: no point is refused for where it lies.
The communities' centres are the organisation registry's (a unit's optional
``centre``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from haversine import Unit as DistanceUnit
from haversine import haversine
from shapely import prepared
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import box, shape

from aggregates.errors import DomainError
from loop.rules.units import UnitTree


class Point(NamedTuple):
    lat: float
    long: float


class OutsideCounty(DomainError):
    """A point outside the county's bounds (answered 400, nothing stored)."""

    code = "outside_county"


class Bounds:
    """The county's bounds: whether a point lies inside (on the edge counts)."""

    def __init__(self, geometry: Any) -> None:
        if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValueError("the county's bounds must be a polygon or a multipolygon")
        if not geometry.is_valid:
            raise ValueError("the county's bounds are not a valid (simple) polygon")
        self.geometry = geometry
        self._prepared = prepared.prep(geometry)

    def contains(self, point: Point) -> bool:
        return bool(self._prepared.covers(ShapelyPoint(point.long, point.lat)))


@lru_cache(maxsize=8)
def bounds(given: str | None) -> Bounds | None:
    """The bounds a setting gives (see the module), or None for no check.
    A setting that is none of the three is refused with :class:`ValueError`."""
    text = (given or "").strip()
    if not text:
        return None
    if not text.startswith(("{", "[")) and not _is_box(text):
        text = Path(text).read_text(encoding="utf-8")
    if _is_box(text):
        south, west, north, east = (float(part) for part in text.split(","))
        if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
            raise ValueError("a bounding box is south,west,north,east in degrees")
        return Bounds(box(west, south, east, north))
    loaded = json.loads(text)
    if isinstance(loaded, dict) and loaded.get("type") == "Feature":
        loaded = loaded.get("geometry")
    if not isinstance(loaded, dict) or loaded.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("the county's bounds must be a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shape(loaded)
    except Exception as error:  # shapely's own errors for malformed coordinates
        raise ValueError(f"malformed GeoJSON coordinates: {error}") from None
    return Bounds(geometry)


def _is_box(text: str) -> bool:
    parts = text.split(",")
    if len(parts) != 4:
        return False
    try:
        [float(part) for part in parts]
    except ValueError:
        return False
    return True


def check_inside(point: Point, county_bounds: Bounds | None) -> None:
    """Refuse a point outside the county's bounds (none set: every point is in)."""
    if county_bounds is not None and not county_bounds.contains(point):
        raise OutsideCounty(
            "该位置不在本县范围内，请核对坐标；外县的事请向当地反映",
            "The point lies outside the county; check the coordinates",
            field="lat",
            lat=point.lat,
            long=point.long,
        )


def distance_m(a: Point, b: Point) -> float:
    """The great-circle distance between two points, in metres."""
    metres: float = haversine(tuple(a), tuple(b), unit=DistanceUnit.METERS)
    return metres


def nearest_community(point: Point, communities: Iterable[str], tree: UnitTree) -> str | None:
    """Of ``communities``, the one whose registered centre is nearest to ``point``
    (the first code of a tie); None if none of them has a centre."""
    best: tuple[float, str] | None = None
    for code in sorted(communities):
        unit = tree.get(code)
        if unit is None or unit.centre is None:
            continue
        far = distance_m(point, Point(*unit.centre))
        if best is None or far < best[0]:
            best = (far, code)
    return None if best is None else best[1]
