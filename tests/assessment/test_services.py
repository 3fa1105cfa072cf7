"""The assessment loop: scoring, grades, ranks with ties, bottom-group follow-ups, reopening, promotion."""
import datetime
from decimal import Decimal

import pytest

from assessment import selectors, services
from assessment.models import Assessment, AssessmentStatus, FollowUp, FollowUpStatus, Grade, Promotion, SchemeKind
from core.exceptions import Conflict, IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditAction, AuditEntry, Role
from tests.factories import AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with

D = Decimal
A = AssessmentStatus
TODAY = datetime.date.today()


@pytest.fixture
def people(db):
    return {
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "neighbour": user_with("dipu", (Role.TOWNSHIP_OFFICIAL, "330523001")),
        "other_county": user_with("changxing", (Role.COUNTY_STAFF, "330522")),
    }


@pytest.fixture
def scheme(db):
    """Annual scheme of 安吉县 2025: three indicators worth 50 + 30 + 20; bottom 5 %, at least 2."""
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"), bottom_percent=D("5"), bottom_min=2)
    IndicatorFactory(scheme=scheme, name="环境卫生", max_score=D("50"), order=1)
    IndicatorFactory(scheme=scheme, name="基础设施", max_score=D("30"), order=2)
    IndicatorFactory(scheme=scheme, name="长效管护", max_score=D("20"), order=3)
    return scheme


def _scores(scheme, *values):
    return {i.pk: (v, f"现场核查{i.order}") for i, v in zip(scheme.indicators.order_by("order"), values)}


def _state():
    return (list(Assessment.objects.order_by("pk").values()), FollowUp.objects.count(), Promotion.objects.count(),
            AuditEntry.objects.count())


def _round(people, scheme, totals: dict[str, tuple]):
    """Villages (code → three scores), all scored and submitted."""
    out = {}
    for code, values in totals.items():
        village = VillageFactory(township_code=code[:9], code=code)
        assessment = services.assessment_start(actor=people["county"], scheme=scheme, village=village, period="2025")
        out[code] = services.assessment_score(actor=people["county"], assessment=assessment, scores=_scores(scheme, *values), submit=True)
    return out


@pytest.mark.parametrize("values, total, grade", [
    (("50", "30", "20"), "100.00", Grade.EXCELLENT),
    (("45", "27", "18"), "90.00", Grade.EXCELLENT),
    (("45", "26.99", "18"), "89.99", Grade.GOOD),
    (("40", "25", "15"), "80.00", Grade.GOOD),
    (("30", "20", "10"), "60.00", Grade.PASS),
    (("30", "19.5", "10"), "59.50", Grade.FAIL),
    (("0", "0", "0"), "0.00", Grade.FAIL),
])
def test_total_and_grade_are_computed(people, scheme, values, total, grade):
    village = VillageFactory(code="330523108204")
    assessment = services.assessment_start(actor=people["county"], scheme=scheme, village=village, period="2025")
    result = services.assessment_score(actor=people["county"], assessment=assessment, scores=_scores(scheme, *values), submit=True)
    assert (result.total_score, result.grade, result.status) == (D(total), grade, A.SUBMITTED)


@pytest.mark.parametrize("values", [("50.01", "1", "1"), ("-1", "1", "1"), ("1", "abc", "1"), ("1", "1", "20.5")])
def test_scores_out_of_range_are_refused_on_their_field(people, scheme, values):
    assessment = services.assessment_start(actor=people["county"], scheme=scheme, village=VillageFactory(code="330523108204"), period="2025")
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.assessment_score(actor=people["county"], assessment=assessment, scores=_scores(scheme, *values))
    assert len(refused.value.field_errors) == 1
    (field,) = refused.value.field_errors
    assert field.startswith("score_")
    assert _state() == before


