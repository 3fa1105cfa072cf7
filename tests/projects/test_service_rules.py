"""The rules of projects.services, one by one: every refusal with its field and the Chinese message the user
sees, who is recorded, and both sides of every boundary (dates, percentages, lifecycle fields)."""
import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone, translation

from core import audit
from core.exceptions import IllegalTransition, InvalidInput, StaleVersion
from core.models import AuditAction, Role
from projects import services
from projects.models import ProgressReport, Project, ProjectStatus, ProjectTransition
from tests.factories import ProjectFactory, VillageFactory, user_with
from tests.images import image_bytes, upload

S = ProjectStatus
ZH = "zh-hans"


@pytest.fixture
def official(db):
    return user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def county(db):
    return user_with("county", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


@pytest.fixture
def stats_calls(monkeypatch):
    """The village codes whose dashboard rows were asked to be rebuilt."""
    calls = []
    monkeypatch.setattr(services, "village_changed", calls.append)
    return calls


DATA = {
    "type": "sewage", "name": "生活污水治理", "budget": Decimal("480000"), "planned_start": datetime.date(2025, 3, 1),
    "planned_end": datetime.date(2025, 11, 30), "responsible_person": "张建国",
}


def _zh(call):
    """Run a service call under Chinese and return the domain error it raises."""
    with translation.override(ZH), pytest.raises((InvalidInput, IllegalTransition, StaleVersion)) as refused:
        call()
    return refused.value


# --- project_create ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"planned_end": datetime.date(2025, 2, 28)}, "planned_end", "计划完工日期不得早于计划开工日期。"),
        ({"budget": Decimal("-0.01")}, "budget", "预算不得为负数。"),
        ({"status": S.APPROVED}, "status", "此处不能设置该字段。"),
        ({"version": 7}, "version", "此处不能设置该字段。"),
    ],
)
def test_create_refusals(official, village, changes, field, message):
    error = _zh(lambda: services.project_create(actor=official, village=village, data={**DATA, **changes}))
    assert isinstance(error, InvalidInput)
    assert error.field_errors == {field: [message]}
    assert not Project.objects.exists()


def test_create_refuses_every_unknown_field_at_once(official, village):
    error = _zh(lambda: services.project_create(actor=official, village=village, data={**DATA, "status": "x", "actual_end": "y"}))
    assert error.field_errors == {"status": ["此处不能设置该字段。"], "actual_end": ["此处不能设置该字段。"]}


@pytest.mark.parametrize(
    "changes",
    [
        {"planned_end": datetime.date(2025, 3, 1)},  # ends the day it starts
        {"budget": Decimal("0")},
    ],
)
def test_create_accepts_the_boundaries(official, village, changes, stats_calls):
    project = services.project_create(actor=official, village=village, data={**DATA, **changes})
    project.refresh_from_db()
    assert project.status == S.DRAFT and project.version == 1
    assert project.created_by == official and project.updated_by == official
    (step,) = ProjectTransition.objects.filter(project=project)
    assert (step.from_status, step.to_status, step.actor) == ("", S.DRAFT, official)
    assert stats_calls == ["330523108204"]


# --- changes_since and the stale-version refusal ---------------------------------------------------------

def test_changes_since_lists_the_saves_after_a_version(official, village):
    project = services.project_create(actor=official, village=village, data=DATA)
    project = services.project_update(actor=official, project=project, data={"name": "二期"}, expected_version=1)
    project = services.project_update(actor=official, project=project, data={"name": "三期"}, expected_version=2)
    assert [e.changes["name"] for e in services.changes_since(project, 1)] == [["二期", "三期"], ["生活污水治理", "二期"]]
    assert [e.changes["name"] for e in services.changes_since(project, 2)] == [["二期", "三期"]]
    assert services.changes_since(project, 3) == []


def _bump_behind_the_back(project, actor):
    """A change recorded with the given actor (None: the system), as a command would make it."""
    with transaction.atomic():
        Project.objects.filter(pk=project.pk).update(version=project.version + 1)
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=project, changes={"version": [project.version, project.version + 1]})


