import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core import audit
from core.exceptions import InvalidInput, NotPermitted
from core.models import AuditEntry, Role, RoleAssignment
from projects import services
from projects.models import Project
from tests.factories import ProjectFactory, VillageFactory, region


@pytest.fixture
def official(db):
    user = get_user_model().objects.create_user("pan", password="x" * 12, first_name="潘立新")
    RoleAssignment.objects.create(user=user, role=Role.TOWNSHIP_OFFICIAL, region=region("330523108"))
    return user


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


DATA = dict(
    type="road", name="村道硬化", budget=Decimal("300000"), planned_start=datetime.date(2025, 3, 1),
    planned_end=datetime.date(2025, 10, 31), responsible_person="李明",
)


def test_create_update_and_transition_are_audited_with_actor_ip_and_changes(official, village):
    with audit.request_context(ip="10.1.2.3"):
        project = services.project_create(actor=official, village=village, data=DATA)
        services.project_update(actor=official, project=project, data={"budget": Decimal("350000")}, expected_version=1)
        services.project_transition(actor=official, project=project, action="submit")
    entries = list(audit.history(project).order_by("at", "id"))
    assert [e.action for e in entries] == ["create", "update", "transition"]
    assert all(e.actor == official and e.ip == "10.1.2.3" for e in entries)
    assert entries[0].changes["name"] == [None, "村道硬化"]
    assert entries[1].changes["budget"] == ["300000.00", "350000.00"]
    assert set(entries[1].changes) == {"budget", "version"}
    assert entries[1].changes["version"] == [1, 2]
    assert entries[2].changes["status"] == ["draft", "submitted"]


def test_refused_changes_leave_no_audit_row(official, village):
    project = ProjectFactory(village=village)
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput):
        services.project_transition(actor=official, project=project, action="discard", reason="")
    other = get_user_model().objects.create_user("nobody", password="x" * 12)
    with pytest.raises(NotPermitted):
        services.project_update(actor=other, project=project, data={"name": "x"}, expected_version=project.version)
    assert AuditEntry.objects.count() == before
    assert Project.objects.get(pk=project.pk).name == project.name


@pytest.mark.django_db(transaction=True)
def test_record_requires_the_changing_transaction():
    user = get_user_model().objects.create_user("t", password="x" * 12)
    with pytest.raises(RuntimeError):
        audit.record(actor=user, action="update", obj=user)


def test_audit_rows_cannot_be_changed_or_deleted_in_the_database(official, village):
    with transaction.atomic():
        entry = audit.record_create(actor=official, obj=village)
    for statement in ("UPDATE core_auditentry SET note = 'forged' WHERE id = %s", "DELETE FROM core_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_project_page_shows_its_history(client, official, village):
    project = services.project_create(actor=official, village=village, data=DATA)
    services.project_update(actor=official, project=project, data={"name": "村道硬化二期"}, expected_version=1)
    client.force_login(official)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "村道硬化二期" in page and "pan" in page
    # Field and choice labels, not column names; bookkeeping columns (version, updated_by) left out.
    assert "项目名称: 村道硬化 → 村道硬化二期" in page
    assert "状态: — → 草稿" in page
    assert "version" not in page.split("变更记录")[-1]


def test_admin_shows_the_trail_read_only(client, official, village):
    project = services.project_create(actor=official, village=village, data=DATA)
    entry = AuditEntry.objects.get(object_id=str(project.pk))
    root = get_user_model().objects.create_superuser("root", password="x" * 12)
    client.force_login(root)
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    change = client.post(reverse("admin:core_auditentry_change", args=[entry.pk]), {"note": "forged"})
    assert change.status_code in (200, 403)
    assert client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_admin_edits_of_domain_rows_are_audited(client, village):
    root = get_user_model().objects.create_superuser("root", password="x" * 12)
    client.force_login(root)
    url = reverse("admin:villages_village_change", args=[village.code])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(population=1234, households=400, township=village.township_id)
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    entry = audit.history(village).first()
    assert entry.actor == root and entry.changes["population"][1] == 1234


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_the_guard_stays(official, village):
    """A deliberate wipe of the database (flush, as between browser tests) also empties the
    trail, as TRUNCATE does on PostgreSQL; afterwards deleting one row is refused again."""
    from django.core.management import call_command

    services.project_create(actor=official, village=village, data=DATA)
    assert AuditEntry.objects.exists()
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists()
    official = get_user_model().objects.create_user("again", password="x" * 12)
    RoleAssignment.objects.create(user=official, role=Role.TOWNSHIP_OFFICIAL, region=region("330523108"))
    project = services.project_create(actor=official, village=VillageFactory(code="330523108204"), data=DATA)
    entry = AuditEntry.objects.get(object_id=str(project.pk))
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
