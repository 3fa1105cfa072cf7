"""Qiancun settings: one module, every difference between environments comes
from environment variables (django-environ). See README.md for the list.

DEBUG is off unless the environment turns it on (`make run`, `make test` and pytest do). Only with
DEBUG on are there development defaults: a published secret key, a SQLite file in the project
directory, Celery tasks run eagerly in-process when CELERY_BROKER_URL is unset. With DEBUG off,
SECRET_KEY, DATABASE_URL and CELERY_BROKER_URL are required and startup fails without them.
"""
import datetime
import importlib.util
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# An optional .env file next to manage.py (never committed) for local overrides. QIANCUN_ENV_FILE names another
# file; the test suite sets it to nothing, so that a developer's .env never changes what the tests see.
_env_file = os.environ.get("QIANCUN_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    environ.Env.read_env(_env_file, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Whether this process started on development defaults. Kept apart from DEBUG because test runners
# (pytest-django) switch DEBUG off at run time while the process still runs on development settings;
# /healthz, seed_demo and generate_programme ask this, never DEBUG.
DEVELOPMENT_MODE = DEBUG

_DEV_SECRET_KEY = "django-insecure-qiancun-development-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_ratelimit",
    "csp",
    "core",
    "villages",
    "projects",
    "funding",
    "assessment",
    "maintenance",
    "planning",
    "oversight",
    "inbox",
    "imports",
    "dashboard",
    "reports",
    "bulletins",
    "disclosure",
    "offline",
    "portal",
    "sample",  # demo and scale-test data: on top of every app, imported by none
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: every response, error pages included, carries the Content-Security-Policy.
    "csp.middleware.CSPMiddleware",
    # /healthz answers here, before host validation, sessions and CSRF (see core/health.py for why).
    "core.health.HealthCheckMiddleware",
    # A NUL or another control character in the path, or a NUL in the query string, is a 400 here (the database
    # refuses NUL bytes in text; a path never holds control characters).
    "core.middleware.ControlCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.locale.LanguageCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 413 from Content-Length before anything reads the body: its process_view runs before CsrfViewMiddleware's,
    # which reads request.POST (core/body_limits.py).
    "core.body_limits.BodySizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # 404s are the portal's Chinese page under DEBUG too, not Django's English technical page (core/middleware.py).
    "core.middleware.PortalErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.RequestContextMiddleware",
    # Marks the reads of dashboard, API list and report views for the read replica; pins a user's reads to the
    # primary after a write (core/replica.py). After authentication: it needs request.user.
    "core.replica.ReplicaReadsMiddleware",
    # Refuses login attempts (page, token endpoint, admin) from an address past its failure limit (core/login_limit.py).
    "core.login_limit.LoginLimitMiddleware",
    # Last: django-axes refuses logins after too many failures.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.identity",  # the header's department and region
                "inbox.context_processors.unread",  # the header's 消息 (n): cached, no query on most pages
                "offline.context_processors.offline",  # offline use: static/js/offline.js's settings and texts
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database -------------------------------------------------------------
if not DEBUG and not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured(
        "DATABASE_URL must be set in the environment when DEBUG is off (production never falls back to SQLite), "
        "e.g. postgres://qiancun_app@127.0.0.1:5432/qiancun."
    )
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# The password from a file instead of the URL (Docker secrets: only the containers that mount it can read it).
DATABASE_PASSWORD_FILE = env.str("DATABASE_PASSWORD_FILE", default="")
if DATABASE_PASSWORD_FILE:
    if DATABASES["default"].get("PASSWORD"):
        raise ImproperlyConfigured("DATABASE_URL holds a password and DATABASE_PASSWORD_FILE is set: use one of them.")
    try:
        DATABASES["default"]["PASSWORD"] = Path(DATABASE_PASSWORD_FILE).read_text().strip("\r\n")
    except OSError as error:
        raise ImproperlyConfigured(f"DATABASE_PASSWORD_FILE={DATABASE_PASSWORD_FILE} cannot be read: {error}") from None


def _postgres_connection(database: dict) -> None:
    """What every PostgreSQL connection of the portal gets (the primary's and the replica's alike)."""
    database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    database["CONN_HEALTH_CHECKS"] = True
    database.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    # PostgreSQL's JIT compiles the plan of any query it estimates as costly: at province scale it spent 3.6 s
    # compiling a 50-row page of allocations that took 0.2 s to run. Off for the portal's sessions (DATABASE_JIT=1
    # turns it back on); it pays only for long analytical queries.
    if not env.bool("DATABASE_JIT", default=False):
        options = database["OPTIONS"]
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()


if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _postgres_connection(DATABASES["default"])
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a management command writes; IMMEDIATE transactions take
    # the write lock up front, so two writers wait for each other instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

# Reads on a replica (core/replica.py, README "Reads on a replica"): a PostgreSQL hot standby of the primary
# (streaming replication). Dashboard pages, API list/retrieve and report reads go to it; writes, a user's reads
# for REPLICA_PIN_SECONDS after a write of theirs, and everything while the replica lags more than
# REPLICA_MAX_LAG_SECONDS or is unreachable stay on the primary. Unset: one database, nothing changes.
# A physical standby has the primary's roles and passwords: without a password in the URL, DATABASE_PASSWORD_FILE's.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    if "postgresql" not in DATABASES["default"]["ENGINE"] or "postgresql" not in DATABASES["replica"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs PostgreSQL for both DATABASE_URL and the replica.")
    if DATABASE_PASSWORD_FILE and not DATABASES["replica"].get("PASSWORD"):
        DATABASES["replica"]["PASSWORD"] = DATABASES["default"]["PASSWORD"]
    _postgres_connection(DATABASES["replica"])
    # Tests: the alias reads default's test database (no second test database is created). Ordinary tests keep
    # every read on the primary (tests/conftest.py); tests/core/test_replica.py routes to the real standby.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Always installed: with no replica configured it answers "default".
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)  # longer than the lag bound
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=2.0)  # a process re-checks the replica this often
REPLICA_CHECK_TIMEOUT = env.int("REPLICA_CHECK_TIMEOUT", default=2)  # seconds to connect (libpq counts whole seconds)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # zxcvbn's estimate of how guessable the password is (repeats, sequences, keyboard walks, dictionary words).
    {"NAME": "django_zxcvbn_password_validator.ZxcvbnPasswordValidator"},
]
# zxcvbn's score, 0-4: 3 means "safely unguessable" (about 10^8 guesses or more), which keeps out
# aaaaaaaaaaaa, passwordpassword, abcdefghijkl and qiancun-2024 while passphrases of a few words pass.
PASSWORD_MINIMAL_STRENGTH = env.int("PASSWORD_MINIMAL_STRENGTH", default=3)
# Words a password should not lean on (the programme's own name), beside the user's name and e-mail.
PASSWORD_EXTRA_DICTIONARY = ["qiancun", "千村", "万村", "千村示范", "万村整治", "zhejiang", "浙江"]

