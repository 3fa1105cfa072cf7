"""The staff's pages of the public content (/publicity/): the county's staff open their village pages and write,
publish, edit and withdraw cases; everyone reads within their area; whoever may not write is refused (403, or 404
outside their area) and nothing changes; the list costs the same queries whatever it shows."""
import pytest
from django.urls import reverse

from disclosure.models import CountyPublication, Exemplar, ExemplarPhoto
from tests.factories import ExemplarFactory, ExemplarPhotoFactory, PublishedExemplarFactory, VillageFactory

from .conftest import media_files, state

TEXT = {"title": "余村：绿水青山", "summary": "关停矿山，发展乡村旅游。", "story": "余村曾以开矿为生。\n\n后来关停矿山。"}


@pytest.fixture
def staff(client, county):
    client.force_login(county)
    return client


def _html(response) -> str:
    return response.content.decode()


def _said(message: str) -> str:
    """A message as the pages say it (in the site's language)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(message)


def _errors(response) -> list[str]:
    return [m.message for m in response.context["messages"] if m.level_tag == "error"]


def _draft_with_photo(village):
    return ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village)).exemplar


def _published(village, photos=1):
    exemplar = PublishedExemplarFactory(village=village)
    for _ in range(photos):
        ExemplarPhotoFactory(exemplar=exemplar)
    return exemplar


# --- the county's staff --------------------------------------------------------------------------------------------

def test_the_list_shows_the_countys_cases_and_its_publication_form(staff, village):
    ExemplarFactory(village=village, title="余村的草稿")
    ExemplarFactory(village=VillageFactory(code="330522001201", township_code="330522001"), title="长兴的案例")
    response = staff.get(reverse("publicity:list"))
    assert response.status_code == 200
    html = _html(response)
    assert "余村的草稿" in html and "长兴的案例" not in html
    assert reverse("publicity:publication", args=["330523"]) in html
    assert reverse("publicity:publication", args=["330522"]) not in html
    assert reverse("publicity:create") in html
    assert [c.code for c in response.context["counties"]] == ["330523"]


def test_the_county_opens_then_closes_its_village_pages(staff):
    url = reverse("publicity:publication", args=["330523"])
    response = staff.post(url, {"villages_public": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("publicity:list")
    assert CountyPublication.objects.get(pk="330523").villages_public is True
    assert "status-published" in _html(staff.get(reverse("publicity:list")))
    response = staff.post(url, {"villages_public": ""})
    assert response.status_code == 302
    assert CountyPublication.objects.get(pk="330523").villages_public is False


def test_a_case_is_created_as_a_draft_from_the_form(staff, village, jpeg):
    page = staff.get(reverse("publicity:create"))
    assert page.status_code == 200 and village.code in _html(page)
    response = staff.post(reverse("publicity:create"), {"village": village.code, **TEXT, "photos": [jpeg("a.jpg"), jpeg("b.jpg")]})
    exemplar = Exemplar.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("publicity:detail", args=[exemplar.pk])
    assert (exemplar.status, exemplar.title, exemplar.village) == ("draft", TEXT["title"], village)
    assert exemplar.photos.count() == 2
    detail = staff.get(response["Location"])
    assert detail.status_code == 200 and TEXT["title"] in _html(detail)
    assert reverse("publicity:publish", args=[exemplar.pk]) in _html(detail)


def test_a_bad_form_comes_back_with_the_error_on_its_field(staff, village, jpeg):
    before = state()
    response = staff.post(reverse("publicity:create"), {"village": village.code, **TEXT, "title": "", "photos": [jpeg()]})
    assert response.status_code == 400 and "title" in response.context["form"].errors
    assert state() == before and media_files() == []


def test_a_file_that_is_not_a_photo_comes_back_on_the_photos_field(staff, village):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = state()
    response = staff.post(reverse("publicity:create"), {
        "village": village.code, **TEXT, "photos": [SimpleUploadedFile("notes.jpg", b"not a photo", content_type="image/jpeg")],
    })
    assert response.status_code == 400 and "photos" in response.context["form"].errors
    assert state() == before


def test_a_case_is_published_from_its_page(staff, village):
    exemplar = _draft_with_photo(village)
    response = staff.post(reverse("publicity:publish", args=[exemplar.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("publicity:detail", args=[exemplar.pk])
    assert Exemplar.objects.get(pk=exemplar.pk).status == "published"


def test_a_case_without_a_photo_is_not_published(staff, village):
    exemplar = ExemplarFactory(village=village)
    before = state()
    response = staff.post(reverse("publicity:publish", args=[exemplar.pk]), follow=True)
    assert response.status_code == 200
    assert _said("Add at least one photo before publishing the case.") in _errors(response)
    assert state() == before


def test_a_case_is_edited_from_its_page(staff, village, jpeg):
    exemplar = _draft_with_photo(village)
    response = staff.post(reverse("publicity:edit", args=[exemplar.pk]), {**TEXT, "title": "新标题", "photos": [jpeg()]})
    assert response.status_code == 302
    exemplar.refresh_from_db()
    assert exemplar.title == "新标题" and exemplar.photos.count() == 2
    # A blank story comes back on the page with the error on its field; nothing changes.
    before = state()
    response = staff.post(reverse("publicity:edit", args=[exemplar.pk]), {**TEXT, "story": ""})
    assert response.status_code == 400 and "story" in response.context["edit_form"].errors
    assert state() == before


def test_an_edit_over_nine_photos_comes_back_on_the_photos_field(staff, village, jpeg):
    exemplar = ExemplarFactory(village=village)
    for _ in range(8):
        ExemplarPhotoFactory(exemplar=exemplar)
    before = state()
    response = staff.post(reverse("publicity:edit", args=[exemplar.pk]), {**TEXT, "photos": [jpeg("1.jpg"), jpeg("2.jpg")]})
    assert response.status_code == 400 and "photos" in response.context["edit_form"].errors
    assert state() == before


def test_a_withdrawal_is_confirmed_first(staff, village):
    exemplar = _published(village)
    url = reverse("publicity:withdraw", args=[exemplar.pk])
    before = state()
    confirm = staff.post(url, {"reason": "数据待核实"})
    assert confirm.status_code == 200 and 'name="confirmed"' in _html(confirm) and "数据待核实" in _html(confirm)
    assert state() == before
    response = staff.post(url, {"reason": "数据待核实", "confirmed": "yes"})
    assert response.status_code == 302 and response["Location"] == reverse("publicity:detail", args=[exemplar.pk])
    exemplar.refresh_from_db()
    assert (exemplar.status, exemplar.withdrawn_reason) == ("withdrawn", "数据待核实")


def test_a_withdrawal_without_a_reason_comes_back_on_the_page(staff, village):
    exemplar = _published(village)
    before = state()
    response = staff.post(reverse("publicity:withdraw", args=[exemplar.pk]), {"reason": "", "confirmed": "yes"})
    assert response.status_code == 400 and "reason" in response.context["withdraw_form"].errors
    assert state() == before


def test_a_photo_is_shown_and_removed(staff, village, django_capture_on_commit_callbacks):
    exemplar = _published(village, photos=2)
    photo = exemplar.photos.first()
    for name in ("publicity:photo", "publicity:photo_thumbnail"):
        response = staff.get(reverse(name, args=[photo.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    files = {photo.image.name, photo.thumbnail.name}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("publicity:photo_remove", args=[photo.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("publicity:detail", args=[exemplar.pk])
    assert not ExemplarPhoto.objects.filter(pk=photo.pk).exists() and not files & set(media_files())
    # The last photo of a published case stays, and the page says why.
    last = exemplar.photos.get()
    before = state()
    response = staff.post(reverse("publicity:photo_remove", args=[last.pk]), follow=True)
    assert _said("A published case keeps at least one photo.") in _errors(response)
    assert state() == before


# --- who may -------------------------------------------------------------------------------------------------------

@pytest.fixture
def cases(village):
    """A draft with a photo and a published case with two, in 余村 (安吉县)."""
    return {"draft": _draft_with_photo(village), "published": _published(village, photos=2)}


def _writes(cases, jpeg):
    draft, published = cases["draft"], cases["published"]
    photo = published.photos.first()
    return [
        (reverse("publicity:publication", args=["330523"]), {"villages_public": "on"}),
        (reverse("publicity:create"), {"village": draft.village_id, **TEXT, "photos": [jpeg()]}),
        (reverse("publicity:edit", args=[draft.pk]), {**TEXT, "title": "改了"}),
        (reverse("publicity:publish", args=[draft.pk]), {}),
        (reverse("publicity:withdraw", args=[published.pk]), {"reason": "数据待核实", "confirmed": "yes"}),
        (reverse("publicity:photo_remove", args=[photo.pk]), {}),
    ]


def _reads(cases):
    published = cases["published"]
    photo = published.photos.first()
    return [reverse("publicity:list"), reverse("publicity:detail", args=[published.pk]),
            reverse("publicity:photo", args=[photo.pk]), reverse("publicity:photo_thumbnail", args=[photo.pk])]


def test_anonymous_visitors_are_sent_to_log_in(client, cases, jpeg):
    login = reverse("login")
    for url in [*_reads(cases), reverse("publicity:create")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    before = state()
    for url, data in _writes(cases, jpeg):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    assert state() == before


def test_another_countys_staff_find_nothing_of_this_county(client, other_county, cases, jpeg):
    VillageFactory(code="330522001201", township_code="330522001")  # a village of their own: they may write cases
    client.force_login(other_county)
    listed = client.get(reverse("publicity:list"))
    assert listed.status_code == 200 and not listed.context["object_list"]
    assert [c.code for c in listed.context["counties"]] == ["330522"]
    for url in _reads(cases)[1:]:
        assert client.get(url).status_code == 404, url
    before = state()
    for url, data in _writes(cases, jpeg):
        expected = 400 if url == reverse("publicity:create") else 404  # the village is not among the form's choices
        response = client.post(url, data)
        assert response.status_code == expected, url
    assert state() == before


def test_the_township_reads_its_villages_cases_but_writes_nothing(client, official, cases, jpeg):
    client.force_login(official)
    listed = client.get(reverse("publicity:list"))
    assert listed.status_code == 200
    assert {c.pk for c in listed.context["object_list"]} == {cases["draft"].pk, cases["published"].pk}
    html = _html(listed)
    assert reverse("publicity:create") not in html and reverse("publicity:publication", args=["330523"]) not in html
    detail = client.get(reverse("publicity:detail", args=[cases["published"].pk]))
    assert detail.status_code == 200 and not detail.context["can_manage"]
    assert reverse("publicity:withdraw", args=[cases["published"].pk]) not in _html(detail)
    for url in _reads(cases)[2:]:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("publicity:create")).status_code == 403
    before = state()
    for url, data in _writes(cases, jpeg):
        # The county itself is outside a township's area: its publication form is not found.
        expected = 404 if url == reverse("publicity:publication", args=["330523"]) else 403
        assert client.post(url, data).status_code == expected, url
    assert state() == before


def test_the_citys_supervisor_reads_but_writes_nothing(client, city, cases, jpeg):
    client.force_login(city)
    assert client.get(reverse("publicity:list")).status_code == 200
    assert client.get(reverse("publicity:detail", args=[cases["draft"].pk])).status_code == 200
    before = state()
    for url, data in _writes(cases, jpeg):
        assert client.post(url, data).status_code == 403, url
    assert state() == before


# --- cost ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 20])
def test_the_list_costs_the_same_queries_at_1_and_20_cases(staff, count, django_assert_max_num_queries):
    for i in range(count):
        ExemplarFactory(village=VillageFactory(code=f"3305231082{i:02d}"), title=f"案例{i}")
    with django_assert_max_num_queries(7):
        response = staff.get(reverse("publicity:list"))
    assert response.status_code == 200 and len(response.context["object_list"]) == count


def test_the_list_filters_by_status_and_title(staff, village):
    draft = ExemplarFactory(village=village, title="垃圾分类的草稿")
    published = _published(village)
    shown = lambda query: {c.pk for c in staff.get(reverse("publicity:list"), query).context["object_list"]}  # noqa: E731
    assert shown({"status": "published"}) == {published.pk}
    assert shown({"status": "draft"}) == {draft.pk}
    assert shown({"q": "垃圾分类"}) == {draft.pk}
    assert shown({"area": "330523108"}) == {draft.pk, published.pk}


def test_the_create_form_offers_only_the_staffs_own_villages(staff, village):
    elsewhere = VillageFactory(code="330522001201", township_code="330522001")
    form = staff.get(reverse("publicity:create")).context["form"]
    assert [code for code, _label in form.fields["village"].choices if code] == [village.code]
    before = state()
    response = staff.post(reverse("publicity:create"), {"village": elsewhere.code, **TEXT})
    assert response.status_code == 400 and "village" in response.context["form"].errors
    assert state() == before


def test_a_cases_page_shows_its_history_to_its_staff(staff, village):
    exemplar = _draft_with_photo(village)
    staff.post(reverse("publicity:publish", args=[exemplar.pk]))
    detail = staff.get(reverse("publicity:detail", args=[exemplar.pk]))
    assert detail.context["can_manage"] and len(detail.context["history"]) == 1
    assert reverse("publicity:withdraw", args=[exemplar.pk]) in _html(detail)
    assert reverse("publicity:publish", args=[exemplar.pk]) not in _html(detail)
