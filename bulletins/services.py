"""Writes of bulletins (通报): composed from the portal's figures, edited while a draft, approved, published (its PDF
written then, in the same transaction: a publication that fails leaves no file and no change)."""
from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, public_cache, scoping
from core.exceptions import IllegalTransition, InvalidInput
from core.models import AuditAction
from villages.models import RegionLevel

from .models import Bulletin, BulletinStatus
from .selectors import compose_figures

ISSUING_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
MAX_DAYS = 366


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def bulletin_compose(*, actor, region, period_start: datetime.date, period_end: datetime.date,
                     today: datetime.date | None = None) -> Bulletin:
    """A draft bulletin of the region's office for the period, its title and text written from the figures."""
    with transaction.atomic():
        scoping.require(actor, "bulletin.manage", region)
        today = today or timezone.localdate()
        errors = {}
        if region.level not in ISSUING_LEVELS:
            errors["region"] = _("Bulletins are issued by a county, a city or the province.")
        if not isinstance(period_start, datetime.date) or not isinstance(period_end, datetime.date):
            errors["period_start"] = _("Enter a valid date.")
        elif period_end < period_start:
            errors["period_end"] = _("The period ends before it starts.")
        elif period_end > today:
            errors["period_end"] = _("The period cannot end after today.")
        elif (period_end - period_start).days > MAX_DAYS:
            errors["period_start"] = _("A bulletin covers at most a year.")
        if errors:
            raise InvalidInput(field_errors=errors)
        figures = compose_figures(region, period_start, period_end, today)
        title = _("%(office)s bulletin on the village renovation programme, %(start)s to %(end)s") % {
            "office": region.name, "start": period_start.isoformat(), "end": period_end.isoformat()}
        body = render_to_string("bulletins/compose.txt", {"f": figures, "region": region}).strip()
        bulletin = Bulletin.objects.create(region=region, period_start=period_start, period_end=period_end,
                                           title=title[:200], body=body, figures=figures, composed_by=_user(actor))
        audit.record_create(actor=actor, obj=bulletin)
        return bulletin


def _lock(bulletin: Bulletin) -> Bulletin:
    return Bulletin.objects.select_for_update(of=("self",)).select_related("region").get(pk=bulletin.pk)


def bulletin_edit(*, actor, bulletin: Bulletin, title: str, body: str) -> Bulletin:
    """Edit a draft's title and text (an approved bulletin goes back to a draft to be edited)."""
    with transaction.atomic():
        current = _lock(bulletin)
        scoping.require(actor, "bulletin.manage", current)
        if current.status == BulletinStatus.PUBLISHED:
            raise IllegalTransition(_("A published bulletin no longer changes."))
        errors = {}
        if not (title or "").strip():
            errors["title"] = _("Give the bulletin a title.")
        if not (body or "").strip():
            errors["body"] = _("The bulletin has no text.")
        if errors:
            raise InvalidInput(field_errors=errors)
        before = audit.snapshot(current)
        current.title, current.body = title.strip()[:200], body.strip()
        # An approval was of the text approved: editing it takes the bulletin back to a draft.
        current.status, current.approved_at, current.approved_by = BulletinStatus.DRAFT, None, None
        current.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        return current


def bulletin_approve(*, actor, bulletin: Bulletin) -> Bulletin:
    with transaction.atomic():
        current = _lock(bulletin)
        scoping.require(actor, "bulletin.manage", current)
        if current.status != BulletinStatus.DRAFT:
            raise IllegalTransition(_("Only a draft can be approved; this bulletin is %(status)s.")
                                    % {"status": current.get_status_display()})
        before = audit.snapshot(current)
        current.status, current.approved_at, current.approved_by = BulletinStatus.APPROVED, timezone.now(), _user(actor)
        current.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        return current


def render_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as a PDF (WeasyPrint, Noto CJK; the print stylesheet static/css/bulletin-print.css)."""
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    html = render_to_string("bulletins/pdf.html", {"bulletin": bulletin})
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=finders.find("css/bulletin-print.css"))])


def bulletin_publish(*, actor, bulletin: Bulletin) -> Bulletin:
    """approved → published: the PDF is written and the bulletin no longer changes."""
    stored = []
    try:
        with transaction.atomic():
            current = _lock(bulletin)
            scoping.require(actor, "bulletin.manage", current)
            if current.status != BulletinStatus.APPROVED:
                raise IllegalTransition(_("Only an approved bulletin can be published; this one is %(status)s.")
                                        % {"status": current.get_status_display()})
            before = audit.snapshot(current)
            current.status, current.published_at, current.published_by = BulletinStatus.PUBLISHED, timezone.now(), _user(actor)
            current.pdf.save(f"bulletin-{current.pk}.pdf", ContentFile(render_pdf(current)), save=False)
            stored.append(current.pdf.name)
            current.save()
            audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current,
                         changes=audit.diff(before, audit.snapshot(current)))
            public_cache.changed()  # on the public pages once this commits
            return current
    except BaseException:
        for name in stored:
            Bulletin._meta.get_field("pdf").storage.delete(name)
        raise
