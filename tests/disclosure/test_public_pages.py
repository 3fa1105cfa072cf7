"""The public pages (公开): readable without logging in; only what is published (bulletins, cases) or opened (a
county's village pages) is reachable; no person is named; one cached copy serves everyone and is renewed at once
when what is public changes; every address is rate-limited."""
import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assessment.models import AssessmentStatus
from bulletins import services as bulletin_services
from core.templatetags.figures import money, money_unit
from disclosure import services
from disclosure.models import CountyPublication
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    AssessmentFactory,
    BulletinFactory,
    DisbursementFactory,
    ExemplarFactory,
    ExemplarPhotoFactory,
    ProjectFactory,
    PublishedBulletinFactory,
    PublishedExemplarFactory,
    VillageFactory,
    open_county,
    project_in,
    region,
)

PUBLIC_STATUSES = ["approved", "under_construction", "suspended", "completed", "accepted"]
HIDDEN_STATUSES = ["draft", "submitted", "returned", "cancelled"]


@pytest.fixture
def anonymous(db):
    return Client()


def _text(response) -> str:
    return response.content.decode()


def test_an_open_countys_village_page_shows_its_programme_to_anyone(anonymous, village, county):
    open_county()
    shown = [project_in(status, village=village, name=f"公开项目{status}", budget=Decimal("100000.00"),
                        responsible_person="李四", responsible_phone="13800001234", percent_complete=40)
             for status in PUBLIC_STATUSES]
    for status in HIDDEN_STATUSES:
        project_in(status, village=village, name=f"内部项目{status}", budget=Decimal("999.00"),
                   responsible_person="王五", responsible_phone="13900005678")
    allocation = AllocationFactory(project=shown[0], amount=Decimal("300000.00"))
    DisbursementFactory(allocation=allocation, amount=Decimal("120000.00"))
    AssessmentFactory(village=village, period="2024", status=AssessmentStatus.FINALISED, total_score=Decimal("91.50"),
                      grade="excellent", assessor=county,
                      finalised_at=datetime.datetime(2025, 1, 20, tzinfo=datetime.UTC))
    response = anonymous.get(reverse("public:village", args=[village.code]))
    assert response.status_code == 200
    text = _text(response)
    for project in shown:
        assert project.name in text
    for status in HIDDEN_STATUSES:
        assert f"内部项目{status}" not in text
    # Money in summary: the budgets of the projects shown, allocated and disbursed.
    for amount in ("500000", "300000", "120000"):
        assert money_unit(Decimal(amount)) in text
    assert money(Decimal("100000")) in text  # each project's budget
    assert "91.50" in text
    # Nobody is named: no responsible person or phone, no user.
    for private in ("李四", "13800001234", "王五", "13900005678", county.username, county.get_full_name() or "@@"):
        assert private not in text


def test_a_village_of_a_county_that_did_not_open_its_pages_is_not_found(anonymous, village, county):
    ProjectFactory(village=village, status=ProjectStatus.APPROVED)
    assert anonymous.get(reverse("public:village", args=[village.code])).status_code == 404
    assert anonymous.get(reverse("public:county", args=["330523"])).status_code == 404
    CountyPublication.objects.create(county=region("330523"), villages_public=False)  # opened, then closed
    assert anonymous.get(reverse("public:village", args=[village.code])).status_code == 404
    # A logged-in user gets no more through the public pages.
    signed_in = Client()
    signed_in.force_login(county)
    assert signed_in.get(reverse("public:village", args=[village.code])).status_code == 404


def test_a_county_page_lists_its_villages_with_their_public_projects(anonymous, village):
    open_county()
    other = VillageFactory(code="330523108205", name="银坑村村委会")
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village)
    ProjectFactory(village=village, status=ProjectStatus.DRAFT)
    response = anonymous.get(reverse("public:county", args=["330523"]))
    assert response.status_code == 200
    rows = {v.code: v.public_projects for v in response.context["page_obj"].object_list}
    assert rows == {village.code: 1, other.code: 0}
    # Another county's villages are not listed, nor reachable.
    elsewhere = VillageFactory(code="330522100201", township_code="330522100")
    assert anonymous.get(reverse("public:village", args=[elsewhere.code])).status_code == 404


