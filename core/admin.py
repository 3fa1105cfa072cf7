from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from . import audit, scoping
from .filters import ascii_digits
from .models import AuditAction, AuditEntry, RoleAssignment, User


class ScopedAdmin(admin.ModelAdmin):
    """Admin for domain tables: rows pass through the access gate for
    non-superusers, every save and delete writes an audit row in the same
    transaction, and nothing of national size is counted or rendered whole."""

    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return scoping.restrict(super().get_queryset(request), request.user)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change and obj.pk else {}
            super().save_model(request, obj, form, change)
            audit.record(
                actor=request.user, action=AuditAction.UPDATE if change else AuditAction.CREATE, obj=obj,
                changes=audit.diff(before, audit.snapshot(obj)), note="admin",
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(actor=request.user, action=AuditAction.DELETE, obj=obj, changes=audit.diff(audit.snapshot(obj), {}), note="admin")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)




class LedgerAdmin(ScopedAdmin):
    """Ledger entries are corrected by reversal, never edited or deleted."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CodePrefixSearchMixin:
    """A division code typed into the search box selects by prefix (the
    region and everything below it), served by the code index."""

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if ascii_digits(term):
            return queryset.filter(code__startswith=term), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((None, {"fields": ("phone",)}),)
    list_display = ("username", "first_name", "last_name", "email", "is_staff", "is_active")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ("user", "role", "region", "granted_by", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "region__name")
    autocomplete_fields = ("user", "region")
    list_select_related = ("user", "region", "granted_by")
    fields = ("user", "role", "region")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        from .services import role_grant

        assignment, _created = role_grant(actor=request.user, user=obj.user, role=obj.role, region_code=obj.region_id)
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        from .services import role_revoke

        role_revoke(actor=request.user, assignment=obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail, read-only for everyone."""

    list_display = ("at", "actor", "ip", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type")
    search_fields = ("object_repr", "=object_id", "actor__username")
    list_select_related = ("actor", "content_type")
    show_full_result_count = False
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.none()
