"""Real processes for end-to-end tests and failure drills: gunicorn, Celery worker and beat, and
throwaway Redis and PostgreSQL servers on ports of their own (the machine's shared servers are never
stopped). Every process is killed when the test ends."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Processes:
    """The app's processes (web, worker, beat) with one environment, logs in a folder."""

    def __init__(self, folder: Path, env: dict):
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_", "REPORTS_", "CACHE_URL", "DEBUG", "SECRET_KEY"))}
        self.env.update(DJANGO_SETTINGS_MODULE="config.settings", MEDIA_ROOT=str(folder / "media"), **env)
        self.running: dict[str, subprocess.Popen] = {}
        self.port = free_port()
        self.started = 0

    def _start(self, name: str, command: list[str], **env) -> subprocess.Popen:
        self.started += 1
        log = open(self.folder / f"{self.started:02d}-{name}.log", "w")
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # its own process group: signals reach its children
        self.running[name] = process
        return process

    def web(self, workers: int = 1, threads: int = 1):
        # The production configuration (deploy/gunicorn.conf.py), with this test's port and worker count.
        self._start("web", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi:application",
                            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--threads", str(threads)])
        wait_until(lambda: port_open(self.port) or self._dead("web"), 40, "gunicorn to listen")
        return self

    def worker(self, **env):
        return self._start("worker", [str(BIN / "celery"), "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
                                      "--hostname", f"drill-{os.getpid()}-{self.started}@localhost", "--loglevel", "INFO"], **env)

    def beat(self, **env):
        return self._start("beat", [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
                                    "--schedule", str(self.folder / "celerybeat-schedule")], **env)

    def manage(self, *args, timeout: int = 300) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
        return result.stdout

    def _dead(self, name):
        if self.running[name].poll() is not None:
            raise AssertionError(f"{name} exited:\n{self.logs()}")
        return False

    def kill(self, name: str, sig=signal.SIGKILL):
        process = self.running.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop(self):
        for name in list(self.running):
            self.kill(name, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.folder.glob("*.log")))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class Browser:
    """A minimal HTTP client with cookies: log in through the login form (CSRF), or use an API token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = None

    def request(self, method: str, path: str, *, json_body=None, form=None, timeout: float = 30, headers=None):
        """(status, body text, headers); HTTP errors are answers too."""
        data, all_headers = None, {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        if json_body is not None:
            data, all_headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        if form is not None:
            data, all_headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
            all_headers["Referer"] = self.base + path
        if self.token and path.startswith("/api/"):
            all_headers["Authorization"] = f"Token {self.token}"
        all_headers.update(headers or {})
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode(errors="replace"), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def login(self, username: str, password: str):
        # The token first: once the session cookie is set, DRF would ask this unauthenticated POST for a CSRF token.
        status, body, _h = self.request("POST", "/api/v1/auth/token/", json_body={"username": username, "password": password})
        assert status == 200, body
        self.token = json.loads(body)["token"]
        status, page, _h = self.request("GET", "/accounts/login/")
        assert status == 200, page[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, page, _h = self.request("POST", "/accounts/login/", form={
            "csrfmiddlewaretoken": token, "username": username, "password": password,
        })
        assert status == 200 and "sessionid" in {c.name for c in self.jar}, page[:500]
        return self

    def post_form(self, path: str, form: dict):
        status, page, _h = self.request("GET", path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request("POST", path, form={"csrfmiddlewaretoken": token, **form})


class ThrowawayRedis:
    """A redis-server of the test's own, on a free port, keeping nothing on disk."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=open(self.folder / f"redis-{time.monotonic_ns()}.log", "w"), stderr=subprocess.STDOUT,
        )
        wait_until(lambda: port_open(self.port), 15, "redis-server to listen")
        return self

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)
        wait_until(lambda: not port_open(self.port), 10, "redis-server to stop")

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, trust auth, a free port),
    run as the postgres user; stopped and deleted when the test ends."""

    def __init__(self, folder: Path):
        versions = sorted(PG_BIN.glob("*/bin/pg_ctl")) if PG_BIN.exists() else []
        self.bin = versions[-1].parent if versions else None
        # Its own folder under /tmp (pytest's are private to root; the server runs as postgres).
        import tempfile

        self.folder = Path(tempfile.mkdtemp(prefix="qiancun-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()

    def available(self) -> bool:
        return self.bin is not None and shutil.which("runuser") is not None

    def _as_postgres(self, *command, timeout=120):
        result = subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        return result.stdout

    def start(self):
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8",
                          "--locale=C.UTF-8")
        self.pg_ctl("start")
        self._as_postgres(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "qiancun")
        return self

    def pg_ctl(self, action: str, *extra):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        return self._as_postgres(str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60", "-o", options,
                                 "-l", str(self.folder / "server.log"), *extra)

    def stop(self):
        if self.data.exists():
            try:
                self.pg_ctl("stop", "-m", "immediate")
            except AssertionError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/qiancun"
