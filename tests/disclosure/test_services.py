"""The public content's services: a county opens or closes its village pages; its staff write, edit, publish and
withdraw exemplary cases with their photos. Each refusal writes nothing (no row, no audit row, no file); what the
public reads changing renews the public pages' cache once the write commits."""
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core import public_cache
from core.exceptions import IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry
from disclosure import services
from disclosure.models import CountyPublication, Exemplar, ExemplarPhoto, ExemplarStatus
from projects.photos import THUMB_EDGE
from tests.factories import ExemplarFactory, ExemplarPhotoFactory, PublishedExemplarFactory, region
from tests.images import exif_with, image_bytes

from .conftest import media_files, state

TEXT = {"title": "余村：绿水青山", "summary": "关停矿山，发展乡村旅游。", "story": "余村曾以开矿为生。\n\n后来关停矿山。"}


def _published(village, photos=1):
    exemplar = PublishedExemplarFactory(village=village)
    for _ in range(photos):
        ExemplarPhotoFactory(exemplar=exemplar)
    return exemplar


def _not_an_image():
    return SimpleUploadedFile("notes.jpg", b"this is a text file, not a photo", content_type="image/jpeg")


@pytest.fixture
def outsider(request):
    """The actor named by the test's ``outsider_name`` parameter: someone who may not keep 安吉县's public pages."""
    name = request.param
    if name == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(name)


OUTSIDERS = ["anonymous", "official", "other_county", "city"]


# --- publication_set ---------------------------------------------------------------------------------------------

def test_a_county_opens_and_closes_its_village_pages(county):
    anji = region("330523")
    publication = services.publication_set(actor=county, county=anji, villages_public=True)
    assert CountyPublication.objects.get(pk="330523").villages_public is True
    assert publication.changed_by == county
    services.publication_set(actor=county, county=anji, villages_public=False)
    assert CountyPublication.objects.get(pk="330523").villages_public is False
    assert AuditEntry.objects.count() == 2


def test_setting_the_same_choice_again_writes_nothing(county):
    anji = region("330523")
    services.publication_set(actor=county, county=anji, villages_public=True)
    before = state()
    again = services.publication_set(actor=county, county=anji, villages_public=True)
    assert again.villages_public is True
    assert state() == before


@pytest.mark.parametrize("code", ["3305", "330523108"])
def test_only_a_county_opens_village_pages(county, code):
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.publication_set(actor=county, county=region(code), villages_public=True)
    assert set(refused.value.field_errors) == {"county"}
    assert state() == before


@pytest.mark.parametrize("outsider", ["official", "other_county", "city"], indirect=True)
def test_only_the_countys_staff_open_its_village_pages(outsider):
    anji = region("330523")
    before = state()
    with pytest.raises(NotPermitted):
        services.publication_set(actor=outsider, county=anji, villages_public=True)
    assert state() == before
    # Nor close pages the county opened.
    CountyPublication.objects.create(county=anji, villages_public=True)
    before = state()
    with pytest.raises(NotPermitted):
        services.publication_set(actor=outsider, county=anji, villages_public=False)
    assert state() == before


# --- exemplar_create ---------------------------------------------------------------------------------------------

def test_a_case_is_created_as_a_draft_with_its_photos_re_encoded(county, village, jpeg):
    with_gps = SimpleUploadedFile("gps.jpg", image_bytes(size=(800, 600), exif=exif_with()), content_type="image/jpeg")
    exemplar = services.exemplar_create(actor=county, village=village, title="  余村  ", summary=TEXT["summary"],
                                        story=TEXT["story"], photos=[jpeg("one.jpg"), with_gps])
    exemplar.refresh_from_db()
    assert (exemplar.status, exemplar.title, exemplar.created_by, exemplar.published_at) == ("draft", "余村", county, None)
    photos = list(exemplar.photos.order_by("id"))
    assert len(photos) == 2
    for photo, size in zip(photos, [(640, 480), (800, 600)]):
        assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == size
        assert photo.uploaded_by == county
        assert photo.image.name.startswith(f"exemplars/{village.code}/")
        assert photo.thumbnail.name.startswith(f"exemplars/{village.code}/thumbs/")
        with Image.open(photo.image) as kept:
            assert kept.format == "JPEG" and kept.size == size
            assert not kept.getexif()  # re-encoded: no metadata kept in the file
        with Image.open(photo.thumbnail) as thumb:
            assert max(thumb.size) == THUMB_EDGE
    # The GPS position is read before the metadata goes, and kept as fields (never shown to the public).
    assert photos[1].gps_latitude is not None and photos[0].gps_latitude is None
    assert len(media_files()) == 4


