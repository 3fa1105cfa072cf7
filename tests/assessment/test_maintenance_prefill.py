"""The 长效管护 indicator: its score is suggested from the village's maintenance figures when the assessment starts
(assessment.prefill), and a score other than the suggestion needs a reason."""
import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessment import services
from assessment.models import IndicatorCategory, IndicatorScore, Prefill, period_bounds
from assessment.prefill import suggested_score
from core.exceptions import InvalidInput
from core.models import AuditEntry, Role
from maintenance.selectors import MaintenanceFigures
from tests.clock import at_day
from tests.factories import (
    AssessmentSchemeFactory,
    AssetFactory,
    DoneInspectionFactory,
    FaultFactory,
    IndicatorFactory,
    InspectionFactory,
    VillageFactory,
    region,
    user_with,
)

D = Decimal
TODAY = datetime.date(2025, 12, 31)


def test_periods_turn_into_their_first_and_last_days():
    assert period_bounds("2025") == (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert period_bounds("2025-H1") == (datetime.date(2025, 1, 1), datetime.date(2025, 6, 30))
    assert period_bounds("2025-H2") == (datetime.date(2025, 7, 1), datetime.date(2025, 12, 31))
    assert period_bounds("2024-Q1") == (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31))
    assert period_bounds("2025-Q3") == (datetime.date(2025, 7, 1), datetime.date(2025, 9, 30))
    assert period_bounds("2025-Q4") == (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))


def test_the_formula_weighs_inspections_condition_and_faults():
    perfect = MaintenanceFigures(assets=3, inspections_expected=6, inspections_on_time=6, inspections_done=6, condition_sum=30)
    assert suggested_score(D("20"), perfect) == D("20.00")
    worst = MaintenanceFigures(assets=1, inspections_expected=4, inspections_on_time=0, inspections_done=2, condition_sum=2,
                               open_faults=3, overdue_faults=3)
    assert suggested_score(D("20"), worst) == D("0.00")
    # No inspection due or done: only the faults part counts (1 − (1 + 0) ÷ (2 × 2) = 0.75).
    faults_only = MaintenanceFigures(assets=2, open_faults=1)
    assert suggested_score(D("10"), faults_only) == D("7.50")
    assert suggested_score(D("10"), MaintenanceFigures()) is None  # no assets: no suggestion


@pytest.fixture
def scheme_and_village(db, monkeypatch):
    at_day(monkeypatch, TODAY)
    village = VillageFactory(code="330523108204", name="余村村委会")
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"))
    IndicatorFactory(scheme=scheme, name="垃圾分类", max_score=D("80"))
    indicator = IndicatorFactory(scheme=scheme, name="长效管护", category=IndicatorCategory.MAINTENANCE, max_score=D("20"),
                                 prefill=Prefill.MAINTENANCE)
    county = user_with("anji-county", (Role.COUNTY_STAFF, "330523"))
    return scheme, village, indicator, county


def _maintenance_rows(village):
    """Two assets; four inspections expected in 2025 of which two on time (50 %), three done with conditions 4, 2, 5
    (mean 3.67); two open faults of which one overdue."""
    station, road = AssetFactory(village=village), AssetFactory(village=village, kind="road", unit="km")
    DoneInspectionFactory(asset=station, due_on=datetime.date(2025, 3, 1), condition=4)
    DoneInspectionFactory(asset=station, due_on=datetime.date(2025, 6, 1), done_on=datetime.date(2025, 6, 10), condition=2)
    DoneInspectionFactory(asset=road, due_on=datetime.date(2025, 4, 1), condition=5)
    InspectionFactory(asset=road, due_on=datetime.date(2025, 9, 1))  # never done: overdue
    FaultFactory(asset=station, reported_on=datetime.date(2025, 6, 1))  # deadline 06-08: overdue
    FaultFactory(asset=road, reported_on=datetime.date(2025, 12, 28))  # deadline 2026-01-04: open, not overdue
    # Another village's asset, and an inspection of 2024: not counted.
    DoneInspectionFactory(asset=AssetFactory(village=VillageFactory(code="330523108205")), due_on=datetime.date(2025, 3, 1),
                          condition=1)
    DoneInspectionFactory(asset=station, due_on=datetime.date(2024, 12, 1), done_on=datetime.date(2024, 12, 20), condition=1)


