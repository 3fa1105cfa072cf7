import pytest

from tests.factories import AllocationFactory, DisbursementFactory, IndicatorScoreFactory, ProgressReportFactory


@pytest.mark.django_db
def test_factories_build_valid_rows():
    report = ProgressReportFactory()
    disbursement = DisbursementFactory()
    score = IndicatorScoreFactory()
    assert report.project.village.township.parent.parent.parent.code == "33"
    assert disbursement.allocation.source.region_id == "330523"
    assert score.indicator.scheme_id == score.assessment.scheme_id
    assert AllocationFactory().project.village.code.startswith("330523108")
