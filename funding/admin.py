"""The ledger: read-only here. Sources, allocations, payments and reversals are written by funding.services
(balances under row locks, mechanisms, earmarks, dates, audit rows, dashboard refreshes); the pages and the API
call them."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Allocation, Disbursement, FundingSource


@admin.register(FundingSource)
class FundingSourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "mechanism", "region", "beneficiary_region", "village", "fiscal_year", "total_amount")
    list_filter = ("kind", "mechanism", "fiscal_year")
    search_codes = ("region__code", "village__code", "beneficiary_region__code")
    search_fields = ("name", "document_no")
    list_select_related = ("region", "village", "beneficiary_region")


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("id", "source", "project", "amount", "allocated_on", "reverses")
    list_filter = ("source__kind", "allocated_on")
    search_ids = ("pk", "project_id", "source_id")
    list_select_related = ("source", "project")


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    list_display = ("voucher_no", "allocation", "amount", "paid_on", "reverses")
    list_filter = ("paid_on", "allocation__source__kind")
    search_ids = ("pk", "allocation_id", "allocation__project_id")
    list_select_related = ("allocation", "allocation__source", "allocation__project")
