"""Schemes and indicators configured by county and city staff (issue 18, item 16): the scope of each role, every
refusal on its field with nothing written, the freeze once an assessment uses a scheme, and the yearly copy."""
from decimal import Decimal

import pytest
from django.utils import translation

from assessment import services
from assessment.models import Assessment, AssessmentScheme, Indicator
from core.exceptions import InvalidInput, NotPermitted
from core.models import AuditAction, AuditEntry, Role
from tests.factories import AssessmentSchemeFactory, IndicatorFactory, VillageFactory, region, user_with

D = Decimal


@pytest.fixture
def people(db):
    return {
        "county": user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "other_county": user_with("changxing", (Role.COUNTY_STAFF, "330522")),
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "city": user_with("huzhou", (Role.SUPERVISOR, "3305")),
        "province": user_with("zhejiang", (Role.SUPERVISOR, "33")),
        "far_city": user_with("hangzhou", (Role.SUPERVISOR, "3301")),
        "api": user_with("platform", (Role.API_CLIENT, "33")),
    }


@pytest.fixture
def scheme(db):
    """安吉县's 2025 annual scheme: 环境卫生 60 + 长效管护 40, used by no assessment yet."""
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025, region=region("330523"))
    IndicatorFactory(scheme=scheme, name="环境卫生", max_score=D("60"), order=1)
    IndicatorFactory(scheme=scheme, name="长效管护", max_score=D("40"), order=2)
    return scheme


def _data(**values):
    return {"name": "2026年度村庄整治考核", "kind": "annual", "year": 2026, "category": "", "region": region("330523"),
            "excellent_min": D("90"), "good_min": D("80"), "pass_min": D("60"), "bottom_percent": D("5"), "bottom_min": 1,
            "follow_up_days": 60, **values}


def _state():
    return (list(AssessmentScheme.objects.order_by("pk").values()), list(Indicator.objects.order_by("pk").values()),
            list(Assessment.objects.order_by("pk").values()), AuditEntry.objects.count())


def _messages(error):
    return {key: [str(m) for m in value] for key, value in error.field_errors.items()}


def _start(people, scheme, code="330523108204"):
    village = VillageFactory(township_code=code[:9], code=code)
    return services.assessment_start(actor=people["county"], scheme=scheme, village=village, period=str(scheme.year))


# --- who issues for where ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, code", [
    ("county", "330523"),  # a county's staff for their county
    ("city", "3305"),  # a city's staff for their city ...
    ("city", "330523"),  # ... and for a county under it
    ("province", "33"),
    ("province", "330523"),
])
def test_staff_issue_schemes_for_their_region_and_below(people, who, code):
    scheme = services.scheme_create(actor=people[who], data=_data(region=region(code)))
    assert (scheme.region_id, scheme.name, scheme.year) == (code, "2026年度村庄整治考核", 2026)
    entry = AuditEntry.objects.get(object_id=str(scheme.pk), content_type__model="assessmentscheme")
    assert (entry.action, entry.actor, entry.changes["region"]) == (AuditAction.CREATE, people[who], [None, code])


@pytest.mark.parametrize("who, code", [
    ("official", "330523"),  # township officials never configure schemes
    ("official", "330523108"),
    ("other_county", "330523"),  # another county
    ("county", "3305"),  # not above their own county
    ("city", "33"),  # not above their own city
    ("far_city", "330523"),  # another city's county
    ("api", "330523"),
])
def test_nobody_issues_outside_their_region_nor_above_it(people, who, code):
    before = _state()
    with pytest.raises(NotPermitted):
        services.scheme_create(actor=people[who], data=_data(region=region(code)))
    assert _state() == before


def test_a_township_does_not_issue_schemes(people):
    before = _state()
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.scheme_create(actor=people["county"], data=_data(region=region("330523108")))
    assert _messages(refused.value) == {"region": ["Schemes are issued by a province, a city or a county."]}
    assert _state() == before


def test_the_model_defaults_fill_what_is_not_given(people):
    scheme = services.scheme_create(actor=people["county"], data={"name": "2026年度考核", "kind": "annual", "year": 2026,
                                                                   "region": region("330523")})
    assert (scheme.excellent_min, scheme.good_min, scheme.pass_min, scheme.category) == (D("90"), D("80"), D("60"), "")
    assert (scheme.bottom_percent, scheme.bottom_min, scheme.follow_up_days) == (D("5"), 1, 60)


# --- each refusal on its field, nothing written --------------------------------------------------------------------