@pytest.mark.parametrize("status", ["draft", "approved"])
def test_an_unpublished_bulletin_is_not_reachable(anonymous, status, county):
    bulletin = BulletinFactory(status=status, approved_at=None if status == "draft" else datetime.datetime(2025, 10, 2, tzinfo=datetime.UTC))
    for name in ("public:bulletin", "public:bulletin_pdf"):
        assert anonymous.get(reverse(name, args=[bulletin.pk])).status_code == 404
    assert bulletin.title not in _text(anonymous.get(reverse("public:bulletins")))
    assert bulletin.title not in _text(anonymous.get(reverse("public:index")))


def test_a_published_bulletin_is_a_page_and_a_pdf_for_anyone(anonymous):
    bulletin = PublishedBulletinFactory()
    page = anonymous.get(reverse("public:bulletin", args=[bulletin.pk]))
    assert page.status_code == 200 and bulletin.title in _text(page) and "二、督查发现问题。" in _text(page)
    pdf = anonymous.get(reverse("public:bulletin_pdf", args=[bulletin.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert bulletin.title in _text(anonymous.get(reverse("public:bulletins")))


def test_cases_are_public_once_published_and_gone_once_withdrawn(anonymous, village, county, django_capture_on_commit_callbacks):
    draft = ExemplarFactory(village=village, title="草稿中的案例")
    draft_photo = ExemplarPhotoFactory(exemplar=draft)
    assert anonymous.get(reverse("public:exemplar", args=[draft.pk])).status_code == 404
    assert anonymous.get(reverse("public:exemplar_photo", args=[draft.pk, draft_photo.pk])).status_code == 404
    assert "草稿中的案例" not in _text(anonymous.get(reverse("public:exemplars")))
    with django_capture_on_commit_callbacks(execute=True):
        services.exemplar_publish(actor=county, exemplar=draft)
    page = anonymous.get(reverse("public:exemplar", args=[draft.pk]))
    assert page.status_code == 200 and "草稿中的案例" in _text(page)
    photo = anonymous.get(reverse("public:exemplar_photo", args=[draft.pk, draft_photo.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "草稿中的案例" in _text(anonymous.get(reverse("public:exemplars")))
    with django_capture_on_commit_callbacks(execute=True):
        services.exemplar_withdraw(actor=county, exemplar=draft, reason="数据待核实")
    # Cached a moment ago, gone now: the withdrawal renewed the public pages' cache.
    assert anonymous.get(reverse("public:exemplar", args=[draft.pk])).status_code == 404
    assert anonymous.get(reverse("public:exemplar_photo", args=[draft.pk, draft_photo.pk])).status_code == 404
    assert "草稿中的案例" not in _text(anonymous.get(reverse("public:exemplars")))


def test_a_photo_of_a_case_is_reached_only_through_its_own_case(anonymous):
    one, other = ExemplarPhotoFactory(), ExemplarPhotoFactory()
    assert anonymous.get(reverse("public:exemplar_photo", args=[one.exemplar_id, one.pk])).status_code == 200
    assert anonymous.get(reverse("public:exemplar_photo", args=[one.exemplar_id, other.pk])).status_code == 404


def test_a_page_is_cached_and_a_publication_shows_at_once(anonymous, county, django_assert_num_queries,
                                                          django_capture_on_commit_callbacks):
    PublishedBulletinFactory(title="第一期通报")
    first = anonymous.get(reverse("public:bulletins"))
    assert "第一期通报" in _text(first)
    with django_assert_num_queries(0):  # the cached copy: no query at all
        again = anonymous.get(reverse("public:bulletins"))
    assert again.content == first.content
    assert "max-age=" in again["Cache-Control"]
    # A bulletin published through the service is on the list at once (the cache's generation moved on) ...
    approved = BulletinFactory(title="第二期通报", status="approved", approved_at=datetime.datetime(2025, 10, 2, tzinfo=datetime.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        bulletin_services.bulletin_publish(actor=county, bulletin=approved)
    assert "第二期通报" in _text(anonymous.get(reverse("public:bulletins")))
    # ... while a row written behind the services' back waits for the cache to expire.
    PublishedBulletinFactory(title="第三期通报")
    assert "第三期通报" not in _text(anonymous.get(reverse("public:bulletins")))


@pytest.mark.parametrize("name, args", [
    ("public:index", []), ("public:bulletins", []), ("public:exemplars", []), ("public:county", ["330523"]),
    ("public:village", ["330523108204"]),
])
def test_public_pages_read_no_session_and_carry_no_form(name, args, village, county):
    open_county()
    signed_in = Client()
    signed_in.force_login(county)
    response = signed_in.get(reverse(name, args=args))
    assert response.status_code == 200
    text = _text(response)
    assert "csrfmiddlewaretoken" not in text and "<form" not in text
    assert county.username not in text
    assert not response.cookies  # no CSRF cookie, no session renewed
    # The same page as an anonymous visitor's: the visitor changes nothing.
    assert Client().get(reverse(name, args=args)).content == response.content


def test_every_address_is_rate_limited(anonymous, settings):
    settings.PUBLIC_PAGES_RATE = "3/m"
    for _ in range(3):
        assert anonymous.get(reverse("public:index")).status_code == 200
    refused = anonymous.get(reverse("public:index"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many requests" in _text(refused) or "请求过于频繁" in _text(refused)
    # Another address is not held back.
    assert Client(REMOTE_ADDR="10.0.0.9").get(reverse("public:index")).status_code == 200


def test_public_pages_refuse_writes(anonymous):
    assert anonymous.post(reverse("public:index")).status_code == 405


@pytest.mark.parametrize("projects", [1, 30])
def test_a_village_page_costs_the_same_queries_at_1_and_30_projects(anonymous, village, projects, django_assert_max_num_queries):
    open_county()
    for i in range(projects):
        project = project_in(PUBLIC_STATUSES[i % 5], village=village)
        AllocationFactory(project=project, amount=Decimal("1000.00"))
    ExemplarPhotoFactory(exemplar=PublishedExemplarFactory(village=village))
    with django_assert_max_num_queries(9):
        assert anonymous.get(reverse("public:village", args=[village.code])).status_code == 200


@pytest.mark.parametrize("cases", [1, 12])
def test_the_case_list_costs_the_same_queries_at_1_and_12_cases(anonymous, cases, django_assert_max_num_queries):
    for i in range(cases):
        ExemplarPhotoFactory(exemplar=PublishedExemplarFactory(village=VillageFactory(code=f"3305231082{i:02d}")))
    with django_assert_max_num_queries(5):
        response = anonymous.get(reverse("public:exemplars"))
    assert response.status_code == 200 and len(re.findall(r'class="card case"', _text(response))) == cases


# The public routes that answer a file (PDF, photo): rate-limited, not kept in the page cache (each is one read).
FILE_ROUTES = {"bulletin_pdf", "exemplar_photo", "exemplar_photo_thumbnail"}


def test_every_public_route_is_rate_limited_and_every_page_cached():
    from disclosure import urls

    names = set()
    for pattern in urls.urlpatterns:
        names.add(pattern.name)
        assert getattr(pattern.callback, "public", False), pattern.name  # public_view: GET/HEAD, rate limit
        assert getattr(pattern.callback, "public_cached", False) == (pattern.name not in FILE_ROUTES), pattern.name
    assert FILE_ROUTES < names


def test_the_public_pages_live_under_public():
    """Their address is part of what they promise (links in bulletins, the 404 frame of core.views.PUBLIC_PREFIX, nginx)."""
    from core.views import PUBLIC_PREFIX

    assert reverse("public:index") == PUBLIC_PREFIX == "/public/"
    assert reverse("public:village", args=["330523108204"]) == "/public/villages/330523108204/"