def test_stale_version_names_everyone_who_saved_in_between(official, village):
    project = services.project_create(actor=official, village=village, data=DATA)
    colleague = user_with("colleague", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    another = user_with("another", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    services.project_update(actor=colleague, project=project, data={"name": "二期"}, expected_version=1)
    services.project_update(actor=another, project=project, data={"name": "三期"}, expected_version=2)
    services.project_update(actor=colleague, project=project, data={"name": "四期"}, expected_version=3)
    error = _zh(lambda: services.project_update(actor=official, project=project, data={"name": "x"}, expected_version=1))
    assert str(error.message) == "您编辑期间，another, colleague 修改了此项目。请查看其修改后重试。"
    assert [c["actor"] for c in error.context["changes"]] == ["colleague", "another", "colleague"]
    assert error.context["current_version"] == 4
    assert Project.objects.get(pk=project.pk).name == "四期"


def test_stale_version_by_the_system_says_someone(official, village):
    project = services.project_create(actor=official, village=village, data=DATA)
    _bump_behind_the_back(project, None)
    error = _zh(lambda: services.project_update(actor=official, project=project, data={"name": "x"}, expected_version=1))
    assert str(error.message) == "您编辑期间，他人 修改了此项目。请查看其修改后重试。"
    (change,) = error.context["changes"]
    assert change["actor"] == "" and change["changes"] == {"version": [1, 2]}
    with translation.override("en"), pytest.raises(StaleVersion) as refused:
        services.project_update(actor=official, project=project, data={"name": "x"}, expected_version=1)
    assert str(refused.value.message).startswith("someone changed this project while you were editing it.")


def test_stale_version_with_nothing_to_show_says_someone(official, village):
    """An editor holding a version the project never had (a forged or very old form) is refused too."""
    project = services.project_create(actor=official, village=village, data=DATA)
    error = _zh(lambda: services.project_update(actor=official, project=project, data={"name": "x"}, expected_version=5))
    assert str(error.message) == "您编辑期间，他人 修改了此项目。请查看其修改后重试。"
    assert error.context == {"changes": [], "current_version": 1}
    with translation.override("en"), pytest.raises(StaleVersion) as refused:
        services.project_update(actor=official, project=project, data={"name": "x"}, expected_version=5)
    assert str(refused.value.message) == (
        "Someone changed this project while you were editing it. Review their changes and try again."
    )


# --- project_update -----------------------------------------------------------------------------------

def test_update_refuses_fields_that_are_not_content(official, village):
    project = ProjectFactory(village=village, status=S.DRAFT)
    error = _zh(lambda: services.project_update(
        actor=official, project=project, data={"status": S.APPROVED, "percent_complete": 90, "name": "x"}, expected_version=1
    ))
    assert error.field_errors == {"status": ["此处不能设置该字段。"], "percent_complete": ["此处不能设置该字段。"]}


@pytest.mark.parametrize("status, label", [(S.ACCEPTED, "已验收"), (S.CANCELLED, "已取消")])
def test_closed_projects_cannot_be_edited_at_all(official, village, status, label):
    extra = {"actual_start": datetime.date(2025, 3, 1), "actual_end": datetime.date(2025, 9, 1),
             "maintenance_body": "village_collective", "maintenance_owner": "村委会"} if status == S.ACCEPTED else {}
    project = ProjectFactory(village=village, status=status, **extra)
    error = _zh(lambda: services.project_update(
        actor=official, project=project, data={"description": "补充说明"}, expected_version=1
    ))
    assert isinstance(error, IllegalTransition)
    assert str(error.message) == f"状态为“{label}”的项目不能再编辑。"
    assert Project.objects.get(pk=project.pk).description != "补充说明"


@pytest.mark.parametrize("status, label", [(S.SUBMITTED, "已提交"), (S.APPROVED, "已批准"), (S.UNDER_CONSTRUCTION, "在建")])
def test_after_submission_only_the_contact_fields_change(official, village, status, label, stats_calls):
    project = ProjectFactory(village=village, status=status, name="旧名", budget=Decimal("100000"))
    error = _zh(lambda: services.project_update(
        actor=official, project=project, data={"name": "新名", "budget": Decimal("100000"), "type": project.type,
                                               "description": "改了"}, expected_version=1
    ))
    assert isinstance(error, InvalidInput)
    assert error.field_errors == {"name": [f"项目状态为“{label}”后不能再修改。"]}
    # The same values sent back (a whole form) and the always-editable fields go through.
    updated = services.project_update(
        actor=official, project=project,
        data={"name": "旧名", "budget": Decimal("100000.00"), "description": "说明", "responsible_person": "李四",
              "responsible_phone": "13800000000"},
        expected_version=1,
    )
    updated.refresh_from_db()
    assert (updated.name, updated.description, updated.responsible_person, updated.responsible_phone) == (
        "旧名", "说明", "李四", "13800000000")
    assert updated.version == 2 and updated.updated_by == official
    assert stats_calls == ["330523108204"]


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED])
def test_drafts_and_returned_projects_change_freely(official, village, status):
    project = ProjectFactory(village=village, status=status, planned_start=datetime.date(2025, 3, 1),
                             planned_end=datetime.date(2025, 9, 1))
    updated = services.project_update(actor=official, project=project, data={"name": "新名", "budget": Decimal("1")},
                                      expected_version=1)
    updated.refresh_from_db()
    assert (updated.name, updated.budget, updated.version, updated.updated_by) == ("新名", Decimal("1.00"), 2, official)