@pytest.mark.parametrize("field", ["title", "summary", "story"])
def test_a_blank_text_is_refused_on_its_field_and_nothing_is_written(county, village, jpeg, field):
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.exemplar_create(actor=county, village=village, **(TEXT | {field: "   "}), photos=[jpeg()])
    assert set(refused.value.field_errors) == {field}
    assert state() == before
    assert not Exemplar.objects.exists() and not ExemplarPhoto.objects.exists() and media_files() == []


def test_all_blank_texts_are_refused_together(county, village):
    with pytest.raises(InvalidInput) as refused:
        services.exemplar_create(actor=county, village=village, title="", summary="", story="")
    assert set(refused.value.field_errors) == {"title", "summary", "story"}


def test_more_than_nine_photos_are_refused(county, village, jpeg):
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.exemplar_create(actor=county, village=village, **TEXT, photos=[jpeg(f"{i}.jpg") for i in range(10)])
    assert set(refused.value.field_errors) == {"photos"}
    assert state() == before and media_files() == []


def test_a_file_that_is_not_a_photo_is_refused(county, village, jpeg):
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.exemplar_create(actor=county, village=village, **TEXT, photos=[jpeg(), _not_an_image()])
    assert set(refused.value.field_errors) == {"photos"}
    assert "notes.jpg" in refused.value.field_errors["photos"][0]
    assert state() == before and media_files() == []


def test_files_stored_by_a_create_that_rolls_back_are_removed(county, village, jpeg, monkeypatch):
    from core import audit

    record_create = audit.record_create
    seen = []

    def failing(*, actor, obj, note=""):
        if isinstance(obj, ExemplarPhoto) and obj.exemplar.photos.count() > 1:
            seen.extend(media_files())  # the second photo: both photos' files are stored by now
            raise RuntimeError("the database went away")
        return record_create(actor=actor, obj=obj, note=note)

    monkeypatch.setattr(audit, "record_create", failing)
    before = state()
    with pytest.raises(RuntimeError):
        services.exemplar_create(actor=county, village=village, **TEXT, photos=[jpeg("a.jpg"), jpeg("b.jpg")])
    assert len(seen) == 4
    assert state() == before and media_files() == []


def test_a_case_without_photos_may_be_drafted(county, village):
    exemplar = services.exemplar_create(actor=county, village=village, **TEXT)
    assert exemplar.status == "draft" and not exemplar.photos.exists()


@pytest.mark.parametrize("outsider", OUTSIDERS, indirect=True)
def test_only_the_countys_staff_write_a_case_of_its_village(outsider, village, jpeg):
    before = state()
    with pytest.raises(NotPermitted):
        services.exemplar_create(actor=outsider, village=village, **TEXT, photos=[jpeg()])
    assert state() == before


# --- exemplar_publish ---------------------------------------------------------------------------------------------

def test_a_case_is_published_with_at_least_one_photo(county, village):
    draft = ExemplarFactory(village=village)
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.exemplar_publish(actor=county, exemplar=draft)
    assert set(refused.value.field_errors) == {"photos"}
    assert state() == before
    ExemplarPhotoFactory(exemplar=draft)
    published = services.exemplar_publish(actor=county, exemplar=draft)
    draft.refresh_from_db()
    assert draft.status == published.status == ExemplarStatus.PUBLISHED and draft.published_at is not None


def test_a_published_case_is_not_published_twice(county, village):
    exemplar = _published(village)
    before = state()
    with pytest.raises(IllegalTransition):
        services.exemplar_publish(actor=county, exemplar=exemplar)
    assert state() == before


# --- exemplar_withdraw --------------------------------------------------------------------------------------------

def test_a_withdrawal_needs_a_reason(county, village):
    exemplar = _published(village)
    before = state()
    for reason in ("", "   ", None):
        with pytest.raises(InvalidInput) as refused:
            services.exemplar_withdraw(actor=county, exemplar=exemplar, reason=reason)
        assert set(refused.value.field_errors) == {"reason"}
    assert state() == before


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_only_a_published_case_is_withdrawn(county, village, status):
    exemplar = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village)).exemplar
    if status == "withdrawn":
        services.exemplar_publish(actor=county, exemplar=exemplar)
        services.exemplar_withdraw(actor=county, exemplar=exemplar, reason="数据待核实")
    before = state()
    with pytest.raises(IllegalTransition):
        services.exemplar_withdraw(actor=county, exemplar=exemplar, reason="再撤一次")
    assert state() == before


