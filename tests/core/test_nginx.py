"""nginx in front of gunicorn (issue 15, item 3): deploy/nginx/qiancun.conf, parsed with crossplane (nginx inc.'s
parser) and checked against the settings it must agree with; accepted by `nginx -t`; and run for real in front of
the test's live server: its 413s, static files, photos and reports through the gate by X-Accel-Redirect, an
internal location no client can reach, and anonymous requests refused."""
from __future__ import annotations

import copy
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.urls import reverse

from projects import photos
from tests.conftest import need_service
from tests.stack import free_port, port_open, wait_until

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx" / "qiancun.conf"
MIB = 1024 * 1024
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


# --- The configuration, parsed ---------------------------------------------------------------------------


def _parsed() -> list[dict]:
    import crossplane

    payload = crossplane.parse(str(CONF), check_ctx=False, comments=False, single=True)
    assert payload["status"] == "ok", payload["errors"]
    return payload["config"][0]["parsed"]


def _all(block: list[dict], name: str) -> list[dict]:
    return [d for d in block if d["directive"] == name]


def _one(block: list[dict], name: str) -> list[str]:
    found = _all(block, name)
    assert len(found) == 1, (name, found)
    return found[0]["args"]


def _servers():
    parsed = _parsed()
    servers = _all(parsed, "server")
    https = next(s["block"] for s in servers if any("ssl" in d["args"] for d in _all(s["block"], "listen")))
    http = next(s["block"] for s in servers if s["block"] is not https)
    return parsed, http, https


def _location(server: list[dict], *args: str) -> list[dict]:
    return next(d["block"] for d in _all(server, "location") if d["args"] == list(args))


def _size(value: str) -> int:
    units = {"k": 1024, "m": MIB, "g": 1024 * MIB}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].lower() in units else int(value)


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_body_limits_match_the_portals():
    _parsed_conf, _http, https = _servers()
    assert _size(_one(https, "client_max_body_size")[0]) == django_settings.BODY_LIMIT_AUTHENTICATED
    progress = next(d for d in _all(https, "location") if d["args"][0] == "~")
    pattern = progress["args"][1]
    assert re.search(pattern, reverse("projects:progress_create", args=[123]))
    assert not re.search(pattern, reverse("projects:create")) and not re.search(pattern, "/projects/1/progress/new/x")
    assert _size(_one(progress["block"], "client_max_body_size")[0]) == photos.UPLOAD_BODY_LIMIT
    assert photos.UPLOAD_BODY_LIMIT >= photos.MAX_PHOTOS * photos.MAX_BYTES


