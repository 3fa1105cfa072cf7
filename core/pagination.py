"""API pagination (its own module: DRF reads DEFAULT_PAGINATION_CLASS while importing its views)."""
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


def _strict_page_size(request, param, default, maximum):
    raw = request.query_params.get(param)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValidationError({param: [f"A whole number from 1 to {maximum}."]})
    return int(raw)


class Pagination(PageNumberPagination):
    """`page` and `page_size` (at most 200); results under `results`."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        return _strict_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
                parameter["description"] = f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class SyncCursorPagination(CursorPagination):
    """`?cursor=`: stable pages for incremental sync, oldest change first."""

    ordering = ("updated_at", "id")
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        return _strict_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)


class CreatedCursorPagination(SyncCursorPagination):
    ordering = ("id",)


class HybridPagination(Pagination):
    """Page numbers by default; cursor pagination when the request asks for it with `cursor`
    (the first page: `?cursor=`). Subclasses name the cursor class."""

    cursor_class = SyncCursorPagination

    def _delegate(self, request):
        if "cursor" in request.query_params:
            if not hasattr(self, "_cursor"):
                self._cursor = self.cursor_class()
            return self._cursor
        return None

    def paginate_queryset(self, queryset, request, view=None):
        cursor = self._delegate(request)
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
            "description": "Cursor pagination: the empty value for the first page, then the `next` link's value.",
            "schema": {"type": "string"},
        }]