def test_update_checks_dates_against_the_stored_ones(official, village):
    project = ProjectFactory(village=village, status=S.DRAFT, planned_start=datetime.date(2025, 3, 1),
                             planned_end=datetime.date(2025, 9, 1))
    error = _zh(lambda: services.project_update(
        actor=official, project=project, data={"planned_end": datetime.date(2025, 2, 28)}, expected_version=1))
    assert error.field_errors == {"planned_end": ["计划完工日期不得早于计划开工日期。"]}
    error = _zh(lambda: services.project_update(
        actor=official, project=project, data={"planned_start": datetime.date(2025, 9, 2)}, expected_version=1))
    assert error.field_errors == {"planned_end": ["计划完工日期不得早于计划开工日期。"]}
    updated = services.project_update(actor=official, project=project, data={"planned_start": datetime.date(2025, 9, 1)},
                                      expected_version=1)
    assert updated.planned_start == datetime.date(2025, 9, 1)


# --- project_transition -------------------------------------------------------------------------------

def test_available_actions_follow_status_and_role(official, county, village):
    neighbour = user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523001"))
    draft = ProjectFactory(village=village, status=S.DRAFT)
    submitted = ProjectFactory(village=village, status=S.SUBMITTED)
    names = lambda user, project: [a.name for a in services.available_actions(user, project)]  # noqa: E731
    assert names(official, draft) == ["submit", "discard"]
    assert names(county, draft) == []
    assert names(county, submitted) == ["approve", "return"]
    assert names(official, submitted) == ["withdraw"] and names(neighbour, draft) == []


def test_a_move_without_a_reason_records_none(official, village):
    project = ProjectFactory(village=village, status=S.DRAFT)
    services.project_transition(actor=official, project=project, action="submit", reason=None)
    step = ProjectTransition.objects.get(project=project)
    assert (step.from_status, step.to_status, step.reason, step.actor) == (S.DRAFT, S.SUBMITTED, "", official)


def test_unknown_action(official, village):
    project = ProjectFactory(village=village, status=S.DRAFT)
    error = _zh(lambda: services.project_transition(actor=official, project=project, action="fly"))
    assert isinstance(error, IllegalTransition) and str(error.message) == "未知操作“fly”。"