AUTHENTICATION_BACKENDS = [
    # First: refuses the attempt when the username/IP pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed logins for a user from one IP lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "token", "key"]
# Every failed login is kept (username, address, time; never the password) for the administrators, bounded per username.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# A lockout answers 429 with Retry-After: the API's error shape under /api/, the Chinese page elsewhere.
AXES_LOCKOUT_CALLABLE = "core.login_limit.axes_lockout_response"

# The client's address (core/net.py): the number of reverse proxies in front of the application, each appending
# the address it received from to X-Forwarded-For (nginx: $proxy_add_x_forwarded_for). 0: no proxy, REMOTE_ADDR
# only, X-Forwarded-For ignored. The audit trail, django-axes, the login limit and the API throttles all use it.
# USE_X_FORWARDED_FOR=1 is the deprecated spelling of one proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if env.bool("USE_X_FORWARDED_FOR", default=False) else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"

# Password spraying: failed logins are counted per client address across usernames (the login page, the token
# endpoint and the admin login together); past LOGIN_FAILURES_PER_IP failures in a window of
# LOGIN_FAILURE_WINDOW_MINUTES every login from that address answers 429 until the window ends (core/login_limit.py).
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=30)
LOGIN_FAILURE_WINDOW_MINUTES = env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15)
RATELIMIT_FAIL_OPEN = True  # Redis down: limits pause (as the API throttles do), logins keep working
# The public pages (disclosure/views.py, readable without logging in): each client address may ask for
# PUBLIC_PAGES_RATE of them (pages, PDFs and photos together; 429 past it); a page is cached for
# PUBLIC_CACHE_SECONDS, and a publication or withdrawal shows at once (core/public_cache.py).
PUBLIC_PAGES_RATE = env.str("PUBLIC_PAGES_RATE", default="120/m")
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=300)

