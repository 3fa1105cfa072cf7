"""API v1 of bulletins (通报): /api/v1/bulletins/, read-only: the published bulletins a client reads (a county's are
read below it) and the drafts of the offices its account writes for; the published text and the PDF's address."""
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from core.api import ScopedViewSet

from . import selectors
from .filters import BulletinFilterSet
from .models import Bulletin, BulletinStatus


class BulletinSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", help_text="Code of the issuing office (a county, a city, the province).")
    region_name = serializers.CharField(source="region.name", help_text="The issuing office's name.")
    status = serializers.ChoiceField(choices=BulletinStatus.choices, help_text="`draft`, `approved` or `published`.")
    pdf = serializers.SerializerMethodField(help_text="Path of the published PDF (a portal page behind the login), or null.")

    class Meta:
        model = Bulletin
        fields = ["id", "region", "region_name", "period_start", "period_end", "title", "body", "status", "approved_at",
                  "published_at", "pdf", "created_at", "updated_at"]

    def get_pdf(self, bulletin) -> str | None:
        return reverse("bulletins:pdf", args=[bulletin.pk]) if bulletin.status == BulletinStatus.PUBLISHED else None


@extend_schema_view(
    list=extend_schema(description="Bulletins (通报): the published ones of the client's area and of the offices above "
                                   "it, and the drafts of the offices the account writes bulletins for. Filters: "
                                   "`region` (the office or below), `status`, `q` (title)."),
    retrieve=extend_schema(description="One bulletin, with its text."),
)
class BulletinViewSet(ScopedViewSet):
    selector = selectors.bulletin_list
    serializer_class = BulletinSerializer
    filterset_class = BulletinFilterSet
    queryset = Bulletin.objects.none()
    default_ordering = ("-period_end", "-id")
