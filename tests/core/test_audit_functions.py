"""The pieces of the audit trail (core.audit): snapshots that are JSON-ready and keep secrets out, diffs that hold
only what changed, rows that name the actor only when there is one, and an object's history newest first."""
import datetime
import decimal
import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from core import audit
from core.models import AuditAction, AuditEntry
from funding.models import FundingSource
from projects.models import ProgressPhoto
from tests.factories import AllocationFactory, FundingSourceFactory, ProgressPhotoFactory, ProjectFactory, VillageFactory

D = decimal.Decimal


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("pan", password="x" * 12)


# --- _plain / snapshot ----------------------------------------------------------------------------------------

def test_plain_values_are_json_ready():
    moment = datetime.datetime(2025, 3, 1, 8, 30, tzinfo=datetime.UTC)
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert audit._plain(moment) == "2025-03-01T08:30:00+00:00"
    assert audit._plain(datetime.date(2025, 3, 1)) == "2025-03-01"
    assert audit._plain(D("12.50")) == "12.50"
    assert audit._plain(key) == "12345678-1234-5678-1234-567812345678"
    assert audit._plain(FieldFile(None, ProgressPhoto._meta.get_field("image"), "photos/a.jpg")) == "photos/a.jpg"
    assert audit._plain(FieldFile(None, ProgressPhoto._meta.get_field("image"), None)) == ""
    for same in (7, "余村", None, True, [1, 2]):
        assert audit._plain(same) == same


def test_a_snapshot_is_json_ready_with_ids_for_foreign_keys_and_one_spelling_per_amount(db, user):
    source = FundingSourceFactory(total_amount=D("5"), created_by=user)
    snap = audit.snapshot(source)
    json.dumps(snap)  # JSON-ready
    assert snap["total_amount"] == "5.00"
    assert snap["region"] == "330523" and snap["created_by"] == user.pk and snap["beneficiary_region"] is None
    assert snap["name"] == source.name and snap["fiscal_year"] == 2024 and snap["id"] == source.pk
    assert "created_at" not in snap and "updated_at" not in snap
    allocation = AllocationFactory(source=source, project=ProjectFactory(), allocated_on=datetime.date(2024, 4, 1))
    assert audit.snapshot(allocation)["allocated_on"] == "2024-04-01"
    assert audit.snapshot(allocation)["amount"] == "100000.00"


def test_a_snapshot_leaves_out_secrets_and_can_be_limited_to_some_fields(user):
    snap = audit.snapshot(user)
    assert "password" not in snap and snap["username"] == "pan"
    assert audit.snapshot(user, fields=["username", "password", "email"]) == {"username": "pan", "email": ""}
    assert audit.snapshot(user, fields=[]) == {}


def test_a_snapshot_keeps_an_empty_amount_empty(db):
    project = ProjectFactory()
    project.budget = None
    assert audit.snapshot(project, fields=["budget"]) == {"budget": None}


def test_a_snapshot_names_a_file_by_its_path(db):
    photo = ProgressPhotoFactory()
    assert audit.snapshot(photo, fields=["image"]) == {"image": photo.image.name}
    assert photo.image.name


# --- diff ------------------------------------------------------------------------------------------------------

def test_a_diff_holds_only_what_changed_in_field_order():
    before = {"b": 1, "a": "x", "same": 3, "gone": "y"}
    after = {"b": 2, "a": "z", "same": 3, "new": "n"}
    changes = audit.diff(before, after)
    assert changes == {"a": ["x", "z"], "b": [1, 2], "gone": ["y", None], "new": [None, "n"]}
    assert list(changes) == ["a", "b", "gone", "new"]
    assert audit.diff({}, {}) == {} and audit.diff({"a": 1}, {"a": 1}) == {}


# --- record / record_create -------------------------------------------------------------------------------------

def test_record_writes_one_row_with_the_actor_ip_object_and_note(db, user):
    source = FundingSourceFactory()
    source.name = "长" * 250  # a long representation (not saved: the column is shorter)
    with audit.request_context(ip="10.1.2.3"), transaction.atomic():
        entry = audit.record(actor=user, action=AuditAction.UPDATE, obj=source, changes={"note": ["", "x"]}, note="调整")
    entry.refresh_from_db()
    assert (entry.actor, entry.ip, entry.action, entry.note) == (user, "10.1.2.3", "update", "调整")
    assert entry.content_type == ContentType.objects.get_for_model(FundingSource)
    assert entry.object_id == str(source.pk)
    assert entry.object_repr == str(source)[:200] and len(entry.object_repr) == 200
    assert entry.changes == {"note": ["", "x"]}


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_a_change_without_a_signed_in_actor_is_recorded_without_one(db, actor):
    village = VillageFactory()
    with transaction.atomic():
        entry = audit.record(actor=actor, action=AuditAction.UPDATE, obj=village)
    entry.refresh_from_db()
    assert entry.actor is None and entry.changes == {} and entry.note == "" and entry.ip is None


def test_an_unknown_action_is_refused_and_nothing_is_written(db, user):
    with transaction.atomic(), pytest.raises(ValueError, match="unknown audit action 'edit'"):
        audit.record(actor=user, action="edit", obj=user)
    assert not AuditEntry.objects.exists()


def test_record_create_holds_every_field_as_new(db, user):
    source = FundingSourceFactory(total_amount=D("7"), created_by=user)
    with transaction.atomic():
        entry = audit.record_create(actor=user, obj=source, note="新建")
    entry.refresh_from_db()
    assert (entry.actor, entry.action, entry.note) == (user, "create", "新建")
    assert entry.changes == {key: [None, value] for key, value in audit.snapshot(source).items() if value is not None}
    assert entry.changes["total_amount"] == [None, "7.00"]


# --- history ----------------------------------------------------------------------------------------------------

def _entry_at(monkeypatch, moment, actor, obj):
    monkeypatch.setattr(timezone, "now", lambda: moment)
    with transaction.atomic():
        return audit.record(actor=actor, action=AuditAction.UPDATE, obj=obj)


def test_history_is_the_objects_own_rows_newest_first(db, user, monkeypatch):
    noon = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)
    source, other = FundingSourceFactory(id=9001), FundingSourceFactory(id=9002)
    same_id = AllocationFactory(id=9001, source=other)  # another model, the same id as the source
    first = _entry_at(monkeypatch, noon, user, source)
    second = _entry_at(monkeypatch, noon, user, source)  # the same moment: the later row first
    earlier = _entry_at(monkeypatch, noon - datetime.timedelta(hours=1), user, source)  # an earlier clock reading
    _entry_at(monkeypatch, noon, user, other)
    _entry_at(monkeypatch, noon, user, same_id)
    assert list(audit.history(source)) == [second, first, earlier]
    assert [e.at for e in audit.history(source)] == [noon, noon, noon - datetime.timedelta(hours=1)]


def test_history_brings_its_actors_in_one_query(db, user, django_assert_num_queries):
    source = FundingSourceFactory()
    for _ in range(3):
        with transaction.atomic():
            audit.record(actor=user, action=AuditAction.UPDATE, obj=source)
    entries = list(audit.history(source))
    with django_assert_num_queries(0):
        assert [entry.actor.username for entry in entries] == ["pan"] * 3


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused_with_the_rule():
    """An audit row must share the change's transaction (so that both happen or neither): outside one, the call
    itself is a programming error that says so."""
    source = FundingSourceFactory(name="2024年县级财政预算")
    with pytest.raises(RuntimeError, match=r"^audit\.record\(\) must run inside the transaction that makes the change$"):
        audit.record(actor=None, action=AuditAction.UPDATE, obj=source)