def test_a_withdrawn_case_keeps_its_reason_and_may_be_published_again(county, village):
    exemplar = _published(village)
    first_published = Exemplar.objects.get(pk=exemplar.pk).published_at
    services.exemplar_withdraw(actor=county, exemplar=exemplar, reason="  数据待核实  ")
    exemplar.refresh_from_db()
    assert (exemplar.status, exemplar.withdrawn_reason) == ("withdrawn", "数据待核实")
    assert exemplar.published_at == first_published
    services.exemplar_publish(actor=county, exemplar=exemplar)
    exemplar.refresh_from_db()
    assert (exemplar.status, exemplar.withdrawn_reason) == ("published", "")
    assert exemplar.published_at >= first_published


# --- exemplar_photo_remove ----------------------------------------------------------------------------------------

def test_a_removed_photos_files_go_once_the_removal_commits(county, village, django_capture_on_commit_callbacks):
    exemplar = _published(village, photos=2)
    photo = exemplar.photos.first()
    names = [photo.image.name, photo.thumbnail.name]
    assert set(names) <= set(media_files())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.exemplar_photo_remove(actor=county, photo=photo)
    assert not ExemplarPhoto.objects.filter(pk=photo.pk).exists()
    assert set(names) <= set(media_files())  # not yet committed: the files are still there
    for callback in callbacks:
        callback()
    assert not set(names) & set(media_files())
    assert exemplar.photos.count() == 1


def test_a_removed_photos_files_go_with_the_commit(county, village, django_capture_on_commit_callbacks):
    photo = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village))
    with django_capture_on_commit_callbacks(execute=True):
        services.exemplar_photo_remove(actor=county, photo=photo)
    assert not ExemplarPhoto.objects.exists() and media_files() == []


def test_the_last_photo_of_a_published_case_stays(county, village, django_capture_on_commit_callbacks):
    exemplar = _published(village)
    before = state()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidInput) as refused:
        services.exemplar_photo_remove(actor=county, photo=exemplar.photos.get())
    assert set(refused.value.field_errors) == {"photos"}
    assert state() == before


def test_the_last_photo_of_a_draft_may_go(county, village):
    photo = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village))
    services.exemplar_photo_remove(actor=county, photo=photo)
    assert not ExemplarPhoto.objects.exists()


# --- exemplar_edit -------------------------------------------------------------------------------------------------

def test_a_case_is_edited_and_photos_added(county, village, jpeg):
    exemplar = ExemplarFactory(village=village)
    ExemplarPhotoFactory(exemplar=exemplar)
    edited = services.exemplar_edit(actor=county, exemplar=exemplar, title=" 新标题 ", summary="新摘要。", story="新故事。",
                                    photos=[jpeg("a.jpg"), jpeg("b.jpg")])
    exemplar.refresh_from_db()
    assert (exemplar.title, exemplar.summary, exemplar.story, exemplar.status) == ("新标题", "新摘要。", "新故事。", "draft")
    assert edited.pk == exemplar.pk and exemplar.photos.count() == 3


def test_an_edit_refuses_more_than_nine_photos_in_all(county, village, jpeg):
    exemplar = ExemplarFactory(village=village)
    for _ in range(7):
        ExemplarPhotoFactory(exemplar=exemplar)
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.exemplar_edit(actor=county, exemplar=exemplar, title="新标题", summary=exemplar.summary,
                               story=exemplar.story, photos=[jpeg(f"{i}.jpg") for i in range(3)])
    assert set(refused.value.field_errors) == {"photos"}
    assert state() == before  # neither the text nor a photo, nor a file
    services.exemplar_edit(actor=county, exemplar=exemplar, title="新标题", summary=exemplar.summary,
                           story=exemplar.story, photos=[jpeg(f"{i}.jpg") for i in range(2)])
    assert exemplar.photos.count() == 9


@pytest.mark.parametrize("field", ["title", "summary", "story"])
def test_an_edit_refuses_a_blank_text(county, village, jpeg, field):
    exemplar = ExemplarFactory(village=village)
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.exemplar_edit(actor=county, exemplar=exemplar, **(TEXT | {field: ""}), photos=[jpeg()])
    assert set(refused.value.field_errors) == {field}
    assert state() == before


def test_an_edit_that_changes_nothing_writes_no_audit_row(county, village):
    exemplar = ExemplarFactory(village=village)
    before = AuditEntry.objects.count()
    services.exemplar_edit(actor=county, exemplar=exemplar, title=exemplar.title, summary=exemplar.summary,
                           story=exemplar.story)
    assert AuditEntry.objects.count() == before


