"""Every refusal of the assessment services with the exact field and the Chinese message the user reads, and the
details the happy paths record: scores left blank or without evidence, a return to draft, repeated reopening,
the order and dates of a follow-up, who promoted a village, which villages a round starts and finalises."""
import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from assessment import services
from assessment.models import Assessment, AssessmentStatus, FollowUp, FollowUpStatus, IndicatorScore, Promotion, SchemeKind
from core.exceptions import Conflict, IllegalTransition, InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from dashboard.models import VillageStats
from tests.factories import AssessmentFactory, AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with

D = Decimal
A = AssessmentStatus
TODAY = datetime.date.today()
YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)


@pytest.fixture
def people(db):
    return {
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "other_county": user_with("changxing", (Role.COUNTY_STAFF, "330522")),
        "supervisor": user_with("huzhou", (Role.SUPERVISOR, "3305")),
    }


@pytest.fixture
def scheme(db):
    """Annual scheme of 安吉县 2025: 50 + 30 + 20 points; bottom 5 %, at least 1."""
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"), bottom_percent=D("5"), bottom_min=1)
    IndicatorFactory(scheme=scheme, name="环境卫生", max_score=D("50"), order=1)
    IndicatorFactory(scheme=scheme, name="基础设施", max_score=D("30"), order=2)
    IndicatorFactory(scheme=scheme, name="长效管护", max_score=D("20"), order=3)
    return scheme


def _indicators(scheme):
    return list(scheme.indicators.order_by("order"))


def _scores(scheme, *values):
    return {i.pk: (v, f"现场核查{i.order}") for i, v in zip(_indicators(scheme), values)}


def _start(people, scheme, code, period="2025"):
    village = VillageFactory(township_code=code[:9], code=code)
    return services.assessment_start(actor=people["county"], scheme=scheme, village=village, period=period)


def _submitted(people, scheme, code, *values):
    return services.assessment_score(actor=people["county"], assessment=_start(people, scheme, code), scores=_scores(scheme, *values),
                                     submit=True)


def _finalise(people, scheme, county="330523"):
    return services.round_finalise(actor=people["county"], scheme=scheme, period="2025", county_code=county)


def _state():
    return (list(Assessment.objects.order_by("pk").values()), list(IndicatorScore.objects.order_by("pk").values()),
            list(FollowUp.objects.order_by("pk").values()), Promotion.objects.count(), AuditEntry.objects.count())


def _refused(kind, call):
    """Run the call in Chinese; return the exception (message and field errors already rendered in Chinese)."""
    with translation.override("zh-hans"), pytest.raises(kind) as refused:
        call()
    return refused.value


# --- scoring -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, message", [
    ("abc", "请输入数字。"),
    ("50.01", "须在 0 到 50.00 之间。"),
    ("-0.01", "须在 0 到 50.00 之间。"),
])
def test_a_bad_score_is_refused_on_its_field_in_chinese(people, scheme, raw, message):
    assessment = _start(people, scheme, "330523108201")
    first = _indicators(scheme)[0]
    before = _state()
    error = _refused(InvalidInput, lambda: services.assessment_score(
        actor=people["county"], assessment=assessment, scores={first.pk: (raw, "")}))
    assert error.field_errors == {f"score_{first.pk}": [message]}
    assert _state() == before


@pytest.mark.parametrize("raw", ["0", "50", "49.995"])  # 49.995 rounds to 50.00: still within the maximum
def test_scores_at_zero_and_at_the_maximum_are_taken(people, scheme, raw):
    assessment = _start(people, scheme, "330523108201")
    first = _indicators(scheme)[0]
    result = services.assessment_score(actor=people["county"], assessment=assessment, scores={first.pk: (raw, "")})
    assert result.scores.get().score == D(raw).quantize(D("0.01"))


