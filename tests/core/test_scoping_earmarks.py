"""The object-level gate (scoping.can) for rows administered above the user: an earmarked fund is seen from below only
on its target's line — the target is the user's region, above it or below it — and can() agrees with restrict()
row by row. Also the background readers (reader_of, SYSTEM) as they are named in jobs and logs."""
from decimal import Decimal

import pytest

from assessment.models import AssessmentScheme
from core import scoping
from core.models import Role
from funding.models import FundingSource
from tests.factories import AssessmentSchemeFactory, FundingSourceFactory, VillageFactory, region, user_with


def _fund(name, code, kind="provincial_special", **targets):
    return FundingSourceFactory(name=name, kind=kind, region=region(code), total_amount=Decimal("3000000"), **targets)


@pytest.fixture
def funds(db):
    yucun = VillageFactory(township_code="330523108", code="330523108201")
    xiajiang = VillageFactory(township_code="330127106", code="330127106201")
    return {
        "province": _fund("浙江省乡村振兴专项资金", "33"),
        "for_anji": _fund("浙江省专项资金（安吉县）", "33", beneficiary_region=region("330523")),
        "for_tianhuangping": _fund("浙江省专项资金（天荒坪镇）", "33", beneficiary_region=region("330523108")),
        "for_huzhou": _fund("浙江省专项资金（湖州市）", "33", beneficiary_region=region("3305")),
        "for_chunan": _fund("浙江省专项资金（淳安县）", "33", beneficiary_region=region("330127")),
        "for_changxing": _fund("浙江省专项资金（长兴县）", "33", beneficiary_region=region("330522")),
        "for_yucun": _fund("湖州市社会捐赠（余村）", "3305", kind="social_donation", village=yucun),
        "for_xiajiang": _fund("杭州市社会捐赠（下姜村）", "3301", kind="social_donation", village=xiajiang),
        "county_own": _fund("安吉县财政预算", "330523", kind="county_budget"),
    }


# Who sees which of the funds above (and their own county's budget).
SEEN = {
    # 天荒坪镇: earmarks for its county, city, itself and its village; not for 长兴县 or 淳安县.
    "official": {"province", "for_anji", "for_tianhuangping", "for_huzhou", "for_yucun", "county_own"},
    # 安吉县: also the earmark for its township below it.
    "county": {"province", "for_anji", "for_tianhuangping", "for_huzhou", "for_yucun", "county_own"},
    # 长兴县 staff: the province's general fund, the earmarks for its city and itself only.
    "changxing": {"province", "for_huzhou", "for_changxing"},
    # 湖州市's supervisor: every earmark inside 湖州市, none for 淳安县 (杭州市).
    "supervisor": {"province", "for_anji", "for_tianhuangping", "for_huzhou", "for_changxing", "for_yucun", "county_own"},
    # 淳安县's staff.
    "chunan": {"province", "for_chunan", "for_xiajiang"},
}
USERS = {
    "official": (Role.TOWNSHIP_OFFICIAL, "330523108"),
    "county": (Role.COUNTY_STAFF, "330523"),
    "changxing": (Role.COUNTY_STAFF, "330522"),
    "supervisor": (Role.SUPERVISOR, "3305"),
    "chunan": (Role.COUNTY_STAFF, "330127"),
}


@pytest.mark.parametrize("who", list(USERS))
def test_earmarked_funds_are_seen_from_below_only_on_their_line(funds, who):
    user = user_with(who, USERS[who])
    seen_one_by_one = {name for name, fund in funds.items() if scoping.can(user, "view", fund)}
    assert seen_one_by_one == SEEN[who]
    assert set(scoping.restrict(FundingSource.objects.all(), user)) == {funds[name] for name in SEEN[who]}


def test_a_user_with_several_grants_sees_the_union_of_their_lines(funds):
    both = user_with("both", (Role.TOWNSHIP_OFFICIAL, "330523108"), (Role.COUNTY_STAFF, "330127"))
    expected = SEEN["official"] | SEEN["chunan"]
    assert {name for name, fund in funds.items() if scoping.can(both, "view", fund)} == expected
    assert set(scoping.restrict(FundingSource.objects.all(), both)) == {funds[name] for name in expected}


def test_earmarks_do_not_widen_managing_a_fund(funds):
    """Seen from below is for reading only: managing a fund needs it in the county (or at the supervisor's level)."""
    county = user_with("county", USERS["county"])
    assert {name for name, fund in funds.items() if scoping.can(county, "funding_source.manage", fund)} == {"county_own"}
    supervisor = user_with("supervisor", USERS["supervisor"])
    assert {name for name, fund in funds.items() if scoping.can(supervisor, "funding_source.manage", fund)} == {"for_yucun"}


def test_schemes_issued_above_are_seen_from_below_by_object_too(db):
    """A scheme has no earmark targets: one issued by the city is seen by every county and township below it."""
    city = AssessmentSchemeFactory(name="湖州市年度考核", year=2025, region=region("3305"))
    hangzhou = AssessmentSchemeFactory(name="杭州市年度考核", year=2025, region=region("3301"))
    official = user_with("official", USERS["official"])
    assert scoping.can(official, "view", city) and not scoping.can(official, "view", hangzhou)
    assert list(scoping.restrict(AssessmentScheme.objects.all(), official)) == [city]
    assert not scoping.can(official, "assessment.manage", city)


@pytest.mark.parametrize("code, role", [
    ("33", Role.SUPERVISOR), ("3305", Role.SUPERVISOR), ("330523", Role.COUNTY_STAFF), ("330523108", Role.TOWNSHIP_OFFICIAL),
])
def test_reader_of_a_region_holds_its_levels_role_there_only(db, code, role):
    reader = scoping.reader_of(code)
    assert (reader.username, str(reader)) == (f"reader:{code}", f"reader:{code}")
    assert scoping.grants(reader) == (scoping.Grant(role, code),)
    assert scoping.roles_of(reader) == {role}
    assert not scoping.is_unrestricted(reader)


def test_the_system_reader_is_named_system_and_unrestricted():
    assert (str(scoping.SYSTEM), scoping.SYSTEM.username) == ("system", "system")
    assert scoping.is_unrestricted(scoping.SYSTEM)
