"""The rules of planning's services: what the plan promises, how projects cite it, who sets targets."""
import datetime
from decimal import Decimal

import pytest

from assessment import services as assessment_services
from assessment.models import Assessment, SchemeKind
from core.exceptions import IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from planning import services
from planning.models import ExceptionStatus, Plan, PlanCitation, PlanStatus, Target
from projects import services as project_services
from projects.models import Project, ProjectStatus
from tests.factories import (
    AssessmentSchemeFactory,
    CreationListEntryFactory,
    IndicatorFactory,
    PlanFactory,
    PlanItemFactory,
    ProjectFactory,
    TargetFactory,
    VillageFactory,
    project_in,
    region,
    user_with,
)
from tests.pdfs import pdf_bytes, pdf_upload

S = ProjectStatus
PLAN_DATA = {"title": "鲁家村村庄建设规划", "approved_on": datetime.date(2023, 6, 1), "approved_by": "递铺街道办事处",
             "valid_from": datetime.date(2023, 1, 1), "valid_until": datetime.date(2027, 12, 31)}


@pytest.fixture
def item(village):
    return PlanItemFactory(plan=PlanFactory(village=village), kind="sewage", quantity=Decimal("3"))


def _state():
    return (AuditEntry.objects.count(), Project.objects.count(), PlanCitation.objects.count(), Plan.objects.count(),
            Target.objects.count(), list(Project.objects.values_list("status", flat=True).order_by("pk")),
            list(PlanCitation.objects.values_list("item_id", "exception_status").order_by("pk")))


# --- approval needs the plan -------------------------------------------------------------------------------------

def _submitted(village, **kw):
    return ProjectFactory(village=village, status=S.SUBMITTED, type="sewage", **kw)


def test_a_project_citing_no_plan_item_is_not_approved(county, village):
    project = _submitted(village, plan_citation=None)
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        project_services.project_transition(actor=county, project=project, action="approve")
    assert "plan_item" in refused.value.field_errors
    assert _state() == before


@pytest.mark.parametrize("decision, approved", [(None, False), (False, False), (True, True)])
def test_a_project_outside_the_plan_is_approved_only_with_the_countys_exception(official, county, village, decision, approved):
    project = _submitted(village, plan_citation=None)
    citation = services.citation_set(actor=official, project=project, out_of_plan_reason="山洪冲毁村道，应急抢修")
    assert citation.exception_status == ExceptionStatus.PENDING
    if decision is not None:
        services.exception_decide(actor=county, citation=citation, approve=decision, note="" if decision else "请先修编规划")
    if approved:
        moved = project_services.project_transition(actor=county, project=project, action="approve")
        assert moved.status == S.APPROVED
    else:
        with pytest.raises(InvalidInput):
            project_services.project_transition(actor=county, project=project, action="approve")
        assert Project.objects.get(pk=project.pk).status == S.SUBMITTED


def test_a_project_citing_an_item_is_approved(county, village):
    project = _submitted(village)  # the factory cites an item of the village's plan
    assert project.plan_citation.item is not None
    assert project_services.project_transition(actor=county, project=project, action="approve").status == S.APPROVED


def test_refusing_an_exception_needs_a_note_and_only_the_county_decides(official, county, village):
    project = _submitted(village, plan_citation=None)
    citation = services.citation_set(actor=official, project=project, out_of_plan_reason="应急")
    before = _state()
    with pytest.raises(InvalidInput):
        services.exception_decide(actor=county, citation=citation, approve=False, note=" ")
    with pytest.raises(NotPermitted):
        services.exception_decide(actor=official, citation=citation, approve=True)
    assert _state() == before


# --- citing ------------------------------------------------------------------------------------------------------

def test_an_item_of_another_village_another_kind_or_a_superseded_plan_cannot_be_cited(official, village, item):
    project = _submitted(village, plan_citation=None)
    other_village = VillageFactory(code="330523108205")
    elsewhere = PlanItemFactory(plan=PlanFactory(village=other_village), kind="sewage")
    toilets = PlanItemFactory(plan=item.plan, kind="toilet")
    old = PlanItemFactory(plan=PlanFactory(village=village, version=2, status=PlanStatus.SUPERSEDED,
                                           change_reason="旧版"), kind="sewage")
    before = _state()
    for wrong in (elsewhere, toilets, old):
        with pytest.raises(InvalidInput) as refused:
            services.citation_set(actor=official, project=project, item=wrong)
        assert set(refused.value.field_errors) == {"plan_item"}
    assert _state() == before
    assert services.citation_set(actor=official, project=project, item=item).item == item


