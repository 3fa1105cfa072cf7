"""Issue 18, item 1: finalising a round (ranking, follow-ups for the bottom group, the scheme frozen) is asked for
twice on the round page: the first POST answers a confirmation page and writes nothing."""
from decimal import Decimal

import pytest
from django.urls import reverse

from assessment import services
from assessment.models import Assessment, AssessmentStatus, FollowUp
from core.models import Role
from tests.factories import AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with

D = Decimal


@pytest.fixture
def round_ready(db):
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"), bottom_min=1)
    indicator = IndicatorFactory(scheme=scheme, name="环境卫生", max_score=D("100"), order=0)
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    for i in range(3):
        a = services.assessment_start(actor=county, scheme=scheme, village=VillageFactory(code=f"330523108{300 + i:03d}"), period="2025")
        services.assessment_score(actor=county, assessment=a, scores={indicator.pk: (str(60 + i), "核查")}, submit=True)
    return {"scheme": scheme, "county": county}


def test_finalising_a_round_is_confirmed_first(client, round_ready):
    scheme = round_ready["scheme"]
    client.force_login(round_ready["county"])
    url = reverse("assessment:round_finalise", args=[scheme.pk, "2025", "330523"])
    asked = client.post(url)
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "将对3份考核定稿并排名" in page and "确定定稿" in page and 'name="confirmed" value="yes"' in page
    assert reverse("assessment:round", args=[scheme.pk, "2025", "330523"]) in page  # the way back
    assert not Assessment.objects.filter(status=AssessmentStatus.FINALISED).exists() and not FollowUp.objects.exists()
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert Assessment.objects.filter(status=AssessmentStatus.FINALISED).count() == 3


def test_who_may_not_finalise_gets_no_confirmation_page(client, round_ready):
    scheme = round_ready["scheme"]
    client.force_login(user_with("huzhou", (Role.SUPERVISOR, "3305")))
    response = client.post(reverse("assessment:round_finalise", args=[scheme.pk, "2025", "330523"]))
    assert response.status_code == 403
    assert not Assessment.objects.filter(status=AssessmentStatus.FINALISED).exists()
