"""GET /api/v1/village-status/: the status block of many villages a page, from the snapshots (VillageStatus).

Keyset-paged by village code (an opaque cursor, ``page_size`` up to 500), filtered by ``region`` (a division code
prefix) and ``updated_since`` (blocks changed strictly after a moment), scoped by the gate (core.scoping.restrict).
Each page carries ``next_updated_since``, the watermark to pass as ``updated_since`` after the last page, and an
ETag over the page's digests, the next cursor and the watermark (``If-None-Match`` → 304).

The rows are sent as stored (the JSON text written by dashboard.status.store_blocks): a page is one query on the
snapshots and string joins, no JSON decoding and encoding of 500 blocks."""
from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re

import django_filters
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.views import APIView

from core.filters import RegionCodeFilter, _StrictIsoDateTimeField
from core.scoping import restrict

from .models import VillageStatus
from .status import watermark

PAGE_SIZE = 500
MAX_PAGE_SIZE = 500
_CODE = re.compile(r"^[0-9]{12}$")


class SinceFilter(django_filters.IsoDateTimeFilter):
    field_class = _StrictIsoDateTimeField


class VillageStatusFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="village__code")
    updated_since = SinceFilter(
        field_name="changed_at", lookup_expr="gt", label=_("Updated since"),
        help_text=_("Only villages whose status changed strictly after this moment: the next_updated_since of the "
                    "last sync."),
    )

    class Meta:
        model = VillageStatus
        fields = ["region", "updated_since"]


def _invalid(field: str, message) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def _encode_cursor(after: str, mark: datetime.datetime | None) -> str:
    raw = json.dumps({"a": after, "w": mark.isoformat() if mark else None}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: str) -> tuple[str, datetime.datetime | None]:
    """(the last code sent, the watermark of the sync) from a cursor; a 400 naming `cursor` otherwise."""
    try:
        if not value.isascii() or len(value) > 200:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        after, mark = data["a"], data["w"]
        if not isinstance(after, str) or not _CODE.match(after):
            raise ValueError
        if mark is not None:
            mark = datetime.datetime.fromisoformat(mark)
            if mark.tzinfo is None:
                raise ValueError
        return after, mark
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise _invalid("cursor", _("Invalid cursor: use the `next` link of the previous page.")) from None


def _page_size(request) -> int:
    value = request.query_params.get("page_size")
    if value is None or value == "":
        return PAGE_SIZE
    if not (value.isascii() and value.isdigit() and len(value) <= 4 and 1 <= int(value) <= MAX_PAGE_SIZE):
        raise _invalid("page_size", _("A whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE})
    return int(value)


def _moment(value: datetime.datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat()


ITEM_FIELDS = {
    "code": serializers.CharField(),
    "changed_at": serializers.DateTimeField(help_text="When this village's status last changed."),
    "status": serializers.DictField(help_text="The block of GET /api/v1/villages/{code}/status/, as it was then."),
}
FEED = inline_serializer("VillageStatusFeed", {
    "results": inline_serializer("VillageStatusFeedItem", ITEM_FIELDS, many=True),
    "next": serializers.URLField(allow_null=True, help_text="The next page (null on the last page)."),
    "next_updated_since": serializers.DateTimeField(
        allow_null=True, help_text="After the last page: pass it as `updated_since` in the next sync."),
})

DESCRIPTION = """The status of many villages a page: for each village in the caller's area the same block as
`GET /api/v1/villages/{code}/status/` (`status`), when it last changed (`changed_at`), in village code order.

**Sync recipe.** A full sync: `GET village-status/?region=33`, then follow `next` until it is null, and keep the
last page's `next_updated_since`. An incremental sync: `GET village-status/?region=33&updated_since=<that value>`,
follow `next`, keep the new `next_updated_since`. A village appears in an incremental sync exactly when its block
changed after the watermark; a write that leaves the block as it was does not bring it back.

**The watermark is safe.** `next_updated_since` is the moment of the latest change committed when the sync began
(fixed for the whole sync: the cursor carries it). Blocks are stamped under one lock held until their transaction
commits, each later than every stamp before it, so a change committed after the sync began carries a later stamp and
the next sync returns it, even if it commits while you page; a block that changes while you page may come twice, never
not at all. Pass the value back exactly as received (URL-encoded: its offset has a `+`).

**Freshness.** Blocks are refreshed from the village's summary figures within seconds of a write (the dashboard's
outbox, within a minute if the task queue was down) and every night for the figures that change with the calendar
(overdue inspections and faults, this year's inspections); such a nightly change counts as a change.

**Paging and caching.** At most 500 villages a page (`page_size`, default 500). Each page has an `ETag`; send it back
in `If-None-Match` to get `304 Not Modified` when the page (its villages' blocks, the next cursor and the watermark)
is unchanged. `region` is a division code (33, 3305, 330523, 330523108 or a village code). An invalid `cursor`,
`updated_since` or `page_size` is a 400 naming the parameter. Readers see the villages of their area; the block does
not depend on who reads it (every role that may read a village reads all of its figures)."""


class VillageStatusFeed(APIView):
    """The bulk village status feed (issue 24): see DESCRIPTION."""

    @extend_schema(
        operation_id="village_status_feed",
        summary="The status of many villages, keyset-paged, for full and incremental sync",
        description=DESCRIPTION,
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="A division code: everything below it."),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME,
                             description="Villages whose status changed strictly after this moment: the "
                                         "`next_updated_since` of the previous sync."),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` link's cursor (opaque)."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1-500, default 500."),
        ],
        responses={200: FEED, 304: OpenApiResponse(description="The page is unchanged (If-None-Match).")},
    )
    def get(self, request):
        size = _page_size(request)
        cursor = request.query_params.get("cursor")
        after, mark = _decode_cursor(cursor) if cursor else (None, watermark())
        filters = VillageStatusFilterSet(request.query_params, queryset=restrict(VillageStatus.objects.all(), request.user))
        if not filters.is_valid():
            raise exceptions.ValidationError(filters.errors)
        since = filters.form.cleaned_data.get("updated_since")
        if since is not None and (mark is None or mark < since):
            mark = since  # nothing committed after the caller's own watermark yet: keep it
        rows = filters.qs
        if after is not None:
            rows = rows.filter(village_id__gt=after)
        page = list(rows.order_by("village_id").values_list("village_id", "changed_at", "digest", "block")[:size + 1])
        more = len(page) > size
        page = page[:size]
        next_url = None
        if more:
            params = {k: v for k, v in request.query_params.items() if k != "cursor"}
            params["cursor"] = _encode_cursor(page[-1][0], mark)
            next_url = request.build_absolute_uri(request.path) + "?" + urlencode(params)
        mark_text = _moment(mark)
        tag = hashlib.sha256()
        for code, changed_at, digest, _block in page:
            tag.update(f"{code}:{digest}:{changed_at.isoformat()};".encode())
        tag.update(f"|{next_url}|{mark_text}".encode())
        etag = f'"{tag.hexdigest()[:40]}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponse(status=304)
        else:
            items = ",".join(
                '{"code":%s,"changed_at":%s,"status":%s}' % (json.dumps(code), json.dumps(_moment(changed_at)), block)
                for code, changed_at, _digest, block in page
            )
            body = '{"results":[%s],"next":%s,"next_updated_since":%s}' % (
                items, json.dumps(next_url), json.dumps(mark_text))
            response = HttpResponse(body.encode(), content_type="application/json")
        for name, value in headers.items():
            response[name] = value
        return response
