"""The portal served as in production, on the loopback, for the benchmarks that measure it over HTTP (bench_feed,
bench_lighthouse): gunicorn with deploy/gunicorn.conf.py and DEBUG off, on the database of DATABASE_URL."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(workdir: Path, port: int, *, who: str, collect_static: bool = False) -> subprocess.Popen:
    """Start gunicorn (2 workers) on 127.0.0.1:``port`` and wait until it answers (60 s at most); the caller
    terminates it. ``collect_static``: collect the static files into ``workdir`` first (pages that load them)."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        raise CommandError(f"{who} needs the PostgreSQL database of DATABASE_URL (make bench sets it).")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # session cookies made in the caller's process are signed with it
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(workdir / "static"),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"),
        # Plain HTTP on the loopback: no redirect to HTTPS, cookies without the Secure flag, no HSTS.
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "BEHIND_HTTPS_PROXY": "0", "SECURE_HSTS_SECONDS": "0",
        "LOG_FORMAT": "text", "QIANCUN_ENV_FILE": "",
    }
    if collect_static:
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=settings.BASE_DIR)
    log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--access-logfile", "/dev/null", "config.wsgi:application"],
        env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return server
        except urllib.error.HTTPError:
            return server  # it answers
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise CommandError(f"gunicorn did not answer in 60 s: {(workdir / 'gunicorn.log').read_text()[-2000:]}")