@pytest.mark.parametrize("values, errors", [
    ({"good_min": D("60")}, {"good_min": ["Must be above the minimum for pass (60.00)."]}),
    ({"excellent_min": D("80")}, {"excellent_min": ["Must be above the minimum for good (80.00)."]}),
    ({"excellent_min": D("70"), "good_min": D("75"), "pass_min": D("80")},
     {"good_min": ["Must be above the minimum for pass (80.00)."], "excellent_min": ["Must be above the minimum for good (75.00)."]}),
    ({"pass_min": D("-1")}, {"pass_min": ["Between 0 and 9999.99."]}),
    ({"bottom_percent": D("101")}, {"bottom_percent": ["Between 0 and 100."]}),
    ({"follow_up_days": 0}, {"follow_up_days": ["Between 1 and 3650."]}),
    ({"year": 2002}, {"year": ["Between 2003 and 2100."]}),
    ({"name": "  "}, {"name": ["This field is required."]}),
    ({"kind": "monthly"}, {"kind": ["Choose a kind of scheme."]}),
    ({"category": "capital"}, {"category": ["Choose a village category, or none for every village."]}),
    ({"excellent_min": "abc"}, {"excellent_min": ["Enter a number."]}),
    ({"excellent_min": "NaN"}, {"excellent_min": ["Enter a number."]}),
    ({"excellent_min": "1e30"}, {"excellent_min": ["Enter a number."]}),
], ids=["good_not_above_pass", "excellent_not_above_good", "all_reversed", "negative_pass", "bottom_percent", "days",
        "year", "name", "kind", "category", "not_a_number", "nan", "too_large"])
def test_each_refusal_of_a_scheme_names_its_field(people, values, errors):
    before = _state()
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.scheme_create(actor=people["county"], data=_data(**values))
    assert _messages(refused.value) == errors
    assert _state() == before


def test_the_refusal_is_in_chinese(people):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        services.scheme_create(actor=people["county"], data=_data(excellent_min=D("80")))
    assert "80.00" in refused.value.field_errors["excellent_min"][0] and "良好" in refused.value.field_errors["excellent_min"][0]


def test_a_region_has_one_scheme_of_a_name_a_year(people, scheme):
    before = _state()
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.scheme_create(actor=people["county"], data=_data(name=scheme.name, year=2025))
    assert _messages(refused.value) == {"name": ["This region already has a scheme of that name for that year."]}
    assert _state() == before
    # Another year, or another region, may use the name.
    assert services.scheme_create(actor=people["county"], data=_data(name=scheme.name, year=2026)).year == 2026
    assert services.scheme_create(actor=people["city"], data=_data(name=scheme.name, year=2025, region=region("3305")))


def test_fields_the_service_does_not_set_are_refused(people, scheme):
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        services.scheme_update(actor=people["county"], scheme=scheme, data={"region": region("3305")})
    assert set(refused.value.field_errors) == {"region"}
    with pytest.raises(InvalidInput):
        services.indicator_add(actor=people["county"], scheme=scheme, data={"scheme": scheme, "name": "x"})
    assert _state() == before


# --- editing while unused; frozen once used --------------------------------------------------------------------------

def test_an_unused_scheme_is_edited_and_audited(people, scheme):
    updated = services.scheme_update(actor=people["county"], scheme=scheme, data={
        "name": "2025年度村庄整治考核（修订）", "excellent_min": D("85"), "good_min": D("75"), "bottom_min": 3})
    scheme.refresh_from_db()
    assert (scheme.name, scheme.excellent_min, scheme.good_min, scheme.pass_min, scheme.bottom_min) == (
        "2025年度村庄整治考核（修订）", D("85"), D("75"), D("60"), 3)
    assert updated == scheme
    entry = AuditEntry.objects.filter(object_id=str(scheme.pk), content_type__model="assessmentscheme").get()
    assert entry.action == AuditAction.UPDATE and entry.actor == people["county"]
    assert entry.changes == {"name": ["2025年度村庄整治考核", "2025年度村庄整治考核（修订）"], "excellent_min": ["90.00", "85.00"],
                             "good_min": ["80.00", "75.00"], "bottom_min": [1, 3]}


def test_saving_the_same_values_writes_no_audit_row(people, scheme):
    services.scheme_update(actor=people["county"], scheme=scheme, data={"name": scheme.name})
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("who", ["official", "other_county", "far_city", "api"])
def test_others_cannot_edit_the_scheme(people, scheme, who):
    indicator = scheme.indicators.first()
    before = _state()
    with pytest.raises(NotPermitted):
        services.scheme_update(actor=people[who], scheme=scheme, data={"name": "改名"})
    with pytest.raises(NotPermitted):
        services.indicator_add(actor=people[who], scheme=scheme, data={"category": "environment", "name": "新指标", "max_score": "5"})
    with pytest.raises(NotPermitted):
        services.indicator_update(actor=people[who], indicator=indicator, data={"max_score": "10"})
    with pytest.raises(NotPermitted):
        services.indicator_remove(actor=people[who], indicator=indicator)
    with pytest.raises(NotPermitted):
        services.scheme_delete(actor=people[who], scheme=scheme)
    assert _state() == before


