"""COPY ... TO STDOUT into a file on PostgreSQL, optionally split over several connections.

A large export is cut into parts by key range (the caller gives one statement per part, in output
order). The first part runs on the calling thread's connection; each other part runs at the same time
in a helper thread on that thread's own connection, into a file of its own, and the parts are appended
in order. All parts read one snapshot: the first connection exports it (``pg_export_snapshot()``) inside
a REPEATABLE READ transaction and the others import it (``SET TRANSACTION SNAPSHOT``), as
``pg_dump --jobs`` does, so the file is what one statement over the whole range would give, even while
others write.

The helper threads live as long as the worker process and keep their Django connections under the
project's usual rules (CONN_MAX_AGE, CONN_HEALTH_CHECKS): a worker that has written a large export
before finds its helper sessions open and their catalogue caches warm.

A helper connection cannot see the uncommitted rows of an outer transaction, so splitting is only
offered outside one (``parts_available()``); inside one, the caller runs a single statement.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction

Statement = tuple[str, Sequence]  # SQL with %s placeholders and its parameters

# Per process id (a forked child starts its own threads): the helper threads and how many there are.
_helpers: dict[int, tuple[ThreadPoolExecutor, int]] = {}
_helpers_lock = threading.Lock()


def parts_available() -> int:
    """How many connections an export may use now: REPORTS_COPY_PARALLEL on PostgreSQL outside a
    transaction, otherwise 1."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, settings.REPORTS_COPY_PARALLEL)


def copy_out(handle, path: Path, statements: Sequence[Statement], *, setup: Sequence[str] = ()) -> int:
    """Write ``COPY (statement) TO STDOUT WITH (FORMAT csv)`` of each statement to the binary file
    ``handle`` (open on ``path``), in order, and return the number of rows. ``setup`` statements
    (``SET LOCAL ...``) run first in every part's transaction."""
    if not statements:
        raise ValueError("copy_out needs at least one statement")
    split = len(statements) > 1
    if split and parts_available() < 2:
        raise ValueError("a split COPY needs PostgreSQL and no outer transaction")
    if split:
        connection.close_if_health_check_failed()  # a due health check must not be the transaction's first query
    with transaction.atomic(), connection.cursor() as cursor:
        snapshot = None
        if split:
            # The transaction's first statement: the snapshot is taken at its first query.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        for sql in setup:
            cursor.execute(sql)
        copies = [f"COPY ({cursor.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv)" for sql, params in statements]
        if snapshot is None:
            cursor.copy_expert(copies[0], handle)
            return cursor.rowcount
        setup = [cursor.mogrify("SET LOCAL TIME ZONE %s", [connection.timezone_name]).decode(), *setup]
        return _copy_split(cursor, snapshot, setup, copies, handle, Path(path))


def _pool(workers: int) -> ThreadPoolExecutor:
    with _helpers_lock:
        pool, size = _helpers.get(os.getpid(), (None, 0))
    if pool is not None and size >= workers:
        return pool
    close_helpers()  # fewer threads than wanted (REPORTS_COPY_PARALLEL was raised): start again
    with _helpers_lock:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report-copy")
        _helpers[os.getpid()] = (pool, workers)
        return pool


def close_helpers(timeout: float = 10) -> None:
    """Close the helper threads' connections and stop the threads of this process (the test suite calls it before
    dropping its database; a worker process's connections close when it exits)."""
    with _helpers_lock:
        pool, workers = _helpers.pop(os.getpid(), (None, 0))
    if pool is None:
        return
    everyone = threading.Barrier(workers, timeout=timeout)

    def close() -> None:  # each thread closes its own connection (Django refuses to close another thread's)
        connections.close_all()
        everyone.wait()  # held until every thread has taken one of these

    for future in [pool.submit(close) for _ in range(workers)]:
        future.result()
    pool.shutdown(wait=True)


def _copy_split(cursor, snapshot: str, setup: Sequence[str], copies: list[str], handle, path: Path) -> int:
    side = [path.with_name(f"{path.stem}-{i}{path.suffix}") for i in range(1, len(copies))]
    running: list = []  # the helpers' psycopg2 connections while they run a part, for cancelling
    stop = threading.Event()
    pool = _pool(len(side))
    futures = [pool.submit(_copy_part, snapshot, setup, copy, out, running, stop) for copy, out in zip(copies[1:], side)]
    try:
        cursor.copy_expert(copies[0], handle)  # the first part, meanwhile, on this connection
        count = cursor.rowcount
        for future, out in zip(futures, side):
            count += future.result()
            with open(out, "rb") as part:
                shutil.copyfileobj(part, handle, 1 << 20)
        return count
    except BaseException:
        stop.set()
        for raw in list(running):  # stop the parts still running (a failed part, a soft time limit)
            with contextlib.suppress(Exception):
                raw.cancel()
        raise
    finally:
        for future in futures:  # the helpers are done with the snapshot and their files before this returns
            with contextlib.suppress(BaseException):
                future.result()
        for out in side:
            out.unlink(missing_ok=True)


def _copy_part(snapshot: str, setup: Sequence[str], copy: str, out: Path, running: list, stop: threading.Event) -> int:
    """One part, in a helper thread on its own connection, reading the leader's snapshot in the leader's time
    zone (``setup`` begins with it). Errors are django.db's (OperationalError is retried as transient)."""
    close_old_connections()  # reuse this thread's connection while CONN_MAX_AGE allows and it is healthy
    connection.close_if_health_check_failed()
    raw = None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            raw = connection.connection
            running.append(raw)
            if stop.is_set():  # the leader has given up (it may have sent its cancel before this COPY began)
                raise Stopped
            for sql in setup:
                cursor.execute(sql)
            with open(out, "wb") as handle:
                cursor.copy_expert(copy, handle)
            return cursor.rowcount
    except Stopped:
        raise  # nothing ran: the session is fine (atomic has rolled back)
    except BaseException:
        connection.close()  # a cancelled or broken session is not kept
        raise
    finally:
        if raw is not None:
            running.remove(raw)


class Stopped(Exception):
    """A helper's part was not run: the export had already failed."""
