"""The lifecycle's own guard: each action's allowed source statuses, checked on their own.

projects.services.project_transition refuses a move unless the project's status is one of the action's sources
AND the action's target follows that status in the TRANSITIONS table. Many refusals are made by both checks at
once (approving a draft: neither allows it); these tests also take the actions from statuses the table WOULD
allow the target from but the action itself does not accept (an official "discarding" an approved project: the
table lets an approved project be cancelled, by the county's "cancel"), where only the action's check stands.
Withdrawing (撤回) takes a submitted project back to draft; discarding (作废) is the township's cancellation.
"""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import IllegalTransition
from core.models import AuditAction, AuditEntry
from projects import services
from projects.models import TRANSITIONS, Project, ProjectStatus, ProjectTransition
from tests.factories import api_token, project_in

S = ProjectStatus

# Each action's sources and target, written out: the code's LIFECYCLE_ACTIONS must agree with them.
ACTIONS = {
    "submit": ({S.DRAFT, S.RETURNED}, S.SUBMITTED),
    "withdraw": ({S.SUBMITTED}, S.DRAFT),
    "discard": ({S.DRAFT, S.RETURNED}, S.CANCELLED),
    "approve": ({S.SUBMITTED}, S.APPROVED),
    "return": ({S.SUBMITTED}, S.RETURNED),
    "start": ({S.APPROVED}, S.UNDER_CONSTRUCTION),
    "complete": ({S.UNDER_CONSTRUCTION}, S.COMPLETED),
    "accept": ({S.COMPLETED}, S.ACCEPTED),
    "rework": ({S.COMPLETED}, S.UNDER_CONSTRUCTION),
    "suspend": ({S.APPROVED, S.UNDER_CONSTRUCTION}, S.SUSPENDED),
    "resume": ({S.SUSPENDED}, S.UNDER_CONSTRUCTION),
    "cancel": ({S.APPROVED, S.UNDER_CONSTRUCTION, S.SUSPENDED}, S.CANCELLED),
}
OFFICIALS = {"submit", "withdraw", "discard", "start", "complete"}  # the township's actions; the rest are the county's
MAINTENANCE = {"maintenance_body": "village_collective", "maintenance_owner": "余村村委会"}

# Where only the action's own check refuses: the table allows the action's target from the status.
ONLY_THE_ACTION_REFUSES = [
    ("discard", S.APPROVED), ("discard", S.UNDER_CONSTRUCTION), ("discard", S.SUSPENDED),
    ("start", S.COMPLETED), ("start", S.SUSPENDED),
    ("rework", S.APPROVED), ("rework", S.SUSPENDED),
    ("resume", S.APPROVED), ("resume", S.COMPLETED),
    ("cancel", S.DRAFT), ("cancel", S.RETURNED),
]


def _actor(people, action):
    return people["official"] if action in OFFICIALS else people["county"]


def _state():
    return (
        list(Project.objects.order_by("pk").values()),
        list(ProjectTransition.objects.order_by("pk").values()),
        list(AuditEntry.objects.order_by("pk").values_list("pk", "action", "object_id")),
    )


def _move(people, project, action):
    # A reason and a maintenance arrangement always: only the status may refuse.
    return services.project_transition(
        actor=_actor(people, action), project=project, action=action, reason="理由", maintenance=MAINTENANCE,
        actual_output="2.5"
    )


def test_the_declared_actions_are_the_ones_tested():
    declared = {name: (set(a.sources), a.target) for name, a in services.LIFECYCLE_ACTIONS.items()}
    assert declared == ACTIONS
    # Every declared move is one the table allows, so that each action succeeds from each of its sources.
    assert all(target in TRANSITIONS[source] for sources, target in ACTIONS.values() for source in sources)


def test_the_cases_only_the_action_refuses_are_all_of_them():
    """The (action, status) pairs the table would let through are exactly the list tested one by one below."""
    found = sorted(
        (name, status)
        for name, (sources, target) in ACTIONS.items()
        for status in S.values
        if status not in sources and target in TRANSITIONS[status]
    )
    assert found == sorted(ONLY_THE_ACTION_REFUSES)


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_moves_exactly_from_its_sources(people, village, action, status):
    """action × every status: accepted iff the status is one of the action's sources; a refusal is an
    IllegalTransition naming the action and the status, and changes nothing (row, version, timeline, audit)."""
    sources, target = ACTIONS[action]
    project = project_in(status, village=village)
    before = _state()
    if status in sources:
        moved = _move(people, project, action)
        assert (moved.status, moved.version) == (target, project.version + 1)
        assert list(ProjectTransition.objects.filter(project=project).values_list("from_status", "to_status")) == [(status, target)]
        assert AuditEntry.objects.filter(action=AuditAction.TRANSITION, object_id=str(project.pk)).count() == 1
        return
    with pytest.raises(IllegalTransition) as refused:
        _move(people, project, action)
    assert refused.value.code == "illegal_transition" and refused.value.status == 409
    assert str(services.LIFECYCLE_ACTIONS[action].label) in str(refused.value)
    assert project.get_status_display() in str(refused.value)
    assert _state() == before


@pytest.mark.parametrize("action, status", ONLY_THE_ACTION_REFUSES, ids=[f"{a}-from-{s}" for a, s in ONLY_THE_ACTION_REFUSES])
def test_the_action_refuses_what_the_table_would_allow(people, village, action, status):
    """E.g. an official 'discarding' an approved, building or suspended project: the table lets such a project be
    cancelled (by the county), but discarding is the township's move for a draft or a returned project only."""
    project = project_in(status, village=village)
    assert ACTIONS[action][1] in TRANSITIONS[status]  # the table alone would let it through
    before = _state()
    with pytest.raises(IllegalTransition):
        _move(people, project, action)
    assert _state() == before
    project.refresh_from_db()
    assert (project.status, project.version) == (status, 1)


@pytest.mark.parametrize("status", S.values)
def test_the_buttons_offered_are_the_actions_that_accept_the_status(people, village, status):
    project = project_in(status, village=village)
    offered = {a.name for who in ("official", "county") for a in services.available_actions(people[who], project)}
    assert offered == {name for name, (sources, _target) in ACTIONS.items() if status in sources}
    official_offered = {a.name for a in services.available_actions(people["official"], project)}
    assert official_offered <= OFFICIALS


@pytest.mark.parametrize("status", [S.APPROVED, S.UNDER_CONSTRUCTION])
def test_an_official_cannot_withdraw_an_approved_or_building_project_through_the_api(people, village, status):
    project = project_in(status, village=village)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(people['official'])}")
    before = _state()
    response = client.post(f"/api/v1/projects/{project.pk}/actions/withdraw/", {"reason": "不想做了"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"
    assert project.get_status_display() in response.json()["message"] and "撤回" in response.json()["message"]
    assert _state() == before


@pytest.mark.parametrize("status", [S.APPROVED, S.UNDER_CONSTRUCTION])
def test_an_official_cannot_withdraw_an_approved_or_building_project_through_the_page(client, people, village, status):
    project = project_in(status, village=village)
    client.force_login(people["official"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert reverse("projects:action", args=[project.pk, "withdraw"]) not in page
    before = _state()
    response = client.post(reverse("projects:action", args=[project.pk, "withdraw"]), {"reason": "不想做了"}, follow=True)
    assert response.status_code == 200
    # The refusal as a message (状态为“已批准”的项目不能执行“撤回”操作。), not a page error.
    assert f"状态为“{project.get_status_display()}”的项目不能执行“撤回”操作" in response.content.decode()
    assert _state() == before
