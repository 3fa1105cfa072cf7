"""Versions across lifecycle transitions on the pages: the edit form carries the version it was opened at (a
hidden field), the lifecycle buttons move the project on; a save of a form opened before the move is refused
as a conflict that shows the move, writes nothing, and offers the current version; saving again goes through
(or, on an accepted or cancelled project, is refused because it is closed)."""
import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry, Role
from projects import services
from projects.models import Project, ProjectStatus, ProjectTransition
from tests.factories import VillageFactory, project_in, user_with

S = ProjectStatus
CLOSED = {S.ACCEPTED, S.CANCELLED}
OFFICIALS = {"submit", "withdraw", "discard", "start", "complete"}
MOVES = [(name, source) for name, spec in services.LIFECYCLE_ACTIONS.items() for source in spec.sources]
BODY = {"reason": "理由", "maintenance_body": "village_collective", "maintenance_owner": "余村村委会", "actual_output": "2.5"}


@pytest.fixture
def people(db):
    return {
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
    }


def _state():
    return list(Project.objects.order_by("pk").values()), ProjectTransition.objects.count(), AuditEntry.objects.count()


def _form_post(project, version, description):
    return {
        "type": project.type, "name": project.name, "budget": str(project.budget),
        "planned_start": project.planned_start.isoformat(), "planned_end": project.planned_end.isoformat(),
        "responsible_person": project.responsible_person, "description": description, "version": str(version),
    }


@pytest.mark.parametrize("action, source", MOVES, ids=[f"{a}-from-{s}" for a, s in MOVES])
def test_a_form_opened_before_a_transition_is_a_conflict(client, people, action, source):
    project = project_in(source, village=VillageFactory(code="330523108204"))
    client.force_login(people["official"])
    edit = reverse("projects:edit", args=[project.pk])
    assert 'name="version" value="1"' in client.get(edit).content.decode()

    mover = Client()
    mover.force_login(people["official" if action in OFFICIALS else "county"])
    url = reverse("projects:action", args=[project.pk, action])
    if services.LIFECYCLE_ACTIONS[action].confirm:
        # The first POST of a destructive or irreversible move only asks for confirmation: nothing is written.
        before_confirming = _state()
        asked = mover.post(url, BODY)
        assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
        assert _state() == before_confirming
    moved = mover.post(url, {**BODY, "confirmed": "yes"})
    assert moved.status_code == 302
    target = services.LIFECYCLE_ACTIONS[action].target
    project.refresh_from_db()
    assert (project.status, project.version) == (target, 2)

    before = _state()
    response = client.post(edit, _form_post(project, 1, "按旧版本修改"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{source} → {target}" in page  # the move made meanwhile, in the conflict box
    assert 'name="version" value="2"' in page and "按旧版本修改" in page  # the input kept, against the current version
    assert _state() == before

    again = client.post(edit, _form_post(project, 2, "按新版本修改"))
    project.refresh_from_db()
    if target in CLOSED:
        assert again.status_code == 200 and "不能再编辑" in again.content.decode()
        assert _state() == before
    else:
        assert again.status_code == 302
        assert (project.description, project.status, project.version) == ("按新版本修改", target, 3)
