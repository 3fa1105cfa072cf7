"""Deterministic tests of the row locks a service takes (PostgreSQL only; SQLite has no row locks).

A service that reads rows, checks a rule on them and then writes (a balance, a status, a version) locks those
rows first (select_for_update): otherwise another transaction can change them between its check and its write.
Racing threads show a missing lock only by chance. `concurrent_writer` makes the interleaving certain:

1. another connection locks the rows, as a concurrent writer would, and holds them;
2. the service under test starts in the test's own connection;
3. after `pause` seconds the writer changes the rows and commits.

A service that locks waits at step 2 until the commit, then reads the changed rows and refuses. A service that
does not lock has already checked the old values by then and goes ahead (its own write, if any, waits for the
writer's commit and then succeeds): the test sees a success where a refusal was due. If the machine is so slow
that the service has not reached its read when the pause ends, both versions refuse: the test can miss the bug,
but never fails a correct service.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connections, transaction

PAUSE = 1.0  # seconds the writer holds its lock before changing the rows


@contextmanager
def concurrent_writer(lock: Callable[[], object], change: Callable[[], object], *, pause: float = PAUSE):
    """Inside the block, another connection holds what ``lock()`` locked; ``pause`` seconds after the block
    starts it runs ``change()`` and commits. Leaving the block waits for the writer and re-raises its errors."""
    locked, errors = threading.Event(), []

    def write():
        try:
            with transaction.atomic():
                lock()
                locked.set()
                time.sleep(pause)
                change()
        except Exception as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)
        finally:
            locked.set()
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    assert locked.wait(timeout=30), "the writer did not take its lock"
    try:
        yield
    finally:
        writer.join(timeout=60)
    assert not writer.is_alive(), "the writer did not finish"
    if errors:
        raise errors[0]


@contextmanager
def held_elsewhere(lock: Callable[[], object]):
    """Inside the block, another connection holds what ``lock()`` locked (rows, or an open service's writes), and
    lets go when the block ends. For tests that show a service does NOT wait for a row (see refused_to_wait)."""
    locked, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                lock()
                locked.set()
                release.wait(timeout=60)
        except Exception as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)
        finally:
            locked.set()
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=30), "the other connection did not take its lock"
    if errors:
        raise errors[0]
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=60)


@contextmanager
def refused_to_wait(milliseconds: int = 300):
    """Inside the block, a statement of the test's connection that waits for a row lock longer than this fails
    (PostgreSQL's lock_timeout: 'canceling statement due to lock timeout') instead of waiting: a service that
    locks a row it should not fails the test at once, deterministically, instead of merely being slow."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{milliseconds}ms"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', '0', false)")