def _routes_with_the_photo_body_limit(resolver=None, prefix=""):
    """The names of the routes whose view is marked with the photo forms' @body_limit."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from core.body_limits import body_limit_of

    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes_with_the_photo_body_limit(pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name and body_limit_of(pattern.callback) == photos.UPLOAD_BODY_LIMIT:
            yield f"{prefix}{pattern.name}"


def _takes_an_id(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return True
    return False


def test_every_photo_form_has_the_photo_body_limit():
    """Each view marked with @body_limit (core.body_limits) has a location of that size, and only those routes."""
    from django.urls import resolve

    from core.body_limits import body_limit_of

    _parsed_conf, _http, https = _servers()
    locations = [(d["args"][1], _size(_one(d["block"], "client_max_body_size")[0])) for d in _all(https, "location") if d["args"][0] == "~"]
    marked = [reverse(name, args=[7] if _takes_an_id(name) else []) for name in _routes_with_the_photo_body_limit()]
    # Found by walking the URLs (a hand-kept list missed the supervision forms), the known ones among them.
    assert {reverse("projects:progress_create", args=[7]), reverse("maintenance:asset_inspect", args=[7]),
            reverse("maintenance:asset_fault", args=[7]), reverse("maintenance:fault_repaired", args=[7]),
            reverse("oversight:finding_add", args=[7]), reverse("oversight:problem_rectify", args=[7]),
            reverse("publicity:create"), reverse("publicity:edit", args=[7])} <= set(marked)
    for url in marked:
        assert body_limit_of(resolve(url).func) == photos.UPLOAD_BODY_LIMIT, url
        assert [size for pattern, size in locations if re.search(pattern, url)] == [photos.UPLOAD_BODY_LIMIT], url
    for url in (reverse("maintenance:asset_edit", args=[7]), reverse("maintenance:fault_verify", args=[7]), "/maintenance/assets/7/inspect/x",
                reverse("oversight:problem_close", args=[7]), reverse("oversight:visit_detail", args=[7]),
                reverse("publicity:publish", args=[7]), reverse("publicity:detail", args=[7])):
        assert not any(re.search(pattern, url) for pattern, _size_ in locations), url


def test_the_imports_uploads_have_the_imports_body_limit():
    """The upload page and the API's upload take a file of up to 20 MB, in Django and in nginx alike; the import's
    other routes keep the default."""
    from django.urls import resolve

    from core.body_limits import body_limit_of
    from imports.reading import UPLOAD_BODY_LIMIT

    _parsed_conf, _http, https = _servers()
    locations = [(d["args"][1], _size(_one(d["block"], "client_max_body_size")[0])) for d in _all(https, "location") if d["args"][0] == "~"]
    for url in (reverse("imports:upload"), reverse("api:import-list")):
        assert body_limit_of(resolve(url).func) == UPLOAD_BODY_LIMIT, url
        assert [size for pattern, size in locations if re.search(pattern, url)] == [UPLOAD_BODY_LIMIT], url
    for url in (reverse("imports:commit", args=[7]), reverse("api:import-commit", args=[7]), reverse("imports:list")):
        assert body_limit_of(resolve(url).func) is None, url
        assert not any(re.search(pattern, url) for pattern, _size_ in locations), url


def test_slow_clients_never_hold_a_worker():
    _parsed_conf, _http, https = _servers()
    assert _one(https, "proxy_request_buffering") == ["on"] and _one(https, "proxy_buffering") == ["on"]
    for timeout in ("client_header_timeout", "client_body_timeout", "send_timeout", "proxy_connect_timeout",
                    "proxy_send_timeout", "proxy_read_timeout", "keepalive_timeout"):
        assert re.fullmatch(r"\d+s", _one(https, timeout)[0]), timeout
    gunicorn = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), gunicorn)
    assert gunicorn["worker_class"] == "sync" and int(_one(https, "proxy_read_timeout")[0][:-1]) > gunicorn["timeout"]


def test_proxy_headers_and_upstream():
    parsed, http, https = _servers()
    headers = {d["args"][0]: d["args"][1] for d in _all(https, "proxy_set_header")}
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"  # TLS ends here: Django's SECURE_PROXY_SSL_HEADER trusts it
    assert headers["Host"] == "$http_host"
    upstream = next(d for d in _all(parsed, "upstream"))
    web = _compose()["services"]["web"]
    host, port = _one(upstream["block"], "server")[0].split(":")
    assert host == "web" and f"0.0.0.0:{port}" in (web.get("command", "") + (ROOT / "deploy/gunicorn.conf.py").read_text())
    for server in (http, https):
        for location in _all(server, "location"):
            for proxy in _all(location["block"], "proxy_pass"):
                assert proxy["args"] == [f"http://{upstream['args'][0]}"], location["args"]
    assert _one(_location(https, "=", "/healthz"), "proxy_pass") and _one(_location(http, "=", "/healthz"), "proxy_pass")
    assert _one(_location(http, "/"), "return") == ["301", "https://$host$request_uri"]


def test_static_from_the_volume_with_long_cache_and_media_only_through_the_gate():
    _parsed_conf, _http, https = _servers()
    compose = _compose()["services"]
    static = _location(https, "^~", "/static/")
    alias = _one(static, "alias")[0]
    assert f"static:{alias.rstrip('/')}:ro" in compose["nginx"]["volumes"]
    assert any("immutable" in d["args"][1] and "max-age=31536000" in d["args"][1] for d in _all(static, "add_header"))
    accel = compose["web"]["environment"]["MEDIA_ACCEL_REDIRECT"]
    internal = _location(https, "^~", accel)
    assert _all(internal, "internal")
    media_alias = _one(internal, "alias")[0]
    assert f"media:{media_alias.rstrip('/')}:ro" in compose["nginx"]["volumes"]
    # No other location reaches the media volume; its public-looking path answers 404.
    for location in _all(https, "location"):
        if location["block"] is not internal:
            assert not any(media_alias.rstrip("/") in " ".join(d["args"]) for d in location["block"]), location["args"]
    assert _one(_location(https, "^~", "/media/"), "return") == ["404"]


# --- A test copy: the same directives, with paths and ports of a temporary folder --------------------------


class NginxUnderTest:
    """deploy/nginx/qiancun.conf inside a minimal nginx.conf of its own, under a temporary prefix."""

    def __init__(self, upstream_port: int):
        self.dir = Path(tempfile.mkdtemp(prefix="qiancun-nginx-"))
        os.chmod(self.dir, 0o755)  # the workers run as nobody when the test runs as root
        self.static = self.dir / "static"
        self.media = self.dir / "media"
        self.certs = self.dir / "certs"
        for folder in (self.static, self.media, self.certs, self.dir / "temp"):
            folder.mkdir(mode=0o755)
        self.http_port, self.https_port = free_port(), free_port()
        self.upstream_port = upstream_port
        self.process = None

    def _rewrite(self, block: list[dict]) -> list[dict]:
        out = []
        for directive in copy.deepcopy(block):
            name, args = directive["directive"], directive["args"]
            if name == "listen":
                if args[0].startswith("[::]"):
                    continue  # the test binds IPv4 loopback only
                port = self.https_port if "ssl" in args else self.http_port
                directive["args"] = [f"127.0.0.1:{port}", *[a for a in args[1:] if a != "default_server"]]
            elif name == "server" and args == ["web:8000"]:
                directive["args"] = [f"127.0.0.1:{self.upstream_port}"]
            elif name == "alias":
                directive["args"] = [args[0].replace("/srv/qiancun/static/", f"{self.static}/")
                                            .replace("/srv/qiancun/media/", f"{self.media}/")]
            elif name in ("ssl_certificate", "ssl_certificate_key"):
                directive["args"] = [args[0].replace("/etc/nginx/certs/", f"{self.certs}/")]
            if "block" in directive:
                directive["block"] = self._rewrite(directive["block"])
            out.append(directive)
        return out

    def write(self) -> Path:
        import crossplane

        temp = self.dir / "temp"
        http = [
            {"directive": "include", "args": ["/etc/nginx/mime.types"]},
            {"directive": "default_type", "args": ["application/octet-stream"]},
            {"directive": "access_log", "args": [str(self.dir / "access.log")]},
            *[{"directive": f"{kind}_temp_path", "args": [str(temp / kind)]}
              for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")],
            *self._rewrite(_parsed()),
        ]
        main = [
            {"directive": "worker_processes", "args": ["1"]},
            {"directive": "pid", "args": [str(self.dir / "nginx.pid")]},
            {"directive": "error_log", "args": [str(self.dir / "error.log"), "info"]},
            {"directive": "events", "args": [], "block": [{"directive": "worker_connections", "args": ["64"]}]},
            {"directive": "http", "args": [], "block": http},
        ]
        if os.geteuid() == 0:
            main.insert(0, {"directive": "user", "args": ["nobody", "nogroup"]})
        config = self.dir / "nginx.conf"
        config.write_text(crossplane.build(main) + "\n")
        return config

    def make_certificate(self):
        openssl = shutil.which("openssl")
        need_service("openssl", openssl is not None, "apt-get install openssl")
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-keyout", str(self.certs / "privkey.pem"), "-out", str(self.certs / "fullchain.pem")],
                       check=True, capture_output=True, timeout=60)

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run([NGINX, "-t", "-p", str(self.dir), "-c", str(self.write())], capture_output=True, text=True,
                              timeout=60)

    def start(self):
        config = self.write()
        self.process = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(config), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "w"))
        wait_until(lambda: port_open(self.https_port) or self._dead(), 20, "nginx to listen")
        return self

    def _dead(self):
        if self.process.poll() is not None:
            raise AssertionError(f"nginx exited: {(self.dir / 'stderr.log').read_text()}{self.error_log()}")
        return False

    def error_log(self) -> str:
        log = self.dir / "error.log"
        return log.read_text()[-3000:] if log.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


def _need_nginx():
    need_service("nginx", NGINX is not None, "apt-get install nginx-light")


def test_nginx_accepts_the_configuration():
    _need_nginx()
    server = NginxUnderTest(upstream_port=free_port())
    try:
        server.make_certificate()
        result = server.check()
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr
        assert "warn" not in result.stderr.replace("[warn] the \"user\" directive", ""), result.stderr
    finally:
        server.stop()


# --- Live: nginx in front of the test's live server ---------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    def __init__(self, base: str, cookie: str = ""):
        self.base = base
        self.cookie = cookie
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
        self.context = context
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirect)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        all_headers = {"Cookie": self.cookie, "Origin": self.base, "Referer": self.base + path, **(headers or {})}
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=all_headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def announce(self, path: str, length: int, content_type: str = "multipart/form-data; boundary=x") -> tuple[int, bytes, float]:
        """Send only the headers of a POST announcing ``length`` bytes: nginx must answer without waiting for them."""
        host, port = self.base.split("//")[1].split(":")
        started = time.monotonic()
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with self.context.wrap_socket(raw, server_hostname=host) as tls:
                tls.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
                             f"Content-Length: {length}\r\nCookie: {self.cookie}\r\nConnection: close\r\n\r\n").encode())
                answer = b""
                while b"\r\n\r\n" not in answer and (chunk := tls.recv(65536)):
                    answer += chunk
                head, body = answer.split(b"\r\n\r\n", 1)
                size = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(body) < size and (chunk := tls.recv(65536)):
                    body += chunk
        # Not waiting for the connection to close: nginx lingers a few seconds for a body that never comes.
        return int(head.split(b" ", 2)[1]), body, time.monotonic() - started


@pytest.fixture
def front(live_server, settings, transactional_db):
    """nginx (TLS, the repository's configuration) in front of the live server, with production's proxy settings:
    Django trusts X-Forwarded-Proto and redirects plain http, so every 200 below also proves the header arrives."""
    _need_nginx()
    port = int(live_server.url.rsplit(":", 1)[1])
    server = NginxUnderTest(upstream_port=port)
    server.make_certificate()
    settings.MEDIA_ROOT = server.media
    settings.MEDIA_ACCEL_REDIRECT = _compose()["services"]["web"]["environment"]["MEDIA_ACCEL_REDIRECT"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _session(client_fixture, user) -> str:
    client_fixture.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client_fixture.cookies[django_settings.SESSION_COOKIE_NAME].value}"


def test_live_static_files_healthz_and_https(front):
    base = f"https://127.0.0.1:{front.https_port}"
    (front.static / "qiancun-probe.css").write_text("body{color:#1f2a33}")  # only nginx's folder has it
    status, body, headers = Client(base).request("GET", "/static/qiancun-probe.css")
    assert status == 200 and body == b"body{color:#1f2a33}"
    assert "immutable" in headers["Cache-Control"] and headers["Content-Type"].startswith("text/css")
    assert Client(base).request("GET", "/static/missing.css")[0] == 404
    status, body, _h = Client(base).request("GET", "/healthz")
    assert status == 200 and b'"status": "ok"' in body
    plain = f"http://127.0.0.1:{front.http_port}"
    assert urllib.request.urlopen(plain + "/healthz", timeout=10).status == 200  # the probe works in plain http
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(_NoRedirect).open(plain + "/accounts/login/", timeout=10)
    assert redirect.value.code == 301 and redirect.value.headers["Location"].startswith("https://127.0.0.1")
    status, page, _h = Client(base).request("GET", "/accounts/login/")
    assert status == 200 and "登录".encode() in page


def test_live_bodies_over_the_limits_are_refused_before_they_are_sent(front, client):
    from core.models import Role
    from tests.factories import ProjectFactory, VillageFactory, user_with

    base = f"https://127.0.0.1:{front.https_port}"
    anonymous = Client(base)
    # nginx: over its limit, answered from the headers alone (the body is never sent), in the portal's words.
    status, body, seconds = anonymous.announce("/accounts/login/", 500 * MIB)
    assert status == 413 and "请求内容过大".encode() in body and seconds < 2
    status, body, _s = anonymous.announce("/api/v1/auth/token/", 5 * MIB, "application/json")
    assert status == 413 and b'"code": "payload_too_large"' in body
    # Django: within nginx's limit but over the anonymous one.
    status, body, _h = anonymous.request("POST", "/accounts/login/", b"username=" + b"x" * 100_000,
                                         {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413 and "请求内容过大".encode() in body
    # The progress form takes nine photos through both; one byte more than the limit does not pass nginx.
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    project = ProjectFactory(village=VillageFactory(code="330523108204"), status="under_construction")
    path = reverse("projects:progress_create", args=[project.pk])
    cookie = _session(client, official)
    status, _b, _s = Client(base, cookie).announce(path, photos.UPLOAD_BODY_LIMIT + 1)
    assert status == 413
    status, _b, _s = Client(base, cookie).announce("/projects/new/", 3 * MIB)
    assert status == 413


def test_live_progress_report_with_photos_through_nginx(front, client):
    """A 9 MB report from a logged-in official passes nginx's progress location and Django's photo limit."""
    from core.models import Role
    from projects.models import ProgressPhoto
    from tests.factories import ProjectFactory, VillageFactory, user_with
    from tests.images import image_bytes

    base = f"https://127.0.0.1:{front.https_port}"
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    project = ProjectFactory(village=VillageFactory(code="330523108204"), status="under_construction",
                             actual_start="2025-03-05")
    path = reverse("projects:progress_create", args=[project.pk])
    browser = Client(base, _session(client, official))
    status, page, headers = browser.request("GET", path)
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"] or "").group(1)
    browser.cookie += f"; csrftoken={csrf_cookie}"
    jpeg = image_bytes(size=(800, 600))
    photo = jpeg + b"\0" * (3 * MIB - len(jpeg))
    boundary = "qiancunboundary"
    parts = [(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").encode()
             for k, v in {"csrfmiddlewaretoken": token, "report_date": "2025-05-10", "percent_complete": "45",
                          "amount_spent": "1000", "narrative": "管网铺设"}.items()]
    for i in range(3):
        parts.append((f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"p{i}.jpg\"\r\n"
                      "Content-Type: image/jpeg\r\n\r\n").encode() + photo + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    assert len(body) > 9 * MIB
    status, answer, headers = browser.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 302, answer[:2000]
    assert ProgressPhoto.objects.filter(report__project=project).count() == 3


def _continue_or_refuse(base: str, path: str, length: int, cookie: str = "") -> int:
    """Announce a POST of ``length`` bytes with `Expect: 100-continue`: nginx answers 100 when the location takes a
    body of that size (it then waits for it), 413 when it does not, from the headers alone."""
    host, port = base.split("//")[1].split(":")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                         f"Content-Length: {length}\r\nExpect: 100-continue\r\nCookie: {cookie}\r\n"
                         "Connection: close\r\n\r\n").encode())
            answer = b""
            while b"\r\n" not in answer and (chunk := tls.recv(65536)):
                answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_live_api_upload_routes_have_their_body_limits(front):
    """The API's routes that take uploads get their own size (regex locations, which a `^~ /api/` prefix would hide:
    nginx then gave them the default 2560k); the API's other routes keep the default, all answering in JSON."""
    from imports.reading import UPLOAD_BODY_LIMIT as IMPORT_LIMIT

    base = f"https://127.0.0.1:{front.https_port}"
    over_default = django_settings.BODY_LIMIT_AUTHENTICATED + MIB
    assert _continue_or_refuse(base, "/api/v1/progress-reports/", over_default) == 100
    assert _continue_or_refuse(base, "/api/v1/progress-reports/", photos.UPLOAD_BODY_LIMIT) == 100
    assert _continue_or_refuse(base, "/api/v1/imports/", over_default) == 100
    assert _continue_or_refuse(base, "/api/v1/imports/", IMPORT_LIMIT + 1) == 413
    assert _continue_or_refuse(base, "/api/v1/projects/", over_default) == 413
    assert _continue_or_refuse(base, "/api/v1/progress-reports/1/", over_default) == 413
    status, body, _s = Client(base).announce("/api/v1/progress-reports/", photos.UPLOAD_BODY_LIMIT + 1)
    assert status == 413 and b'"code": "payload_too_large"' in body
    status, body, _s = Client(base).announce("/api/v1/imports/", IMPORT_LIMIT + 1)
    assert status == 413 and b'"code": "payload_too_large"' in body


