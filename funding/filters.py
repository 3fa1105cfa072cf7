"""One FilterSet per ledger model: the HTML lists, the XLSX export and the API use the same ones."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import IdFilter, MultipleChoiceFilter, RegionCodeFilter, YearFilter

from .models import Allocation, Disbursement, FundingSource, Mechanism, Purpose, SourceKind


class FundingSourceFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="region__code", help_text=_("Sources administered in this region or below it."))
    kind = MultipleChoiceFilter(choices=SourceKind.choices, label=_("kind"))
    mechanism = django_filters.ChoiceFilter(choices=Mechanism.choices, label=_("mechanism"))
    fiscal_year = YearFilter(label=_("fiscal year"))
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = FundingSource
        fields = ["region", "kind", "mechanism", "fiscal_year"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__contains=value) | Q(document_no__contains=value)) if value else queryset


def _purpose(prefix: str = ""):
    def method(queryset, name, value):
        if value == Purpose.CONSTRUCTION:
            return queryset.filter(**{f"{prefix}project__isnull": False})
        if value == Purpose.UPKEEP:
            return queryset.filter(**{f"{prefix}asset__isnull": False})
        return queryset
    return method


class AllocationFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="village__code")
    village = django_filters.CharFilter(field_name="village_id", label=_("Village code"))
    purpose = django_filters.ChoiceFilter(
        choices=Purpose.choices, method=_purpose(), label=_("purpose"),
        help_text=_("construction: money for projects; upkeep: upkeep money (管护经费) for assets."),
    )
    project = IdFilter(field_name="project_id", label=_("Project"))
    asset = IdFilter(field_name="asset_id", label=_("asset"))
    source = IdFilter(field_name="source_id", label=_("source"))
    kind = MultipleChoiceFilter(field_name="source__kind", choices=SourceKind.choices, label=_("kind"))
    date_after = django_filters.DateFilter(field_name="allocated_on", lookup_expr="gte", label=_("From"))
    date_before = django_filters.DateFilter(field_name="allocated_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Allocation
        fields = ["region", "village", "purpose", "project", "asset", "source", "kind"]


class DisbursementFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="allocation__village__code")
    village = django_filters.CharFilter(field_name="allocation__village_id", label=_("Village code"))
    purpose = django_filters.ChoiceFilter(choices=Purpose.choices, method=_purpose("allocation__"), label=_("purpose"))
    project = IdFilter(field_name="allocation__project_id", label=_("Project"))
    asset = IdFilter(field_name="allocation__asset_id", label=_("asset"))
    source = IdFilter(field_name="allocation__source_id", label=_("source"))
    allocation = IdFilter(field_name="allocation_id", label=_("allocation"))
    date_after = django_filters.DateFilter(field_name="paid_on", lookup_expr="gte", label=_("From"))
    date_before = django_filters.DateFilter(field_name="paid_on", lookup_expr="lte", label=_("To"))
    voucher_no = django_filters.CharFilter(label=_("voucher no."))

    class Meta:
        model = Disbursement
        fields = ["region", "village", "purpose", "project", "asset", "source", "allocation", "voucher_no"]
