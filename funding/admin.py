from django.contrib import admin

from core.admin import LedgerAdmin, ScopedAdmin

from .models import Allocation, Disbursement, FundingSource


@admin.register(FundingSource)
class FundingSourceAdmin(ScopedAdmin):
    list_display = ("name", "kind", "mechanism", "region", "village", "fiscal_year", "total_amount")
    list_filter = ("kind", "mechanism", "fiscal_year")
    search_fields = ("name", "region__code", "region__name", "village__code", "village__short_name", "document_no")
    autocomplete_fields = ("region", "village", "created_by")
    list_select_related = ("region", "village")


@admin.register(Allocation)
class AllocationAdmin(LedgerAdmin):
    list_display = ("id", "source", "project", "amount", "allocated_on", "reverses")
    list_filter = ("source__kind", "allocated_on")
    search_fields = ("=id", "source__name", "project__name", "=project__id", "project__village__code")
    autocomplete_fields = ("source", "project", "reverses", "created_by")
    list_select_related = ("source", "project")


@admin.register(Disbursement)
class DisbursementAdmin(LedgerAdmin):
    list_display = ("voucher_no", "allocation", "amount", "paid_on", "reverses")
    list_filter = ("paid_on", "allocation__source__kind")
    search_fields = ("voucher_no", "allocation__project__name", "=allocation__project__id")
    autocomplete_fields = ("allocation", "reverses", "created_by")
    list_select_related = ("allocation", "allocation__source", "allocation__project")
