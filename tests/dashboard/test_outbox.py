"""The dashboard's freshness does not depend on the broker at commit time (issue 17, item 5).

Every write records "village X changed" (core.models.VillageChange) in its own transaction; the refresh task queued
after the commit and the sweeper (config/beat.py, every minute) rebuild the villages named there. The nightly
rebuild goes a county per transaction."""
import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from config.beat import CELERY_BEAT_SCHEDULE
from core.changes import village_changed
from core.exceptions import InvalidInput
from core.models import Role, VillageChange
from dashboard import stats, tasks
from dashboard.models import TownshipStats, VillageStats
from projects import services as project_services
from projects.models import Project
from tests.factories import ProjectFactory, VillageFactory, user_with

TODAY = datetime.date.today()
DATA = {"type": "road", "name": "道路硬化", "budget": Decimal("100000"), "planned_start": TODAY, "planned_end": TODAY,
        "responsible_person": "张三"}


def _projects_on_dashboard(code):
    row = VillageStats.objects.filter(village_id=code).values_list("projects", flat=True).first()
    return row or 0


@pytest.fixture
def broker_down(monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.refresh_village_stats, "delay", down)


@pytest.fixture
def no_nightly(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the nightly rebuild ran")

    monkeypatch.setattr(stats, "rebuild_all", refuse)


def test_a_change_made_while_the_broker_is_down_reaches_the_dashboard_once_it_is_back(
    db, broker_down, no_nightly, django_capture_on_commit_callbacks, monkeypatch, eager_celery
):
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    village = VillageFactory(code="330523108204")
    stats.rebuild("")
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_create(actor=official, village=village, data=DATA)
    # Committed, but the refresh could not be queued: the dashboard is stale and the outbox says so.
    assert Project.objects.filter(village=village).count() == 1
    assert _projects_on_dashboard(village.code) == 0
    assert list(VillageChange.objects.values_list("village_code", flat=True)) == [village.code]

    monkeypatch.undo()  # the broker is back (the nightly job is still forbidden: it was undone too, re-forbid it)
    monkeypatch.setattr(stats, "rebuild_all", lambda *a, **k: pytest.fail("the nightly rebuild ran"))
    assert tasks.sweep_village_changes.delay().get() == 1
    assert _projects_on_dashboard(village.code) == 1
    assert not VillageChange.objects.exists()


def test_the_sweeper_runs_every_minute():
    entry = next(e for e in CELERY_BEAT_SCHEDULE.values() if e["task"] == "dashboard.sweep_village_changes")
    assert entry["schedule"] == datetime.timedelta(seconds=60)


def test_the_refresh_queued_after_the_commit_rebuilds_the_village_and_forgets_its_row(
    db, django_capture_on_commit_callbacks, eager_celery
):
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    village, other = VillageFactory(code="330523108204"), VillageFactory(code="330523108205")
    with transaction.atomic():
        village_changed(other.code)  # pending for another village: the task leaves it to the sweeper
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_create(actor=official, village=village, data=DATA)
    assert _projects_on_dashboard(village.code) == 1
    assert list(VillageChange.objects.values_list("village_code", flat=True)) == [other.code]


def test_the_outbox_row_is_committed_with_the_change_or_not_at_all(db):
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    village = VillageFactory(code="330523108204")
    with pytest.raises(InvalidInput):
        project_services.project_create(actor=official, village=village, data={**DATA, "budget": Decimal("-1")})
    with pytest.raises(RuntimeError), transaction.atomic():
        project_services.project_create(actor=official, village=village, data=DATA)
        raise RuntimeError("the request failed after the write")
    assert not VillageChange.objects.exists() and not Project.objects.exists()
    project_services.project_create(actor=official, village=village, data=DATA)
    assert VillageChange.objects.filter(village_code=village.code).count() == 1


@pytest.mark.django_db(transaction=True)
def test_recording_a_change_outside_the_writes_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match="inside the write's transaction"):
        village_changed("330523108204")
    assert not VillageChange.objects.exists()


def test_a_drain_rebuilds_a_township_once_and_keeps_rows_recorded_after_it_read(db, monkeypatch):
    a, b = VillageFactory(code="330523108204"), VillageFactory(code="330523108205")
    c = VillageFactory(code="330523001211", township_code="330523001")
    for village in (a, b, c):
        ProjectFactory(village=village)
    with transaction.atomic():
        for code in (a.code, b.code, a.code, c.code):
            village_changed(code)
    rebuilt, real = [], stats.rebuild

    def spy(prefix, *args, **kwargs):
        rebuilt.append(prefix)
        if prefix == c.code:  # a write lands while the drain is under way
            with transaction.atomic():
                village_changed(c.code)
        return real(prefix, *args, **kwargs)

    monkeypatch.setattr(stats, "rebuild", spy)
    assert stats.drain() == 3
    assert sorted(rebuilt) == [c.code, "330523108"]  # two villages of one township: the township, once
    assert {_projects_on_dashboard(v.code) for v in (a, b, c)} == {1}
    assert list(VillageChange.objects.values_list("village_code", flat=True)) == [c.code]
    monkeypatch.setattr(stats, "rebuild", real)
    assert stats.drain([a.code]) == 0 and stats.drain() == 1 and not VillageChange.objects.exists()


def test_a_drain_of_a_village_that_no_longer_exists_forgets_it(db):
    with transaction.atomic():
        village_changed("330523108299")
    assert stats.drain() == 1
    assert not VillageChange.objects.exists()


def test_the_nightly_rebuild_goes_a_county_per_transaction_and_equals_one_whole_rebuild(db, monkeypatch):
    villages = [VillageFactory(code="330523108204"), VillageFactory(code="330522001201", township_code="330522001"),
                VillageFactory(code="330102001001", township_code="330102001")]
    for village in villages:
        ProjectFactory(village=village)
    stats.rebuild("")
    whole = sorted(VillageStats.objects.values_list("village_id", "projects", "budget"))
    townships = sorted(TownshipStats.objects.values_list("township_id", "projects"))
    VillageStats.objects.all().delete()
    TownshipStats.objects.all().delete()
    with transaction.atomic():
        village_changed(villages[0].code)
    prefixes, atomic_depths, real = [], [], stats.rebuild

    def spy(prefix, *args, **kwargs):
        prefixes.append(prefix)
        atomic_depths.append(len(transaction.get_connection().savepoint_ids))
        return real(prefix, *args, **kwargs)

    monkeypatch.setattr(stats, "rebuild", spy)
    assert stats.rebuild_all() == 3
    assert prefixes == ["330102", "330522", "330523"]
    assert len(set(atomic_depths)) == 1  # each county's rebuild starts at the same depth: none is nested in another
    assert sorted(VillageStats.objects.values_list("village_id", "projects", "budget")) == whole
    assert sorted(TownshipStats.objects.values_list("township_id", "projects")) == townships
    assert not VillageChange.objects.exists()