def test_submitting_needs_every_indicator(people, scheme):
    assessment = services.assessment_start(actor=people["county"], scheme=scheme, village=VillageFactory(code="330523108204"), period="2025")
    partial = {k: v for k, v in list(_scores(scheme, "40", "20", "10").items())[:2]}
    services.assessment_score(actor=people["county"], assessment=assessment, scores=partial)  # a draft may be partial
    with pytest.raises(InvalidInput) as refused:
        services.assessment_score(actor=people["county"], assessment=assessment, scores={}, submit=True)
    last = scheme.indicators.get(name="长效管护")
    assert list(refused.value.field_errors) == [f"score_{last.pk}"]


def test_ranking_with_ties_and_the_bottom_group(people, scheme):
    # 20 villages in two townships; two tie for last (bottom group of max(2, ceil(5 % of 20) = 1) = 2).
    totals = {}
    for n in range(18):
        township = "330523108" if n % 2 else "330523001"
        totals[f"{township}{200 + n:03d}"] = ("45", "25", str(19 - n))  # 89 .. 72
    totals["330523108250"] = ("45", "25", "10")  # 80: ties with n=9 (45+25+10)
    totals["330523001251"] = ("10", "5", "0")  # 15
    totals["330523108252"] = ("10", "5", "0")  # 15: tie for last
    rounds = _round(people, scheme, totals)
    result = services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    assert result["finalised"] == 21 and result["ranked"] == 21
    rows = selectors.ranking(user=people["county"], scheme=scheme, period="2025", county="330523")
    ranks = {r.assessment.village_id: r.county_rank for r in rows}
    assert ranks["330523001200"] == 1  # 89
    # 80 is shared by the 10th of the 18 (19 - 9 = 10 → 45+25+10) and 330523108250: same rank, next rank skipped.
    assert ranks["330523108209"] == ranks["330523108250"] == 10
    assert ranks["330523001210"] == 12
    assert ranks["330523001251"] == ranks["330523108252"] == 20
    # Township ranks are within each township.
    township_ranks = {r.assessment.village_id: r.township_rank for r in rows}
    assert township_ranks["330523108201"] == 1 and township_ranks["330523001200"] == 1
    # Follow-ups exactly for the bottom group: the two tied last.
    opened = sorted(f.village_id for f in result["follow_ups"])
    assert opened == ["330523001251", "330523108252"]
    follow_up = FollowUp.objects.get(village_id="330523108252")
    assert (follow_up.rank, follow_up.ranked_among, follow_up.status) == (20, 21, FollowUpStatus.OPEN)
    assert follow_up.due_date == TODAY + datetime.timedelta(days=scheme.follow_up_days)
    # Finalising again opens nothing new.
    again = services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    assert again["finalised"] == 0 and again["follow_ups"] == []
    # A township official sees its villages with their county ranks.
    seen = selectors.ranking(user=people["official"], scheme=scheme, period="2025", county="330523")
    assert {r.assessment.village_id[:9] for r in seen} == {"330523108"}
    assert {r.assessment.village_id: r.county_rank for r in seen}["330523108252"] == 20
    assert rounds


def test_bottom_group_takes_at_least_the_minimum_and_five_percent():
    assert selectors.bottom_group_size(168, D("5"), 1) == 9
    assert selectors.bottom_group_size(20, D("5"), 1) == 1
    assert selectors.bottom_group_size(20, D("5"), 3) == 3
    assert selectors.bottom_group_size(2, D("5"), 3) == 2
    assert selectors.bottom_group_size(0, D("5"), 1) == 0


def test_finalising_is_refused_while_drafts_remain(people, scheme):
    _round(people, scheme, {"330523108201": ("40", "20", "10")})
    services.assessment_start(actor=people["county"], scheme=scheme, village=VillageFactory(code="330523108202"), period="2025")
    before = _state()
    with pytest.raises(Conflict, match="1"):
        services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    assert _state() == before


