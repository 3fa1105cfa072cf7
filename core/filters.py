"""Filters shared by the FilterSets of every app (HTML lists, API, filter forms)."""
import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import extend_schema_field

from .divisions import code_prefix_q

MAX_ID = 2**63 - 1  # the largest primary key the database holds (bigint)


def ascii_digits(value: str) -> bool:
    """Digits 0-9 only: ``"²".isdigit()`` and ``"٣".isdigit()`` are true, and neither is a code or an id."""
    return bool(value) and value.isascii() and value.isdigit()


def search_village_objects(queryset, value: str):
    """The search box of a list of things that belong to a village (projects, assets): digits find an id or the
    villages under a code; other text the thing's name or its village's."""
    value = value.strip()
    if not value:
        return queryset
    if ascii_digits(value):
        by_code = Q(village__code__startswith=value)
        return queryset.filter(Q(pk=int(value)) | by_code if int(value) <= MAX_ID else by_code)
    return queryset.filter(Q(name__contains=value) | Q(village__short_name__contains=value))


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """django-filter's, without SELECT DISTINCT: every use here filters a row's own column or a forward foreign
    key's (no row can appear twice), and DISTINCT over an annotated list sorts every matching row before the page
    is cut (4 s for the allocations of one kind at province scale)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class YesNoWidget(BooleanWidget):
    """django-filter's true/false select with Chinese choices: 全部 / 是 / 否 (its own says "Unknown", from a
    catalogue without zh-hans; Django's NullBooleanSelect says 未知)."""

    def __init__(self, attrs=None):
        forms.Select.__init__(self, attrs, (("", _("All")), ("true", _("Yes")), ("false", _("No"))))


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter (``?overdue=true``) shown as 全部 / 是 / 否."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", YesNoWidget)
        super().__init__(*args, **kwargs)


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter's, in the page's language: its "(descending)" comes from django-filter's own catalogue, which
    has no zh-hans, and a field without a label in ``field_labels`` would show its English parameter name."""

    descending_fmt = _("%s (descending)")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("Default order"))
        super().__init__(*args, **kwargs)


class RegionCodeFilter(django_filters.CharFilter):
    """`region=<code>`: the region (or village) with this code and everything below it."""

    def __init__(self, *args, path: str, **kwargs):
        kwargs.setdefault("label", _("Region code"))
        kwargs.setdefault("help_text", _("A division code: 33, 3305, 330523, 330523108 or a village code."))
        super().__init__(*args, field_name=path, lookup_expr="startswith", **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        if not ascii_digits(value) or len(value) > 12:  # no division code is longer than a village's
            return qs.none()
        return qs.filter(code_prefix_q(self.field_name, value))


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number within the database's range (anything else is a 400, never a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 2003, "maximum": 2100})
class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 2003)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


class _StrictIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """RFC 3339 date-times only (what the schema's `date-time` promises): 2026-01-31T08:00:00+08:00."""

    PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

    def to_python(self, value):
        if value not in (None, "") and not self.PATTERN.match(str(value)):
            raise forms.ValidationError(_("Use an ISO 8601 date-time with its offset, such as 2026-01-31T08:00:00+08:00."))
        return super().to_python(value)


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    """`updated_since=`: rows changed at or after a moment (incremental sync)."""

    field_class = _StrictIsoDateTimeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("label", _("Updated since"))
        super().__init__(*args, **kwargs)