def test_a_county_cannot_edit_its_citys_scheme_it_reads(people):
    city_scheme = AssessmentSchemeFactory(name="湖州市年度考核", year=2025, region=region("3305"))
    before = _state()
    with pytest.raises(NotPermitted):
        services.scheme_update(actor=people["county"], scheme=city_scheme, data={"name": "改名"})
    assert _state() == before
    assert services.scheme_update(actor=people["city"], scheme=city_scheme, data={"name": "湖州市年度考核（修订）"}).name == "湖州市年度考核（修订）"


def test_a_scheme_freezes_once_an_assessment_starts_under_it(people, scheme):
    assert not services.scheme_in_use(scheme)
    services.scheme_update(actor=people["county"], scheme=scheme, data={"follow_up_days": 45})  # still open
    assessment = _start(people, scheme)
    assert assessment.status == "draft" and services.scheme_in_use(scheme)
    indicator = scheme.indicators.first()
    before = _state()
    calls = [
        lambda: services.scheme_update(actor=people["county"], scheme=scheme, data={"name": "改名"}),
        lambda: services.indicator_add(actor=people["county"], scheme=scheme, data={"category": "environment", "name": "新指标", "max_score": "5"}),
        lambda: services.indicator_update(actor=people["county"], indicator=indicator, data={"max_score": "10"}),
        lambda: services.indicator_remove(actor=people["county"], indicator=indicator),
        lambda: services.scheme_delete(actor=people["county"], scheme=scheme),
    ]
    for call in calls:
        with translation.override("zh-hans"), pytest.raises(services.SchemeFrozen) as refused:
            call()
        assert str(refused.value.message) == "已有考核使用此方案，不可再修改；可复制为新方案。"
        assert refused.value.status == 409 and refused.value.code == "scheme_frozen"
    assert _state() == before


def test_the_city_too_is_refused_on_a_frozen_scheme(people, scheme):
    _start(people, scheme)
    before = _state()
    with pytest.raises(services.SchemeFrozen):
        services.scheme_update(actor=people["city"], scheme=scheme, data={"name": "改名"})
    assert _state() == before


def test_a_scheme_without_indicators_cannot_be_assessed_under(people):
    empty = AssessmentSchemeFactory(name="2025年度新方案", year=2025, region=region("330523"))
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        _start(people, empty)
    assert _messages(refused.value) == {"scheme": ["The scheme has no indicators yet; add them before assessing under it."]}
    assert not Assessment.objects.exists() and not services.scheme_in_use(empty)


def test_an_unused_scheme_is_deleted_with_its_indicators(people, scheme):
    ids = list(scheme.indicators.values_list("pk", flat=True))
    services.scheme_delete(actor=people["county"], scheme=scheme)
    assert not AssessmentScheme.objects.filter(pk=scheme.pk).exists() and not Indicator.objects.filter(pk__in=ids).exists()
    deleted = AuditEntry.objects.filter(action=AuditAction.DELETE)
    assert sorted(deleted.values_list("content_type__model", flat=True)) == ["assessmentscheme", "indicator", "indicator"]


# --- indicators ------------------------------------------------------------------------------------------------------

def test_indicators_are_added_last_edited_and_removed(people, scheme):
    county = people["county"]
    added = services.indicator_add(actor=county, scheme=scheme, data={
        "category": "infrastructure", "name": " 村道硬化 ", "description": "通达率", "max_score": "20", "order": None})
    assert (added.name, added.order, added.max_score, added.scheme_id) == ("村道硬化", 3, D("20.00"), scheme.pk)
    first = scheme.indicators.get(name="环境卫生")
    services.indicator_update(actor=county, indicator=first, data={"max_score": "40", "order": 4})
    first.refresh_from_db()
    assert (first.max_score, first.order) == (D("40.00"), 4)
    assert list(scheme.indicators.values_list("name", flat=True)) == ["长效管护", "村道硬化", "环境卫生"]
    services.indicator_remove(actor=county, indicator=added)
    assert list(scheme.indicators.values_list("name", flat=True)) == ["长效管护", "环境卫生"]