def test_a_layout_plan_item_of_the_county_may_be_cited(official, village):
    layout = PlanFactory(kind="layout", village=None, region=region("330523"), title="安吉县村庄布局规划")
    for_all = PlanItemFactory(plan=layout, village=None, kind="sewage")
    project = _submitted(village, plan_citation=None)
    assert services.citation_set(actor=official, project=project, item=for_all).item == for_all


def test_the_citation_of_an_approved_project_cannot_change(official, village, item):
    project = project_in(S.APPROVED, village=village)
    before = _state()
    with pytest.raises(IllegalTransition):
        services.citation_set(actor=official, project=project, item=item)
    assert _state() == before


def test_a_project_created_from_an_item_cites_it_with_its_kind_and_quantity(official, village, item):
    project = services.project_create_from_item(actor=official, item=item, village=village, data={
        "type": "road", "name": "余村污水管网工程", "budget": Decimal("450000"), "planned_start": datetime.date(2025, 3, 1),
        "planned_end": datetime.date(2025, 9, 30), "responsible_person": "潘立新",
    })
    assert (project.type, project.planned_output, project.plan_citation.item) == ("sewage", Decimal("3.00"), item)


def test_a_refused_citation_rolls_the_new_project_back(official, village):
    elsewhere = PlanItemFactory(plan=PlanFactory(village=VillageFactory(code="330523108205")))
    before = _state()
    with pytest.raises(InvalidInput):
        services.project_create_from_item(actor=official, item=elsewhere, village=village, data={
            "name": "x", "budget": Decimal("1"), "planned_start": datetime.date(2025, 3, 1),
            "planned_end": datetime.date(2025, 9, 30), "responsible_person": "潘立新",
        })
    assert _state() == before


# --- plans and their versions ------------------------------------------------------------------------------------

def test_a_revision_supersedes_keeps_the_old_version_and_carries_projects_over(official, village, item):
    project = _submitted(village, plan_citation=None)
    services.citation_set(actor=official, project=project, item=item)
    with pytest.raises(InvalidInput):
        services.plan_revise(actor=official, plan=item.plan, data=PLAN_DATA, reason="  ")
    new = services.plan_revise(actor=official, plan=item.plan, data=PLAN_DATA, reason="按县布局规划修编")
    old = Plan.objects.get(pk=item.plan_id)
    assert (old.status, new.status, new.version, new.supersedes) == (PlanStatus.SUPERSEDED, PlanStatus.CURRENT, 2, old)
    assert old.items.get() == item  # what was promised stays on the old version
    copy = new.items.get()
    assert (copy.carried_from, copy.quantity, copy.kind) == (item, item.quantity, item.kind)
    assert PlanCitation.objects.get(project=project).item == copy
    with pytest.raises(IllegalTransition):
        services.plan_item_add(actor=official, plan=old, data={}, reason="x")


def test_a_second_first_version_is_refused(official, village):
    services.plan_create(actor=official, area=village, data=PLAN_DATA)
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.plan_create(actor=official, area=village, data=PLAN_DATA)
    assert set(refused.value.field_errors) == {"area"}
    assert _state() == before


@pytest.mark.parametrize("name, content, message", [
    ("plan.pdf", b"GIF89a not a pdf at all", "不是 PDF"),
    ("plan.pdf", pdf_bytes(password="secret"), "密码"),
    ("plan.pdf", b"%PDF-1.7\n garbage that is no pdf structure", "损坏"),
    ("plan.pdf", b"", "空"),
])
def test_a_document_that_is_no_readable_pdf_is_refused_and_nothing_is_stored(official, village, settings, name, content, message):
    from django.utils import translation

    before = _state()
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        services.plan_create(actor=official, area=village, data=PLAN_DATA, document=pdf_upload(name, content))
    assert message in refused.value.field_errors["document"][0]
    assert _state() == before
    media = settings.MEDIA_ROOT / "plans"
    assert not media.exists() or not any(media.rglob("*.pdf"))


def test_an_oversized_document_is_refused_before_it_is_read(official, village, monkeypatch):
    from planning import documents

    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 1000)
    with pytest.raises(InvalidInput) as refused:
        services.plan_create(actor=official, area=village, data=PLAN_DATA, document=pdf_upload(content=pdf_bytes(pages=30)))
    assert "MB" in refused.value.field_errors["document"][0]
    assert not Plan.objects.exists()


def test_a_pdf_is_stored_with_its_size(official, village):
    plan = services.plan_create(actor=official, area=village, data=PLAN_DATA, document=pdf_upload())
    assert plan.document.name.endswith(".pdf") and plan.document_size == len(pdf_bytes())
    with plan.document.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def test_a_cited_item_cannot_be_removed_nor_change_its_kind(official, village, item):
    services.citation_set(actor=official, project=_submitted(village, plan_citation=None), item=item)
    before = _state()
    with pytest.raises(IllegalTransition):
        services.plan_item_remove(actor=official, item=item, reason="取消")
    with pytest.raises(InvalidInput):
        services.plan_item_update(actor=official, item=item, data={"kind": "road"}, reason="改")
    assert _state() == before


