import pytest

from core.models import Role
from tests.factories import VillageFactory, user_with


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