@pytest.mark.parametrize("values, errors", [
    ({"max_score": "0"}, {"max_score": ["More than 0, at most 9999.99."]}),
    ({"max_score": "-5"}, {"max_score": ["More than 0, at most 9999.99."]}),
    ({"max_score": "十"}, {"max_score": ["Enter a number."]}),
    ({"name": ""}, {"name": ["This field is required."]}),
    ({"name": "环境卫生"}, {"name": ["The scheme already has an indicator of that name."]}),
    ({"category": "beauty"}, {"category": ["Choose an indicator category."]}),
    ({"order": -1}, {"order": ["Between 0 and 32767."]}),
], ids=["zero", "negative", "not_a_number", "no_name", "name_taken", "category", "order"])
def test_each_refusal_of_an_indicator_names_its_field(people, scheme, values, errors):
    before = _state()
    data = {"category": "environment", "name": "垃圾分类", "description": "", "max_score": "10", "order": 3, **values}
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.indicator_add(actor=people["county"], scheme=scheme, data=data)
    assert _messages(refused.value) == errors
    assert _state() == before


def test_an_indicator_keeps_its_own_name_when_edited(people, scheme):
    first = scheme.indicators.get(name="环境卫生")
    services.indicator_update(actor=people["county"], indicator=first, data={"name": "环境卫生", "max_score": "55"})
    with pytest.raises(InvalidInput):
        services.indicator_update(actor=people["county"], indicator=first, data={"name": "长效管护"})
    first.refresh_from_db()
    assert (first.name, first.max_score) == ("环境卫生", D("55.00"))


# --- copying to a new year -------------------------------------------------------------------------------------------

def test_last_years_frozen_scheme_is_copied_to_a_new_year(people, scheme):
    services.scheme_update(actor=people["county"], scheme=scheme, data={"excellent_min": D("92"), "bottom_min": 2})
    _start(people, scheme)  # frozen now
    copy = services.scheme_copy(actor=people["county"], scheme=scheme, year=2026)
    assert (copy.name, copy.year, copy.region_id, copy.kind) == ("2026年度村庄整治考核", 2026, "330523", scheme.kind)
    assert (copy.excellent_min, copy.good_min, copy.pass_min, copy.bottom_min) == (D("92"), D("80"), D("60"), 2)
    assert list(copy.indicators.values_list("order", "name", "max_score")) == [(1, "环境卫生", D("60")), (2, "长效管护", D("40"))]
    assert list(scheme.indicators.values_list("name", flat=True)) == ["环境卫生", "长效管护"]  # the source keeps its own
    assert not services.scheme_in_use(copy)
    services.indicator_update(actor=people["county"], indicator=copy.indicators.get(name="环境卫生"), data={"max_score": "50"})
    rows = AuditEntry.objects.filter(action=AuditAction.CREATE, note=f"copy of #{scheme.pk} {scheme}")
    assert sorted(rows.values_list("content_type__model", flat=True)) == ["assessmentscheme", "indicator", "indicator"]


def test_a_copy_may_be_named_and_a_county_may_adopt_its_citys_scheme(people):
    city_scheme = AssessmentSchemeFactory(name="湖州市美丽乡村考核", year=2025, region=region("3305"))
    IndicatorFactory(scheme=city_scheme, name="美丽庭院", max_score=D("100"))
    copy = services.scheme_copy(actor=people["county"], scheme=city_scheme, year=2025, name="安吉县美丽乡村考核",
                                region=region("330523"))
    assert (copy.region_id, copy.name, copy.indicators.get().name) == ("330523", "安吉县美丽乡村考核", "美丽庭院")


def test_a_copy_is_refused_where_the_actor_may_not_issue_or_read(people, scheme):
    before = _state()
    with pytest.raises(NotPermitted):  # the county copies into its own county only
        services.scheme_copy(actor=people["county"], scheme=scheme, year=2026, region=region("3305"))
    with pytest.raises(NotPermitted):  # a township official reads the scheme but does not configure
        services.scheme_copy(actor=people["official"], scheme=scheme, year=2026)
    with pytest.raises(NotPermitted):  # another county does not even read it
        services.scheme_copy(actor=people["other_county"], scheme=scheme, year=2026, region=region("330522"))
    with translation.override("en"), pytest.raises(InvalidInput) as refused:  # the same name in the same year
        services.scheme_copy(actor=people["county"], scheme=scheme, year=2025)
    assert _messages(refused.value) == {"name": ["This region already has a scheme of that name for that year."]}
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.scheme_copy(actor=people["county"], scheme=scheme, year="明年")
    assert _messages(refused.value) == {"year": ["Enter a whole number."]}
    assert _state() == before


@pytest.mark.parametrize("name, from_year, to_year, expected", [
    ("2025年度村庄整治考核", 2025, 2026, "2026年度村庄整治考核"),
    ("年度村庄整治考核", 2025, 2026, "年度村庄整治考核"),
    ("2025年度考核", 2025, 2025, "2025年度考核"),
])
def test_the_copys_name_follows_the_year(name, from_year, to_year, expected):
    assert services.copy_name(name, from_year, to_year) == expected
