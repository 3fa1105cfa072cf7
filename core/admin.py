from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.paginator import EmptyPage, Paginator
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import audit, scoping
from .exceptions import InvalidInput
from .filters import MAX_ID, ascii_digits
from .models import AuditAction, AuditEntry, RoleAssignment, User
from .pagination import last_page_number
from .services import role_grant, role_grant_check, role_revoke, token_revoke


def get_token_model():
    from knox.models import get_token_model as knox_token_model

    return knox_token_model()


class BoundedPaginator(Paginator):
    """The admin's lists page by number like the portal's: no page past the first PAGE_NUMBER_MAX_ROWS rows (the
    admin answers a refused page with its "?e=1" error page, never an OFFSET over a million rows)."""

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > last_page_number(self.per_page):
            raise EmptyPage(_("Only the first %(rows)s rows of a list can be paged through: narrow it with the filters.")
                            % {"rows": f"{settings.PAGE_NUMBER_MAX_ROWS:,}"})
        return number


class ScopedAdmin(admin.ModelAdmin):
    """The base of every domain table's admin: rows pass through the access gate for non-superusers, nothing of
    national size is counted whole or paged deep, and the search box only looks up what an index serves:

    - ``search_ids``: integer columns, matched exactly when the term is a number (an id);
    - ``search_codes``: division-code columns, matched by prefix when the term is digits (a region or village);
    - ``search_fields``: text columns searched by substring, declared only on small tables (a substring search of
      a million rows is a full scan: 3.7 s over the progress reports of a province).

    (Django's ``=field`` on an integer column is ``UPPER(field::text) = UPPER(term)``: a full scan too.)"""

    show_full_result_count = False
    list_per_page = 50
    paginator = BoundedPaginator
    search_ids: tuple[str, ...] = ("pk",)
    search_codes: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        return scoping.restrict(super().get_queryset(request), request.user)

    def get_search_fields(self, request):
        # Django shows the search box when this is not empty; the search itself is get_search_results below.
        return (*self.search_ids, *self.search_codes, *self.search_fields)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(pk__in=[])
        if ascii_digits(term):
            if int(term) <= MAX_ID:
                for name in self.search_ids:
                    condition |= Q(**{name: int(term)})
            for name in self.search_codes:
                condition |= Q(**{f"{name}__startswith": term})
        for name in self.search_fields:
            condition |= Q(**{f"{name}__contains": term})
        return queryset.filter(condition), False


class AuditedWritesMixin:
    """Every save and delete of an admin that writes writes an audit row in the same transaction (never a password:
    core.audit leaves secret fields out)."""

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

    def save_formset(self, request, form, formset, change):
        """Inline rows (a scheme's indicators) are audited like the parent."""
        with transaction.atomic():
            instances = formset.save(commit=False)
            for obj in formset.deleted_objects:
                audit.record(actor=request.user, action=AuditAction.DELETE, obj=obj, changes=audit.diff(audit.snapshot(obj), {}), note="admin")
                obj.delete()
            for obj in instances:
                before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if obj.pk else {}
                obj.save()
                audit.record(actor=request.user, action=AuditAction.UPDATE if before else AuditAction.CREATE, obj=obj,
                             changes=audit.diff(before, audit.snapshot(obj)), note="admin")
            formset.save_m2m()


class AuditedAdmin(AuditedWritesMixin, ScopedAdmin):
    """An admin that writes (only configuration without a service of its own: assessment schemes while unused)."""


class NoWritesMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesMixin, ScopedAdmin):
    """Domain records are written by their app's services, never by the admin: the services take the locks, keep
    the lifecycle and its transitions, the balances, the versions (ETag/If-Match), the audit trail and the
    dashboard's figures. The admin shows them (every field read-only) and offers no add, change or delete."""

    actions = None


class ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [f.name for f in self.model._meta.fields]


class CodePrefixSearchMixin:
    """Regions and villages: digits select by code prefix (the region and everything below it), served by the
    code index; names are searched by substring (a province's villages are a small table)."""

    search_ids = ()
    search_codes = ("code",)


@admin.register(User)
class UserAdmin(AuditedWritesMixin, BaseUserAdmin):
    """User accounts are the one thing the admin manages directly (Django's user forms, with the password
    validators), audited. A password change or a deactivation also revokes the user's API tokens (core.tokens)."""

    fieldsets = BaseUserAdmin.fieldsets + ((None, {"fields": ("phone",)}),)
    list_display = ("username", "first_name", "last_name", "email", "is_staff", "is_active")
    show_full_result_count = False


class RoleAssignmentForm(forms.ModelForm):
    """The grant's rules (role level, region) from the service, as form errors."""

    class Meta:
        model = RoleAssignment
        fields = ("user", "role", "region")

    def clean(self):
        data = super().clean()
        if data.get("role") and data.get("region"):
            try:
                role_grant_check(data["role"], data["region"].code)
            except InvalidInput as error:
                raise forms.ValidationError({f: m for f, m in error.field_errors.items() if f in self.fields}
                                            or error.message) from None
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    """Grants are added and revoked through core.services (audited); a grant is never edited."""

    form = RoleAssignmentForm
    list_display = ("user", "role", "region", "granted_by", "granted_at")
    list_filter = ("role",)
    search_ids = ("pk", "user_id")
    search_codes = ("region__code",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user", "region")
    list_select_related = ("user", "region", "granted_by")
    fields = ("user", "role", "region")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        assignment, _created = role_grant(actor=request.user, user=obj.user, role=obj.role, region_code=obj.region_id)
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        role_revoke(actor=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            role_revoke(actor=request.user, assignment=obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail, read-only for everyone (and only superusers see it); searched by the object's id."""

    list_display = ("at", "actor", "ip", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type")
    search_ids = ("pk",)
    search_fields = ()
    list_select_related = ("actor", "content_type")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term:  # the object's id (a number, or a division code), exactly
            return queryset.filter(object_id=term[:32]), False
        return queryset, False

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset if request.user.is_superuser else queryset.none()


# The portal's permissions are role grants (core.scoping); Django's groups and model permissions play no part.
admin.site.unregister(Group)
admin.site.unregister(get_token_model())


@admin.register(get_token_model())
class ApiTokenAdmin(ReadOnlyAdmin):
    """API tokens: issued only by the token endpoint (its lifetime and per-user limit), shown here by their first
    characters, revoked through core.services (audited). knox's own admin could add tokens of any lifetime."""

    list_display = ("token_key", "user", "created", "expiry")
    list_select_related = ("user",)
    search_ids = ("user_id",)
    search_fields = ()
    fields = ("token_key", "user", "created", "expiry")
    actions = ["revoke"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset if request.user.is_superuser else queryset.none()

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request, queryset):
        for token in queryset.select_related("user"):
            token_revoke(actor=request.user, token=token)
