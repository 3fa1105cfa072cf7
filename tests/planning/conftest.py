"""The people and the village of the planning tests: 天荒坪镇's official, 安吉县's staff, 余村."""
import pytest

from core.models import Role
from tests.factories import VillageFactory, user_with


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")