@pytest.mark.parametrize(
    "who, status, action, message",
    [
        ("county", S.DRAFT, "approve", "状态为“草稿”的项目不能执行“批准”操作。"),
        ("official", S.SUBMITTED, "submit", "状态为“已提交”的项目不能执行“提交审批”操作。"),
        # The target is a legal next status, but not by this action.
        ("official", S.APPROVED, "withdraw", "状态为“已批准”的项目不能执行“撤回”操作。"),
        ("county", S.SUSPENDED, "rework", "状态为“已暂停”的项目不能执行“验收不通过，返工”操作。"),
    ],
)
def test_illegal_moves_name_the_action_and_status(official, county, village, who, status, action, message):
    actor = {"official": official, "county": county}[who]
    project = ProjectFactory(village=village, status=status, actual_start=datetime.date(2025, 3, 1))
    error = _zh(lambda: services.project_transition(actor=actor, project=project, action=action, reason="理由"))
    assert isinstance(error, IllegalTransition) and str(error.message) == message
    assert Project.objects.get(pk=project.pk).status == status


@pytest.mark.parametrize(
    "who, status, action",
    [("official", S.DRAFT, "discard"), ("official", S.RETURNED, "discard"), ("county", S.SUBMITTED, "return"), ("county", S.COMPLETED, "rework"),
     ("county", S.APPROVED, "suspend"), ("county", S.SUSPENDED, "cancel")],
)
def test_these_moves_need_a_reason(official, county, village, who, status, action):
    actor = {"official": official, "county": county}[who]
    dates = {"actual_start": datetime.date(2025, 3, 1), "actual_end": datetime.date(2025, 9, 1)} if status == S.COMPLETED else {}
    project = ProjectFactory(village=village, status=status, **dates)
    error = _zh(lambda: services.project_transition(actor=actor, project=project, action=action, reason=" \n "))
    assert error.field_errors == {"reason": ["请填写原因。"]}
    moved = services.project_transition(actor=actor, project=project, action=action, reason="  资金未到位 ")
    step = ProjectTransition.objects.get(project=project, from_status=status)
    assert (step.reason, step.actor, step.to_status) == ("资金未到位", actor, moved.status)
    assert moved.updated_by == actor and moved.version == 2


def test_starting_sets_the_actual_start_once(official, county, village):
    project = ProjectFactory(village=village, status=S.APPROVED)
    project = services.project_transition(actor=official, project=project, action="start", on_date=datetime.date(2025, 4, 2))
    assert project.actual_start == datetime.date(2025, 4, 2) and project.actual_end is None
    project = services.project_transition(actor=county, project=project, action="suspend", reason="汛期")
    project = services.project_transition(actor=county, project=project, action="resume", on_date=datetime.date(2025, 7, 1))
    project.refresh_from_db()
    assert project.actual_start == datetime.date(2025, 4, 2)


def test_starting_without_a_date_is_today(official, village):
    project = services.project_transition(actor=official, project=ProjectFactory(village=village, status=S.APPROVED), action="start")
    assert project.actual_start == timezone.localdate()


def test_completion_date_is_never_before_the_start_and_rework_clears_it(official, county, village):
    project = ProjectFactory(village=village, status=S.UNDER_CONSTRUCTION, actual_start=datetime.date(2025, 4, 2))
    project = services.project_transition(actor=official, project=project, action="complete", on_date=datetime.date(2025, 4, 1))
    assert project.actual_end == datetime.date(2025, 4, 2)
    project = services.project_transition(actor=county, project=project, action="rework", reason="渗漏")
    project.refresh_from_db()
    assert project.status == S.UNDER_CONSTRUCTION and project.actual_end is None
    assert project.actual_start == datetime.date(2025, 4, 2)
    project = services.project_transition(actor=official, project=project, action="complete", on_date=datetime.date(2025, 10, 8))
    project.refresh_from_db()
    assert project.actual_end == datetime.date(2025, 10, 8)


def test_completion_without_a_date_is_today(official, village):
    project = ProjectFactory(village=village, status=S.UNDER_CONSTRUCTION, actual_start=datetime.date(2025, 4, 2))
    project = services.project_transition(actor=official, project=project, action="complete")
    assert project.actual_end == timezone.localdate()


@pytest.fixture
def completed(village):
    return ProjectFactory(village=village, status=S.COMPLETED, actual_start=datetime.date(2025, 3, 2),
                          actual_end=datetime.date(2025, 9, 1), property_owner="旧产权人")


