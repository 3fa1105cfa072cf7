"""The planning pages: who sees and changes what, what they show, PDF uploads, and constant query counts."""
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEntry, Role
from planning.models import CreationListEntry, Plan, PlanCitation, PlanItem, PlanKind, Target
from projects.models import Project, ProjectStatus
from tests.factories import (
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

USERS = {
    "anonymous": None,
    "other_area": (Role.TOWNSHIP_OFFICIAL, "330523001"),  # 递铺街道, same county
    "other_county": (Role.COUNTY_STAFF, "330522"),  # 长兴县
    "same_area": (Role.TOWNSHIP_OFFICIAL, "330523108"),  # 天荒坪镇
    "county": (Role.COUNTY_STAFF, "330523"),  # 安吉县
}


@pytest.fixture
def place(db):
    village = VillageFactory(code="330523108204", name="余村村委会")
    other = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    region("330522")
    plan = PlanFactory(village=village)
    item = PlanItemFactory(plan=plan, kind="sewage", name="余村污水管网", quantity=Decimal("2.5"))
    return {"village": village, "other": other, "plan": plan, "item": item}


def _login(client, who):
    if USERS[who] is not None:
        client.force_login(user_with(who, USERS[who]))


def _state():
    return (
        list(Plan.objects.order_by("pk").values()),
        list(PlanItem.objects.order_by("pk").values()),
        list(PlanCitation.objects.order_by("pk").values()),
        list(Target.objects.order_by("pk").values()),
        list(CreationListEntry.objects.order_by("pk").values()),
        list(Project.objects.order_by("pk").values_list("pk", "name")),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other_area", 404), ("same_area", 200), ("county", 200)])
def test_plan_page_shows_items_units_and_completion_to_its_area_only(client, place, who, status):
    accepted = project_in(ProjectStatus.ACCEPTED, village=place["village"], type="sewage", plan_citation=None, name="污水一期")
    PlanCitation.objects.create(project=accepted, item=place["item"])
    _login(client, who)
    response = client.get(reverse("planning:plan_detail", args=[place["plan"].pk]))
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        assert "余村污水管网" in text and "污水一期" in text
        assert str(place["item"].get_unit_display()) in text
        assert response.context["plan"].done_count == 1 and response.context["plan"].item_count == 1


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other_area", 404), ("other_county", 404), ("county", 302)])
def test_item_add_only_by_the_area(client, place, who, status):
    _login(client, who)
    before = _state()
    response = client.post(reverse("planning:item_add", args=[place["plan"].pk]), {
        "kind": "road", "name": "村道", "quantity": "1", "estimated_cost": "1000", "planned_year": "2025",
    })
    assert response.status_code == status
    if status == 302 and who != "anonymous":
        assert place["plan"].items.filter(name="村道").exists()
    else:
        assert _state() == before


def test_item_removal_asks_for_confirmation_and_a_reason(client, place):
    spare = PlanItemFactory(plan=place["plan"], kind="lighting", name="路灯")
    _login(client, "same_area")
    url = reverse("planning:item_remove", args=[spare.pk])
    before = _state()
    response = client.post(url, {"reason": "并入"})
    assert response.status_code == 200 and "core/confirm.html" in [t.name for t in response.templates]
    assert _state() == before
    response = client.post(url, {"reason": "", "confirmed": "yes"})
    assert response.status_code == 200 and _state() == before  # no reason: asked again
    client.post(url, {"reason": "并入亮化工程", "confirmed": "yes"})
    assert not PlanItem.objects.filter(pk=spare.pk).exists()
    assert AuditEntry.objects.filter(note="并入亮化工程").exists()


def _plan_post(document):
    return {"area": "330523001211", "title": "鲁家村村庄建设规划", "approved_on": "2024-04-01", "approved_by": "安吉县人民政府",
            "valid_from": "2024-01-01", "valid_until": "2030-12-31", "document": document}


def test_a_pdf_upload_is_accepted_and_served_through_the_gate(client, place):
    _login(client, "county")
    response = client.post(reverse("planning:plan_create"), _plan_post(pdf_upload("鲁家规划.pdf", pages=2)))
    assert response.status_code == 302
    plan = Plan.objects.get(area_code="330523001211")
    assert plan.document and plan.document_size > 0
    served = client.get(reverse("planning:plan_document", args=[plan.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert b"".join(served.streaming_content).startswith(b"%PDF-")
    client.logout()
    _login(client, "same_area")  # 天荒坪镇 does not see 鲁家村's plan
    assert client.get(reverse("planning:plan_document", args=[plan.pk])).status_code == 404


@pytest.mark.parametrize("make, message", [
    (lambda: SimpleUploadedFile("plan.pdf", b"GIF89a not a pdf at all", content_type="application/pdf"), "不是 PDF"),
    (lambda: pdf_upload(password="secret"), "密码"),
    (lambda: SimpleUploadedFile("big.pdf", pdf_bytes() + b"\n" * 3000, content_type="application/pdf"), "最大"),
])
def test_a_bad_pdf_is_refused_with_a_message_on_the_field(client, place, monkeypatch, make, message):
    import planning.documents

    monkeypatch.setattr(planning.documents, "MAX_DOCUMENT_BYTES", 2000)  # "oversized" without 20 MB in the test
    _login(client, "county")
    before = _state()
    response = client.post(reverse("planning:plan_create"), _plan_post(make()))
    assert response.status_code == 200
    errors = response.context["form"].errors.get("document", [])
    assert errors and message in errors[0], errors
    assert _state() == before


def test_create_a_project_from_an_item(client, place):
    _login(client, "same_area")
    url = reverse("planning:item_project", args=[place["item"].pk])
    page = client.get(url)
    assert page.context["form"].initial["name"] == "余村污水管网" and "type" not in page.context["form"].fields
    response = client.post(url, {"name": "余村污水管网工程", "budget": "400000", "planned_output": "2.5",
                                 "planned_start": "2025-03-01", "planned_end": "2025-10-31", "responsible_person": "李明"})
    project = Project.objects.get(name="余村污水管网工程")
    assert response.status_code == 302 and response["Location"] == reverse("projects:detail", args=[project.pk])
    assert project.type == "sewage" and project.plan_citation.item == place["item"]
    assert "余村污水管网" in client.get(response["Location"]).content.decode()


def test_the_project_page_lets_the_county_refuse_an_exception_with_a_note(client, place):
    project = ProjectFactory(village=place["village"], type="road", status=ProjectStatus.DRAFT, plan_citation=None)
    citation = PlanCitation.objects.create(project=project, out_of_plan_reason="应急", exception_status="pending")
    _login(client, "county")
    assert client.get(reverse("projects:detail", args=[project.pk])).context["decide_form"] is not None
    url = reverse("planning:exception_decide", args=[citation.pk])
    client.post(url, {"decision": "refuse", "decision_note": ""})
    citation.refresh_from_db()
    assert citation.exception_status == "pending"
    client.post(url, {"decision": "refuse", "decision_note": "不符合规划"})
    citation.refresh_from_db()
    assert citation.exception_status == "refused" and citation.decision_note == "不符合规划"


def test_targets_page_marks_children_that_do_not_add_up(client, place):
    county = region("330523")
    target = TargetFactory(region=county, year=2025, kind="sewage", quantity=Decimal("30"))
    TargetFactory(region=region("330523108"), year=2025, kind="sewage", quantity=Decimal("10"))
    _login(client, "county")
    url = reverse("planning:targets") + "?region=330523&year=2025"
    text = client.get(url).content.decode()
    assert "data-mismatch" in text
    client.post(reverse("planning:target_break_down", args=[target.pk]), {"330523108": "10", "330523001": "20"})
    assert "data-mismatch" not in client.get(url).content.decode()


@pytest.mark.parametrize("who, status", [("same_area", 403), ("other_county", 404), ("county", 302)])
def test_only_the_level_above_sets_a_target(client, place, who, status):
    _login(client, who)
    before = _state()
    response = client.post(reverse("planning:target_set"), {"region": "330523108", "year": "2025", "kind": "road", "quantity": "5"})
    assert response.status_code == status
    assert (Target.objects.filter(region_id="330523108", kind="road").exists()) == (status == 302)
    if status != 302:
        assert _state() == before


def test_creation_list_add_and_remove(client, place):
    _login(client, "county")
    client.post(reverse("planning:creation_add"), {"county": "330523", "villages": ["330523108204", "330523001211"],
                                                   "year": "2025", "category": "boutique"})
    assert CreationListEntry.objects.filter(year=2025, category="boutique").count() == 2
    page = client.get(reverse("planning:creation") + "?county=330523&year=2025")
    assert "余村" in page.content.decode() and page.context["add_form"] is not None
    entry = CreationListEntry.objects.get(village_id="330523001211")
    client.post(reverse("planning:creation_remove", args=[entry.pk]), {"reason": "不再申报", "confirmed": "yes"})
    assert not CreationListEntry.objects.filter(pk=entry.pk).exists()


def _grow(place, n):
    county = region("330523")
    for i in range(n):
        village = VillageFactory(township_code="330523108", code=f"330523108{300 + i}")
        plan = PlanFactory(village=village)
        item = PlanItemFactory(plan=plan, kind="road")
        PlanItemFactory(plan=place["plan"], kind="road", name=f"道路{i}")
        project = project_in(ProjectStatus.ACCEPTED, village=place["village"], type="road", plan_citation=None)
        PlanCitation.objects.create(project=project, item=item)
    kinds = ["road", "toilet", "garbage", "greening", "lighting"]
    for kind in kinds:
        TargetFactory(region=county, year=2025, kind=kind, quantity=Decimal("9"))
        TargetFactory(region=region("330523108"), year=2025, kind=kind, quantity=Decimal("4"))
    for i in range(n):
        region(f"330523{200 + i}")  # more townships
    return county


@pytest.mark.parametrize("url", [
    lambda p: reverse("planning:plans"),
    lambda p: reverse("planning:plan_detail", args=[p["plan"].pk]),
    lambda p: reverse("planning:targets") + "?region=330523&year=2025",
    lambda p: reverse("planning:creation") + "?county=330523",
])
def test_pages_cost_the_same_for_one_row_and_thirty(client, place, url, django_assert_max_num_queries):
    TargetFactory(region=region("330523"), year=2025, kind="sewage", quantity=Decimal("9"))
    CreationListEntry.objects.create(county=region("330523"), year=2025, category="demonstration", village=place["village"])
    _login(client, "county")
    target = url(place)
    with CaptureQueriesContext(connection) as few:
        assert client.get(target).status_code == 200
    _grow(place, 30)
    for village in VillageFactory._meta.model.objects.filter(code__startswith="330523108")[:30]:
        CreationListEntry.objects.get_or_create(county=region("330523"), year=2025, category="boutique", village=village)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(target).status_code == 200


def test_plan_list_filters_by_kind_and_village_name(client, place):
    Plan.objects.create(kind=PlanKind.LAYOUT, region=region("330523"), area_code="330523", title="安吉县村庄布局规划",
                        approved_on="2022-01-01", approved_by="县政府", valid_from="2022-01-01", valid_until="2030-12-31")
    _login(client, "county")
    layouts = client.get(reverse("planning:plans") + "?kind=layout").context["object_list"]
    assert [p.title for p in layouts] == ["安吉县村庄布局规划"]
    named = client.get(reverse("planning:plans") + "?q=余村").context["object_list"]
    assert [p.pk for p in named] == [place["plan"].pk]