# Request bodies (core/body_limits.py): refused with 413 from Content-Length, before anything reads them. The
# progress form's larger limit comes from projects/photos.py (nine photos of 10 MB); nginx applies the same.
BODY_LIMIT_ANONYMOUS = env.int("BODY_LIMIT_ANONYMOUS", default=64 * 1024)
BODY_LIMIT_AUTHENTICATED = env.int("BODY_LIMIT_AUTHENTICATED", default=2621440)  # 2.5 MiB
DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT_AUTHENTICATED  # Django's own bound on non-file form data and request.body

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation: zh-hans first, English second -------------------
LANGUAGE_CODE = "zh-hans"
# django-filter's empty choice of a filter form's select ("---------" otherwise), in the page's language.
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The password strength validator's own zh_Hans messages. Its package is not an installed app: importing it loads
# zxcvbn's dictionaries (12 MB in every web and worker process); the validator is imported when a password is
# first validated.
LOCALE_PATHS = [
    BASE_DIR / "locale",
    Path(importlib.util.find_spec("django_zxcvbn_password_validator").submodule_search_locations[0]) / "locale",
]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Behind nginx: the internal location that serves MEDIA_ROOT (deploy/nginx/qiancun.conf); photo and report views
# then answer with X-Accel-Redirect after their access check (core/files.py). Empty: Django streams the files.
MEDIA_ACCEL_REDIRECT = env.str("MEDIA_ACCEL_REDIRECT", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (hardened whenever DEBUG is off) -----------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_HTTPS_PROXY", default=not DEBUG) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The container's healthcheck calls http://127.0.0.1:8000/healthz in plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Content-Security-Policy (django-csp), enforced: the browser runs only script files from this host and
# applies only stylesheets from it. No inline <script>, on*= handler, <style> or style="" anywhere, no
# eval; a markup injection that slips through escaping runs nothing. blob: is for the photo previews of
# the progress form (static/js/photos.js), data: for small images inside the vendored CSS (Swagger UI).
# tests/browser/test_csp.py opens every page and fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Django REST framework --------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous request gets 401 with WWW-Authenticate; browsers use their session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # The API speaks JSON (the token endpoint also takes a form; the actions with photos, multipart/form-data).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    # ... and answers JSON only: DRF's browsable API pages carry inline styles, which the Content-Security-Policy
    # refuses; people read the API at /api/docs/ (Swagger UI).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Ordering is an `ordering` filter of each FilterSet (its choices are published in the schema).
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.HybridPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # 429 with Retry-After past these rates (per user, per client IP for anonymous requests).
    # Anonymous callers are counted by core.net.client_ip (item 8 of issue 15).
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.UserRateThrottle", "core.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_USER_RATE", default="1200/min"),
        "anon": env.str("API_ANON_RATE", default="60/min"),
    },
}
# Page numbers (API and pages) reach this many rows of a list; deeper, the API pages with ?cursor= and the pages
# ask for narrower filters (an OFFSET costs the rows it skips: core/pagination.py).
PAGE_NUMBER_MAX_ROWS = env.int("PAGE_NUMBER_MAX_ROWS", default=10_000)
# API tokens (django-rest-knox): stored as SHA-512 digests, valid API_TOKEN_TTL_DAYS, at most API_TOKENS_PER_USER
# unexpired at once per user; a password change or deactivation deletes them (core/tokens.py).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=10)
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=API_TOKEN_TTL_DAYS),
    "TOKEN_LIMIT_PER_USER": API_TOKENS_PER_USER,
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
# How long an Idempotency-Key is remembered (hours); documented in the API description. 30 days: a phone without
# signal may retry a dropped upload days later (the offline queue of issue 23), and must get the first answer back.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=30 * 24)

