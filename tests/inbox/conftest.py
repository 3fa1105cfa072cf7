import datetime

import pytest

from core.models import Role
from tests.factories import VillageFactory, user_with

TODAY = datetime.date(2025, 9, 10)


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


@pytest.fixture
def neighbour_village(db):
    return VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")


@pytest.fixture
def far_village(db):
    return VillageFactory(township_code="330522001", code="330522001201", name="外县村委会")


@pytest.fixture
def people(village, neighbour_village, far_village):
    """A user of every kind around 余村: its township's official, the neighbouring township's, the county's staff,
    another county's staff and its official, the city's supervisor."""
    return {
        "official": user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "county": user_with("county", (Role.COUNTY_STAFF, "330523")),
        "other_county": user_with("other_county", (Role.COUNTY_STAFF, "330522")),
        "other_official": user_with("other_official", (Role.TOWNSHIP_OFFICIAL, "330522001")),
        "supervisor": user_with("supervisor", (Role.SUPERVISOR, "3305")),
    }