def test_change_against_the_previous_period(people, scheme):
    last_year = AssessmentSchemeFactory(name="2024年度村庄整治考核", year=2024, region=region("330523"), kind=scheme.kind)
    for i in (1, 2):
        IndicatorFactory(scheme=last_year, name=f"指标{i}", max_score=D("50"), order=i)
    for code, values in {"330523108201": ("50", "50"), "330523108202": ("10", "10")}.items():
        village = VillageFactory(code=code)
        a = services.assessment_start(actor=people["county"], scheme=last_year, village=village, period="2024")
        services.assessment_score(actor=people["county"], assessment=a, scores=_scores(last_year, *values), submit=True)
    services.round_finalise(actor=people["county"], scheme=last_year, period="2024", county_code="330523")
    _round(people, scheme, {"330523108201": ("10", "10", "10"), "330523108202": ("50", "30", "20")})
    services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    rows = {r.assessment.village_id: r for r in selectors.ranking(user=people["county"], scheme=scheme, period="2025", county="330523")}
    assert (rows["330523108202"].county_rank, rows["330523108202"].change) == (1, 1)
    assert (rows["330523108201"].county_rank, rows["330523108201"].change) == (2, -1)


def test_reopening_needs_a_reason_and_is_audited(people, scheme):
    assessment = _round(people, scheme, {"330523108201": ("40", "20", "10")})["330523108201"]
    services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    with pytest.raises(InvalidInput):
        services.assessment_reopen(actor=people["county"], assessment=assessment, reason=" ")
    with pytest.raises(NotPermitted):
        services.assessment_reopen(actor=people["official"], assessment=assessment, reason="复核")
    reopened = services.assessment_reopen(actor=people["county"], assessment=assessment, reason="复核发现环境卫生分数录入错误")
    assert (reopened.status, reopened.reopen_count, reopened.finalised_at) == (A.DRAFT, 1, None)
    entry = AuditEntry.objects.filter(object_id=str(assessment.pk), action=AuditAction.TRANSITION).latest("id")
    assert entry.note == "复核发现环境卫生分数录入错误" and entry.changes["status"] == ["finalised", "draft"]
    assert services.scheme_in_use(scheme)  # read-only in the admin


def test_scores_of_a_finalised_assessment_cannot_change(people, scheme):
    assessment = _round(people, scheme, {"330523108201": ("40", "20", "10")})["330523108201"]
    services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    with pytest.raises(IllegalTransition):
        services.assessment_score(actor=people["county"], assessment=assessment, scores=_scores(scheme, "50", "30", "20"))


@pytest.mark.parametrize("who", ["official", "neighbour", "other_county"])
def test_only_county_staff_score(people, scheme, who):
    assessment = services.assessment_start(actor=people["county"], scheme=scheme, village=VillageFactory(code="330523108204"), period="2025")
    before = _state()
    with pytest.raises(NotPermitted):
        services.assessment_score(actor=people[who], assessment=assessment, scores=_scores(scheme, "1", "1", "1"))
    assert _state() == before


def test_follow_up_talk_rectification_reinspection(people, scheme):
    _round(people, scheme, {"330523108201": ("40", "20", "10"), "330523108202": ("10", "5", "1")})
    services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    follow_up = FollowUp.objects.get(village_id="330523108202")
    with pytest.raises(IllegalTransition):
        services.follow_up_record_rectification(actor=people["official"], follow_up=follow_up, rectified_on=TODAY, rectification="x")
    with pytest.raises(NotPermitted):
        services.follow_up_record_talk(actor=people["neighbour"], follow_up=follow_up, held_on=TODAY, notes="约谈")
    follow_up = services.follow_up_record_talk(actor=people["official"], follow_up=follow_up, held_on=TODAY, notes="约谈村书记")
    follow_up = services.follow_up_record_rectification(
        actor=people["official"], follow_up=follow_up, rectified_on=TODAY, rectification="完成垃圾分类点改造")
    with pytest.raises(NotPermitted):  # re-inspection is the county's
        services.follow_up_close(actor=people["official"], follow_up=follow_up, reinspected_on=TODAY, notes="合格")
    closed = services.follow_up_close(actor=people["county"], follow_up=follow_up, reinspected_on=TODAY, notes="复查合格")
    assert closed.status == FollowUpStatus.CLOSED
    assert AuditEntry.objects.filter(object_id=str(follow_up.pk), content_type__model="followup").count() == 4