@pytest.mark.parametrize(
    "maintenance, missing",
    [
        (None, {"maintenance_body", "maintenance_owner"}),
        ({"maintenance_body": "village_collective"}, {"maintenance_owner"}),
        ({"maintenance_body": "  ", "maintenance_owner": "余村村委会"}, {"maintenance_body"}),
        ({"maintenance_body": None, "maintenance_owner": " \t"}, {"maintenance_body", "maintenance_owner"}),
    ],
)
def test_acceptance_needs_body_and_owner(county, completed, maintenance, missing):
    error = _zh(lambda: services.project_transition(
        actor=county, project=completed, action="accept", maintenance=maintenance, actual_output="3"))
    assert error.field_errors == {f: ["项目验收时必填（建管并重）。"] for f in missing}
    assert Project.objects.get(pk=completed.pk).status == S.COMPLETED


def test_acceptance_records_the_maintenance_arrangement(county, completed, stats_calls):
    project = services.project_transition(
        actor=county, project=completed, action="accept",
        maintenance={"maintenance_body": " village_collective ", "maintenance_owner": " 余村村委会\n", "property_owner": " 余村 ",
                     "status": "draft"}, actual_output=" 3.50 ",
    )
    project.refresh_from_db()
    assert (project.status, project.maintenance_body, project.maintenance_owner, project.property_owner) == (
        S.ACCEPTED, "village_collective", "余村村委会", "余村")
    assert (project.actual_output, project.accepted_on) == (Decimal("3.50"), timezone.localdate())
    assert project.updated_by == county and project.version == 2
    assert stats_calls == ["330523108204"]


def test_acceptance_without_a_property_owner_keeps_the_one_on_file(county, completed):
    project = services.project_transition(
        actor=county, project=completed, action="accept",
        maintenance={"maintenance_body": "village_collective", "maintenance_owner": "余村村委会"}, actual_output=1,
    )
    project.refresh_from_db()
    assert project.property_owner == "旧产权人"


# --- progress reports ---------------------------------------------------------------------------------

@pytest.fixture
def building(village):
    return ProjectFactory(
        village=village, status=S.UNDER_CONSTRUCTION, planned_start=datetime.date(2025, 3, 1),
        actual_start=datetime.date(2025, 3, 5), planned_end=datetime.date(2026, 12, 31),
    )


def _report(actor, project, **overrides):
    values = dict(report_date=datetime.date(2025, 5, 10), percent_complete=40, amount_spent=Decimal("150000"))
    values.update(overrides)
    return services.progress_report_create(actor=actor, project=project, **values)


@pytest.mark.parametrize(
    "status, label",
    [(S.DRAFT, "草稿"), (S.SUBMITTED, "已提交"), (S.RETURNED, "已退回"), (S.CANCELLED, "已取消")],
)
def test_progress_only_on_approved_projects(official, village, status, label):
    project = ProjectFactory(village=village, status=status)
    error = _zh(lambda: _report(official, project))
    assert isinstance(error, IllegalTransition)
    assert str(error.message) == f"只有已批准的项目才能填报进度；此项目状态为“{label}”。"


def test_progress_on_an_accepted_project_is_refused(official, village):
    project = ProjectFactory(village=village, status=S.ACCEPTED, actual_start=datetime.date(2025, 3, 1),
                             actual_end=datetime.date(2025, 9, 1), maintenance_body="village_collective", maintenance_owner="村委会")
    error = _zh(lambda: _report(official, project))
    assert str(error.message) == "只有已批准的项目才能填报进度；此项目状态为“已验收”。"


@pytest.mark.parametrize("status", [S.APPROVED, S.UNDER_CONSTRUCTION, S.SUSPENDED, S.COMPLETED])
def test_progress_on_every_open_status(official, village, status):
    dates = {"actual_start": datetime.date(2025, 3, 1), "actual_end": datetime.date(2025, 9, 1)} if status == S.COMPLETED else {}
    project = ProjectFactory(village=village, status=status, **dates)
    report = _report(official, project)
    assert report.reporter == official and report.project == project


