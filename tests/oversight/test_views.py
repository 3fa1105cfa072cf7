"""The supervision pages: recording a visit and its findings, the register (filters, export), rectifying and
re-checking; who is refused; constant query counts."""
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditEntry, Role
from oversight.models import Problem, Visit
from projects.models import ProjectStatus
from tests.factories import ProblemFactory, ProblemPhotoFactory, VillageFactory, VisitFactory, project_in, region, user_with
from tests.images import upload

from .conftest import DAY

TODAY = datetime.date.today()


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_county_staff_record_a_visit_naming_its_villages(client, county, village):
    VillageFactory(code="330523108205", name="银坑村委会")
    client.force_login(county)
    page = client.get(reverse("oversight:visit_create"))
    assert page.status_code == 200 and 'value="330523"' in page.content.decode()
    data = {"region": "330523", "kind": "unannounced", "visited_on": TODAY.isoformat(), "inspectors": "县督查组 王明",
            "villages": "余村\n银坑"}
    response = client.post(reverse("oversight:visit_create"), data)
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("oversight:visit_detail", args=[visit.pk])
    assert sorted(visit.villages.values_list("code", flat=True)) == ["330523108204", "330523108205"]
    # A name that matches no village of the office is said on the field; nothing is written.
    before = (Visit.objects.count(), AuditEntry.objects.count())
    page = client.post(reverse("oversight:visit_create"), data | {"villages": "余村 无此村"})
    assert page.status_code == 200 and "无此村" in page.context["form"].errors["villages"][0]
    assert (Visit.objects.count(), AuditEntry.objects.count()) == before


def test_a_finding_is_added_on_the_visit_page_with_photos(client, county, visit, village):
    project = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, name="余村污水管网")
    client.force_login(county)
    page = client.get(reverse("oversight:visit_detail", args=[visit.pk]))
    html = page.content.decode()
    assert 'id="finding"' in html and "余村污水管网" in html
    response = client.post(reverse("oversight:finding_add", args=[visit.pk]), {
        "village": village.code, "project": str(project.pk), "category": "quality", "severity": "serious",
        "description": "检查井盖破损", "deadline": (DAY + datetime.timedelta(days=20)).isoformat(),
        "photos": [upload("井盖.jpg")],
    })
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.project, problem.photos.count(), problem.township_id) == (project, 1, "330523108")
    # A bad finding comes back with the error on its field.
    page = client.post(reverse("oversight:finding_add", args=[visit.pk]), {
        "village": village.code, "category": "quality", "severity": "serious", "description": "x",
        "deadline": (DAY - datetime.timedelta(days=1)).isoformat(),
    })
    assert page.status_code == 400 and "deadline" in page.context["finding_form"].errors
    assert Problem.objects.count() == 1


@pytest.mark.parametrize("status", [ProjectStatus.DRAFT, ProjectStatus.CANCELLED])
def test_a_finding_names_no_project_the_form_does_not_offer(client, county, visit, village, status):
    """The form's projects (oversight.selectors.finding_projects): the visited villages' projects from submission on,
    through the gate; a draft or a cancelled one is neither offered nor accepted."""
    hidden = project_in(status, village=village, name="余村隐藏工程")
    client.force_login(county)
    assert "余村隐藏工程" not in client.get(reverse("oversight:visit_detail", args=[visit.pk])).content.decode()
    page = client.post(reverse("oversight:finding_add", args=[visit.pk]), {
        "village": village.code, "project": str(hidden.pk), "category": "quality", "severity": "serious",
        "description": "检查井盖破损", "deadline": (DAY + datetime.timedelta(days=20)).isoformat(), "photos": [upload("井盖.jpg")],
    })
    assert page.status_code == 400 and "project" in page.context["finding_form"].errors
    assert not Problem.objects.exists()


def test_the_township_sees_and_rectifies_its_problem_and_the_county_closes_it(client, official, county, problem):
    client.force_login(official)
    url = reverse("oversight:problem_detail", args=[problem.pk])
    html = client.get(url).content.decode()
    assert 'id="rectify"' in html and 'id="reopen"' not in html and "oversight/problems/" in html
    response = client.post(reverse("oversight:problem_rectify", args=[problem.pk]), {
        "rectified_on": TODAY.isoformat(), "rectification": "已清运", "photos": [upload("整改.jpg")]})
    assert response.status_code == 302 and Problem.objects.get(pk=problem.pk).status == "rectified"
    assert client.post(reverse("oversight:problem_close", args=[problem.pk])).status_code == 403
    client.force_login(county)
    html = client.get(url).content.decode()
    assert "Re-checked" in html or "复查" in html
    assert client.post(reverse("oversight:problem_close", args=[problem.pk])).status_code == 302
    assert Problem.objects.get(pk=problem.pk).status == "closed"


