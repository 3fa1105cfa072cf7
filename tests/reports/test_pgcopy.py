"""The roster CSV split over several connections (reports.pgcopy): the same bytes as one statement and as the
Python writer, one snapshot for every part, no leftovers when a part fails, helper sessions kept between reports.

These tests commit (a helper connection cannot see a test's uncommitted rows), so they run in transactional mode."""
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction

from reports import builders, pgcopy
from reports.models import ReportJob

pytestmark = pytest.mark.django_db(transaction=True)

CITY = "3305"  # 湖州市: the five villages of county_world (安吉县) are below it


@pytest.fixture(autouse=True)
def _helpers_closed():
    yield
    pgcopy.close_helpers()  # before the test database is flushed and dropped


@pytest.fixture
def split(settings, monkeypatch):
    """Split a city's roster of five villages: the threshold is lowered for the test."""
    monkeypatch.setattr(builders, "COPY_SPLIT_MIN_ROWS", 1)
    settings.REPORTS_COPY_PARALLEL = 3
    return settings


def _roster(path: Path, region: str = CITY) -> tuple[int, bytes]:
    job = ReportJob(kind="roster", format="csv", region_id=region, language="zh-hans")
    rows = builders.build_roster_csv(job, path, lambda n: None)
    return rows, path.read_bytes()


def _spy(monkeypatch) -> list[int]:
    """Record the backend pid of each part a helper thread runs."""
    pids: list[int] = []
    original = pgcopy._copy_part

    def spied(*args, **kwargs):
        rows = original(*args, **kwargs)
        pids.append(connection.connection.get_backend_pid())  # this helper thread's own connection
        return rows

    monkeypatch.setattr(pgcopy, "_copy_part", spied)
    return pids


def test_a_split_roster_is_byte_for_byte_one_statement_and_the_python_writer(county_world, postgres, split, monkeypatch,
                                                                            tmp_path):
    assert builders.roster_parts(ReportJob(region_id=CITY), 3) == [
        ("330500000000", "330523001211"), ("330523001212", "330523108204"), ("330523108205", "330599999999"),
    ]  # codes 001211, 001212, 108204, 108205, 108206: cuts after the first and the third, no code in two parts
    pids = _spy(monkeypatch)
    rows, by_parts = _roster(tmp_path / "split.csv")
    assert rows == 5 and len(pids) == 2 and connection.connection.get_backend_pid() not in pids
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split.csv"]  # the parts' files are gone

    split.REPORTS_COPY_PARALLEL = 1
    assert _roster(tmp_path / "one.csv") == (5, by_parts) and len(pids) == 2  # one statement, no helper
    monkeypatch.setattr(builders, "copy_supported", lambda: False)
    assert _roster(tmp_path / "python.csv") == (5, by_parts)
    lines = by_parts.decode("utf-8-sig").splitlines()
    assert [line[:12] for line in lines[1:]] == ["330523001211", "330523001212", "330523108204", "330523108205",
                                                 "330523108206"]


def test_every_part_reads_the_snapshot_of_the_first(county_world, postgres, split, monkeypatch, tmp_path):
    """A village renamed and committed by another session after the export began is in no part of the file,
    though the part that holds it started after the rename (it imports the first part's snapshot)."""
    _rows, before = _roster(tmp_path / "before.csv")
    original = pgcopy._copy_part
    renamed = []

    def rename_first(*args, **kwargs):
        if not renamed:  # another session commits before this part begins
            other = connections.create_connection("default")
            with other.cursor() as cursor:
                cursor.execute("UPDATE villages_village SET short_name = %s WHERE code = %s", ["改名村", "330523108206"])
            other.close()
            renamed.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(pgcopy, "_copy_part", rename_first)
    _rows, during = _roster(tmp_path / "during.csv")
    assert renamed and during == before and "改名村".encode() not in during
    monkeypatch.setattr(pgcopy, "_copy_part", original)
    _rows, after = _roster(tmp_path / "after.csv")
    assert "改名村".encode() in after  # the rename was committed: the next export has it


def test_a_failed_part_fails_the_export_and_leaves_no_part_file(county_world, postgres, split, monkeypatch, tmp_path):
    def broken(snapshot, setup, copy, out, running, stop):
        out.write_bytes(b"half a part")
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pgcopy, "_copy_part", broken)
    with pytest.raises(OperationalError, match="closed the connection"):  # transient: the task retries the report
        _roster(tmp_path / "roster.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]  # report_run deletes this one
    assert not connection.in_atomic_block and connection.get_autocommit()


def test_helper_sessions_are_kept_between_reports(county_world, postgres, split, monkeypatch, tmp_path):
    """A worker that has written a large roster before finds its helper connection open (warm caches)."""
    split.REPORTS_COPY_PARALLEL = 2
    pids = _spy(monkeypatch)
    first = _roster(tmp_path / "first.csv")
    second = _roster(tmp_path / "second.csv")
    assert first == second and len(pids) == 2 and pids[0] == pids[1]
    pgcopy.close_helpers()
    _roster(tmp_path / "third.csv")
    assert len(pids) == 3 and pids[2] != pids[0]  # closed, then a new session
    split.REPORTS_COPY_PARALLEL = 3  # more helpers wanted: the old one's session is closed, two new ones open
    _roster(tmp_path / "fourth.csv")
    assert len(pids) == 5 and pids[2] not in pids[3:] and _sessions() == {connection.connection.get_backend_pid(), *pids[3:]}


def _sessions() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'")
        return {pid for (pid,) in cursor.fetchall()}


def test_a_county_is_written_in_one_part_without_counting(county_world, postgres, split, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert builders.roster_parts(ReportJob(region_id="330523"), 3) == [("330523000000", "330523999999")]


@pytest.mark.django_db(transaction=False)
def test_no_split_inside_an_outer_transaction(postgres, settings):
    """Helper connections would not see the transaction's uncommitted rows: one statement."""
    settings.REPORTS_COPY_PARALLEL = 4
    assert pgcopy.parts_available() == 1  # the test's own transaction
    with pytest.raises(ValueError, match="no outer transaction"):
        with transaction.atomic():
            pgcopy.copy_out(None, Path("unused"), [("SELECT 1", []), ("SELECT 2", [])])