@pytest.mark.parametrize(
    "overrides, errors",
    [
        ({"report_date": "tomorrow"}, {"report_date": ["填报日期不能晚于今天。"]}),
        ({"report_date": datetime.date(2025, 3, 4)}, {"report_date": ["填报日期不能早于项目开工日期（2025-03-05）。"]}),
        ({"percent_complete": 101}, {"percent_complete": ["完成进度必须在 0 到 100 之间。"]}),
        ({"percent_complete": -1}, {"percent_complete": ["完成进度必须在 0 到 100 之间。"]}),
        ({"amount_spent": Decimal("-0.01")}, {"amount_spent": ["支出金额不能为负数。"]}),
        (
            {"report_date": datetime.date(2025, 3, 4), "percent_complete": 101, "amount_spent": Decimal("-1")},
            {"report_date": ["填报日期不能早于项目开工日期（2025-03-05）。"], "percent_complete": ["完成进度必须在 0 到 100 之间。"],
             "amount_spent": ["支出金额不能为负数。"]},
        ),
    ],
)
def test_progress_refusals(official, building, overrides, errors):
    if overrides.get("report_date") == "tomorrow":
        overrides["report_date"] = timezone.localdate() + datetime.timedelta(days=1)
    error = _zh(lambda: _report(official, building, **overrides))
    assert error.field_errors == errors
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [{"report_date": "today"}, {"report_date": datetime.date(2025, 3, 5)}, {"percent_complete": 0},
     {"percent_complete": 100}, {"amount_spent": Decimal("0")}],
)
def test_progress_boundaries_are_accepted(official, building, overrides):
    if overrides.get("report_date") == "today":
        overrides["report_date"] = timezone.localdate()
    report = _report(official, building, **overrides)
    building.refresh_from_db()
    assert (building.percent_complete, building.last_reported_on) == (report.percent_complete, report.report_date)


def test_without_an_actual_start_the_planned_start_bounds_the_report_date(official, village):
    project = ProjectFactory(village=village, status=S.APPROVED, planned_start=datetime.date(2025, 3, 1),
                             planned_end=datetime.date(2025, 12, 1), actual_start=None)
    error = _zh(lambda: _report(official, project, report_date=datetime.date(2025, 2, 28)))
    assert error.field_errors == {"report_date": ["填报日期不能早于项目开工日期（2025-03-01）。"]}
    assert _report(official, project, report_date=datetime.date(2025, 3, 1)).report_date == datetime.date(2025, 3, 1)


def test_lowering_is_measured_against_the_latest_report_by_date(official, building):
    _report(official, building, report_date=datetime.date(2025, 6, 1), percent_complete=60)
    # A late entry for an earlier date: lower than the latest by date, so it needs a reason; it does not
    # move the project's figures, which follow the latest report by date.
    error = _zh(lambda: _report(official, building, report_date=datetime.date(2025, 5, 1), percent_complete=50,
                                correction_reason="  "))
    assert error.field_errors == {"percent_complete": ["低于上次填报的进度（60%）：如需下调，请填写更正原因。"]}
    late = _report(official, building, report_date=datetime.date(2025, 5, 1), percent_complete=50, correction_reason=" 补录 ")
    assert late.correction_reason == "补录"
    building.refresh_from_db()
    assert (building.percent_complete, building.last_reported_on) == (60, datetime.date(2025, 6, 1))
    # Against the latest by date (60), not the last entered (50): 55 is lower.
    with pytest.raises(InvalidInput):
        _report(official, building, report_date=datetime.date(2025, 6, 2), percent_complete=55)
    # The same percent again needs no reason.
    same = _report(official, building, report_date=datetime.date(2025, 6, 2), percent_complete=60)
    assert same.correction_reason == ""


def test_reports_on_the_same_day_follow_the_last_entered(official, building):
    _report(official, building, report_date=datetime.date(2025, 6, 1), percent_complete=30)
    _report(official, building, report_date=datetime.date(2025, 6, 1), percent_complete=50)
    error = _zh(lambda: _report(official, building, report_date=datetime.date(2025, 6, 1), percent_complete=40))
    assert error.field_errors == {"percent_complete": ["低于上次填报的进度（50%）：如需下调，请填写更正原因。"]}
    building.refresh_from_db()
    assert building.percent_complete == 50


