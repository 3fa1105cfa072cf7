"""What the benchmark commands (`make bench`) share: running a piece of work in a forked child, so that its peak
memory is that of a process that did only that work (a web or Celery worker serving one request or job)."""
from __future__ import annotations

import json
import os

from django.core.management.base import CommandError
from django.db import connections


def in_child(work, *, measure: bool = False) -> dict:
    """Run ``work()`` in a forked child; return what it returns (JSON), with the child's peak RSS in MB
    (``peak_rss_mb``, wait4's ru_maxrss: its VmHWM) when ``measure``. A failure in the child is a CommandError."""
    connections.close_all()  # the child opens its own connection
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            result = work()
            with os.fdopen(write_end, "w") as pipe:
                pipe.write(json.dumps(result, ensure_ascii=False))
            code = 0
        except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails
            try:
                os.write(write_end, json.dumps({"error": repr(error)}).encode())
            except OSError:
                pass
        finally:
            connections.close_all()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _pid, status, usage = os.wait4(pid, 0)
    result = (json.loads(text) if text else None) or {}
    if status != 0 or "error" in result:
        raise CommandError(f"the benchmark child failed: {result.get('error', f'exit status {status}')}")
    if measure:
        result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # kilobytes on Linux
    return result
