"""Issue 18, item 2: the to-do list hides no new work. Each section counts all its rows and links to the full
filtered list; the county sees the newest submissions first; the official sees why a project was returned, and the
project page shows the return reason at the top."""
import datetime

from django.urls import reverse
from django.utils import timezone

from portal.selectors import todo_for
from projects import services
from projects.models import Project, ProjectStatus, ProjectTransition
from tests.factories import ProjectFactory, project_in

S = ProjectStatus


def _sections(user):
    return {section.key: section for section in todo_for(user=user)}


def test_a_new_submission_is_not_hidden_behind_old_completed_projects(client, people, village):
    """Before: 20 oldest items of 'submitted or completed', all completed, so a new submission never appeared."""
    long_ago = timezone.now() - datetime.timedelta(days=400)
    for i in range(25):
        project = project_in(S.COMPLETED, village=village, name=f"已完工{i}")
        ProjectTransition.objects.create(project=project, from_status=S.UNDER_CONSTRUCTION, to_status=S.COMPLETED,
                                         at=long_ago + datetime.timedelta(days=i))
    older = ProjectFactory(village=village, name="上月提交")
    services.project_transition(actor=people["official"], project=older, action="submit")
    ProjectTransition.objects.filter(project=older).update(at=timezone.now() - datetime.timedelta(days=30))
    new = ProjectFactory(village=village, name="今天提交的项目")
    services.project_transition(actor=people["official"], project=new, action="submit")

    sections = _sections(people["county"])
    assert [p.name for p in sections["to_approve"].items] == ["今天提交的项目", "上月提交"]  # newest first
    assert sections["to_approve"].count == 2
    accept = sections["to_accept"]
    assert accept.count == 25 and len(accept.items) == 10 and accept.more == 15
    assert accept.items[0].name == "已完工24"  # the latest completion first

    client.force_login(people["county"])
    page = client.get(reverse("home")).content.decode()
    assert "今天提交的项目" in page and "已提交，待审批" in page and "已完工，待验收" in page
    assert '<span class="count">25</span>' in page and "全部 25 项" in page
    assert 'href="/projects/?status=completed&amp;ordering=-updated"' in page

    # The link opens the full list of those rows.
    listed = client.get(accept.url).content.decode()
    assert all(f"已完工{i}<" in listed for i in range(25)) and "今天提交的项目" not in listed


def test_the_official_sees_why_a_project_was_returned(client, people, village):
    project = ProjectFactory(village=village, name="余村公厕改造")
    services.project_transition(actor=people["official"], project=project, action="submit")
    services.project_transition(actor=people["county"], project=Project.objects.get(pk=project.pk), action="return",
                                reason="预算依据不全，请补充报价单。")
    (returned,) = _sections(people["official"])["returned"].items
    assert returned.return_reason == "预算依据不全，请补充报价单。"

    client.force_login(people["official"])
    home = client.get(reverse("home")).content.decode()
    assert "余村公厕改造" in home and "预算依据不全，请补充报价单。" in home
    detail = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    top = detail.index("return-reason")
    assert top < detail.index("<dl class=\"facts\">")  # at the top, above the facts
    assert "县里已退回修改" in detail[top:] and "预算依据不全，请补充报价单。" in detail[top:detail.index("<dl")]


def test_the_latest_return_reason_is_shown(people, village):
    project = ProjectFactory(village=village)
    official, county = people["official"], people["county"]
    for reason in ("第一次退回", "第二次退回"):
        services.project_transition(actor=official, project=Project.objects.get(pk=project.pk), action="submit")
        services.project_transition(actor=county, project=Project.objects.get(pk=project.pk), action="return", reason=reason)
    assert _sections(official)["returned"].items[0].return_reason == "第二次退回"


def test_counts_and_links_of_the_officials_sections(client, people, village):
    today = timezone.localdate()
    for i in range(12):
        project_in(S.UNDER_CONSTRUCTION, village=village, name=f"逾期{i}", planned_start=today - datetime.timedelta(days=300),
                   planned_end=today - datetime.timedelta(days=1 + i), actual_start=today - datetime.timedelta(days=10))
    project_in(S.UNDER_CONSTRUCTION, village=village, name="久未填报", planned_end=today + datetime.timedelta(days=100),
               actual_start=today - datetime.timedelta(days=90))
    sections = _sections(people["official"])
    assert sections["overdue"].count == 12 and sections["overdue"].items[0].name == "逾期11"  # most overdue first
    assert sections["stale"].count == 1 and sections["stale"].items[0].name == "久未填报"
    assert set(sections) == {"overdue", "stale"}  # empty sections are left out
    client.force_login(people["official"])
    listed = client.get(sections["stale"].url).content.decode()
    assert "久未填报" in listed and "逾期3<" not in listed
    overdue = client.get(sections["overdue"].url).content.decode()
    assert all(f"逾期{i}<" in overdue for i in range(12)) and "久未填报" not in overdue
    # A project never reported says so, rather than "最近填报进度 —" (a screenshot, issue 18 item 20).
    home = client.get(reverse("home")).content.decode()
    assert "久未填报</a> · 余村 · 尚未填报进度" in home and "最近填报进度 —" not in home


def test_nothing_to_do(client, people):
    assert todo_for(user=people["county"]) == []
    client.force_login(people["county"])
    assert "暂无待办事项" in client.get(reverse("home")).content.decode()