def test_reopening_asks_for_confirmation_first(client, county, rectified):
    client.force_login(county)
    url = reverse("oversight:problem_reopen", args=[rectified.pk])
    page = client.post(url, {"reason": "仍有垃圾"})
    assert page.status_code == 200 and Problem.objects.get(pk=rectified.pk).status == "rectified"
    assert client.post(url, {"reason": "仍有垃圾", "confirmed": "yes"}).status_code == 302
    assert Problem.objects.get(pk=rectified.pk).status == "open"


def test_the_register_filters_by_every_field(client, county, visit, village):
    other_village = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    city_visit = VisitFactory(region=region("3305"), villages=[other_village], visited_on=DAY)
    late = ProblemFactory(visit=visit, village=village, category="waste", severity="critical",
                          deadline=TODAY - datetime.timedelta(days=3), description="垃圾满溢")
    done = ProblemFactory(visit=city_visit, village=other_village, category="roads", severity="general", status="closed",
                          rectified_on=DAY, closed_on=DAY, rectification="已修", deadline=DAY + datetime.timedelta(days=9))
    client.force_login(county)
    cases = {
        "township=330523108": [late], "region=330523001": [done], "village=330523001211": [done],
        f"visit={visit.pk}": [late], "office=3305": [done], "category=waste": [late], "severity=general": [done],
        "status=closed": [done], "overdue=true": [late], "q=满溢": [late],
        f"found_after={DAY.isoformat()}&found_before={DAY.isoformat()}": [late, done],
        f"deadline_before={(TODAY - datetime.timedelta(days=1)).isoformat()}": [done, late],
        "ordering=-deadline": [late, done],
    }
    for query, expected in cases.items():
        page = client.get(reverse("oversight:problems") + "?" + query)
        assert page.status_code == 200, query
        assert list(page.context["object_list"]) == expected or set(page.context["object_list"]) == set(expected), query


def test_the_register_exports_what_the_list_shows(client, county, visit, village):
    ProblemFactory(visit=visit, village=village, description="=HYPERLINK(\"x\")", deadline=TODAY - datetime.timedelta(days=1))
    ProblemFactory(visit=visit, village=village, category="roads", description="路面破损")
    client.force_login(county)
    response = client.get(reverse("oversight:problems_export") + "?category=sanitation")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 1 and body[0][header.index("村庄" if "村庄" in header else "village")] == "余村"
    description = body[0][8]
    assert description.lstrip("'") == "=HYPERLINK(\"x\")" and sheet.cell(row=2, column=9).data_type == "s"  # text, never a formula
    assert client.get(reverse("oversight:problems_export") + "?visit=abc").status_code == 400


def test_lists_cost_the_same_queries_for_one_and_many(client, county, visit, village):
    ProblemPhotoFactory(problem=ProblemFactory(visit=visit, village=village))
    client.force_login(county)
    urls = [reverse("oversight:problems"), reverse("oversight:visits"), reverse("oversight:visit_detail", args=[visit.pk])]
    few = {url: _count(client, url) for url in urls}
    for i in range(12):
        other = VillageFactory(code=f"330523108{220 + i}")
        extra = VisitFactory(region=region("330523"), villages=[other], visited_on=DAY)
        visit.villages.add(other)
        ProblemPhotoFactory(problem=ProblemFactory(visit=visit, village=other))
        ProblemFactory(visit=extra, village=other)
    for url in urls:
        assert _count(client, url) <= few[url], url


@pytest.mark.parametrize("who", ["neighbour", "other_county"])
def test_others_cannot_see_a_problem_or_its_photo(client, problem, who):
    client.force_login(user_with(who, {"neighbour": (Role.TOWNSHIP_OFFICIAL, "330523001"),
                                       "other_county": (Role.COUNTY_STAFF, "330522")}[who]))
    photo = ProblemPhotoFactory(problem=problem)
    assert client.get(reverse("oversight:problem_detail", args=[problem.pk])).status_code == 404
    assert client.get(reverse("oversight:problem_photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("oversight:problems")).context["object_list"].count() == 0


def test_the_problem_page_marks_an_overdue_problem(client, official, visit, village):
    problem = ProblemFactory(visit=visit, village=village, deadline=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(official)
    page = client.get(reverse("oversight:problem_detail", args=[problem.pk]))
    assert page.context["overdue"] is True and "flag-overdue" in page.content.decode()
