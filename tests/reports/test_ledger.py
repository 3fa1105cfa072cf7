"""The ledger export is a report job, never a request that writes a workbook: the ledger pages post their filters
to /reports/ledger/, the job writes the three lists as the region's own users see them, and the job's page offers
the download. A province's ledger took 117 s inside a request (killed at 30 s)."""
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core.exceptions import InvalidInput, NotPermitted
from funding import selectors
from funding.filters import AllocationFilterSet
from funding.models import SourceKind
from reports import services
from reports.models import ReportJob, ReportKind, ReportStatus
from tests.factories import AllocationFactory, FundingSourceFactory, region
from tests.workbooks import assert_guarded, quoted

D = Decimal


@pytest.fixture
def ledger_world(county_world):
    """county_world plus money of 长兴县 (another county) and a provincial fund earmarked for 长兴县."""
    from tests.factories import ProjectFactory, VillageFactory

    changxing = ProjectFactory(village=VillageFactory(code="330522001201", township_code="330522001"), status="approved")
    other = FundingSourceFactory(name="长兴县财政", region=region("330522"), total_amount=D("700000"))
    AllocationFactory(source=other, project=changxing, amount=D("70000"))
    FundingSourceFactory(name="省级专项（长兴县）", kind=SourceKind.PROVINCIAL_SPECIAL, region=region("33"),
                         beneficiary_region=region("330522"), total_amount=D("100000"))
    return county_world


def _run(client, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:ledger"), data)
    assert response.status_code == 302, response.content[:500]
    job = ReportJob.objects.latest("pk")
    assert response["Location"] == reverse("reports:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ReportStatus.SUCCEEDED, job.error
    return job


def _sheets(client, job):
    download = client.get(reverse("reports:download", args=[job.pk]))
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert len(book.sheetnames) == 3
    # Title, generated-at line and header above the sources; a header above the other two.
    sources, allocations, payments = (list(book[name].iter_rows(values_only=True)) for name in book.sheetnames)
    return sources[3:], allocations[1:], payments[1:]


def _quoted(client, job) -> set[str]:
    """The texts of the ledger shown with a hidden apostrophe (quote prefix); no cell is a formula."""
    book = load_workbook(io.BytesIO(b"".join(client.get(reverse("reports:download", args=[job.pk])).streaming_content)))
    assert_guarded(book)
    return quoted(book)


def test_there_is_no_synchronous_ledger_export(client, ledger_world):
    client.force_login(ledger_world["county"])
    assert client.get("/funding/export.xlsx").status_code == 404
    page = client.get(reverse("funding:allocations")).content.decode()
    assert f'action="{reverse("reports:ledger")}"' in page and 'method="post"' in page


def test_the_ledger_report_is_what_the_county_sees(ledger_world, django_capture_on_commit_callbacks):
    county = ledger_world["county"]
    client = Client()
    client.force_login(county)
    job = _run(client, {}, django_capture_on_commit_callbacks)
    assert (job.kind, job.region_id, job.params, job.requester) == (ReportKind.LEDGER, "330523", {}, county)
    sources, allocations, payments = _sheets(client, job)
    seen = selectors.source_list(user=county).order_by("pk")
    assert [row[0] for row in sources] == [s.pk for s in seen]
    assert {row[1] for row in sources} == {"县级财政", "@省级专项"} and "长兴县财政" not in {row[1] for row in sources}
    assert "@省级专项" in _quoted(client, job) and "县级财政" not in _quoted(client, job)
    by_id = {row[0]: row for row in sources}
    for source in seen:  # allocated and disbursed as 安吉县 sees them (a provincial fund: what went to 安吉县)
        assert (D(str(by_id[source.pk][8])), D(str(by_id[source.pk][9]))) == (source.allocated, source.disbursed)
    assert sorted(row[0] for row in allocations) == sorted(selectors.allocation_list(user=county).values_list("pk", flat=True))
    assert sum(D(str(row[7])) for row in payments) == D("300000.10")


def test_the_pages_filters_narrow_the_report(ledger_world, django_capture_on_commit_callbacks):
    county = ledger_world["county"]
    client = Client()
    client.force_login(county)
    job = _run(client, {"village": "330523108204", "page": "3", "back": "/funding/allocations/"}, django_capture_on_commit_callbacks)
    assert job.params == {"village": "330523108204"}
    _sources, allocations, _payments = _sheets(client, job)
    expected = AllocationFilterSet({"village": "330523108204"}, queryset=selectors.allocation_list(user=county)).qs
    assert sorted(row[0] for row in allocations) == sorted(expected.values_list("pk", flat=True)) and allocations
    assert {row[6] for row in allocations} == {"330523108204"}


def test_a_township_official_gets_the_ledger_of_the_township(ledger_world, django_capture_on_commit_callbacks):
    official = ledger_world["official"]
    client = Client()
    client.force_login(official)
    job = _run(client, {"region": "330523"}, django_capture_on_commit_callbacks)  # not theirs: their own region instead
    assert job.region_id == "330523108"
    _sources, allocations, _payments = _sheets(client, job)
    assert {row[6][:9] for row in allocations} == {"330523108"}
    with pytest.raises(InvalidInput):
        services.report_request(actor=official, kind="ledger", region_code="330523")
    with pytest.raises(NotPermitted):  # other kinds stay with county staff and supervisors
        services.report_request(actor=official, kind="roster", region_code="330523108")


def test_the_api_requests_a_ledger_with_filters_and_checks_them(ledger_world):
    api = APIClient()
    api.force_authenticate(ledger_world["county"])
    response = api.post("/api/v1/reports/", {"kind": "ledger", "region": "330523", "params": {"fiscal_year": "2024", "kind": ["county_budget"]}},
                        format="json")
    assert response.status_code == 202, response.content
    assert response.json()["params"] == {"fiscal_year": "2024", "kind": ["county_budget"]}
    before = ReportJob.objects.count()
    for params, field in (({"fiscal_year": "soon"}, "fiscal_year"), ({"colour": "red"}, "colour"),
                          ({"kind": ["lottery"]}, "kind"), ({"region": "330522"}, "region")):
        response = api.post("/api/v1/reports/", {"kind": "ledger", "region": "330523", "params": params}, format="json")
        assert response.status_code == 400 and field in response.json()["field_errors"], (params, response.content)
    response = api.post("/api/v1/reports/", {"kind": "roster", "region": "330523", "params": {"fiscal_year": "2024"}}, format="json")
    assert response.status_code == 400 and "params" in response.json()["field_errors"]
    assert ReportJob.objects.count() == before


def test_formulas_in_the_ledger_are_neutralised(ledger_world, django_capture_on_commit_callbacks):
    FundingSourceFactory(name='=HYPERLINK("http://evil.example","点击")', region=region("330523"))
    FundingSourceFactory(name="\x0b=1", region=region("330523"))
    client = Client()
    client.force_login(ledger_world["county"])
    job = _run(client, {}, django_capture_on_commit_callbacks)
    sources, _allocations, _payments = _sheets(client, job)
    names = {row[1] for row in sources}
    assert "=HYPERLINK(\"http://evil.example\",\"点击\")" in names and "=1" in names  # shown as typed (\x0b dropped)
    assert {"=HYPERLINK(\"http://evil.example\",\"点击\")", "=1"} <= _quoted(client, job)  # text, behind a quote prefix