# Throttling counters and other short-lived state: Redis when CACHE_URL says so, else in-process memory.
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": (
        # Fails open: with Redis down the portal answers without its cache (rate limits pause), see core/cache.py.
        {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": CACHE_URL,
         "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "qiancun"}
    )
}
# django-ratelimit's checks know only memcached and django-redis. Our Redis backend is Django's own RedisCache
# (atomic INCR), which its list predates: its W001 does not apply. In-process memory (no CACHE_URL) is not shared
# between web processes: fine for development and tests (one process); on a server (DEBUG off) core.W004 warns
# in `check`, `migrate` and `check --deploy` in place of ratelimit's E003, which as an error would stop `migrate`.
SHARED_CACHE = CACHES["default"]["BACKEND"] == "core.cache.FailOpenRedisCache"
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] + ([] if SHARED_CACHE else ["django_ratelimit.E003"])
# The OpenAPI schema (/api/schema/) and Swagger UI (/api/docs/): served to anonymous visitors only when this is on
# (default: DEBUG); otherwise to logged-in users and API clients (core.api.ApiDocsAccess reads it per request).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=DEBUG)
SPECTACULAR_SETTINGS = {
    "TITLE": "Qiancun API",
    "SERVE_PERMISSIONS": ["core.api.ApiDocsAccess"],
    "DESCRIPTION": (
        "千村示范、万村整治 programme data: regions, villages, projects, progress, funding, assessments.\n\n"
        "**Auth**: `POST /api/v1/auth/token/` with username and password returns `{\"token\": ..., \"expiry\": ...}`; "
        "send `Authorization: Token <token>`. A token expires (30 days by default), and is revoked by "
        "`DELETE /api/v1/auth/token/`, on the portal's tokens page, or when its user's password changes or the user "
        "is deactivated. Browsers use their session. Anonymous requests get 401. Past 30 failed logins from one "
        "address in 15 minutes the token endpoint answers 429.\n\n"
        "**Scope**: every list and object is limited to the regions of the caller's roles (everything below them); "
        "an object outside answers 404.\n\n"
        "**Errors** have one shape: `{\"code\": ..., \"message\": ..., \"field_errors\": {field: [messages]}}`.\n\n"
        "**Filters**: `region` takes any division code (2, 4, 6, 9 or 12 digits) and includes everything below it; "
        "`updated_since` (ISO 8601) for incremental sync; `ordering`. Lists are paged with `page` and `page_size` "
        "(at most 200); progress reports and projects also accept `cursor` pagination (`?cursor=`, stable under "
        "inserts).\n\n"
        "**Safe writes**: object responses carry an `ETag`; `PUT` and `PATCH` need `If-Match` with it (428 without, "
        "412 when the object changed). `POST /progress-reports/` honours `Idempotency-Key`: a retry with the same key "
        "and body (photos compared by their bytes) returns the first response and writes nothing; the same key with "
        "another body answers 422. Keys belong to the caller and are kept "
        + (f"{IDEMPOTENCY_KEY_HOURS // 24} days" if IDEMPOTENCY_KEY_HOURS % 24 == 0 and IDEMPOTENCY_KEY_HOURS >= 48
           else f"{IDEMPOTENCY_KEY_HOURS} hours")
        + ".\n\n"
        "**Rate limits**: 1,200 requests a minute per user, 60 per IP without login; past them 429 with Retry-After."
    ),
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.describe_every_field", "core.api.document_errors"],
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.models.ProjectStatus",
        "ProjectTypeEnum": "projects.models.ProjectType",
        "SourceKindEnum": "funding.models.SourceKind",
        "MechanismEnum": "funding.models.Mechanism",
        "GradeEnum": "assessment.models.Grade",
        # Without these drf-spectacular warns (W001) about two choice sets named "kind" / "status", which fails
        # `check --deploy --fail-level WARNING` (tests/core/test_deploy_check.py).
        "ReportKindEnum": "reports.models.ReportKind",
        "ReportStatusEnum": "reports.models.ReportStatus",
        "AssetKindEnum": "maintenance.models.AssetKind",
        "InspectionStatusEnum": "maintenance.models.InspectionStatus",
        "FaultStatusEnum": "maintenance.models.FaultStatus",
        "OutputUnitEnum": "projects.models.OutputUnit",
        "PlanKindEnum": "planning.models.PlanKind",
        "PlanStatusEnum": "planning.models.PlanStatus",
        "TargetKindEnum": "planning.models.TargetKind",
        "AssetStatusEnum": "maintenance.models.AssetStatus",
        "VisitKindEnum": "oversight.models.VisitKind",
        "ProblemCategoryEnum": "oversight.models.ProblemCategory",
        "ProblemSeverityEnum": "oversight.models.ProblemSeverity",
        "ProblemStatusEnum": "oversight.models.ProblemStatus",
        "ProblemPhotoStageEnum": "oversight.models.ProblemPhotoStage",
        "ImportKindEnum": "imports.models.ImportKind",
        "ImportStatusEnum": "imports.models.ImportStatus",
    },
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
if not DEBUG and not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be set in the environment when DEBUG is off (production never runs tasks inside "
        "web requests), e.g. redis://127.0.0.1:6379/0."
    )