def test_live_api_progress_report_with_photos_through_nginx(front, client):
    """The phone's offline queue sends a report of 3 MiB (over the API's default limit) from its browser session,
    with the CSRF token in X-CSRFToken: nginx and Django take it."""
    from core.models import Role
    from projects.models import ProgressPhoto
    from tests.factories import ProjectFactory, VillageFactory, user_with
    from tests.images import image_bytes

    base = f"https://127.0.0.1:{front.https_port}"
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    project = ProjectFactory(village=VillageFactory(code="330523108204"), status="under_construction",
                             actual_start="2025-03-05")
    phone = Client(base, _session(client, official))
    status, _page, headers = phone.request("GET", reverse("projects:progress_create", args=[project.pk]))
    assert status == 200
    csrf = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"] or "").group(1)
    phone.cookie += f"; csrftoken={csrf}"
    jpeg = image_bytes(size=(800, 600))
    photo = jpeg + b"\0" * (3 * MIB - len(jpeg))
    boundary = "qiancunboundary"
    parts = [(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").encode()
             for k, v in {"project": project.pk, "report_date": "2025-05-10", "percent_complete": "45",
                          "amount_spent": "1000", "narrative": "管网铺设"}.items()]
    parts.append((f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"p.jpg\"\r\n"
                  "Content-Type: image/jpeg\r\n\r\n").encode() + photo + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    assert len(body) > django_settings.BODY_LIMIT_AUTHENTICATED
    status, answer, headers = phone.request("POST", "/api/v1/progress-reports/", body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": csrf, "Idempotency-Key": "trip-1"})
    assert status == 201, answer[:2000]
    assert ProgressPhoto.objects.filter(report__project=project).count() == 1


def test_live_photos_and_reports_through_the_gate(front, client):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from core.models import Role
    from reports.models import ReportJob
    from tests.factories import ProgressPhotoFactory, ProgressReportFactory, ProjectFactory, VillageFactory, region, user_with

    base = f"https://127.0.0.1:{front.https_port}"
    photo = ProgressPhotoFactory(report=ProgressReportFactory(project=ProjectFactory(village=VillageFactory(code="330523108204"))))
    assert Path(photo.image.path).is_relative_to(front.media)
    job = ReportJob(kind="roster", format="csv", region=region("330523108"), scheduled=True, status="succeeded", progress=100,
                    started_at=timezone.now(), finished_at=timezone.now(), rows=1)
    job.file.save("reports/test/村庄名册.csv", ContentFile("村代码\n330523108204\n".encode()), save=False)
    job.save()
    official = Client(base, _session(client, user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))))
    photo_url = reverse("projects:photo", args=[photo.pk])

    status, body, headers = official.request("GET", photo_url)
    assert status == 200, (body[:500], front.error_log())
    assert body == Path(photo.image.path).read_bytes() and body[:2] == b"\xff\xd8"
    assert headers["Content-Type"] == "image/jpeg" and "X-Accel-Redirect" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "private, max-age=86400"
    status, body, headers = official.request("GET", reverse("projects:photo_thumbnail", args=[photo.pk]))
    assert status == 200 and body == Path(photo.thumbnail.path).read_bytes()
    status, body, headers = official.request("GET", reverse("reports:download", args=[job.pk]))
    assert status == 200 and body.decode() == "村代码\n330523108204\n"
    assert headers["Content-Disposition"].startswith("attachment") and "X-Accel-Redirect" not in headers
    assert headers["Cache-Control"] == "private, no-store"  # the view's headers survive the internal redirect

    # Refused: no session (the login page), another township (404), and the media paths themselves.
    status, _b, headers = Client(base).request("GET", photo_url)
    assert status == 302 and "/accounts/login/" in headers["Location"]
    neighbour = Client(base, _session(client, user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523001"))))
    assert neighbour.request("GET", photo_url)[0] == 404
    accel = django_settings.MEDIA_ACCEL_REDIRECT
    for path in (f"{accel}{photo.image.name}", f"/media/{photo.image.name}", f"{accel}{job.file.name}"):
        status, body, _h = official.request("GET", urllib.parse.quote(path))
        assert status == 404 and b"\xff\xd8" not in body, path
