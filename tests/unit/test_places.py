"""Where a point lies: the county's bounds as a bounding box, a GeoJSON polygon
(with a hole), a multipolygon or a file, and the community whose centre is
nearest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loop.rules import places
from loop.rules.places import OutsideCounty, Point
from loop.rules.units import Unit, UnitTree

SQUARE = [[124.0, 43.0], [124.6, 43.0], [124.6, 43.6], [124.0, 43.6], [124.0, 43.0]]
HOLE = [[124.2, 43.2], [124.4, 43.2], [124.4, 43.4], [124.2, 43.4], [124.2, 43.2]]
ISLAND = [[125.0, 44.0], [125.1, 44.0], [125.1, 44.1], [125.0, 44.0]]


def test_a_bounding_box_is_south_west_north_east() -> None:
    bounds = places.bounds("43.0,124.0,43.6,124.7")
    assert bounds is not None
    assert bounds.contains(Point(43.3, 124.3))
    assert bounds.contains(Point(43.0, 124.0))  # on the edge counts
    assert not bounds.contains(Point(43.3, 124.8))
    assert not bounds.contains(Point(124.3, 43.3))  # latitude first, not longitude


def test_a_geojson_polygon_with_a_hole_and_a_multipolygon() -> None:
    polygon = places.bounds(json.dumps({"type": "Polygon", "coordinates": [SQUARE, HOLE]}))
    assert polygon is not None
    assert polygon.contains(Point(43.1, 124.1))
    assert not polygon.contains(Point(43.3, 124.3))  # in the hole (another county's town)
    many = places.bounds(json.dumps({"type": "MultiPolygon", "coordinates": [[SQUARE], [ISLAND]]}))
    assert many is not None
    assert many.contains(Point(44.02, 125.05))
    assert not many.contains(Point(43.8, 124.8))


def test_a_feature_or_a_file_holding_one(tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
    }
    kept = tmp_path / "lishu.geojson"
    kept.write_text(json.dumps(feature), encoding="utf-8")
    bounds = places.bounds(str(kept))
    assert bounds is not None
    assert bounds.contains(Point(43.3, 124.3))


@pytest.mark.parametrize(
    "given",
    [
        "43.6,124.0,43.0,124.7",  # north below south
        '{"type": "Point", "coordinates": [124.3, 43.3]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}',
        '{"type": "Polygon", "coordinates": [[[1]]]}',
        "[1, 2, 3]",
    ],
)
def test_bounds_that_are_none_of_these_are_refused(given: str) -> None:
    with pytest.raises(ValueError, match=r"bounds|bounding box|malformed"):
        places.bounds(given)


def test_no_bounds_set_refuses_no_point() -> None:
    assert places.bounds(None) is None
    assert places.bounds("  ") is None
    places.check_inside(Point(-33.9, 151.2), None)
    with pytest.raises(OutsideCounty) as refused:
        places.check_inside(Point(-33.9, 151.2), places.bounds("43.0,124.0,43.6,124.7"))
    assert refused.value.details["field"] == "lat"
    assert refused.value.message_zh
    assert refused.value.message_en


def _unit(code: str, centre: tuple[float, float] | None) -> Unit:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Unit(code, "community", "lishu/chaoyang", ((at, code, code),), at, centre=centre)


def test_the_nearest_centre_places_a_point() -> None:
    tree = UnitTree(
        {
            "a": _unit("a", (43.30, 124.30)),
            "b": _unit("b", (43.30, 124.40)),
            "c": _unit("c", None),
        }
    )
    assert places.nearest_community(Point(43.31, 124.34), ["a", "b", "c"], tree) == "a"
    assert places.nearest_community(Point(43.31, 124.36), ["a", "b", "c"], tree) == "b"
    assert places.nearest_community(Point(43.30, 124.35), ["b", "a"], tree) == "a"  # a tie
    assert places.nearest_community(Point(43.31, 124.34), ["b"], tree) == "b"  # only among these
    assert places.nearest_community(Point(43.31, 124.34), ["c"], tree) is None
    assert 8000 < places.distance_m(Point(43.3, 124.3), Point(43.3, 124.4)) < 8200
