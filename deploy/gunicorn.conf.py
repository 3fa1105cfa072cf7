"""Gunicorn's settings for the portal: docker-compose.yml's web service and the systemd unit
(deploy/systemd/qiancun-web.service) run `gunicorn -c deploy/gunicorn.conf.py config.wsgi:application`.

Sync workers, behind nginx (deploy/nginx/qiancun.conf): nginx reads every request body in full before it passes
the request on (proxy_request_buffering), takes every response in full (proxy_buffering) and sends static files
and media itself (X-Accel-Redirect), so a worker is busy only while Django computes an answer, never while a slow
phone uploads or downloads. That is what sync workers need and what makes threads (gthread) unnecessary here.
Without nginx in front, slow clients would hold workers: do not publish this port to the internet.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# About two per core; gunicorn's own WEB_CONCURRENCY variable overrides.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# A request still running after this long kills its worker (nginx gives up at 75 s: proxy_read_timeout).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 2
# Workers are replaced now and then, so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Request line and headers: gunicorn's defaults (4094 bytes, 100 fields of 8190 bytes); nginx limits them first.
accesslog = "-"
errorlog = "-"
