"""Every lock of the project services, each shown by a concurrent writer (tests/locks.py; PostgreSQL).

projects/services.py locks the project row before it checks its status or version: another transaction that
changes the project in between must make the service refuse, never be overwritten by it (a lost update).
"""
import datetime
from decimal import Decimal

import pytest

from core.exceptions import IllegalTransition, StaleVersion
from core.models import Role
from projects import services
from projects.models import ProgressReport, Project, ProjectStatus
from tests.factories import ProjectFactory, VillageFactory, user_with
from tests.locks import concurrent_writer

S = ProjectStatus
TODAY = datetime.date.today()
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(postgres):
    return {
        "county": user_with("anji-locks", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping-locks", (Role.TOWNSHIP_OFFICIAL, "330523108")),
    }


def _project(status, **extra):
    return ProjectFactory(village=VillageFactory(code="330523108204"), status=status, **extra)


def _lock(project):
    return lambda: Project.objects.select_for_update().get(pk=project.pk)


def _set(project, **values):
    def change():
        Project.objects.filter(pk=project.pk).update(version=project.version + 1, **values)

    return change


def test_an_approval_waits_for_the_project_being_returned(people):
    """project_transition locks the project: the county returns it meanwhile, so it can no longer be approved
    (without the lock the approval would overwrite the return)."""
    project = _project(S.SUBMITTED)
    with concurrent_writer(_lock(project), _set(project, status=S.RETURNED)):
        with pytest.raises(IllegalTransition):
            services.project_transition(actor=people["county"], project=project, action="approve")
    assert Project.objects.get(pk=project.pk).status == S.RETURNED


def test_an_edit_waits_for_another_edit(people):
    """project_update locks the project: someone saves meanwhile, so the edit started from an old version."""
    project = _project(S.DRAFT)
    with concurrent_writer(_lock(project), _set(project, name="另一人的修改")):
        with pytest.raises(StaleVersion):
            services.project_update(actor=people["official"], project=project, data={"name": "我的修改"}, expected_version=project.version)
    assert Project.objects.get(pk=project.pk).name == "另一人的修改"


def test_a_progress_report_waits_for_the_project_being_cancelled(people):
    """progress_report_create locks the project: it is cancelled meanwhile, so no progress can be reported."""
    project = _project(S.UNDER_CONSTRUCTION, actual_start=TODAY - datetime.timedelta(days=10))
    with concurrent_writer(_lock(project), _set(project, status=S.CANCELLED)):
        with pytest.raises(IllegalTransition):
            services.progress_report_create(
                actor=people["official"], project=project, report_date=TODAY, percent_complete=40, amount_spent=Decimal("1000"),
            )
    assert not ProgressReport.objects.filter(project=project).exists()