def test_promotion_after_a_passed_acceptance(people):
    acceptance = AssessmentSchemeFactory(name="示范村验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"),
                                         category="renovation")
    IndicatorFactory(scheme=acceptance, name="验收指标", max_score=D("100"))
    village = VillageFactory(code="330523108204", category="renovation")
    a = services.assessment_start(actor=people["county"], scheme=acceptance, village=village, period="2025")
    a = services.assessment_score(actor=people["county"], assessment=a, scores=_scores(acceptance, "85"), submit=True)
    with pytest.raises(Conflict):  # not finalised yet
        services.village_promote(actor=people["county"], assessment=a)
    services.round_finalise(actor=people["county"], scheme=acceptance, period="2025", county_code="330523")
    promotion = services.village_promote(actor=people["county"], assessment=a, on_date=TODAY)
    village.refresh_from_db()
    assert (village.category, promotion.from_category, promotion.to_category) == ("demonstration", "renovation", "demonstration")
    with pytest.raises(Conflict):
        services.village_promote(actor=people["county"], assessment=a)
    with pytest.raises(Conflict):  # the justifying assessment is frozen
        services.assessment_reopen(actor=people["county"], assessment=a, reason="x")


def test_failed_acceptance_does_not_promote(people):
    acceptance = AssessmentSchemeFactory(name="示范村验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"))
    IndicatorFactory(scheme=acceptance, name="验收指标", max_score=D("100"))
    village = VillageFactory(code="330523108204", category="renovation")
    a = services.assessment_start(actor=people["county"], scheme=acceptance, village=village, period="2025")
    services.assessment_score(actor=people["county"], assessment=a, scores=_scores(acceptance, "59"), submit=True)
    services.round_finalise(actor=people["county"], scheme=acceptance, period="2025", county_code="330523")
    before = _state()
    with pytest.raises(Conflict):
        services.village_promote(actor=people["county"], assessment=Assessment.objects.get(pk=a.pk))
    assert _state() == before


def test_admin_cannot_edit_a_scheme_in_use_or_a_finalised_assessment(client, people, scheme):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    root = get_user_model().objects.create_superuser("root", password="x" * 12)
    client.force_login(root)
    url = reverse("admin:assessment_assessmentscheme_change", args=[scheme.pk])
    assert 'name="name"' in client.get(url).content.decode()  # editable while no village is scored under it
    assessment = _round(people, scheme, {"330523108201": ("40", "20", "10")})["330523108201"]
    assert 'name="name"' not in client.get(url).content.decode()  # read-only once a (draft) assessment uses it
    services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code="330523")
    page = client.get(url).content.decode()
    assert 'name="name"' not in page  # and after finalising
    client.post(url, {"name": "改名", "kind": scheme.kind, "year": 2025})
    scheme.refresh_from_db()
    assert scheme.name == "2025年度村庄整治考核"
    response = client.post(reverse("admin:assessment_assessment_change", args=[assessment.pk]), {"status": "draft"})
    assert response.status_code == 403
    assert Assessment.objects.get(pk=assessment.pk).status == A.FINALISED


def test_bottom_group_rule_with_ties():
    totals = [D("90"), D("40"), D("75"), D("40"), D("60")]
    # 5 % of 5 is 1, at least 1: the lowest, and everyone tied with it (both 40s, ranked 4th).
    assert sorted(selectors.bottom_group(totals, D("5"), 1)) == [(1, 4), (3, 4)]
    assert sorted(selectors.bottom_group(totals, D("5"), 3)) == [(1, 4), (3, 4), (4, 3)]
    assert selectors.bottom_group([], D("5"), 1) == []
