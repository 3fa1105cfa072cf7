"""Writes of the public pages' content: a county opens or closes its villages' public pages; its staff write, publish,
edit and withdraw exemplary cases (典型案例) with their photos. Each is atomic, writes its audit rows in its
transaction and, when what the public reads changes, renews the public pages' cache once it commits
(core.public_cache). Photos are checked and re-encoded before anything is written (projects.photos); files stored by
a write that rolls back are removed."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, public_cache, scoping
from core.exceptions import IllegalTransition, InvalidInput
from core.models import AuditAction
from projects import photos as photo_processing
from villages.models import Region, RegionLevel, Village

from .models import STORY_MAX_LENGTH, CountyPublication, Exemplar, ExemplarPhoto, ExemplarStatus

MAX_PHOTOS = 9  # per case


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def publication_set(*, actor, county: Region, villages_public: bool) -> CountyPublication:
    """Open (or close) the public pages of the county's villages."""
    if county.level != RegionLevel.COUNTY:
        raise InvalidInput(field_errors={"county": [_("Only a county opens its villages' pages.")]})
    scoping.require(actor, "publicity.manage", county)
    with transaction.atomic():
        # The county's row is the lock: there may be no publication row yet to lock.
        Region.objects.select_for_update(of=("self",)).filter(pk=county.pk).first()
        publication = CountyPublication.objects.select_for_update(of=("self",)).filter(county=county).first()
        if (publication.villages_public if publication else False) == bool(villages_public):
            # Nothing changes (no row is closed), nothing is written.
            return publication or CountyPublication(county=county, villages_public=False)
        created = publication is None
        publication = publication or CountyPublication(county=county)
        before = {} if created else audit.snapshot(publication)
        publication.villages_public, publication.changed_by = bool(villages_public), _user(actor)
        publication.save()
        audit.record(actor=actor, action=AuditAction.CREATE if created else AuditAction.UPDATE, obj=publication,
                     changes=audit.diff(before, audit.snapshot(publication)))
        public_cache.changed()
        return publication


def _text_errors(title: str, summary: str, story: str) -> dict:
    errors: dict = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the case a title.")]
    elif len(title.strip()) > Exemplar._meta.get_field("title").max_length:
        errors["title"] = [_("At most %(n)d characters.") % {"n": Exemplar._meta.get_field("title").max_length}]
    if not (summary or "").strip():
        errors["summary"] = [_("Say in a sentence or two what the village did.")]
    elif len(summary.strip()) > Exemplar._meta.get_field("summary").max_length:
        errors["summary"] = [_("At most %(n)d characters.") % {"n": Exemplar._meta.get_field("summary").max_length}]
    if not (story or "").strip():
        errors["story"] = [_("Tell the story.")]
    elif len(story.strip()) > STORY_MAX_LENGTH:
        errors["story"] = [_("At most %(n)d characters.") % {"n": STORY_MAX_LENGTH}]
    return errors


def _lock(exemplar: Exemplar) -> Exemplar:
    return Exemplar.objects.select_for_update(of=("self",)).get(pk=exemplar.pk)


def _photo_errors(photo_errors: list, count: int) -> dict:
    if photo_errors:
        return {"photos": photo_errors}
    if count > MAX_PHOTOS:
        return {"photos": [_("At most %(max)d photos per case; it would have %(count)d.") % {"max": MAX_PHOTOS, "count": count}]}
    return {}


def exemplar_create(*, actor, village: Village, title: str, summary: str, story: str, photos=()) -> Exemplar:
    """A draft case of the village, with its photos."""
    scoping.require(actor, "publicity.manage", village)

    def write(processed, photo_errors, stored):
        errors = _text_errors(title, summary, story) | _photo_errors(photo_errors, len(processed))
        if errors:
            raise InvalidInput(field_errors=errors)
        with transaction.atomic():
            exemplar = Exemplar.objects.create(village=village, title=title.strip(), summary=summary.strip(),
                                               story=story.strip(), created_by=_user(actor))
            audit.record_create(actor=actor, obj=exemplar)
            photo_processing.store_photos(ExemplarPhoto, "exemplar", exemplar, processed, actor, stored)
            return exemplar

    return photo_processing.with_photos(photos, write)


