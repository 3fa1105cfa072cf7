"""Pagination of lists, for the API and the pages (its own module: DRF reads DEFAULT_PAGINATION_CLASS while
importing its views).

Page numbers cost an OFFSET, which grows with the page: page 6,000 of 200 progress reports made the database
skip 1.2 million rows. So page numbers reach only the first ``PAGE_NUMBER_MAX_ROWS`` rows of a list; beyond
them the API answers 400 and points to ``?cursor=`` (keyset pagination, the same cost at any depth, which
every API list offers), and the pages answer 400 and point to the filters and to reports.
"""
from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from .filters import ascii_digits


def page_number_max_rows() -> int:
    return settings.PAGE_NUMBER_MAX_ROWS


def _strict_whole_number(raw, param, minimum, maximum):
    """A whole number written in ASCII digits."""
    if not ascii_digits(raw) or not minimum <= int(raw) <= maximum:
        raise ValidationError({param: [_("A whole number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum}]})
    return int(raw)


def _strict_page_size(request, param, default, maximum):
    raw = request.query_params.get(param)
    if raw is None or raw == "":
        return default
    return _strict_whole_number(raw, param, 1, maximum)


def last_page_number(page_size: int) -> int:
    """The deepest page a list serves by number at this page size."""
    return max(1, page_number_max_rows() // page_size)


class Pagination(PageNumberPagination):
    """`page` and `page_size` (at most 200); results under `results`. Page numbers reach the first
    PAGE_NUMBER_MAX_ROWS rows; deeper, `?cursor=` (see HybridPagination)."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        return _strict_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or "1"
        deepest = last_page_number(paginator.per_page)
        if raw in self.last_page_strings or (ascii_digits(raw) and int(raw) > deepest):
            raise ValidationError({self.page_query_param: [
                _("Page numbers reach the first %(rows)s rows (page %(page)s at this page size). To read further, "
                  "page with ?cursor= (start with an empty value and follow `next`), or narrow the filters.")
                % {"rows": f"{page_number_max_rows():,}", "page": deepest}
            ]})
        return _strict_whole_number(raw, self.page_query_param, 1, deepest)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            # Past the last page of a shorter list: a client's mistake, not a missing resource.
            raise ValidationError({self.page_query_param: [_("There is no such page in this list.")]}) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
                parameter["description"] = f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Page number. Pages reach the first {page_number_max_rows():,} rows; deeper pages answer 400: "
                    "use `cursor` instead."
                )
        return parameters


class SyncCursorPagination(CursorPagination):
    """`?cursor=`: stable pages for incremental sync, oldest change first; the same cost at any depth."""

    ordering = ("updated_at", "pk")
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        return _strict_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """DRF's decoding, then the position checked against the ordering field's type: a crafted cursor
        (a position that is not a date-time, a NUL byte) is a 400 on `cursor`, never a database error."""
        invalid = ValidationError({self.cursor_query_param: [
            _("Not a cursor this API gave out: start again with an empty ?cursor= and follow the `next` links.")
        ]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        if cursor is None or cursor.position is None:
            return cursor
        name = self.ordering[0].lstrip("-")
        field = self._model._meta.pk if name == "pk" else self._model._meta.get_field(name)
        try:
            if "\x00" in cursor.position or field.to_python(cursor.position) is None:
                raise invalid
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            raise invalid from None
        return cursor


class CreatedCursorPagination(SyncCursorPagination):
    ordering = ("pk",)


class HybridPagination(Pagination):
    """Page numbers by default; cursor pagination when the request asks for it with `cursor`
    (the first page: `?cursor=`). The cursor orders by last change when the rows have one, else by id."""

    cursor_class = None  # by default chosen from the model: SyncCursorPagination or CreatedCursorPagination

    def _delegate(self, request, queryset):
        if "cursor" in request.query_params:
            if not hasattr(self, "_cursor"):
                cursor_class = self.cursor_class or _cursor_class_for(queryset.model)
                self._cursor = cursor_class()
            return self._cursor
        return None

    def paginate_queryset(self, queryset, request, view=None):
        cursor = self._delegate(request, queryset)
        if cursor is not None:
            self.active = cursor
            return cursor.paginate_queryset(queryset.order_by(), request, view)
        self.active = None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if getattr(self, "active", None) is not None:
            return self.active.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["results"]  # a cursor page has no count
        page["properties"]["count"]["description"] = "Total rows (page-number pagination only)."
        return page

    def get_schema_operation_parameters(self, view):
        return [*super().get_schema_operation_parameters(view), {
            "name": "cursor", "required": False, "in": "query",
            "description": "Cursor pagination: the empty value for the first page, then the `next` link's value. "
                           "Pages ordered by last change (or by id for rows that never change), the same cost at any depth.",
            "schema": {"type": "string"},
        }]


def _cursor_class_for(model):
    names = {field.name for field in model._meta.concrete_fields}
    return SyncCursorPagination if "updated_at" in names else CreatedCursorPagination


class BoundedPaginatorMixin:
    """For the HTML lists (ListView): page numbers past the first PAGE_NUMBER_MAX_ROWS rows (and "last" on a
    list longer than that) answer 400 with a page that points to the filters, instead of an OFFSET that
    grows without bound."""

    def paginate_queryset(self, queryset, page_size):
        raw = str(self.request.GET.get(self.page_kwarg) or "1")
        deepest = last_page_number(page_size)
        paginator = self.get_paginator(queryset, page_size, orphans=self.get_paginate_orphans(),
                                       allow_empty_first_page=self.get_allow_empty())
        if raw == "last":
            raw = str(paginator.num_pages)
        if not ascii_digits(raw) or int(raw) < 1:
            raise BadRequest(_("The page number must be a whole number."))
        if int(raw) > deepest:
            raise BadRequest(
                _("Only the first %(rows)s rows of a list can be paged through. Narrow the list with the filters "
                  "(region, status, dates), or request the full list as a report.") % {"rows": f"{page_number_max_rows():,}"}
            )
        try:
            page = paginator.page(int(raw))
        except InvalidPage:
            page = paginator.page(paginator.num_pages)  # past the end of a shorter list: its last page
        page.is_deepest = page.number >= deepest
        return paginator, page, page.object_list, page.has_other_pages()
