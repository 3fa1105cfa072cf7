"""Issue 18, item 10: people are shown by name (潘立新), not by username (township_tianhuangping), in timelines,
histories and lists; a project's timeline reads in one order, oldest first."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import Role
from core.templatetags.people import person
from planning import services as planning_services
from projects import services
from projects.models import Project, ProjectStatus, ProjectTransition
from tests.factories import UserFactory, VillageFactory, plan_item_for, user_with

S = ProjectStatus


@pytest.fixture
def people(db):
    official = user_with("township_tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    official.first_name = "潘立新"
    official.save()
    county = user_with("county_anji", (Role.COUNTY_STAFF, "330523"))
    county.first_name, county.last_name = "明", "李"
    county.save()
    return {"official": official, "county": county}


@pytest.mark.parametrize(
    "first, last, shown",
    [("潘立新", "", "潘立新"), ("明", "李", "李明"), ("Ming", "Li", "Ming Li"), ("", "", "zhang3"), ("  ", "", "zhang3")],
)
def test_display_name(db, first, last, shown):
    user = UserFactory(username="zhang3", first_name=first, last_name=last)
    assert user.display_name == shown and person(user) == shown


def test_no_user_is_shown_as_the_default(db):
    assert person(None) == "—" and person(None, "系统") == "系统"


def test_the_project_page_names_people_and_reads_oldest_first(client, people):
    project = services.project_create(
        actor=people["official"], village=VillageFactory(code="330523108204"),
        data={"type": "road", "name": "余村道路", "budget": Decimal("100000"), "planned_start": datetime.date(2024, 3, 1),
              "planned_end": datetime.date(2024, 12, 31), "responsible_person": "张"},
    )
    official, county = people["official"], people["county"]
    planning_services.citation_set(actor=official, project=project, item=plan_item_for(project))  # 规划先行
    for actor, action in ((official, "submit"), (county, "approve"), (official, "start")):
        services.project_transition(actor=actor, project=Project.objects.get(pk=project.pk), action=action)
    ProjectTransition.objects.filter(project=project).update(at=datetime.datetime(2024, 3, 1, 9, tzinfo=datetime.UTC))
    for i, step in enumerate(ProjectTransition.objects.filter(project=project).order_by("id")):
        ProjectTransition.objects.filter(pk=step.pk).update(at=datetime.datetime(2024, 3, 1 + i, 9, tzinfo=datetime.UTC))
    Project.objects.filter(pk=project.pk).update(actual_start=datetime.date(2024, 3, 4))
    for day, percent in ((datetime.date(2024, 5, 1), 30), (datetime.date(2024, 4, 1), 10)):  # entered out of order
        services.progress_report_create(actor=official, project=Project.objects.get(pk=project.pk), report_date=day,
                                        percent_complete=percent, amount_spent=Decimal(percent * 1000), correction_reason="补报四月")
    client.force_login(county)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    timeline = page[page.index('<ol class="timeline">'):page.index("</ol>", page.index('<ol class="timeline">'))]
    assert "township_tianhuangping" not in page and "county_anji" not in page
    assert "潘立新" in timeline and "李明" in timeline
    days = [timeline.index(day) for day in ("2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-04-01", "2024-05-01")]
    assert days == sorted(days)  # status changes and reports in one order, oldest first
    history = page[page.index('<ol class="history">'):]
    assert "潘立新" in history and "李明" in history


def test_the_progress_list_names_the_reporter(client, people):
    project = Project.objects.create(
        village=VillageFactory(code="330523108204"), type="road", name="余村道路", budget=Decimal("1"), status=S.UNDER_CONSTRUCTION,
        planned_start=datetime.date(2024, 3, 1), planned_end=datetime.date(2024, 12, 31), actual_start=datetime.date(2024, 3, 1),
        responsible_person="张",
    )
    services.progress_report_create(actor=people["official"], project=project, report_date=datetime.date(2024, 4, 1),
                                    percent_complete=10, amount_spent=Decimal("100"))
    client.force_login(people["county"])
    page = client.get(reverse("projects:progress_list")).content.decode()
    assert "潘立新" in page and "township_tianhuangping" not in page


def test_an_edit_conflict_names_who_changed_the_project(client, people):
    project = services.project_create(
        actor=people["official"], village=VillageFactory(code="330523108204"),
        data={"type": "road", "name": "余村道路", "budget": Decimal("100000"), "planned_start": datetime.date(2024, 3, 1),
              "planned_end": datetime.date(2024, 12, 31), "responsible_person": "张"},
    )
    other = user_with("township_other", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    other.first_name = "王芳"
    other.save()
    services.project_update(actor=other, project=project, data={"description": "先改"}, expected_version=1)
    from core.exceptions import StaleVersion
    with pytest.raises(StaleVersion) as stale:
        services.project_update(actor=people["official"], project=project, data={"description": "后改"}, expected_version=1)
    assert "王芳" in str(stale.value.message) and stale.value.context["changes"][0]["actor"] == "王芳"