def exemplar_edit(*, actor, exemplar: Exemplar, title: str, summary: str, story: str, photos=()) -> Exemplar:
    """Change the text and add photos; a published case changes on the public pages at once."""
    scoping.require(actor, "publicity.manage", exemplar)

    def write(processed, photo_errors, stored):
        with transaction.atomic():
            current = _lock(exemplar)
            errors = _text_errors(title, summary, story) | _photo_errors(photo_errors, current.photos.count() + len(processed))
            if errors:
                raise InvalidInput(field_errors=errors)
            before = audit.snapshot(current)
            current.title, current.summary, current.story = title.strip(), summary.strip(), story.strip()
            current.save()
            changes = audit.diff(before, audit.snapshot(current))
            changes.pop("updated_at", None)
            if changes:
                audit.record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=changes)
            photo_processing.store_photos(ExemplarPhoto, "exemplar", current, processed, actor, stored)
            if current.status == ExemplarStatus.PUBLISHED:
                public_cache.changed()
            return current

    return photo_processing.with_photos(photos, write)


def exemplar_photo_remove(*, actor, photo: ExemplarPhoto) -> None:
    """Remove a photo; a published case keeps at least one. The files go once the removal commits."""
    with transaction.atomic():
        current = _lock(photo.exemplar)
        scoping.require(actor, "publicity.manage", current)
        photo = ExemplarPhoto.objects.select_for_update(of=("self",)).get(pk=photo.pk, exemplar=current)
        if current.status == ExemplarStatus.PUBLISHED and current.photos.count() <= 1:
            raise InvalidInput(field_errors={"photos": [_("A published case keeps at least one photo.")]})
        audit.record(actor=actor, action=AuditAction.DELETE, obj=photo, changes=audit.diff(audit.snapshot(photo), {}))
        files = [(photo.image.storage, photo.image.name), (photo.thumbnail.storage, photo.thumbnail.name)]
        photo.delete()
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in files if name])
        if current.status == ExemplarStatus.PUBLISHED:
            public_cache.changed()


def exemplar_publish(*, actor, exemplar: Exemplar) -> Exemplar:
    """draft or withdrawn → published: on the public pages, with at least one photo."""
    with transaction.atomic():
        current = _lock(exemplar)
        scoping.require(actor, "publicity.manage", current)
        if current.status == ExemplarStatus.PUBLISHED:
            raise IllegalTransition(_("This case is already published."))
        if not current.photos.exists():
            raise InvalidInput(field_errors={"photos": [_("Add at least one photo before publishing the case.")]})
        before = audit.snapshot(current)
        current.status, current.published_at, current.withdrawn_reason = ExemplarStatus.PUBLISHED, timezone.now(), ""
        current.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)))
        public_cache.changed()
        return current


def exemplar_withdraw(*, actor, exemplar: Exemplar, reason: str) -> Exemplar:
    """published → withdrawn: off the public pages at once; the reason is kept."""
    with transaction.atomic():
        current = _lock(exemplar)
        scoping.require(actor, "publicity.manage", current)
        if current.status != ExemplarStatus.PUBLISHED:
            raise IllegalTransition(_("Only a published case can be withdrawn; this one is %(status)s.")
                                    % {"status": current.get_status_display()})
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput(field_errors={"reason": [_("Say why the case is withdrawn.")]})
        before = audit.snapshot(current)
        current.status, current.withdrawn_reason = ExemplarStatus.WITHDRAWN, reason[:500]
        current.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, obj=current, changes=audit.diff(before, audit.snapshot(current)),
                     note=reason[:2000])
        public_cache.changed()
        return current
