"""Versions and ETags across lifecycle transitions.

A lifecycle action is a write: it bumps the project's version, so the ETag a client read before it is stale. A
PATCH or PUT carrying that old ETag answers 412 and changes nothing; with the ETag the action answered (or a fresh
GET gives) it passes the precondition: saved, or, on an accepted or cancelled project, refused by the domain (409).
"""
import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from projects import services
from projects.models import Project, ProjectStatus, ProjectTransition
from tests.factories import VillageFactory, api_token, project_in, user_with

S = ProjectStatus
CLOSED = {S.ACCEPTED, S.CANCELLED}
OFFICIALS = {"submit", "withdraw", "discard", "start", "complete"}
# Every move the API can make: (action, from status).
MOVES = [(name, source) for name, spec in services.LIFECYCLE_ACTIONS.items() for source in spec.sources]
BODY = {"reason": "理由", "maintenance_body": "village_collective", "maintenance_owner": "余村村委会", "actual_output": "2.5"}


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def clients(db):
    return {
        "official": _client(user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))),
        "county": _client(user_with("anji", (Role.COUNTY_STAFF, "330523"))),
    }


def _state():
    return (
        list(Project.objects.order_by("pk").values()),
        ProjectTransition.objects.count(),
        AuditEntry.objects.count(),
    )


def test_every_move_is_tested():
    assert len(MOVES) == 17 and {name for name, _ in MOVES} == set(services.LIFECYCLE_ACTIONS)


@pytest.mark.parametrize("action, source", MOVES, ids=[f"{a}-from-{s}" for a, s in MOVES])
def test_a_transition_makes_the_earlier_etag_stale(clients, action, source):
    official, actor = clients["official"], clients["official" if action in OFFICIALS else "county"]
    project = project_in(source, village=VillageFactory(code="330523108204"))
    url = f"/api/v1/projects/{project.pk}/"
    read = official.get(url)
    old_etag, old_version = read["ETag"], read.json()["version"]

    moved = actor.post(f"{url}actions/{action}/", BODY, format="json")
    target = services.LIFECYCLE_ACTIONS[action].target
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["status"], moved.json()["version"]) == (target, old_version + 1)
    new_etag = moved["ETag"]
    assert new_etag != old_etag
    assert official.get(url)["ETag"] == new_etag  # what a fresh read gives too

    # A writer still holding the ETag from before the transition is refused, by PATCH and by PUT alike.
    before = _state()
    stale = official.patch(url, {"description": "按旧版本修改"}, format="json", HTTP_IF_MATCH=old_etag)
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    whole = {k: read.json()[k] for k in ("name", "type", "budget", "planned_start", "planned_end", "responsible_person")}
    stale_put = official.put(url, {**whole, "description": "按旧版本修改"}, format="json", HTTP_IF_MATCH=old_etag)
    assert stale_put.status_code == 412 and stale_put.json()["code"] == "precondition_failed"
    assert _state() == before

    # With the fresh ETag the precondition holds.
    fresh = official.patch(url, {"description": "按新版本修改"}, format="json", HTTP_IF_MATCH=new_etag)
    project.refresh_from_db()
    if target in CLOSED:  # a closed project is no longer edited: the domain refuses, not the precondition
        assert fresh.status_code == 409 and fresh.json()["code"] == "illegal_transition"
        assert _state() == before
    else:
        assert fresh.status_code == 200 and fresh.json()["version"] == old_version + 2
        assert fresh["ETag"] not in (old_etag, new_etag)
        assert (project.description, project.status, project.version) == ("按新版本修改", target, old_version + 2)


def test_versions_climb_along_the_whole_lifecycle(clients):
    """One project from draft to accepted through the API: each action answers a new version and a new ETag, and
    the ETag of each step is stale after the next."""
    project = project_in(S.DRAFT, village=VillageFactory(code="330523108204"))
    url = f"/api/v1/projects/{project.pk}/"
    etags, versions = [clients["official"].get(url)["ETag"]], [1]
    path = ["submit", "return", "submit", "approve", "start", "suspend", "resume", "complete", "rework", "complete", "accept"]
    for action in path:
        response = clients["official" if action in OFFICIALS else "county"].post(f"{url}actions/{action}/", BODY, format="json")
        assert response.status_code == 200, (action, response.json())
        etags.append(response["ETag"])
        versions.append(response.json()["version"])
    assert versions == list(range(1, len(path) + 2))
    assert len(set(etags)) == len(etags)
    for old in etags[:-1]:
        refused = clients["official"].patch(url, {"description": "旧"}, format="json", HTTP_IF_MATCH=old)
        assert refused.status_code == 412
    project.refresh_from_db()
    assert (project.status, project.version, project.description) == (S.ACCEPTED, len(path) + 1, "")
