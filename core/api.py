"""Shared API bases: one error shape for every refusal, and scoped viewsets.

Every error answers ``{"code": ..., "message": ..., "field_errors": {field: [messages]}}``:
domain errors from the services keep their code and status (400, 403, 409);
DRF's own (validation, authentication, throttling, parse errors) are mapped to
the same shape. Viewsets declare a selector (already restricted by the gate)
and a FilterSet; writes call one service.
"""
from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import replica
from .exceptions import DomainError, InvalidInput

DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "not_permitted",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.Throttled: "throttled",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
}


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = "This request needs an If-Match header with the object's ETag."


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_code = "precondition_failed"
    default_detail = "The object changed since the ETag you sent; fetch it again."


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used with another request body."


DRF_CODES.update({PreconditionRequired: "precondition_required", PreconditionFailed: "precondition_failed",
                  IdempotencyKeyReused: "idempotency_key_reused"})


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        result = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            result.update(_flatten(value, name))
        return result
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        result = {}
        for index, item in enumerate(detail):
            result.update(_flatten(item, f"{prefix}[{index}]"))
        return result
    return {prefix or "non_field_errors": [str(detail)]}


def error_body(code: str, message, field_errors: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "field_errors": field_errors or {}}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.field_errors), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let it be a 500 and be logged
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(code, _("Please correct the errors below."), _flatten(exc.detail))
    else:
        detail = getattr(exc, "detail", "")
        response.data = error_body(code, detail if not isinstance(detail, (dict, list)) else _("The request was refused."))
    return response


class ApiDocsAccess(permissions.BasePermission):
    """The OpenAPI schema and Swagger UI (drf-spectacular's SERVE_PERMISSIONS): anyone when API_DOCS_PUBLIC is on
    (the default only with DEBUG), else logged-in users and token clients. Read per request, not at import."""

    def has_permission(self, request, view):
        if getattr(settings, "API_DOCS_PUBLIC", False):
            return True
        return bool(request.user and request.user.is_authenticated)


def referenced(queryset, field: str, **lookup):
    """The object a request refers to by id or code, from a queryset the gate already narrowed;
    a 400 on that field when it does not exist or lies outside the caller's area (so nothing leaks)."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise InvalidInput(field_errors={field: _("Unknown, or outside your area.")})
    return obj


def etag_for(obj) -> str:
    """A strong validator for one object: its version when it has one, else its last change time."""
    marker = getattr(obj, "version", None)
    if marker is None:
        marker = getattr(obj, "updated_at", None) or getattr(obj, "created_at", "")
        marker = marker.isoformat() if hasattr(marker, "isoformat") else marker
    return '"' + hashlib.sha256(f"{type(obj).__name__}:{obj.pk}:{marker}".encode()).hexdigest()[:32] + '"'


def require_if_match(request, obj) -> None:
    """PUT/PATCH guard: 428 without If-Match, 412 when it is not the object's current ETag."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    candidates = {value.strip().removeprefix("W/") for value in header.split(",")}
    if "*" not in candidates and etag_for(obj) not in candidates:
        raise PreconditionFailed()


class ReplicaReads:
    """An API view whose GETs may read from the read replica (core/replica.py): marked once DRF has authenticated
    the caller, so a token client's pin (it wrote within REPLICA_PIN_SECONDS) keeps it on the primary.
    ``replica_actions``: the viewset actions so marked (None: every GET of the view)."""

    replica_actions: tuple[str, ...] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.replica_actions is None or getattr(self, "action", None) in self.replica_actions:
            replica.allow_for(request)