def test_every_unknown_indicator_is_named_and_every_bad_score_too(people, scheme):
    assessment = _start(people, scheme, "330523108201")
    first, second, _third = _indicators(scheme)
    stranger = IndicatorFactory(max_score=D("10"))  # another scheme's indicator
    scores = {stranger.pk: ("5", ""), 999999: ("5", ""), first.pk: ("51", ""), second.pk: ("x", "")}
    error = _refused(InvalidInput, lambda: services.assessment_score(actor=people["county"], assessment=assessment, scores=scores))
    assert error.field_errors == {
        f"score_{stranger.pk}": ["不是本方案的指标。"],
        "score_999999": ["不是本方案的指标。"],
        f"score_{first.pk}": ["须在 0 到 50.00 之间。"],
        f"score_{second.pk}": ["请输入数字。"],
    }


def test_blank_scores_are_skipped_and_the_others_kept(people, scheme):
    """A draft may leave an indicator blank (None or ""), wherever it comes in the form; evidence is stripped, and
    a score without evidence keeps an empty evidence."""
    assessment = _start(people, scheme, "330523108201")
    first, second, third = _indicators(scheme)
    scores = {first.pk: ("", "未评"), second.pk: (None, None), third.pk: ("18", None)}
    services.assessment_score(actor=people["county"], assessment=assessment, scores=scores)
    assert list(IndicatorScore.objects.filter(assessment=assessment).values_list("indicator_id", "score", "evidence")) == [
        (third.pk, D("18.00"), "")]
    services.assessment_score(actor=people["county"], assessment=assessment, scores={first.pk: ("45", "  垃圾分类到位 \n")})
    assert IndicatorScore.objects.get(assessment=assessment, indicator=first).evidence == "垃圾分类到位"
    assessment.refresh_from_db()
    assert assessment.total_score == D("63.00")


def test_submitting_with_blanks_names_each_missing_indicator(people, scheme):
    assessment = _start(people, scheme, "330523108201")
    first, second, third = _indicators(scheme)
    error = _refused(InvalidInput, lambda: services.assessment_score(
        actor=people["county"], assessment=assessment, scores={first.pk: ("40", ""), second.pk: ("", "")}, submit=True))
    assert error.field_errors == {f"score_{second.pk}": ["提交前须评分。"], f"score_{third.pk}": ["提交前须评分。"]}


@pytest.mark.parametrize("status, shown", [(A.SUBMITTED, "已提交"), (A.FINALISED, "已定稿")])
def test_only_a_draft_is_scored(people, scheme, status, shown):
    assessment = _submitted(people, scheme, "330523108201", "40", "20", "10")
    if status == A.FINALISED:
        _finalise(people, scheme)
    before = _state()
    error = _refused(IllegalTransition, lambda: services.assessment_score(
        actor=people["county"], assessment=assessment, scores=_scores(scheme, "1", "1", "1")))
    assert str(error.message) == f"只有草稿状态的考核可以评分；该考核当前为“{shown}”。"
    assert _state() == before


# --- return to draft -----------------------------------------------------------------------------------------


def test_a_submitted_assessment_goes_back_to_draft(people, scheme):
    assessment = _submitted(people, scheme, "330523108201", "40", "20", "10")
    result = services.assessment_return_to_draft(actor=people["county"], assessment=assessment, reason="补充佐证")
    assert result.status == A.DRAFT
    assert Assessment.objects.get(pk=assessment.pk).status == A.DRAFT
    assert Assessment.objects.get(pk=assessment.pk).total_score == D("70.00")  # the scores stay
    # ... and may be scored again.
    services.assessment_score(actor=people["county"], assessment=assessment, scores=_scores(scheme, "50", "30", "20"), submit=True)
    assert Assessment.objects.get(pk=assessment.pk).total_score == D("100.00")


@pytest.mark.parametrize("status", [A.DRAFT, A.FINALISED])
def test_only_a_submitted_assessment_goes_back_to_draft(people, scheme, status):
    assessment = _submitted(people, scheme, "330523108201", "40", "20", "10")
    if status == A.DRAFT:
        services.assessment_return_to_draft(actor=people["county"], assessment=assessment, reason="补充佐证")
    else:
        _finalise(people, scheme)
    before = _state()
    error = _refused(IllegalTransition, lambda: services.assessment_return_to_draft(
        actor=people["county"], assessment=assessment, reason="补充佐证"))
    assert str(error.message) == "只有已提交的考核可以退回草稿。"
    assert _state() == before


