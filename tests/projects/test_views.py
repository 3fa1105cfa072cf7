"""The officials' pages: progress with photos, field errors in Chinese, edit conflicts, query counts."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from projects import services
from projects.models import ProgressPhoto, ProgressReport, ProjectStatus
from tests.factories import ProgressPhotoFactory, ProgressReportFactory, ProjectFactory, VillageFactory, user_with
from tests.images import exif_with, image_bytes, upload

S = ProjectStatus


def _progress_post(client, project, photos, **extra):
    data = {"report_date": "2025-05-10", "percent_complete": "45", "amount_spent": "160000", "narrative": "管网铺设", **extra}
    return client.post(reverse("projects:progress_create", args=[project.pk]), {**data, "photos": photos})


def test_progress_with_photos_shows_on_the_timeline(client, official, building):
    client.force_login(official)
    response = _progress_post(client, building, [upload("现场.jpg", data=image_bytes(exif=exif_with())), upload("b.webp", data=image_bytes("WEBP"))])
    assert response.status_code == 302
    photo = ProgressPhoto.objects.get(content_type="image/jpeg")
    page = client.get(reverse("projects:detail", args=[building.pk])).content.decode()
    assert reverse("projects:photo_thumbnail", args=[photo.pk]) in page
    assert "2025-05-10 09:30" in page and "30.4583" in page
    image = client.get(reverse("projects:photo", args=[photo.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    thumb = client.get(reverse("projects:photo_thumbnail", args=[photo.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_non_image_upload_is_a_chinese_field_error_and_nothing_is_written(client, official, building):
    client.force_login(official)
    response = _progress_post(client, building, [upload("说明.jpg", data=b"%PDF-1.4 scanned form")])
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="photos"' in page
    assert "照片：" in page and "说明.jpg" in page and "不是 JPEG、PNG 或 WebP 图片" in page
    assert ProgressReport.objects.count() == 0 and ProgressPhoto.objects.count() == 0


def test_field_errors_name_their_fields_in_chinese(client, official, building):
    client.force_login(official)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = _progress_post(client, building, [], report_date=future, percent_complete="130")
    page = response.content.decode()
    assert "填报日期：" in page and "不能晚于今天" in page
    assert "完成进度（%）：" in page


def test_editing_over_someone_elses_save_shows_their_changes_and_keeps_input(client, official, building):
    project = ProjectFactory(village=building.village, status=S.DRAFT, name="村道硬化", budget=Decimal("300000"))
    colleague = user_with("colleague", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    client.force_login(official)
    form_page = client.get(reverse("projects:edit", args=[project.pk])).content.decode()
    assert 'name="version" value="1"' in form_page
    services.project_update(actor=colleague, project=project, data={"budget": Decimal("350000")}, expected_version=1)
    post = {
        "type": project.type, "name": "村道硬化（我的修改）", "budget": "300000", "planned_start": "2024-03-01",
        "planned_end": "2024-12-31", "responsible_person": "张建国", "version": "1",
    }
    response = client.post(reverse("projects:edit", args=[project.pk]), post)
    assert response.status_code == 200
    page = response.content.decode()
    assert "colleague" in page and "350000.00" in page and "预算（元）" in page
    assert "村道硬化（我的修改）" in page  # the user's input is kept
    project.refresh_from_db()
    assert project.name == "村道硬化" and project.budget == Decimal("350000")
    # Saving again after seeing the changes is deliberate and goes through.
    assert 'name="version" value="2"' in page
    assert client.post(reverse("projects:edit", args=[project.pk]), {**post, "version": "2"}).status_code == 302
    project.refresh_from_db()
    assert project.name == "村道硬化（我的修改）"


def test_lifecycle_buttons_follow_the_role(client, official, building):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    submitted = ProjectFactory(village=building.village, status=S.SUBMITTED)
    client.force_login(county)
    page = client.get(reverse("projects:detail", args=[submitted.pk])).content.decode()
    assert reverse("projects:action", args=[submitted.pk, "approve"]) in page
    assert reverse("projects:action", args=[submitted.pk, "return"]) in page
    client.force_login(official)
    page = client.get(reverse("projects:detail", args=[submitted.pk])).content.decode()
    assert reverse("projects:action", args=[submitted.pk, "approve"]) not in page


def test_illegal_transition_shows_a_message(client, official, building):
    client.force_login(official)
    response = client.post(reverse("projects:action", args=[building.pk, "submit"]), follow=True)
    assert "不能" in response.content.decode()
    building.refresh_from_db()
    assert building.status == S.UNDER_CONSTRUCTION


# --- query counts: the same for 1 row and for 50 --------------------------------

def _villages(n):
    return [VillageFactory(township_code="330523108") for _ in range(n)]


def _rows(n):
    """n projects (one per village) each with a progress report carrying a photo."""
    rows = []
    for village in _villages(n):
        project = ProjectFactory(village=village, status=S.UNDER_CONSTRUCTION, actual_start=datetime.date(2024, 3, 5))
        ProgressPhotoFactory(report=ProgressReportFactory(project=project))
        rows.append(project)
    return rows


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


PAGES = {
    "projects:list": lambda rows: reverse("projects:list"),
    "projects:progress_list": lambda rows: reverse("projects:progress_list"),
    "villages:list": lambda rows: reverse("villages:list"),
    "home": lambda rows: reverse("home"),
    "villages:detail": lambda rows: reverse("villages:detail", args=[rows[0].village_id]),
    "projects:detail": lambda rows: reverse("projects:detail", args=[rows[0].pk]),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_costs_the_same_queries_for_1_and_50_rows(client, official, page, django_assert_max_num_queries):
    client.force_login(official)
    rows = _rows(1)
    url = PAGES[page](rows)
    client.get(url)  # warms the process-wide caches (content types), as a running server has them
    one = _count(client, url)
    more = _rows(49)
    if page in ("villages:detail", "projects:detail"):
        # Fill the one object instead: 50 projects in its village, 50 reports on its project.
        for _ in range(49):
            ProjectFactory(village=rows[0].village, status=S.UNDER_CONSTRUCTION, actual_start=datetime.date(2024, 3, 5))
            ProgressPhotoFactory(report=ProgressReportFactory(project=rows[0], report_date=datetime.date(2024, 7, 1)))
    assert more
    with django_assert_max_num_queries(one):
        response = client.get(url)
    assert response.status_code == 200
    print(f"queries {page}: {one}")
    assert one <= CAPS.get(page, 16), f"{page}: {one} queries"


# The village page also shows the village's plan and its creation-list entries (issue 20): two queries more.
CAPS = {"villages:detail": 18}


def test_list_filters_narrow_the_html_lists(client, official, building):
    client.force_login(official)
    village = building.village
    late = ProjectFactory(village=village, status=S.UNDER_CONSTRUCTION, name="逾期道路", planned_start=datetime.date(2023, 5, 1), planned_end=datetime.date(2024, 1, 31),
                          actual_start=datetime.date(2023, 5, 1), type="road")
    returned = ProjectFactory(village=village, status=S.RETURNED, name="退回项目", type="toilet")
    elsewhere = ProjectFactory(village=VillageFactory(code="330523108205"), status=S.DRAFT, name="别村项目")
    ProgressReportFactory(project=building, report_date=datetime.date(2025, 4, 1))
    ProgressReportFactory(project=late, report_date=datetime.date(2023, 6, 1))

    def names(query):
        page = client.get(reverse("projects:list") + query).content.decode()
        return {p.name for p in (building, late, returned, elsewhere) if p.name in page}

    assert names("?status=returned") == {"退回项目"}
    assert names("?overdue=true") == {"逾期道路"}
    assert names("?type=road") == {"逾期道路"}
    assert names(f"?village={elsewhere.village_id}") == {"别村项目"}
    assert names("?region=330523108205") == {"别村项目"}
    assert names("?planned_end_before=2024-06-30") == {"逾期道路"}
    progress = client.get(reverse("projects:progress_list") + "?date_after=2025-01-01").content.decode()
    assert building.name in progress and late.name not in progress
    villages = client.get(reverse("villages:list") + "?q=330523108205").content.decode()
    assert "330523108205" in villages and "330523108204" not in villages


def test_the_progress_form_starts_at_today_and_says_where_the_project_stands(client, official, building):
    """Screenshots of the form on a phone (issue 18, item 20): an empty date field to fill on every report, and
    "当前进度: 45%" with an ASCII colon. The date starts at today's; the line reads in Chinese punctuation."""
    client.force_login(official)
    page = client.get(reverse("projects:progress_create", args=[building.pk])).content.decode()
    today = timezone.localdate().isoformat()
    assert f'name="report_date" value="{today}"' in page
    assert f"当前进度： {building.percent_complete}%" in page