# --- who may ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("outsider", OUTSIDERS, indirect=True)
def test_only_the_countys_staff_keep_its_cases(outsider, county, village, jpeg):
    draft = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village)).exemplar
    published = _published(village, photos=2)
    before = state()
    refusals = [
        lambda: services.exemplar_edit(actor=outsider, exemplar=draft, **TEXT, photos=[jpeg()]),
        lambda: services.exemplar_publish(actor=outsider, exemplar=draft),
        lambda: services.exemplar_withdraw(actor=outsider, exemplar=published, reason="数据待核实"),
        lambda: services.exemplar_photo_remove(actor=outsider, photo=published.photos.first()),
        lambda: services.exemplar_photo_remove(actor=outsider, photo=draft.photos.first()),
    ]
    for write in refusals:
        with pytest.raises(NotPermitted):
            write()
    assert state() == before


def test_a_countys_staff_do_not_keep_another_countys_cases(county, other_county, jpeg):
    from tests.factories import VillageFactory

    elsewhere = VillageFactory(code="330522001201", township_code="330522001")
    with pytest.raises(NotPermitted):
        services.exemplar_create(actor=county, village=elsewhere, **TEXT)
    exemplar = services.exemplar_create(actor=other_county, village=elsewhere, **TEXT, photos=[jpeg()])
    before = state()
    with pytest.raises(NotPermitted):
        services.exemplar_publish(actor=county, exemplar=exemplar)
    assert state() == before


# --- the public pages' cache --------------------------------------------------------------------------------------

def _moves(write, django_capture_on_commit_callbacks) -> bool:
    before = public_cache.generation()
    with django_capture_on_commit_callbacks(execute=True):
        write()
    return public_cache.generation() != before


def test_publishing_withdrawing_and_opening_renew_the_public_cache(county, village, django_capture_on_commit_callbacks):
    exemplar = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village)).exemplar
    moves = lambda write: _moves(write, django_capture_on_commit_callbacks)  # noqa: E731
    assert moves(lambda: services.exemplar_publish(actor=county, exemplar=exemplar))
    assert moves(lambda: services.exemplar_edit(actor=county, exemplar=exemplar, **TEXT))  # published: shown at once
    assert moves(lambda: services.exemplar_withdraw(actor=county, exemplar=exemplar, reason="数据待核实"))
    anji = region("330523")
    assert moves(lambda: services.publication_set(actor=county, county=anji, villages_public=True))
    assert not moves(lambda: services.publication_set(actor=county, county=anji, villages_public=True))  # no change
    assert moves(lambda: services.publication_set(actor=county, county=anji, villages_public=False))


def test_the_generation_moves_only_once_the_write_commits(county, village, django_capture_on_commit_callbacks):
    exemplar = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village)).exemplar
    before = public_cache.generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.exemplar_publish(actor=county, exemplar=exemplar)
    assert public_cache.generation() == before and callbacks
    for callback in callbacks:
        callback()
    assert public_cache.generation() != before


def test_editing_a_draft_leaves_the_public_cache(county, village, jpeg, django_capture_on_commit_callbacks):
    draft = ExemplarFactory(village=village)
    photo = ExemplarPhotoFactory(exemplar=draft)
    moves = lambda write: _moves(write, django_capture_on_commit_callbacks)  # noqa: E731
    assert not moves(lambda: services.exemplar_edit(actor=county, exemplar=draft, **TEXT, photos=[jpeg()]))
    assert not moves(lambda: services.exemplar_photo_remove(actor=county, photo=photo))
    assert not moves(lambda: services.exemplar_create(actor=county, village=village, **TEXT))


def test_removing_a_photo_of_a_published_case_renews_the_public_cache(county, village, django_capture_on_commit_callbacks):
    exemplar = _published(village, photos=2)
    assert _moves(lambda: services.exemplar_photo_remove(actor=county, photo=exemplar.photos.first()),
                  django_capture_on_commit_callbacks)


def test_the_jpeg_fixture_is_a_real_jpeg(jpeg):
    with Image.open(io.BytesIO(jpeg().read())) as image:
        assert image.format == "JPEG"


def test_closing_a_county_never_opened_writes_nothing(county):
    from core.models import AuditEntry
    from disclosure.models import CountyPublication
    from tests.factories import region

    anji = region("330523")
    before = AuditEntry.objects.count()
    publication = services.publication_set(actor=county, county=anji, villages_public=False)
    assert not publication.villages_public
    assert not CountyPublication.objects.exists() and AuditEntry.objects.count() == before