@pytest.mark.parametrize("who", ["official", "other_county", "supervisor"])
def test_only_county_staff_return_an_assessment_to_draft(people, scheme, who):
    assessment = _submitted(people, scheme, "330523108201", "40", "20", "10")
    before = _state()
    error = _refused(NotPermitted, lambda: services.assessment_return_to_draft(actor=people[who], assessment=assessment, reason="x"))
    assert error.action == "assessment.manage"
    assert _state() == before


# --- reopening -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reopening_without_a_reason_is_refused_on_the_reason(people, scheme, reason):
    assessment = _submitted(people, scheme, "330523108201", "40", "20", "10")
    _finalise(people, scheme)
    before = _state()
    error = _refused(InvalidInput, lambda: services.assessment_reopen(actor=people["county"], assessment=assessment, reason=reason))
    assert error.field_errors == {"reason": ["请填写重新打开的原因。"]}
    assert _state() == before


@pytest.mark.parametrize("status", [A.DRAFT, A.SUBMITTED])
def test_only_a_finalised_assessment_is_reopened(people, scheme, status):
    assessment = _submitted(people, scheme, "330523108201", "40", "20", "10")
    if status == A.DRAFT:
        services.assessment_return_to_draft(actor=people["county"], assessment=assessment, reason="补充佐证")
    before = _state()
    error = _refused(IllegalTransition, lambda: services.assessment_reopen(actor=people["county"], assessment=assessment, reason="复核"))
    assert str(error.message) == "只有已定稿的考核可以重新打开。"
    assert _state() == before


def test_reopening_twice_counts_twice_and_keeps_the_stripped_reason(people, scheme):
    assessment = _submitted(people, scheme, "330523108201", "40", "20", "10")
    for expected in (1, 2):
        _finalise(people, scheme)
        reopened = services.assessment_reopen(actor=people["county"], assessment=assessment, reason="  复核 ")
        assert Assessment.objects.get(pk=assessment.pk).reopen_count == reopened.reopen_count == expected
        services.assessment_score(actor=people["county"], assessment=assessment, scores={}, submit=True)
    assert AuditEntry.objects.filter(object_id=str(assessment.pk), note="复核").count() == 2


# --- finalising a round --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["33", "3305", "330523108"])
def test_rounds_are_finalised_per_county(people, scheme, code):
    _submitted(people, scheme, "330523108201", "40", "20", "10")
    root = user_with("root", (Role.SUPERVISOR, "33"))
    root.is_superuser = True
    root.save()
    before = _state()
    error = _refused(InvalidInput, lambda: services.round_finalise(actor=root, scheme=scheme, period="2025", county_code=code))
    assert error.field_errors == {"county": ["考核轮次按县定稿。"]}
    assert _state() == before


def test_an_empty_round_is_refused(people, scheme):
    error = _refused(Conflict, lambda: _finalise(people, scheme))
    assert str(error.message) == "本轮没有考核记录。"


def test_drafts_left_in_the_round_are_named(people, scheme):
    _submitted(people, scheme, "330523108201", "40", "20", "10")
    _start(people, scheme, "330523108203")
    _start(people, scheme, "330523001202")
    before = _state()
    error = _refused(Conflict, lambda: _finalise(people, scheme))
    assert str(error.message) == "本轮仍有 2 份考核为草稿，请先提交或移除。"
    assert sorted(error.context["drafts"]) == ["330523001202", "330523108203"]
    assert _state() == before


