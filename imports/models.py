"""An import (导入): one uploaded file of one kind, its dry run (what would be created, updated or left as it is, and
every error by row and column) and, once committed, what it wrote."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.constraints import choices_check


class ImportKind(models.TextChoices):
    PROJECTS = "projects", _("projects")
    TARGETS = "targets", _("targets")
    PLAN_ITEMS = "plan_items", _("plan items")
    ASSETS = "assets", _("assets")
    KEEPERS = "keepers", _("keepers")
    SCORES = "scores", _("assessment scores")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    VALIDATING = "validating", _("checking")
    CHECKED = "checked", _("checked")  # a dry run: ready to commit when it found no error
    REFUSED = "refused", _("refused")  # the file itself could not be read
    COMMITTING = "committing", _("importing")
    COMMITTED = "committed", _("imported")
    FAILED = "failed", _("failed")


def import_file_to(instance, filename):
    return f"imports/{instance.created_at:%Y/%m}/{filename}"


class ImportBatch(models.Model):
    kind = models.CharField(_("kind of import"), max_length=12, choices=ImportKind.choices)
    # The area the file is imported for (the user's region it was uploaded in): every row must lie within it.
    region = models.ForeignKey("villages.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("uploaded by"))
    params = models.JSONField(_("parameters"), default=dict, blank=True,
                              help_text=_("What the kind needs besides the file (the assessment round of scores)."))
    file = models.FileField(_("file"), upload_to=import_file_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    format = models.CharField(_("format"), max_length=8, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    to_create = models.PositiveIntegerField(_("to create"), default=0)
    to_update = models.PositiveIntegerField(_("to update"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # [{"row": 17, "column": "预算（元）", "message": "不是数字"}], the first MAX_ERRORS_KEPT of them.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # The first rows of the dry run: [{"row": 2, "action": "create", "key": "...", "summary": "..."}].
    preview = models.JSONField(_("preview"), default=list, blank=True)
    notices = models.JSONField(_("notices"), default=list, blank=True)
    refusal = models.TextField(_("why the file was refused"), blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["requester", "created_at"], name="import_requester_created_idx"),
            models.Index(fields=["region", "created_at"], name="import_region_created_idx"),
            models.Index(fields=["status", "created_at"], name="import_status_created_idx"),
        ]
        constraints = [
            choices_check("kind", ImportKind.choices, "import_kind_valid"),
            choices_check("status", ImportStatus.choices, "import_status_valid"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="import_progress_le_100"),
            # Committed: it was checked, found no error, and says when.
            models.CheckConstraint(
                condition=~models.Q(status=ImportStatus.COMMITTED)
                | models.Q(checked_at__isnull=False, committed_at__isnull=False, error_count=0),
                name="import_committed_was_clean",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def ready(self) -> bool:
        return self.status == ImportStatus.CHECKED and self.error_count == 0 and (self.to_create + self.to_update) > 0
