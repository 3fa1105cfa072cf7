"""Shared API bases: one error shape for every refusal, and scoped viewsets.

Every error answers ``{"code": ..., "message": ..., "field_errors": {field: [messages]}}``:
domain errors from the services keep their code and status (400, 403, 409);
DRF's own (validation, authentication, throttling, parse errors) are mapped to
the same shape. Viewsets declare a selector (already restricted by the gate)
and a FilterSet; writes call one service.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError

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


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A read-only viewset over ``selector(user=...)``; subclasses add writes through services."""

    selector = None

    def get_queryset(self):
        return type(self).selector(user=self.request.user)

    def created(self, instance, serializer_class=None):
        """201 with the new row as the list shows it (re-read through the selector, with its annotations)."""
        instance = self.get_queryset().get(pk=instance.pk)
        serializer = (serializer_class or self.get_serializer_class())(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=status.HTTP_201_CREATED)