def test_starting_the_assessment_stores_the_suggested_score_and_its_figures(scheme_and_village):
    scheme, village, indicator, county = scheme_and_village
    _maintenance_rows(village)
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    row = IndicatorScore.objects.get(assessment=assessment, indicator=indicator)
    # 20 × (0.5 × 0.5 + 0.3 × (3.67 − 1) ÷ 4 + 0.2 × (1 − (2 + 1) ÷ 4)) = 20 × 0.50025 = 10.005 → 10.01
    assert (row.suggested, row.score, row.override_reason) == (D("10.01"), D("10.01"), "")
    basis = row.suggestion_basis
    assert (basis["assets"], basis["on_time_rate"], basis["mean_condition"], basis["open_faults"], basis["overdue_faults"]) == (
        2, "50.0", "3.67", 2, 1)
    assert (basis["start"], basis["end"]) == ("2025-01-01", "2025-12-31")
    assert AuditEntry.objects.filter(object_id=str(row.pk), action="create").exists()
    assert IndicatorScore.objects.filter(assessment=assessment).count() == 1  # the other indicator waits for the assessor


def test_a_half_year_assessment_reads_only_its_half(scheme_and_village):
    scheme, village, indicator, county = scheme_and_village
    _maintenance_rows(village)
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025-H1")
    basis = IndicatorScore.objects.get(assessment=assessment, indicator=indicator).suggestion_basis
    assert (basis["inspections_expected"], basis["inspections_on_time"], basis["inspections_done"]) == (3, 2, 3)


def test_a_village_without_assets_gets_no_suggestion(scheme_and_village, client):
    scheme, village, indicator, county = scheme_and_village
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    assert not IndicatorScore.objects.filter(assessment=assessment).exists()
    client.force_login(county)
    page = client.get(reverse("assessment:detail", args=[assessment.pk])).content.decode()
    assert "score it by hand" in page or "手工评分" in page


def test_another_score_needs_a_reason_which_is_kept_and_audited(scheme_and_village, client):
    scheme, village, indicator, county = scheme_and_village
    _maintenance_rows(village)
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    with pytest.raises(InvalidInput) as refused:
        services.assessment_score(actor=county, assessment=assessment, scores={indicator.pk: ("15", "")})
    assert list(refused.value.field_errors) == [f"score_{indicator.pk}"]
    assert IndicatorScore.objects.get(assessment=assessment, indicator=indicator).score == D("10.01")  # nothing changed
    services.assessment_score(actor=county, assessment=assessment,
                              scores={indicator.pk: ("15", "", "污水终端故障已于年底前修复，现场核验")})
    row = IndicatorScore.objects.get(assessment=assessment, indicator=indicator)
    assert (row.score, row.suggested, row.override_reason) == (D("15.00"), D("10.01"), "污水终端故障已于年底前修复，现场核验")
    entry = AuditEntry.objects.filter(object_id=str(assessment.pk), action="update").latest("pk")
    assert "污水终端故障已于年底前修复，现场核验" in str(entry.changes)
    # Saving again without touching it keeps the reason; going back to the suggestion clears it.
    services.assessment_score(actor=county, assessment=assessment, scores={indicator.pk: ("15", "")})
    assert IndicatorScore.objects.get(pk=row.pk).override_reason == "污水终端故障已于年底前修复，现场核验"
    with pytest.raises(InvalidInput):  # a new score needs its own reason
        services.assessment_score(actor=county, assessment=assessment, scores={indicator.pk: ("12", "")})
    services.assessment_score(actor=county, assessment=assessment, scores={indicator.pk: ("10.01", "")})
    assert IndicatorScore.objects.get(pk=row.pk).override_reason == ""
    # On the page: the suggestion and its figures next to the input, and the refusal on the indicator's field.
    client.force_login(county)
    url = reverse("assessment:detail", args=[assessment.pk])
    page = client.get(url).content.decode()
    assert 'data-suggested="10.01"' in page and "50.0%" in page
    refused_page = client.post(reverse("assessment:score", args=[assessment.pk]), {f"score_{indicator.pk}": "18", "do": "save"})
    assert refused_page.status_code == 400 and f'data-field="score_{indicator.pk}"' in refused_page.content.decode()
    assert IndicatorScore.objects.get(pk=row.pk).score == D("10.01")


def test_the_database_keeps_a_reason_for_another_score(scheme_and_village):
    scheme, village, indicator, county = scheme_and_village
    _maintenance_rows(village)
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorScore.objects.filter(assessment=assessment, indicator=indicator).update(score=D("19"))


def test_one_indicator_per_scheme_takes_the_maintenance_figures(scheme_and_village):
    scheme, village, indicator, county = scheme_and_village
    with pytest.raises(InvalidInput) as refused:
        services.indicator_add(actor=county, scheme=scheme, data={
            "category": "maintenance", "name": "设施完好率", "max_score": "10", "prefill": "maintenance"})
    assert "prefill" in refused.value.field_errors
    other = services.indicator_add(actor=county, scheme=scheme, data={"category": "maintenance", "name": "设施完好率",
                                                                       "max_score": "10"})
    assert other.prefill == ""
    services.indicator_update(actor=county, indicator=indicator, data={"prefill": ""})
    assert services.indicator_update(actor=county, indicator=other, data={"prefill": "maintenance"}).prefill == "maintenance"
