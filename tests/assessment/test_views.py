"""Assessment pages: the scoring form, the ranking page, follow-ups on the to-do list, constant queries."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import services
from assessment.models import AssessmentStatus, FollowUp
from core.models import Role
from tests.factories import AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with

D = Decimal


@pytest.fixture
def setup(db):
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"), bottom_min=1)
    indicators = [IndicatorFactory(scheme=scheme, name=n, max_score=D(m), order=i) for i, (n, m) in enumerate([("环境卫生", "60"), ("长效管护", "40")])]
    return {
        "scheme": scheme, "indicators": indicators,
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
    }


def _round(setup, n):
    county, scheme = setup["county"], setup["scheme"]
    for i in range(n):
        village = VillageFactory(code=f"330523108{300 + i:03d}")
        a = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
        scores = {ind.pk: (str(10 + (i * 7) % 30), "核查") for ind in setup["indicators"]}
        services.assessment_score(actor=county, assessment=a, scores=scores, submit=True)
    return services.round_finalise(actor=county, scheme=scheme, period="2025", county_code="330523")


def test_scoring_form_names_the_indicator_in_chinese(client, setup):
    county = setup["county"]
    a = services.assessment_start(actor=county, scheme=setup["scheme"], village=VillageFactory(code="330523108204"), period="2025")
    client.force_login(county)
    first, second = setup["indicators"]
    response = client.post(reverse("assessment:score", args=[a.pk]), {f"score_{first.pk}": "61", f"score_{second.pk}": "40", "do": "submit"})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-field="score_{first.pk}"' in page and "环境卫生" in page and "0 到 60.00 之间" in page
    a.refresh_from_db()
    assert a.status == AssessmentStatus.DRAFT and a.total_score is None
    response = client.post(reverse("assessment:score", args=[a.pk]), {f"score_{first.pk}": "55", f"score_{second.pk}": "40", "do": "submit"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.total_score, a.grade) == (AssessmentStatus.SUBMITTED, D("95.00"), "excellent")


def test_round_page_shows_ranks_and_the_bottom_group(client, setup):
    result = _round(setup, 6)
    client.force_login(setup["county"])
    page = client.get(reverse("assessment:round", args=[setup["scheme"].pk, "2025", "330523"])).content.decode()
    assert "1 / 6" in page and "6 / 6" in page
    (follow_up,) = result["follow_ups"]
    assert reverse("assessment:follow_up", args=[follow_up.pk]) in page


def test_overdue_follow_ups_reach_the_township_to_do_list(client, setup):
    _round(setup, 3)
    follow_up = FollowUp.objects.get()
    FollowUp.objects.filter(pk=follow_up.pk).update(due_date=datetime.date.today() - datetime.timedelta(days=1))
    client.force_login(setup["official"])
    page = client.get(reverse("home")).content.decode()
    assert reverse("assessment:follow_up", args=[follow_up.pk]) in page
    village = client.get(reverse("villages:detail", args=[follow_up.village_id])).content.decode()
    assert "3 / 3" in village  # the village page shows its rank


@pytest.mark.parametrize("page", ["list", "round", "follow_ups"])
def test_assessment_pages_cost_the_same_for_few_and_many(client, setup, page, django_assert_max_num_queries):
    _round(setup, 2)
    client.force_login(setup["county"])
    url = {
        "list": reverse("assessment:list"),
        "round": reverse("assessment:round", args=[setup["scheme"].pk, "2025", "330523"]),
        "follow_ups": reverse("assessment:follow_ups"),
    }[page]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    few = len(ctx.captured_queries)
    # 50 more villages in a second round and more follow-ups.
    other = AssessmentSchemeFactory(name="2025年度考核（二）", year=2025, region=region("330523"), bottom_percent=D("20"))
    ind = IndicatorFactory(scheme=other, name="综合", max_score=D("100"))
    for i in range(50):
        v = VillageFactory(code=f"330523108{400 + i:03d}")
        a = services.assessment_start(actor=setup["county"], scheme=other, village=v, period="2025")
        services.assessment_score(actor=setup["county"], assessment=a, scores={ind.pk: (str(i), "")}, submit=True)
    services.round_finalise(actor=setup["county"], scheme=other, period="2025", county_code="330523")
    if page == "round":
        url = reverse("assessment:round", args=[other.pk, "2025", "330523"])
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200
    print(f"queries assessment:{page}: {few}")