def test_a_round_is_one_scheme_one_period_one_county(people, scheme):
    """Drafts of another scheme or another county do not hold the round back, and are left as they are."""
    mine = _submitted(people, scheme, "330523108201", "40", "20", "10")
    other_scheme = AssessmentSchemeFactory(name="2025年度专项考核", year=2025, region=region("330523"))
    IndicatorFactory(scheme=other_scheme, max_score=D("100"))
    other_scheme_draft = services.assessment_start(actor=people["county"], scheme=other_scheme, village=mine.village, period="2025")
    # A draft of this scheme in a village of 长兴县 (made directly: the services keep schemes to their region).
    far_draft = AssessmentFactory(scheme=scheme, village=VillageFactory(township_code="330522001", code="330522001201"), period="2025")
    result = _finalise(people, scheme)
    assert (result["finalised"], result["ranked"]) == (1, 1)
    assert Assessment.objects.get(pk=mine.pk).status == A.FINALISED
    assert Assessment.objects.get(pk=other_scheme_draft.pk).status == A.DRAFT
    assert Assessment.objects.get(pk=far_draft.pk).status == A.DRAFT


def test_follow_ups_are_listed_by_rank_then_village(people, scheme):
    """The bottom group's follow-ups come back in rank order (ties by village code), not in code order."""
    scheme.bottom_min = 3
    scheme.save()
    _submitted(people, scheme, "330523108201", "10", "0", "0")  # 10: last
    _submitted(people, scheme, "330523108209", "20", "0", "0")  # 20: tied 2nd-to-last, larger code
    _submitted(people, scheme, "330523108205", "20", "0", "0")  # 20: tied 2nd-to-last, smaller code
    _submitted(people, scheme, "330523108202", "50", "30", "20")
    result = _finalise(people, scheme)
    assert [(f.village_id, f.rank) for f in result["follow_ups"]] == [
        ("330523108205", 2), ("330523108209", 2), ("330523108201", 4)]


# --- starting a round ----------------------------------------------------------------------------------------


def test_a_round_starts_once_for_each_village_of_the_scheme(people):
    scheme = AssessmentSchemeFactory(name="2025年度示范村考核", year=2025, region=region("330523"), category="demonstration")
    IndicatorFactory(scheme=scheme, max_score=D("100"))
    for code in ("330523108201", "330523001202"):
        VillageFactory(township_code=code[:9], code=code, category="demonstration")
    VillageFactory(township_code="330523108", code="330523108203", category="renovation")  # not this scheme's
    VillageFactory(township_code="330522001", code="330522001204", category="demonstration")  # another county
    count = services.round_start(actor=people["county"], scheme=scheme, period="2025-H1", county_code="330523")
    assert count == 2
    assert sorted(Assessment.objects.filter(period="2025-H1").values_list("village_id", flat=True)) == ["330523001202", "330523108201"]
    # Again: nothing new. Another period of the same scheme: both again.
    assert services.round_start(actor=people["county"], scheme=scheme, period="2025-H1", county_code="330523") == 0
    assert services.round_start(actor=people["county"], scheme=scheme, period="2025-H2", county_code="330523") == 2
    # Another scheme in the same period: both again, its assessments do not count for this one.
    other = AssessmentSchemeFactory(name="2025年度专项考核", year=2025, region=region("330523"), category="demonstration")
    IndicatorFactory(scheme=other, max_score=D("100"))  # a scheme without indicators cannot be assessed under
    assert services.round_start(actor=people["county"], scheme=other, period="2025-H1", county_code="330523") == 2
    assert Assessment.objects.count() == 6


@pytest.mark.parametrize("who", ["supervisor", "official", "other_county"])
def test_a_round_is_started_only_by_the_countys_staff(people, scheme, who):
    VillageFactory(township_code="330523108", code="330523108201")
    assert services.round_start(actor=people[who], scheme=scheme, period="2025", county_code="330523") == 0
    assert Assessment.objects.count() == 0


# --- follow-ups ----------------------------------------------------------------------------------------------


@pytest.fixture
def follow_up(people, scheme):
    _submitted(people, scheme, "330523108201", "40", "20", "10")
    _submitted(people, scheme, "330523108202", "10", "5", "1")
    _finalise(people, scheme)
    return FollowUp.objects.get(village_id="330523108202")


def _talk(people, follow_up, on=YESTERDAY, notes="约谈村书记"):
    return services.follow_up_record_talk(actor=people["official"], follow_up=follow_up, held_on=on, notes=notes)


def _rectify(people, follow_up, on=YESTERDAY, text="完成垃圾分类点改造"):
    return services.follow_up_record_rectification(actor=people["official"], follow_up=follow_up, rectified_on=on, rectification=text)