class ScopedViewSet(ReplicaReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A read-only viewset over ``selector(user=...)``; subclasses add writes through services.
    Object responses carry an ETag. Its list and retrieve may read from the replica."""

    replica_actions = ("list", "retrieve")

    selector = None
    lookup_value_regex = r"[0-9]+"
    default_ordering = ("pk",)  # `ordering=` (a filter of the FilterSet) overrides it

    def get_queryset(self):
        return type(self).selector(user=self.request.user).order_by(*self.default_ordering)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = etag_for(instance)
        return response

    def created(self, instance, serializer_class=None):
        """201 with the new row as the list shows it (re-read through the selector, with its annotations)."""
        instance = self.get_queryset().get(pk=instance.pk)
        serializer = (serializer_class or self.get_serializer_class())(instance, context=self.get_serializer_context())
        response = Response(serializer.data, status=status.HTTP_201_CREATED)
        response["ETag"] = etag_for(instance)
        return response


def idempotency_key_lifetime() -> str:
    """How long an Idempotency-Key is remembered (IDEMPOTENCY_KEY_HOURS), in words for the schema."""
    hours = settings.IDEMPOTENCY_KEY_HOURS
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} hours"


FILE_CHUNK = 1024 * 1024


def _file_digest(upload) -> dict:
    """An uploaded file by its content: the SHA-256 of its bytes (read in chunks), its size and name. The file is
    left at its start for the view that reads it next."""
    digest = hashlib.sha256()
    upload.seek(0)
    while chunk := upload.read(FILE_CHUNK):
        digest.update(chunk)
    upload.seek(0)
    return {"file": upload.name, "size": upload.size, "sha256": digest.hexdigest()}


def request_fingerprint(request) -> str:
    """SHA-256 of the method, the path and the body. A JSON body counts as its parsed document (the key order and
    spacing do not matter); a form (multipart/form-data) as every value of every field, in order, each file by
    its bytes (_file_digest): a retry with other photos under the same names is another request."""
    from django.core.files.uploadedfile import UploadedFile

    data = request.data
    if hasattr(data, "lists"):  # a QueryDict (forms, multipart): several values per key, files among them
        fields = {key: [_file_digest(value) if isinstance(value, UploadedFile) else value for value in values]
                  for key, values in data.lists()}
        body = "form:" + json.dumps(fields, sort_keys=True, default=str)
    else:
        body = json.dumps(data, sort_keys=True, default=str)  # as before: keys stored earlier still match
    return hashlib.sha256((request.method + request.path + body).encode()).hexdigest()


def idempotent(view_method):
    """POST guard for `Idempotency-Key`: the first response is stored with the key (same transaction
    as the write); a retry with the same key and body (photos compared by their bytes: request_fingerprint)
    gets it back without writing; the same key with another body is refused (422). Keys belong to the user
    and expire after IDEMPOTENCY_KEY_HOURS."""
    from functools import wraps

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        from .models import IdempotencyKey

        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 200:
            raise exceptions.ValidationError({"Idempotency-Key": ["At most 200 characters."]})
        fingerprint = request_fingerprint(request)
        horizon = timezone.now() - timezone.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
        IdempotencyKey.objects.filter(user=request.user, key=key, created_at__lt=horizon).delete()

        def replay(record):
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            response = Response(record.response_body, status=record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response

        existing = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if existing is not None:
            return replay(existing)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=request.user, key=key, fingerprint=fingerprint)
                response = view_method(self, request, *args, **kwargs)
                if response.status_code >= 400:
                    raise _DoNotKeep(response)
                record.response_status = response.status_code
                record.response_body = json.loads(json.dumps(response.data, default=str))
                record.save(update_fields=["response_status", "response_body"])
                return response
        except _DoNotKeep as refused:
            return refused.response  # a refusal is not remembered: the client may correct and retry
        except IntegrityError:
            # The same key arrived concurrently and the other request won: answer as a retry.
            return replay(IdempotencyKey.objects.get(user=request.user, key=key))

    return wrapper


class _DoNotKeep(Exception):
    def __init__(self, response):
        self.response = response


def describe_every_field(result, generator, request, public):
    """drf-spectacular hook: every property gets a description (its title, i.e. the model field's
    verbose name, when nothing more specific was written)."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            if not prop.get("description"):
                prop["description"] = str(prop.get("title") or name.replace("_", " ")).capitalize()
    return result


ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "field_errors"],
    "properties": {
        "code": {"type": "string", "description": "A machine code: invalid, not_authenticated, not_permitted, not_found, "
                 "over_committed, illegal_transition, precondition_failed, throttled, ..."},
        "message": {"type": "string", "description": "What went wrong, in the caller's language."},
        "field_errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                         "description": "Messages per field of the request (empty when the refusal is not about input)."},
    },
    "description": "Every error of the API has this shape.",
}
ERROR_STATUSES = {
    "400": "Invalid input: the field errors name the fields.",
    "401": "Not authenticated: send `Authorization: Token <key>`.",
    "403": "The caller's roles do not allow this.",
    "404": "Not found, or outside the caller's area.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Refused by a rule of the programme (over-commitment, lifecycle, mechanism, ...).",
    "415": "Unsupported media type: send JSON.",
    "429": "Too many requests: wait for Retry-After seconds.",
}
WRITE_STATUSES = {
    "412": "The object changed since the ETag in If-Match.",
    "422": "The Idempotency-Key was used with another body.",
    "428": "If-Match is required.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular hook: every operation documents the error responses it can give, all with the
    one error shape."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    _tighten_decimal_requests(components)
    ref = {"$ref": "#/components/schemas/Error"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = dict(ERROR_STATUSES)
            if method in ("put", "patch", "post"):
                statuses.update(WRITE_STATUSES)
            for code, description in statuses.items():
                operation["responses"].setdefault(code, {"description": description, "content": {"application/json": {"schema": ref}}})
    return result


POSITIVE_AMOUNTS = {"amount", "total_amount"}  # request fields that must be greater than zero


def _tighten_decimal_requests(components) -> None:
    """Request amounts: at least one digit, no sign, the field's digits; allocations, payments and
    source totals also greater than zero. (Responses keep the sign: reversals are negative.)"""
    import re

    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        for prop, spec in component.get("properties", {}).items():
            if spec.get("format") != "decimal" or "pattern" not in spec:
                continue
            match = re.search(r"\\d\{0,(\d+)\}", spec["pattern"])
            digits = int(match.group(1)) if match else 14
            if prop in POSITIVE_AMOUNTS:
                spec["pattern"] = (
                    rf"^(?:0*[1-9]\d{{0,{digits - 1}}}(?:\.\d{{1,2}})?|0*\.(?:0[1-9]|[1-9]\d?))$"
                )
            else:
                spec["pattern"] = rf"^(?:\d{{1,{digits}}}(?:\.\d{{1,2}})?|\.\d{{1,2}})$"
