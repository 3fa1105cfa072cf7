"""Starting an assessment: each refusal on its field, with its exact words, and nothing written."""
import pytest
from django.utils import translation

from assessment import services
from assessment.models import Assessment
from core.exceptions import InvalidInput
from core.models import Role
from tests.factories import AssessmentSchemeFactory, VillageFactory, region, user_with


@pytest.fixture
def county(db):
    return user_with("anji-start", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", category="renovation")


@pytest.mark.parametrize("scheme_values, period, field, message", [
    ({"region": "330522"}, "2025", "scheme", "This scheme is not issued for your area."),
    ({"region": "330523001"}, "2025", "village", "The village is outside the scheme's region."),
    ({"category": "demonstration"}, "2025", "village", "The scheme applies to demonstration village villages."),
    ({}, "2024", "period", "The period must fall in the scheme's year (2025)."),
], ids=["scheme_of_another_county", "village_outside_the_scheme", "category", "period"])
def test_each_refusal_names_its_field_in_plain_words(county, village, scheme_values, period, field, message):
    values = {"year": 2025, "region": "330523", **scheme_values}
    scheme = AssessmentSchemeFactory(**{**values, "region": region(values["region"])})
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.assessment_start(actor=county, scheme=scheme, village=village, period=period)
    assert {key: [str(m) for m in value] for key, value in refused.value.field_errors.items()} == {field: [message]}
    assert not Assessment.objects.exists()
