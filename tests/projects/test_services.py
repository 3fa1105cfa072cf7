"""Project services: the lifecycle, progress reports with photos, optimistic concurrency."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.exceptions import IllegalTransition, InvalidInput, NotPermitted, StaleVersion
from core.models import AuditAction, AuditEntry, Role
from planning import services as planning_services
from projects import services
from projects.models import ProgressPhoto, ProgressReport, Project, ProjectStatus, ProjectTransition
from tests.factories import ProjectFactory, VillageFactory, plan_item_for, user_with
from tests.images import bomb_png, exif_with, image_bytes, upload

S = ProjectStatus


@pytest.fixture
def people(db):
    return {
        "official": user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "county": user_with("county", (Role.COUNTY_STAFF, "330523")),
        "supervisor": user_with("supervisor", (Role.SUPERVISOR, "3305")),
    }


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


DATA = {
    "type": "sewage", "name": "生活污水治理", "budget": Decimal("480000"), "planned_start": datetime.date(2025, 3, 1),
    "planned_end": datetime.date(2025, 11, 30), "responsible_person": "张建国",
}


def _state():
    return (
        list(Project.objects.order_by("pk").values()),
        list(ProgressReport.objects.order_by("pk").values()),
        ProgressPhoto.objects.count(),
        ProjectTransition.objects.count(),
        AuditEntry.objects.count(),
    )


def test_the_whole_lifecycle_is_recorded_as_a_timeline(people, village):
    official, county = people["official"], people["county"]
    project = services.project_create(actor=official, village=village, data=DATA)
    assert project.status == S.DRAFT
    planning_services.citation_set(actor=official, project=project, item=plan_item_for(project))  # 规划先行
    steps = [
        (official, "submit", ""),
        (county, "return", "预算依据不足，请补充。"),
        (official, "submit", ""),
        (county, "approve", ""),
        (official, "start", ""),
        (official, "complete", ""),
    ]
    for actor, action, reason in steps:
        project = services.project_transition(actor=actor, project=project, action=action, reason=reason)
    project = services.project_transition(
        actor=county, project=project, action="accept",
        maintenance={"maintenance_body": "village_collective", "maintenance_owner": "余村村委会"}, actual_output="2.5",
    )
    assert project.status == S.ACCEPTED
    timeline = list(project.transitions.order_by("at", "id").values_list("from_status", "to_status", "actor__username", "reason"))
    assert timeline == [
        ("", S.DRAFT, "official", ""),
        (S.DRAFT, S.SUBMITTED, "official", ""),
        (S.SUBMITTED, S.RETURNED, "county", "预算依据不足，请补充。"),
        (S.RETURNED, S.SUBMITTED, "official", ""),
        (S.SUBMITTED, S.APPROVED, "county", ""),
        (S.APPROVED, S.UNDER_CONSTRUCTION, "official", ""),
        (S.UNDER_CONSTRUCTION, S.COMPLETED, "official", ""),
        (S.COMPLETED, S.ACCEPTED, "county", ""),
    ]
    transitions = AuditEntry.objects.filter(action=AuditAction.TRANSITION, object_id=str(project.pk))
    assert transitions.count() == 7
    assert transitions.filter(note="预算依据不足，请补充。", actor=county).exists()


@pytest.mark.parametrize(
    "status, action",
    [(S.DRAFT, "approve"), (S.DRAFT, "start"), (S.SUBMITTED, "submit"), (S.ACCEPTED, "rework"), (S.CANCELLED, "resume"),
     (S.UNDER_CONSTRUCTION, "accept")],
)
def test_illegal_transition_is_refused_and_changes_nothing(people, village, status, action):
    dates = {
        "actual_start": datetime.date(2024, 3, 5), "actual_end": datetime.date(2024, 12, 1),
        "maintenance_body": "village_collective", "maintenance_owner": "村委会",
    }
    project = ProjectFactory(village=village, status=status, **(dates if status in (S.ACCEPTED,) else {}))
    # The role that may take the action, so that only the state refuses it.
    actor = people["official"] if action in ("submit", "start", "complete") else people["county"]
    before = _state()
    with pytest.raises(IllegalTransition) as refused:
        services.project_transition(actor=actor, project=project, action=action, reason="理由")
    assert project.get_status_display() in str(refused.value)
    assert _state() == before


def test_returning_needs_a_reason(people, village):
    project = ProjectFactory(village=village, status=S.SUBMITTED)
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.project_transition(actor=people["county"], project=project, action="return", reason="  ")
    assert "reason" in refused.value.field_errors
    assert _state() == before


def test_accepting_needs_the_maintenance_arrangement(people, village):
    project = ProjectFactory(
        village=village, status=S.COMPLETED, actual_start=datetime.date(2025, 3, 2), actual_end=datetime.date(2025, 9, 1)
    )
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.project_transition(actor=people["county"], project=project, action="accept", actual_output="2.5")
    assert set(refused.value.field_errors) == {"maintenance_body", "maintenance_owner"}
    assert _state() == before


@pytest.mark.parametrize("who, action", [("official", "approve"), ("neighbour", "submit"), ("supervisor", "approve"), ("county", "submit")])
def test_wrong_role_cannot_move_a_project(people, village, who, action):
    project = ProjectFactory(village=village, status=S.SUBMITTED if action == "approve" else S.DRAFT)
    before = _state()
    with pytest.raises(NotPermitted):
        services.project_transition(actor=people[who], project=project, action=action)
    assert _state() == before


def test_second_editor_is_refused_with_what_changed(people, village):
    project = services.project_create(actor=people["official"], village=village, data=DATA)
    colleague = user_with("colleague", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    services.project_update(actor=colleague, project=project, data={"budget": Decimal("520000")}, expected_version=project.version)
    before = _state()
    with pytest.raises(StaleVersion) as refused:
        services.project_update(actor=people["official"], project=project, data={"name": "污水治理（二期）"}, expected_version=1)
    assert "colleague" in str(refused.value.message)
    (change,) = refused.value.context["changes"]
    assert change["actor"] == "colleague"
    assert change["changes"]["budget"] == ["480000.00", "520000.00"]
    assert refused.value.context["current_version"] == 2
    assert _state() == before


# --- progress reports ---------------------------------------------------------

@pytest.fixture
def building(village):
    return ProjectFactory(
        village=village, status=S.UNDER_CONSTRUCTION, planned_start=datetime.date(2025, 3, 1),
        actual_start=datetime.date(2025, 3, 5), planned_end=datetime.date(2026, 12, 31),
    )


def _report(actor, project, **overrides):
    values = dict(report_date=datetime.date(2025, 5, 10), percent_complete=40, amount_spent=Decimal("150000"), narrative="管网完成四成")
    values.update(overrides)
    return services.progress_report_create(actor=actor, project=project, **values)


def test_progress_report_with_photos_updates_the_project(people, building):
    report = _report(
        people["official"], building,
        photos=[upload("现场1.jpg", data=image_bytes(exif=exif_with())), upload("现场2.png", data=image_bytes("PNG"))],
    )
    building.refresh_from_db()
    assert (building.percent_complete, building.last_reported_on) == (40, datetime.date(2025, 5, 10))
    first, second = report.photos.order_by("id")
    assert first.content_type == "image/jpeg" and second.content_type == "image/png"
    assert first.gps_latitude == Decimal("30.458333") and first.taken_at is not None
    assert first.width == 640 and first.thumbnail.name.endswith(".jpg")
    assert first.image.storage.exists(first.image.name) and first.thumbnail.storage.exists(first.thumbnail.name)
    assert first.uploaded_by == people["official"]
    audited = AuditEntry.objects.filter(action=AuditAction.CREATE, content_type__model="progressphoto")
    assert audited.count() == 2 and set(audited.values_list("note", flat=True)) == {"现场1.jpg", "现场2.png"}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"report_date": timezone.localdate() + datetime.timedelta(days=1)}, "report_date"),
        ({"report_date": datetime.date(2025, 3, 4)}, "report_date"),
        ({"percent_complete": 101}, "percent_complete"),
        ({"percent_complete": -1}, "percent_complete"),
        ({"amount_spent": Decimal("-1")}, "amount_spent"),
    ],
)
def test_bad_progress_is_refused_on_its_field(people, building, overrides, field):
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        _report(people["official"], building, **overrides)
    assert field in refused.value.field_errors
    assert _state() == before


def test_lowering_percent_needs_a_correction_reason(people, building):
    _report(people["official"], building, percent_complete=60)
    with pytest.raises(InvalidInput) as refused:
        _report(people["official"], building, report_date=datetime.date(2025, 6, 1), percent_complete=50)
    assert "60%" in refused.value.field_errors["percent_complete"][0]
    _report(people["official"], building, report_date=datetime.date(2025, 6, 1), percent_complete=50, correction_reason="上次误报")
    building.refresh_from_db()
    assert building.percent_complete == 50


def test_one_bad_photo_refuses_the_whole_report_and_leaves_no_files(people, building, settings):
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        _report(people["official"], building, photos=[upload("ok.jpg"), upload("notes.jpg", data=b"just text"), upload("bomb.png", data=bomb_png())])
    messages = refused.value.field_errors["photos"]
    assert len(messages) == 2 and "notes.jpg" in messages[0] and "bomb.png" in messages[1]
    assert _state() == before
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_files_are_removed_when_the_report_is_refused_after_storing(people, building, settings, monkeypatch):
    """A failure after the files were written (here: the audit write) rolls back rows and files."""
    from core import audit

    calls = {"n": 0}
    real = audit.record_create

    def failing(**kwargs):
        calls["n"] += 1
        if kwargs["obj"].__class__ is ProgressPhoto:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(audit, "record_create", failing)
    before = _state()
    with pytest.raises(RuntimeError):
        _report(people["official"], building, photos=[upload("ok.jpg")])
    assert _state() == before
    assert not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_at_most_nine_photos(people, building):
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        _report(people["official"], building, photos=[upload(f"p{i}.jpg", size=(32, 32)) for i in range(10)])
    assert "9" in refused.value.field_errors["photos"][0]
    assert _state() == before
    report = _report(people["official"], building, photos=[upload(f"p{i}.jpg", size=(32, 32)) for i in range(9)])
    assert report.photos.count() == 9


def test_progress_on_a_draft_is_refused(people, village):
    project = ProjectFactory(village=village, status=S.DRAFT)
    with pytest.raises(IllegalTransition):
        _report(people["official"], project)


@pytest.mark.parametrize("who", ["neighbour", "county", "supervisor"])
def test_only_the_township_reports_progress(people, building, who):
    before = _state()
    with pytest.raises(NotPermitted):
        _report(people[who], building, photos=[upload()])
    assert _state() == before
