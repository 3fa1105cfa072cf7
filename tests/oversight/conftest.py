import datetime

import pytest

from core.models import Role
from tests.factories import ProblemFactory, VillageFactory, VisitFactory, region, user_with

DAY = datetime.date(2025, 9, 10)


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def city(db):
    return user_with("huzhou", (Role.SUPERVISOR, "3305"))


@pytest.fixture
def visit(village):
    return VisitFactory(region=region("330523"), villages=[village], visited_on=DAY)


@pytest.fixture
def problem(visit, village):
    return ProblemFactory(visit=visit, village=village, found_on=DAY, deadline=DAY + datetime.timedelta(days=30))


@pytest.fixture
def rectified(visit, village):
    return ProblemFactory(visit=visit, village=village, found_on=DAY, deadline=DAY + datetime.timedelta(days=30),
                          status="rectified", rectified_on=DAY + datetime.timedelta(days=5), rectification="已清理")
