"""Issue 18, item 1: 撤回 takes a submitted project back to draft (before the county acts); 作废 (discard) and the
county's 取消项目 (cancel) are separate actions with a reason; every destructive or irreversible move (discard,
cancel, approve, accept) is asked for twice on the pages: the first POST answers a confirmation page in plain
Chinese words and writes nothing, only the confirmed POST moves the project."""
import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from projects import services
from projects.models import LIFECYCLE_ACTIONS, Project, ProjectStatus, ProjectTransition
from tests.factories import project_in, user_with

S = ProjectStatus
MAINTENANCE = {"maintenance_body": "village_collective", "maintenance_owner": "余村村委会", "actual_output": "2.5"}


def _state():
    return list(Project.objects.order_by("pk").values()), ProjectTransition.objects.count(), AuditEntry.objects.count()


def _action_url(project, action):
    return reverse("projects:action", args=[project.pk, action])


def test_withdrawing_takes_a_submitted_project_back_to_draft(people, village):
    project = project_in(S.SUBMITTED, village=village)
    moved = services.project_transition(actor=people["official"], project=project, action="withdraw")
    assert (moved.status, moved.version) == (S.DRAFT, 2)
    step = ProjectTransition.objects.get(project=project)
    assert (step.from_status, step.to_status, step.reason) == (S.SUBMITTED, S.DRAFT, "")
    # Back in draft it can be edited and submitted again: nothing was lost.
    services.project_update(actor=people["official"], project=moved, data={"name": "改后的名称"}, expected_version=2)
    again = services.project_transition(actor=people["official"], project=Project.objects.get(pk=project.pk), action="submit")
    assert again.status == S.SUBMITTED


def test_withdraw_no_longer_cancels_anything(people, village):
    """Before issue 18, 撤回 on a draft cancelled it for good; now a draft cannot be withdrawn at all."""
    assert LIFECYCLE_ACTIONS["withdraw"].target == S.DRAFT and LIFECYCLE_ACTIONS["withdraw"].sources == (S.SUBMITTED,)
    for status in (S.DRAFT, S.RETURNED):
        assert "withdraw" not in {a.name for a in services.available_actions(people["official"], project_in(status, village=village))}


def test_every_move_that_destroys_or_cannot_be_undone_asks_for_confirmation():
    confirmed = {name for name, action in LIFECYCLE_ACTIONS.items() if action.confirm}
    assert confirmed == {"discard", "cancel", "approve", "accept"}
    # Every move to a closed status, and the approval that fixes the budget, is among them.
    assert {name for name, a in LIFECYCLE_ACTIONS.items() if a.target in (S.CANCELLED, S.ACCEPTED, S.APPROVED)} <= confirmed
    # Cancelling always needs a reason, whoever cancels.
    assert all(a.reason_required for a in LIFECYCLE_ACTIONS.values() if a.target == S.CANCELLED)


def test_the_official_withdraws_from_the_page_without_a_second_step(client, people, village):
    project = project_in(S.SUBMITTED, village=village)
    client.force_login(people["official"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert _action_url(project, "withdraw") in page and ">撤回</button>" in page
    assert _action_url(project, "discard") not in page  # a submitted project is withdrawn, not discarded
    response = client.post(_action_url(project, "withdraw"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == S.DRAFT


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED])
def test_discarding_asks_for_a_reason_and_a_confirmation(client, people, village, status):
    project = project_in(status, village=village, name="余村道路硬化")
    client.force_login(people["official"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert _action_url(project, "discard") in page and "作废项目…" in page and "提交后还需再确认一次" in page
    assert _action_url(project, "withdraw") not in page

    before = _state()
    # Without a reason: the confirmation page asks for one (nothing written).
    asked = client.post(_action_url(project, "discard"), {"reason": " "})
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "确定要对项目“余村道路硬化”执行“作废项目”吗？" in text
    assert "项目将被永久作废" in text and "请填写原因" in text
    assert 'name="confirmed" value="yes"' in text and "不，返回" in text
    assert reverse("projects:detail", args=[project.pk]) in text  # the way back
    assert _state() == before

    # With a reason, the first POST still only asks; the reason is carried in the form shown.
    asked = client.post(_action_url(project, "discard"), {"reason": "村里决定不做了"})
    assert asked.status_code == 200 and "村里决定不做了" in asked.content.decode()
    assert _state() == before

    done = client.post(_action_url(project, "discard"), {"reason": "村里决定不做了", "confirmed": "yes"})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == S.CANCELLED
    assert ProjectTransition.objects.get(project=project, to_status=S.CANCELLED).reason == "村里决定不做了"


def test_a_confirmed_discard_without_a_reason_is_still_refused(client, people, village):
    project = project_in(S.DRAFT, village=village)
    client.force_login(people["official"])
    before = _state()
    response = client.post(_action_url(project, "discard"), {"reason": "", "confirmed": "yes"}, follow=True)
    assert response.status_code == 200 and "请填写原因" in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize(
    "status, action, words",
    [(S.SUBMITTED, "approve", "批准后，预算、项目类型和计划日期将不能再修改"),
     (S.COMPLETED, "accept", "验收通过后项目即告结束"),
     (S.UNDER_CONSTRUCTION, "cancel", "项目将被永久取消")],
)
def test_the_countys_irreversible_moves_are_confirmed(client, people, village, status, action, words):
    project = project_in(status, village=village)
    client.force_login(people["county"])
    body = {"reason": "资金未到位", **MAINTENANCE}
    before = _state()
    asked = client.post(_action_url(project, action), body)
    assert asked.status_code == 200 and words in asked.content.decode()
    assert _state() == before
    done = client.post(_action_url(project, action), {**body, "confirmed": "yes"})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == LIFECYCLE_ACTIONS[action].target


def test_the_confirmation_page_is_no_way_around_the_gate(client, people, village):
    """An official may not approve: the first step answers 403, not a confirmation page."""
    project = project_in(S.SUBMITTED, village=village)
    client.force_login(people["official"])
    before = _state()
    assert client.post(_action_url(project, "approve")).status_code == 403
    assert _state() == before
    outsider = user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523001"))
    client.force_login(outsider)
    assert client.post(_action_url(project_in(S.DRAFT, village=village), "discard"), {"reason": "x"}).status_code == 404


def test_the_confirmation_page_carries_the_maintenance_arrangement(client, people, village):
    project = project_in(S.COMPLETED, village=village)
    client.force_login(people["county"])
    asked = client.post(_action_url(project, "accept"), MAINTENANCE).content.decode()
    assert 'value="余村村委会"' in asked and 'name="maintenance_body"' in asked
    assert "csrfmiddlewaretoken" in asked and "<script>" not in asked  # CSP: no inline script