def _close(people, follow_up, on=TODAY, notes="复查合格"):
    return services.follow_up_close(actor=people["county"], follow_up=follow_up, reinspected_on=on, notes=notes)


@pytest.mark.parametrize("step, date_field, text_field", [
    ("talk", "talk_held_on", "talk_notes"),
    ("rectification", "rectified_on", "rectification"),
    ("close", "reinspected_on", "reinspection_notes"),
])
@pytest.mark.parametrize("on, text, field, message", [
    (None, "记录", "date", "请输入日期。"),
    ("2025-01-01", "记录", "date", "请输入日期。"),
    (TOMORROW, "记录", "date", "日期不能晚于今天。"),
    (TODAY, None, "text", "此字段为必填项。"),
    (TODAY, "  ", "text", "此字段为必填项。"),
])
def test_each_step_needs_a_past_date_and_its_notes(people, follow_up, step, date_field, text_field, on, text, field, message):
    if step in ("rectification", "close"):
        _talk(people, follow_up, on=YESTERDAY - datetime.timedelta(days=1))
    if step == "close":
        _rectify(people, follow_up, on=YESTERDAY - datetime.timedelta(days=1))
    before = _state()
    error = _refused(InvalidInput, lambda: services.follow_up_advance(
        actor=people["county"], follow_up=follow_up, step=step, on=on, text=text))
    assert error.field_errors == {date_field if field == "date" else text_field: [message]}
    assert _state() == before


def test_the_steps_come_in_order_with_their_dates(people, follow_up):
    with translation.override("zh-hans"):
        assert str(_refused(IllegalTransition, lambda: _rectify(people, follow_up)).message) == "请先登记约谈，再登记整改。"
        assert str(_refused(IllegalTransition, lambda: _close(people, follow_up)).message) == "只有已整改的跟进事项才能通过复查关闭。"
    talked = _talk(people, follow_up, on=YESTERDAY, notes="  约谈村书记 ")
    assert (talked.status, talked.talk_held_on, talked.talk_notes) == (FollowUpStatus.TALK_HELD, YESTERDAY, "约谈村书记")
    assert str(_refused(IllegalTransition, lambda: _talk(people, follow_up)).message) == "约谈已登记。"
    error = _refused(InvalidInput, lambda: _rectify(people, follow_up, on=YESTERDAY - datetime.timedelta(days=1)))
    assert error.field_errors == {"rectified_on": ["整改日期不能早于约谈日期。"]}
    rectified = _rectify(people, follow_up, on=YESTERDAY)  # the same day as the talk is fine
    assert (rectified.status, rectified.rectified_on, rectified.rectification) == (FollowUpStatus.RECTIFIED, YESTERDAY, "完成垃圾分类点改造")
    error = _refused(InvalidInput, lambda: _close(people, follow_up, on=YESTERDAY - datetime.timedelta(days=1)))
    assert error.field_errors == {"reinspected_on": ["复查日期不能早于整改日期。"]}
    closed = _close(people, follow_up, on=TODAY)
    stored = FollowUp.objects.get(pk=follow_up.pk)
    assert (closed.status, stored.status, stored.reinspected_on, stored.reinspection_notes) == (
        FollowUpStatus.CLOSED, FollowUpStatus.CLOSED, TODAY, "复查合格")
    assert (stored.talk_held_on, stored.rectified_on) == (YESTERDAY, YESTERDAY)


# --- promotion -----------------------------------------------------------------------------------------------


@pytest.fixture
def acceptance(db):
    scheme = AssessmentSchemeFactory(name="示范村验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"),
                                     category="renovation")
    IndicatorFactory(scheme=scheme, name="验收指标", max_score=D("100"))
    return scheme


def _accepted(people, scheme, score="85", finalise=True, category="renovation"):
    village = VillageFactory(code="330523108204", category=category)
    a = services.assessment_start(actor=people["county"], scheme=scheme, village=village, period="2025")
    a = services.assessment_score(actor=people["county"], assessment=a, scores=_scores(scheme, score), submit=True)
    if finalise:
        _finalise(people, scheme)
    return Assessment.objects.get(pk=a.pk)


