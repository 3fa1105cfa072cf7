"""The freeze of a scheme holds under concurrency (PostgreSQL; tests/locks.py): every change of a scheme or its
indicators and every assessment started under it take the scheme's row lock first, so a change either commits
before the first assessment is opened, or waits for it and is refused."""
from decimal import Decimal

import pytest

from assessment import services
from assessment.models import Assessment, AssessmentScheme, Indicator
from core.exceptions import InvalidInput
from core.models import Role
from tests.factories import AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with
from tests.locks import concurrent_writer

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def county(postgres):
    return user_with("anji-scheme-locks", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def scheme(postgres):
    scheme = AssessmentSchemeFactory(year=2025, region=region("330523"))
    IndicatorFactory(scheme=scheme, name="环境卫生", max_score=D("100"))
    return scheme


def _lock(scheme):
    return lambda: AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)


def test_a_scheme_edit_waits_for_the_first_assessment_being_opened(county, scheme):
    """An assessment is opened under the scheme meanwhile (as assessment_start does, under the scheme's lock):
    the edit, which locks the scheme before it checks whether it is in use, finds it frozen."""
    village = VillageFactory(code="330523108204")

    def open_an_assessment():
        Assessment.objects.create(scheme=scheme, village=village, period="2025")

    with concurrent_writer(_lock(scheme), open_an_assessment):
        with pytest.raises(services.SchemeFrozen):
            services.indicator_update(actor=county, indicator=scheme.indicators.get(), data={"max_score": "90"})
    assert scheme.indicators.get().max_score == D("100")


def test_opening_an_assessment_waits_for_a_scheme_edit(county, scheme):
    """The scheme's last indicator is removed meanwhile (as indicator_remove does, under the scheme's lock): the
    start, which locks the scheme before it checks its indicators, finds none and opens nothing."""
    village = VillageFactory(code="330523108204")

    def remove_the_indicators():
        Indicator.objects.filter(scheme=scheme).delete()

    with concurrent_writer(_lock(scheme), remove_the_indicators):
        with pytest.raises(InvalidInput):
            services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    assert not Assessment.objects.exists()
