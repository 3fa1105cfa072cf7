"""Bulletins (通报): composed from what the portal knows, edited, approved and published as a page and a PDF; who
may do what; nothing written on a refusal."""
import datetime
import subprocess

import pytest
from django.urls import reverse

from bulletins import services
from bulletins.models import Bulletin
from core.exceptions import IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from dashboard.stats import rebuild
from projects.models import ProjectStatus
from tests.factories import (
    BulletinFactory,
    ProblemFactory,
    ProjectFactory,
    PublishedBulletinFactory,
    VisitFactory,
    region,
    user_with,
)

START, END, TODAY = datetime.date(2025, 9, 1), datetime.date(2025, 9, 30), datetime.date(2025, 10, 8)


def _compose(actor, **overrides):
    kwargs = dict(actor=actor, region=region("330523"), period_start=START, period_end=END, today=TODAY)
    return services.bulletin_compose(**(kwargs | overrides))


def test_the_text_is_written_from_the_periods_figures(county, village):
    ProjectFactory(village=village, name="余村污水管网", status=ProjectStatus.UNDER_CONSTRUCTION,
                   actual_start=datetime.date(2025, 1, 5), planned_end=datetime.date(2025, 8, 31))
    visit = VisitFactory(region=region("330523"), villages=[village], visited_on=datetime.date(2025, 9, 3))
    ProblemFactory(visit=visit, village=village, description="检查井盖破损", found_on=datetime.date(2025, 9, 3),
                   deadline=datetime.date(2025, 9, 20))
    ProblemFactory(visit=visit, village=village, found_on=datetime.date(2025, 9, 3), deadline=datetime.date(2025, 9, 20),
                   status="closed", rectified_on=datetime.date(2025, 9, 10), closed_on=datetime.date(2025, 9, 12),
                   rectification="已清理")
    rebuild("")  # the dashboard's summary rows, which the projects' figures come from
    bulletin = _compose(county)
    figures = bulletin.figures
    assert (figures["overdue_projects"], figures["problems_found"], figures["problems_closed"]) == (1, 2, 1)
    assert figures["problems_overdue_count"] == 1 and figures["overdue"][0]["days"] == 38
    assert "余村污水管网" in bulletin.body and "检查井盖破损" in bulletin.body and "2025-09-01" in bulletin.title
    assert bulletin.status == "draft" and bulletin.composed_by == county


@pytest.mark.parametrize("who", ["official", "other_county", "city"])
def test_only_the_office_composes_its_bulletin(who, official, village):
    actor = {"official": official, "other_county": user_with("changxing", (Role.COUNTY_STAFF, "330522")),
             "city": user_with("huzhou", (Role.SUPERVISOR, "3305"))}[who]
    before = (Bulletin.objects.count(), AuditEntry.objects.count())
    with pytest.raises(NotPermitted):
        _compose(actor)
    assert (Bulletin.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("overrides, field", [
    ({"period_end": START - datetime.timedelta(days=1)}, "period_end"),
    ({"period_end": TODAY + datetime.timedelta(days=1)}, "period_end"),
    ({"period_start": START - datetime.timedelta(days=400)}, "period_start"),
])
def test_a_bad_period_is_refused_on_its_field(county, village, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        _compose(county, **overrides)
    assert field in refused.value.field_errors and not Bulletin.objects.exists()


def test_edit_approve_publish_then_it_no_longer_changes(county, village, tmp_path):
    bulletin = _compose(county)
    with pytest.raises(IllegalTransition):
        services.bulletin_publish(actor=county, bulletin=bulletin)  # not approved yet
    services.bulletin_approve(actor=county, bulletin=bulletin)
    # Editing the approved text takes it back to a draft, to be approved again.
    services.bulletin_edit(actor=county, bulletin=bulletin, title="安吉县2025年9月通报", body=bulletin.body + "\n特此通报。")
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.approved_at) == ("draft", None)
    with pytest.raises(InvalidInput) as refused:
        services.bulletin_edit(actor=county, bulletin=bulletin, title=" ", body="x")
    assert "title" in refused.value.field_errors
    services.bulletin_approve(actor=county, bulletin=bulletin)
    services.bulletin_publish(actor=county, bulletin=bulletin)
    bulletin.refresh_from_db()
    assert bulletin.status == "published" and bulletin.pdf.name.endswith(".pdf")
    path = tmp_path / "b.pdf"
    path.write_bytes(bulletin.pdf.read())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "安吉县2025年9月通报" in text and "特此通报" in text
    with pytest.raises(IllegalTransition):
        services.bulletin_edit(actor=county, bulletin=bulletin, title="改", body="改")
    with pytest.raises(IllegalTransition):
        services.bulletin_approve(actor=county, bulletin=bulletin)


def test_a_failed_publication_leaves_no_file_and_no_change(county, village, monkeypatch):
    bulletin = BulletinFactory(status="approved", approved_at=datetime.datetime(2025, 10, 2, tzinfo=datetime.UTC))
    monkeypatch.setattr(services, "render_pdf", lambda b: b"%PDF-1.4 fake")
    original_save = Bulletin.save

    def failing_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Bulletin, "save", failing_save)
    with pytest.raises(RuntimeError):
        services.bulletin_publish(actor=county, bulletin=bulletin)
    monkeypatch.setattr(Bulletin, "save", original_save)
    bulletin.refresh_from_db()
    assert bulletin.status == "approved" and not bulletin.pdf
    storage = Bulletin._meta.get_field("pdf").storage
    assert not storage.exists(f"bulletins/330523/bulletin-{bulletin.pk}.pdf")


def test_pages_show_published_bulletins_below_and_drafts_to_the_office_only(client, county, official, village):
    published = PublishedBulletinFactory()
    draft = BulletinFactory(title="草稿通报")
    client.force_login(official)
    assert list(client.get(reverse("bulletins:list")).context["object_list"]) == [published]
    assert client.get(reverse("bulletins:detail", args=[draft.pk])).status_code == 404
    pdf = client.get(reverse("bulletins:pdf", args=[published.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    client.force_login(county)
    assert set(client.get(reverse("bulletins:list")).context["object_list"]) == {published, draft}
    response = client.post(reverse("bulletins:compose"), {"region": "330523", "period_start": "2025-09-01",
                                                           "period_end": "2025-09-30"})
    new = Bulletin.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("bulletins:detail", args=[new.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="edit"' in page and 'value="approve"' in page


def test_the_api_lists_published_bulletins_and_the_offices_drafts(county, official, village):
    from rest_framework.test import APIClient

    published = PublishedBulletinFactory()
    draft = BulletinFactory(title="草稿通报")
    api = APIClient()
    api.force_authenticate(official)
    body = api.get(reverse("api:bulletin-list")).json()
    assert [row["id"] for row in body["results"]] == [published.pk]
    assert body["results"][0]["pdf"] == reverse("bulletins:pdf", args=[published.pk])
    assert api.get(reverse("api:bulletin-detail", args=[draft.pk])).status_code == 404
    api.force_authenticate(county)
    rows = api.get(reverse("api:bulletin-list") + "?status=draft").json()["results"]
    assert [(row["id"], row["pdf"]) for row in rows] == [(draft.pk, None)]