def test_an_item_outside_the_plans_years_or_with_no_quantity_is_refused(official, item):
    with pytest.raises(InvalidInput) as refused:
        services.plan_item_add(actor=official, plan=item.plan, reason="新增", data={
            "kind": "road", "name": "村道", "quantity": "0", "estimated_cost": "1,000", "planned_year": 2031,
        })
    assert set(refused.value.field_errors) == {"quantity", "planned_year"}


# --- targets -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, code, allowed", [
    ("official", "330523108", False),  # a township does not set its own target
    ("county", "330523108", True),  # the county sets its townships'
    ("county", "330523", False),  # ... not its own
    ("city", "330523", True),  # the city sets its counties'
    ("city", "3305", False),
    ("province", "3305", True),
    ("province", "33", True),  # the province sets its own
    ("other_county", "330523108", False),
    ("anonymous", "330523108", False),
])
def test_targets_are_set_by_the_level_above(db, who, code, allowed):
    from django.contrib.auth.models import AnonymousUser

    users = {
        "official": (Role.TOWNSHIP_OFFICIAL, "330523108"), "county": (Role.COUNTY_STAFF, "330523"),
        "city": (Role.SUPERVISOR, "3305"), "province": (Role.SUPERVISOR, "33"), "other_county": (Role.COUNTY_STAFF, "330522"),
    }
    actor = AnonymousUser() if who == "anonymous" else user_with(who, users[who])
    place = region(code)
    before = _state()
    if allowed:
        target = services.target_set(actor=actor, region=place, year=2025, kind="toilet", quantity="300")
        assert (target.region_id, target.quantity) == (code, Decimal("300.00"))
    else:
        with pytest.raises(NotPermitted):
            services.target_set(actor=actor, region=place, year=2025, kind="toilet", quantity="300")
        assert _state() == before


def test_a_breakdown_is_all_or_nothing(county):
    parent = TargetFactory(region=region("330523"), kind="sewage", quantity=Decimal("120"))
    region("330523108"), region("330523001"), region("330522001")
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.target_break_down(actor=county, parent=parent, quantities={"330523108": "60", "330522001": "60"})
    assert set(refused.value.field_errors) == {"330522001"}
    with pytest.raises(InvalidInput):
        services.target_break_down(actor=county, parent=parent, quantities={"330523108": "60", "330523001": "-1"})
    assert _state() == before
    made = services.target_break_down(actor=county, parent=parent, quantities={"330523108": "60", "330523001": ""})
    assert [(t.region_id, t.year, t.kind, t.quantity) for t in made] == [("330523108", 2024, "sewage", Decimal("60.00"))]


# --- creation lists and the acceptance rounds --------------------------------------------------------------------

def test_creation_list_refuses_villages_outside_the_county(county, village):
    elsewhere = VillageFactory(township_code="330522001", code="330522001201")
    before = _state()
    with pytest.raises((InvalidInput, NotPermitted)):
        services.creation_list_add(actor=county, county=region("330523"), year=2025, category="demonstration",
                                   villages=[village, elsewhere])
    assert _state() == before


def test_an_acceptance_round_assesses_the_villages_on_the_creation_list(county, village):
    listed = village
    unlisted = VillageFactory(code="330523108205")
    scheme = AssessmentSchemeFactory(kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"), category="renovation")
    IndicatorFactory(scheme=scheme)
    # No list kept: every renovation village of the county.
    assert assessment_services.creation_list(scheme, "330523") is None
    CreationListEntryFactory(village=listed, year=2025, category="demonstration")
    CreationListEntryFactory(village=unlisted, year=2025, category="boutique")  # another category's list
    assert assessment_services.round_start(actor=county, scheme=scheme, period="2025", county_code="330523") == 1
    assert list(Assessment.objects.values_list("village_id", flat=True)) == [listed.code]
    with pytest.raises(InvalidInput) as refused:
        assessment_services.assessment_start(actor=county, scheme=scheme, village=unlisted, period="2025")
    assert set(refused.value.field_errors) == {"village"}


# --- outputs -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("output", [None, "", "abc", "-1", "1.234", "NaN"])
def test_acceptance_needs_a_valid_actual_output(county, village, output):
    project = project_in(S.COMPLETED, village=village)
    with pytest.raises(InvalidInput) as refused:
        project_services.project_transition(actor=county, project=project, action="accept", actual_output=output,
                                            maintenance={"maintenance_body": "village_collective", "maintenance_owner": "村委会"})
    assert set(refused.value.field_errors) == {"actual_output"}
    assert Project.objects.get(pk=project.pk).status == S.COMPLETED
