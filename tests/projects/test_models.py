import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from projects.models import TRANSITIONS, ProgressReport, Project, ProjectStatus, ProjectTransition
from tests.factories import ProgressReportFactory, ProjectFactory, VillageFactory


def _refused(factory, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"budget": Decimal("-1")},
        {"type": "fireworks"},
        {"status": "approved_by_magic"},
        {"percent_complete": 101},
        {"planned_start": datetime.date(2024, 5, 1), "planned_end": datetime.date(2024, 4, 30)},
        {"actual_start": datetime.date(2024, 5, 1), "actual_end": datetime.date(2024, 4, 30)},
        {"actual_end": datetime.date(2024, 4, 30)},  # an end without a start
        {"name": ""},
        {"status": ProjectStatus.COMPLETED},  # completed without an actual end
        {  # accepted without a maintenance body and owner (建管并重)
            "status": ProjectStatus.ACCEPTED,
            "actual_start": datetime.date(2024, 3, 1),
            "actual_end": datetime.date(2024, 9, 1),
        },
        {"maintenance_body": "nobody"},
        {"version": 0},
    ],
)
def test_project_constraints_refuse_bad_rows(fields):
    village = VillageFactory()
    _refused(ProjectFactory, village=village, **fields)
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_accepted_project_with_maintenance_is_valid():
    project = ProjectFactory(
        status=ProjectStatus.ACCEPTED,
        actual_start=datetime.date(2024, 3, 1),
        actual_end=datetime.date(2024, 9, 1),
        maintenance_body="village_collective",
        maintenance_owner="余村村股份经济合作社",
    )
    assert Project.objects.get(pk=project.pk).status == "accepted"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields", [{"percent_complete": 101}, {"amount_spent": Decimal("-0.01")}]
)
def test_progress_report_constraints(fields):
    project = ProjectFactory(status=ProjectStatus.UNDER_CONSTRUCTION)
    _refused(ProgressReportFactory, project=project, **fields)
    assert not ProgressReport.objects.exists()


@pytest.mark.django_db
def test_transition_constraints():
    project = ProjectFactory()
    now = datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectTransition.objects.create(project=project, from_status="submitted", to_status="returned", at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectTransition.objects.create(project=project, from_status="draft", to_status="draft", at=now)
    ProjectTransition.objects.create(project=project, from_status="submitted", to_status="returned", at=now, reason="预算依据不足")
    assert project.transitions.count() == 1


def test_lifecycle_reaches_every_status_from_draft():
    seen, frontier = {ProjectStatus.DRAFT}, [ProjectStatus.DRAFT]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(ProjectStatus.values)
    assert TRANSITIONS[ProjectStatus.ACCEPTED] == set() and TRANSITIONS[ProjectStatus.CANCELLED] == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"content_type": "image/gif"},
        {"size_bytes": 10 * 1024 * 1024 + 1},
        {"size_bytes": 0},
        {"gps_latitude": Decimal("30.5")},  # latitude without longitude
        {"gps_latitude": Decimal("91"), "gps_longitude": Decimal("119.6")},
    ],
)
def test_photo_constraints(fields):
    from projects.models import ProgressPhoto

    report = ProgressReportFactory()
    base = dict(report=report, image="progress/x.jpg", width=800, height=600, content_type="image/jpeg", size_bytes=2048)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressPhoto.objects.create(**{**base, **fields})
    assert not ProgressPhoto.objects.exists()
    ProgressPhoto.objects.create(**base, gps_latitude=Decimal("30.51"), gps_longitude=Decimal("119.68"))
