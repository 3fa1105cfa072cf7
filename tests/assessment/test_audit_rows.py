"""The audit rows of the assessment loop's services (tests/audit_rows.py)."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment import services
from assessment.models import Assessment, AssessmentScheme, FollowUp, Indicator, Promotion, SchemeKind
from core.models import AuditAction, Role
from tests.audit_rows import Row, run_case
from tests.factories import AssessmentFactory, AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with

A = AuditAction
D = Decimal
TODAY = datetime.date.today()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def scheme(db):
    """2025 annual scheme of 安吉县: 环境卫生 50 + 基础设施 30 + 长效管护 20; bottom 5 %, at least 2."""
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"), bottom_percent=D("5"),
                                     bottom_min=2)
    for order, (name, most) in enumerate((("环境卫生", "50"), ("基础设施", "30"), ("长效管护", "20")), 1):
        IndicatorFactory(scheme=scheme, name=name, max_score=D(most), order=order)
    return scheme


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


def _scores(scheme, *values):
    return {i.pk: (v, f"现场核查{i.order}") for i, v in zip(scheme.indicators.order_by("order"), values) if v is not None}


def _submitted(county, scheme, village, *values):
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    return services.assessment_score(actor=county, assessment=assessment, scores=_scores(scheme, *values), submit=True)


def _follow_up(status="open", **dates):
    assessment = AssessmentFactory(village=VillageFactory(code="330523108205"), status="finalised", total_score=D("40"),
                                   grade="fail", finalised_at=timezone.now())
    return FollowUp.objects.create(assessment=assessment, village=assessment.village, rank=2, ranked_among=2,
                                   due_date=TODAY + datetime.timedelta(days=30), status=status, **dates)


def assessment_start(county, scheme, village):
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")  # already open: no row
    return [Row(county, A.CREATE, assessment, created=True, fields={
        "scheme": [None, scheme.pk], "village": [None, "330523108204"], "period": [None, "2025"], "status": [None, "draft"],
        "assessor": [None, county.pk],
    })]


def round_start(county, scheme):
    villages = [VillageFactory(code=code) for code in ("330523108206", "330523108204", "330523108105")]  # 105: a community
    assert services.round_start(actor=county, scheme=scheme, period="2025", county_code="330523") == 2
    opened = {a.village_id: a for a in Assessment.objects.filter(scheme=scheme)}
    assert set(opened) == {villages[0].code, villages[1].code}
    return [Row(county, A.CREATE, opened[code], created=True, fields={"village": [None, code], "period": [None, "2025"]})
            for code in ("330523108204", "330523108206")]  # in code order


def assessment_score(county, scheme, village, start):
    assessment = services.assessment_start(actor=county, scheme=scheme, village=village, period="2025")
    start()
    services.assessment_score(actor=county, assessment=assessment, scores=_scores(scheme, "40", "30", None))
    services.assessment_score(actor=county, assessment=assessment, scores=_scores(scheme, "45", None, "15"), submit=True)
    return [
        Row(county, A.UPDATE, assessment, changes={
            "total_score": [None, "70.00"], "grade": ["", "pass"], "score: 环境卫生": [None, "40.00"],
            "score: 基础设施": [None, "30.00"],
        }),
        Row(county, A.TRANSITION, assessment, changes={
            "status": ["draft", "submitted"], "total_score": ["70.00", "90.00"], "grade": ["pass", "excellent"],
            "score: 环境卫生": ["40.00", "45.00"], "score: 长效管护": [None, "15.00"],
        }),
    ]


def assessment_return_to_draft(county, scheme, village, start):
    assessment = _submitted(county, scheme, village, "40", "30", "10")
    start()
    services.assessment_return_to_draft(actor=county, assessment=assessment, reason="证据材料不全")
    return [Row(county, A.TRANSITION, assessment, changes={"status": ["submitted", "draft"]}, note="证据材料不全")]


def round_finalise(county, scheme, start):
    codes = ("330523108204", "330523108205", "330523108206")
    submitted = [_submitted(county, scheme, VillageFactory(code=code), *values)
                 for code, values in zip(codes, (("45", "27", "18"), ("30", "20", "10"), ("20", "10", "5")))]
    start()
    result = services.round_finalise(actor=county, scheme=scheme, period="2025", county_code="330523", on_date=TODAY)
    assert result["finalised"] == 3
    follow_ups = list(FollowUp.objects.order_by("pk"))
    assert [f.village_id for f in follow_ups] == ["330523108205", "330523108206"]  # the bottom two
    return [
        *(Row(county, A.TRANSITION, a, fields={"status": ["submitted", "finalised"]}) for a in submitted),
        *(Row(county, A.CREATE, f, created=True, fields={
            "assessment": [None, f.assessment_id], "village": [None, f.village_id], "rank": [None, rank],
            "ranked_among": [None, 3], "status": [None, "open"], "due_date": [None, f.due_date.isoformat()],
        }) for f, rank in zip(follow_ups, (2, 3))),
    ]


def assessment_reopen(county, scheme, village, start):
    assessment = _submitted(county, scheme, village, "40", "30", "10")
    services.round_finalise(actor=county, scheme=scheme, period="2025", county_code="330523")
    finalised_at = Assessment.objects.get(pk=assessment.pk).finalised_at
    start()
    services.assessment_reopen(actor=county, assessment=assessment, reason=" 分数录入错误 ")
    return [Row(county, A.TRANSITION, assessment, note="分数录入错误", changes={
        "status": ["finalised", "draft"], "finalised_at": [finalised_at.isoformat(), None], "reopen_count": [0, 1],
    })]


def follow_up_advance(official, start):
    follow_up = _follow_up()
    start()
    services.follow_up_advance(actor=official, follow_up=follow_up, step="talk", on=YESTERDAY, text=" 约谈村两委 ")
    return [Row(official, A.TRANSITION, follow_up, changes={
        "status": ["open", "talk_held"], "talk_held_on": [None, YESTERDAY.isoformat()], "talk_notes": ["", "约谈村两委"],
    })]


def follow_up_record_talk(official, start):
    follow_up = _follow_up()
    start()
    services.follow_up_record_talk(actor=official, follow_up=follow_up, held_on=TODAY, notes="约谈")
    return [Row(official, A.TRANSITION, follow_up, changes={
        "status": ["open", "talk_held"], "talk_held_on": [None, TODAY.isoformat()], "talk_notes": ["", "约谈"],
    })]


def follow_up_record_rectification(official, start):
    follow_up = _follow_up(status="talk_held", talk_held_on=YESTERDAY, talk_notes="约谈")
    start()
    services.follow_up_record_rectification(actor=official, follow_up=follow_up, rectified_on=TODAY, rectification="清理垃圾点")
    return [Row(official, A.TRANSITION, follow_up, changes={
        "status": ["talk_held", "rectified"], "rectified_on": [None, TODAY.isoformat()], "rectification": ["", "清理垃圾点"],
    })]


def follow_up_close(county, start):
    follow_up = _follow_up(status="rectified", talk_held_on=YESTERDAY, talk_notes="约谈", rectified_on=YESTERDAY,
                           rectification="清理垃圾点")
    start()
    services.follow_up_close(actor=county, follow_up=follow_up, reinspected_on=TODAY, notes="复查合格")
    return [Row(county, A.TRANSITION, follow_up, changes={
        "status": ["rectified", "closed"], "reinspected_on": [None, TODAY.isoformat()],
        "reinspection_notes": ["", "复查合格"],
    })]


def village_promote(county, village):
    acceptance = AssessmentSchemeFactory(name="示范村验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"))
    passed = AssessmentFactory(scheme=acceptance, village=village, period="2025", status="finalised", grade="good",
                               total_score=D("85"), finalised_at=timezone.now())
    promotion = services.village_promote(actor=county, assessment=passed, on_date=TODAY)
    assert Promotion.objects.get() == promotion
    return [
        Row(county, A.CREATE, promotion, created=True, fields={
            "village": [None, village.code], "from_category": [None, "renovation"], "to_category": [None, "demonstration"],
            "assessment": [None, passed.pk], "actor": [None, county.pk], "promoted_on": [None, TODAY.isoformat()],
        }),
        Row(county, A.UPDATE, village, changes={"category": ["renovation", "demonstration"]}, note=str(acceptance)),
    ]


# --- schemes and indicators (issue 18, item 16) ---------------------------------------------------------------------

SCHEME_VALUES = {"name": "2026年度村庄整治考核", "kind": "annual", "year": 2026, "category": "", "excellent_min": D("90"),
                 "good_min": D("80"), "pass_min": D("60"), "bottom_percent": D("5"), "bottom_min": 1, "follow_up_days": 60}


def scheme_create(county):
    scheme = services.scheme_create(actor=county, data={**SCHEME_VALUES, "region": region("330523")})
    return [Row(county, A.CREATE, scheme, created=True, fields={
        "name": [None, "2026年度村庄整治考核"], "year": [None, 2026], "region": [None, "330523"], "excellent_min": [None, "90.00"],
        "pass_min": [None, "60.00"], "follow_up_days": [None, 60],
    })]


def scheme_update(county, scheme):
    services.scheme_update(actor=county, scheme=scheme, data={"pass_min": D("65"), "follow_up_days": 45})
    services.scheme_update(actor=county, scheme=scheme, data={"pass_min": D("65")})  # nothing changes: no row
    return [Row(county, A.UPDATE, scheme, changes={"pass_min": ["60.00", "65.00"], "follow_up_days": [60, 45]})]


def scheme_delete(county, scheme):
    indicators = list(scheme.indicators.order_by("order", "pk"))
    pk = scheme.pk
    services.scheme_delete(actor=county, scheme=scheme)
    return [
        *(Row(county, A.DELETE, (Indicator, i.pk), fields={"scheme": [pk, None], "name": [i.name, None]}) for i in indicators),
        Row(county, A.DELETE, (AssessmentScheme, pk), fields={"name": ["2025年度村庄整治考核", None], "region": ["330523", None]}),
    ]


def scheme_copy(county, scheme):
    copy = services.scheme_copy(actor=county, scheme=scheme, year=2026)
    note = f"copy of #{scheme.pk} 2025年度村庄整治考核 (2025)"
    copies = list(copy.indicators.order_by("order", "pk"))
    return [
        Row(county, A.CREATE, copy, created=True, note=note, fields={"name": [None, "2026年度村庄整治考核"], "year": [None, 2026]}),
        *(Row(county, A.CREATE, i, created=True, note=note, fields={"scheme": [None, copy.pk], "name": [None, name]})
          for i, name in zip(copies, ("环境卫生", "基础设施", "长效管护"))),
    ]


def indicator_add(county, scheme):
    indicator = services.indicator_add(actor=county, scheme=scheme, data={"category": "civility", "name": "村规民约",
                                                                          "max_score": "10"})
    return [Row(county, A.CREATE, indicator, created=True, fields={
        "scheme": [None, scheme.pk], "category": [None, "civility"], "name": [None, "村规民约"], "max_score": [None, "10.00"],
        "order": [None, 4],
    })]


def indicator_update(county, scheme):
    indicator = scheme.indicators.get(name="长效管护")
    services.indicator_update(actor=county, indicator=indicator, data={"max_score": "25", "description": "管护制度落实"})
    return [Row(county, A.UPDATE, indicator, changes={"max_score": ["20.00", "25.00"], "description": ["", "管护制度落实"]})]


def indicator_remove(county, scheme):
    indicator = scheme.indicators.get(name="长效管护")
    services.indicator_remove(actor=county, indicator=indicator)
    return [Row(county, A.DELETE, (Indicator, indicator.pk), fields={
        "scheme": [scheme.pk, None], "name": ["长效管护", None], "max_score": ["20.00", None]})]


CASES = {f.__name__: f for f in (
    assessment_start, round_start, assessment_score, assessment_return_to_draft, round_finalise, assessment_reopen,
    follow_up_advance, follow_up_record_talk, follow_up_record_rectification, follow_up_close, village_promote,
    scheme_create, scheme_update, scheme_delete, scheme_copy, indicator_add, indicator_update, indicator_remove,
)}
NO_AUDIT_ROW = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)