# No broker configured (development only): run tasks eagerly, in-process. CELERY_TASK_ALWAYS_EAGER=1 set
# explicitly with DEBUG off still starts, but /healthz answers 503 and `check --deploy` warns (core.W003).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING below (JSON lines), not Celery's own format
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Reminders (inbox): e-mail through Django's mail backends. EMAIL_URL (django-environ): smtp://user:pass@host:25,
# smtp+tls://…:587, smtp+ssl://…:465, or consolemail:// / dummymail://; unset: the console backend under DEBUG,
# SMTP to localhost:25 otherwise.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="qiancun@localhost")
EMAIL_SUBJECT_PREFIX = "[千村] "
# The SMS adapter (inbox/sms.py): a dotted path to a class with send(phone, text) -> id. The default only logs.
SMS_ADAPTER = env.str("SMS_ADAPTER", default="inbox.sms.LoggingAdapter")
# The portal's address as users reach it, for the links in e-mails and SMS (e.g. https://qiancun.example.gov.cn).
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
# How often the delivery task tries again a channel that failed (with a growing wait: 1, 2, 4… minutes).
INBOX_DELIVERY_RETRIES = env.int("INBOX_DELIVERY_RETRIES", default=4)

CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Redis redelivers a task that was taken but never acknowledged (its worker was killed) after this many
# seconds: longer than any task may run (time limits above), or a slow task would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
}
# Publishing gives up quickly when the broker is down: the request answers, the job waits in the database.
CELERY_BROKER_CONNECTION_TIMEOUT = 2

# --- Money -------------------------------------------------------------------------
# A ledger entry dated more than this many days back (or before its source's fiscal year) needs a reason.
LEDGER_BACKDATE_DAYS = env.int("LEDGER_BACKDATE_DAYS", default=90)

# --- Photos (projects/photos.py) -------------------------------------------------
# The most a photo may cost to decode, in pixels of four bytes (see projects/photos.py: a JPEG counts at the
# reduced scale it is decoded at; a WebP four times its pixels). 40 million pixels are 160 MB decoded.
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000)
# What the photos of one progress report may cost together (nine 12.5 MP phone photos are 112 million).
PHOTO_MAX_PIXELS_PER_REPORT = env.int("PHOTO_MAX_PIXELS_PER_REPORT", default=120_000_000)

# --- Reports (reports app) -------------------------------------------------------
REPORTS_RETENTION_DAYS = env.int("REPORTS_RETENTION_DAYS", default=30)  # report files are deleted after this
REPORTS_SOFT_TIME_LIMIT = env.int("REPORTS_SOFT_TIME_LIMIT", default=900)  # seconds one report may take
REPORTS_MAX_ACTIVE_PER_USER = env.int("REPORTS_MAX_ACTIVE_PER_USER", default=5)  # queued or running at once
# A running job whose heartbeat is older than this is taken over (its worker died).
REPORTS_STALE_SECONDS = env.int("REPORTS_STALE_SECONDS", default=300)
# A queued job not started this long after it was sent is sent again (the broker lost it).
REPORTS_REQUEUE_SECONDS = env.int("REPORTS_REQUEUE_SECONDS", default=1800)
REPORTS_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}
# Failure drills only: seconds slept at each progress checkpoint, so a drill can kill a worker mid-report.
REPORTS_CHECKPOINT_DELAY = env.float("REPORTS_CHECKPOINT_DELAY", default=0.0)
# How often beat's sweeper sends again the jobs whose task never reached the broker (Redis was down), and how
# long after a request the sweeper leaves a job to the request's own dispatch.
REPORTS_SWEEP_SECONDS = env.int("REPORTS_SWEEP_SECONDS", default=60)
REPORTS_DISPATCH_GRACE_SECONDS = env.int("REPORTS_DISPATCH_GRACE_SECONDS", default=30)
# Periodic tasks are declared in one place: config/beat.py.
from config.beat import beat_schedule  # noqa: E402

CELERY_BEAT_SCHEDULE = beat_schedule(sweep_seconds=REPORTS_SWEEP_SECONDS)

# --- Logging ----------------------------------------------------------------
# One handler on stdout for web, worker and beat. LOG_FORMAT=json (default when DEBUG is off): one JSON
# object per line with the request id; text (default when DEBUG is on): a readable line. Passwords, tokens,
# session ids, cookies and CSRF tokens are redacted from every record (core/logging.py).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json").lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "core.logging.RequestContextFilter"},
        "redact": {"()": "core.logging.RedactingFilter"},
    },
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "core.logging.StdoutHandler", "formatter": LOG_FORMAT, "filters": ["request_context", "redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (stderr when DEBUG, mail to ADMINS) are dropped: its records reach the root handler.
        "django": {"handlers": [], "propagate": True},
        # SQL is logged at DEBUG with its parameters (session keys, token keys): never.
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates every step of a PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