def test_the_promotion_records_who_and_when_and_refreshes_the_village_stats(people, acceptance, django_capture_on_commit_callbacks, eager_celery):
    assessment = _accepted(people, acceptance)
    with django_capture_on_commit_callbacks(execute=True):
        promotion = services.village_promote(actor=people["county"], assessment=assessment, on_date=YESTERDAY)
    stored = Promotion.objects.get(pk=promotion.pk)
    assert (stored.actor, stored.promoted_on, stored.assessment_id, stored.village_id) == (
        people["county"], YESTERDAY, assessment.pk, "330523108204")
    assert (stored.from_category, stored.to_category) == ("renovation", "demonstration")
    assert VillageStats.objects.get(village_id="330523108204").category == "demonstration"


def test_a_promotion_without_a_date_is_dated_today(people, acceptance):
    promotion = services.village_promote(actor=people["county"], assessment=_accepted(people, acceptance))
    assert Promotion.objects.get(pk=promotion.pk).promoted_on == TODAY


def test_only_an_acceptance_promotes(people, scheme):
    village = VillageFactory(code="330523108204", category="renovation")
    a = services.assessment_start(actor=people["county"], scheme=scheme, village=village, period="2025")
    services.assessment_score(actor=people["county"], assessment=a, scores=_scores(scheme, "50", "30", "20"), submit=True)
    _finalise(people, scheme)
    before = _state()
    error = _refused(Conflict, lambda: services.village_promote(actor=people["county"], assessment=a))
    assert str(error.message) == "只有验收考核才能作为晋级依据。"
    assert _state() == before


@pytest.mark.parametrize("score, finalise", [("85", False), ("59.99", True)])
def test_the_acceptance_must_be_finalised_and_passed(people, acceptance, score, finalise):
    assessment = _accepted(people, acceptance, score=score, finalise=finalise)
    before = _state()
    error = _refused(Conflict, lambda: services.village_promote(actor=people["county"], assessment=assessment))
    assert str(error.message) == "验收须已定稿且合格。"
    assert _state() == before


def test_a_passed_acceptance_at_the_pass_threshold_promotes(people, acceptance):
    assessment = _accepted(people, acceptance, score="60")
    assert services.village_promote(actor=people["county"], assessment=assessment).to_category == "demonstration"


def test_the_acceptance_must_match_the_next_category(people):
    boutique = AssessmentSchemeFactory(name="精品村验收", kind=SchemeKind.BOUTIQUE_ACCEPTANCE, year=2025, region=region("330523"))
    IndicatorFactory(scheme=boutique, max_score=D("100"))
    assessment = _accepted(people, boutique, category="renovation")
    before = _state()
    error = _refused(Conflict, lambda: services.village_promote(actor=people["county"], assessment=assessment))
    assert str(error.message) == "此验收对应晋级为“精品村”，但该村当前为“整治村”。"
    assert _state() == before


def test_an_acceptance_justifies_one_promotion_only(people, acceptance):
    """Even when the village was set back to its former category meanwhile (by the admin)."""
    assessment = _accepted(people, acceptance)
    services.village_promote(actor=people["county"], assessment=assessment)
    from villages.models import Village

    Village.objects.filter(pk="330523108204").update(category="renovation")
    before = _state()
    error = _refused(Conflict, lambda: services.village_promote(actor=people["county"], assessment=assessment))
    assert str(error.message) == "此验收已用于晋级。"
    assert _state() == before
    assert Village.objects.get(pk="330523108204").category == "renovation"


def test_an_assessment_a_promotion_rests_on_is_not_reopened(people, acceptance):
    assessment = _accepted(people, acceptance)
    services.village_promote(actor=people["county"], assessment=assessment)
    before = _state()
    error = _refused(Conflict, lambda: services.assessment_reopen(actor=people["county"], assessment=assessment, reason="复核"))
    assert str(error.message) == "已有晋级以此考核为依据，不能重新打开。"
    assert _state() == before