def test_a_report_records_its_reporter_and_content(official, building, stats_calls):
    report = _report(official, building, narrative="管网完成四成", problems="雨天", photos=[upload("现场.jpg", size=(64, 48))])
    report.refresh_from_db()
    assert (report.reporter, report.narrative, report.problems, report.amount_spent) == (
        official, "管网完成四成", "雨天", Decimal("150000.00"))
    (photo,) = report.photos.all()
    assert (photo.uploaded_by, photo.caption, photo.content_type, photo.size_bytes) == (
        official, "", "image/jpeg", photo.image.size)
    assert stats_calls == ["330523108204"]


def test_photo_refusals_name_the_photo(official, building):
    error = _zh(lambda: _report(official, building, percent_complete=101, photos=[
        upload("好.jpg", size=(32, 32)), upload("空.jpg", data=b""), upload("文本.jpg", data=b"just text")]))
    assert error.field_errors == {
        "percent_complete": ["完成进度必须在 0 到 100 之间。"],
        "photos": ["第 2 张照片（“空.jpg”）：文件为空。", "第 3 张照片（“文本.jpg”）：不是 JPEG、PNG 或 WebP 图片，或文件已损坏。"],
    }


def _png_with_broken_pixels() -> bytes:
    """A PNG whose header and chunk checksums are sound but whose pixel stream is not zlib: refused only when decoded."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", b"\x78\x9c" + bytes(range(7, 200))) + chunk(b"IEND", b""))


def test_a_photo_refused_while_decoding_is_named_by_its_place(official, building):
    error = _zh(lambda: _report(official, building, photos=[
        upload("好.jpg", size=(32, 32)), upload("坏.png", data=_png_with_broken_pixels())]))
    assert error.field_errors == {"photos": ["第 2 张照片（“坏.png”）：不是 JPEG、PNG 或 WebP 图片，或文件已损坏。"]}
    assert not ProgressReport.objects.exists()


def test_a_broken_photo_is_refused_even_after_a_pdf_was_printed_in_the_process(official, building, monkeypatch):
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on when imported (a bulletin published in a web worker imports
    it): the photos' decoding turns it off for itself, and leaves it as it found it."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # as `import weasyprint` leaves it
    error = _zh(lambda: _report(official, building, photos=[upload("坏.png", data=_png_with_broken_pixels())]))
    assert error.field_errors == {"photos": ["第 1 张照片（“坏.png”）：不是 JPEG、PNG 或 WebP 图片，或文件已损坏。"]}
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True and not ProgressReport.objects.exists()


def test_a_photo_without_a_file_name(official, building):
    import io

    error = _zh(lambda: _report(official, building, photos=[io.BytesIO(b"")]))
    assert error.field_errors == {"photos": ["第 1 张照片（“”）：文件为空。"]}


def test_too_many_photos_message(official, building):
    error = _zh(lambda: _report(official, building, photos=[upload(f"p{i}.jpg", size=(8, 8)) for i in range(10)]))
    assert error.field_errors == {"photos": ["每份报告最多 9 张照片，您选择了 10 张。"]}


def test_the_report_budget_names_the_photo_that_crosses_it(official, building, settings):
    settings.PHOTO_MAX_PIXELS_PER_REPORT = 2 * 640 * 480 - 1
    photos = [upload("一.png", data=image_bytes("PNG")), upload("二.png", data=image_bytes("PNG")),
              upload("三.png", data=image_bytes("PNG"))]
    error = _zh(lambda: _report(official, building, photos=photos))
    assert error.field_errors == {"photos": [
        "第 2 张照片（“二.png”）：加上这张照片，本次报告的照片共需解码 61 万像素，超过每次报告 61 万像素的上限；其余照片请另行上报。"
    ]}
    settings.PHOTO_MAX_PIXELS_PER_REPORT = 3 * 640 * 480
    assert _report(official, building, photos=[upload(f"{i}.png", data=image_bytes("PNG")) for i in range(3)]).photos.count() == 3
