"""Fixtures shared by the projects tests: a township official of 天荒坪镇 and a project under construction in 余村."""
import datetime

import pytest

from core.models import Role
from projects.models import ProjectStatus
from tests.factories import ProjectFactory, VillageFactory, user_with


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def building(db):
    return ProjectFactory(
        village=VillageFactory(code="330523108204", name="余村村委会"), status=ProjectStatus.UNDER_CONSTRUCTION,
        planned_start=datetime.date(2025, 3, 1), actual_start=datetime.date(2025, 3, 5), planned_end=datetime.date(2026, 12, 31),
    )
