"""Plan against actual (dashboard.targets, the dashboard's panel): actuals of the year and area, children behind
schedule first, the in-plan share, a fixed number of queries."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Promotion
from core.models import Role
from dashboard.stats import rebuild
from dashboard.targets import plan_share, target_progress
from planning.models import ExceptionStatus, PlanCitation
from projects.models import ProjectStatus as S
from tests.factories import (
    AssessmentFactory,
    CreationListEntryFactory,
    ProjectFactory,
    TargetFactory,
    VillageFactory,
    project_in,
    region,
    user_with,
)

D = Decimal
YEAR = 2025


def _accepted(village, kind="sewage", output="3", on=datetime.date(YEAR, 6, 1), **kw):
    return project_in(S.ACCEPTED, village=village, type=kind, actual_output=D(output), accepted_on=on, **kw)


def _promote(village, to="demonstration", on=datetime.date(YEAR, 7, 1)):
    return Promotion.objects.create(village=village, from_category="renovation", to_category=to, promoted_on=on,
                                    assessment=AssessmentFactory(village=village))


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def place(db):
    tianhuangping, dipu = region("330523108"), region("330523001")
    yucun = VillageFactory(code="330523108204")
    lujia = VillageFactory(township_code="330523001", code="330523001211")
    TargetFactory(region=region("330523"), year=YEAR, kind="sewage", quantity=D("10"))
    TargetFactory(region=tianhuangping, year=YEAR, kind="sewage", quantity=D("4"))
    TargetFactory(region=dipu, year=YEAR, kind="sewage", quantity=D("6"))
    TargetFactory(region=region("330523"), year=YEAR, kind="new_demonstration", quantity=D("2"))
    return {"yucun": yucun, "lujia": lujia}


def _kind(progress, kind):
    return next(k for k in progress.kinds if k.kind == kind)


def test_actuals_count_the_accepted_output_of_the_year_and_area(place, county):
    yucun, lujia = place["yucun"], place["lujia"]
    _accepted(yucun, output="2.5")
    _accepted(lujia, output="1")
    # Not counted: another year, another type, not accepted, another county.
    _accepted(yucun, output="100", on=datetime.date(YEAR - 1, 12, 31))
    _accepted(yucun, kind="road", output="100")
    project_in(S.COMPLETED, village=yucun, type="sewage", actual_output=D("100"))
    _accepted(VillageFactory(township_code="330522001", code="330522001201"), output="100")
    _promote(yucun)
    _promote(lujia, to="boutique")  # no boutique target: not shown
    _promote(lujia, on=datetime.date(YEAR - 1, 7, 1))  # another year
    rebuild("")  # above a township, the actuals come from the summary rows (AreaOutput)
    progress = target_progress(user=county, code="330523", year=YEAR)
    assert [k.kind for k in progress.kinds] == ["sewage", "new_demonstration"]
    sewage = _kind(progress, "sewage")
    assert (sewage.target, sewage.actual, sewage.rate, sewage.unit) == (D("10"), D("3.5"), D("0.35"), "km")
    demonstration = _kind(progress, "new_demonstration")
    assert (demonstration.target, demonstration.actual, demonstration.rate, demonstration.unit) == (D("2"), 1, D("0.5"), "villages")
    by_code = {c.code: c for c in progress.children}
    assert set(by_code) == {"330523108", "330523001"}
    assert [(k.target, k.actual) for k in by_code["330523108"].kinds] == [(D("4"), D("2.5")), (None, 1)]
    assert [(k.target, k.actual) for k in by_code["330523001"].kinds] == [(D("6"), D("1")), (None, 0)]
    # A township's villages: from the projects and promotions themselves, in one query.
    TargetFactory(region=region("330523108"), year=YEAR, kind="new_demonstration", quantity=D("1"))
    township = target_progress(user=county, code="330523108", year=YEAR)
    assert [(k.kind, k.target, k.actual) for k in township.kinds] == [("sewage", D("4"), D("2.5")), ("new_demonstration", D("1"), 1)]
    assert [(c.code, [k.actual for k in c.kinds]) for c in township.children] == [(yucun.code, [D("2.5"), 1])]


def test_children_behind_schedule_come_first_and_no_target_gives_no_rate(place, county):
    _accepted(place["yucun"], output="4")  # 天荒坪镇: 4 / 4
    _accepted(place["lujia"], output="1.5")  # 递铺街道: 1.5 / 6
    rebuild("")
    progress = target_progress(user=county, code="330523", year=YEAR)
    assert [(c.code, c.rate) for c in progress.children] == [("330523001", D("0.25")), ("330523108", D("1"))]
    assert [c.code for c in progress.behind] == ["330523001"]
    assert target_progress(user=county, code="330523", year=YEAR + 1).kinds == []
    TargetFactory(region=region("330523"), year=YEAR + 1, kind="road", quantity=D("0"))
    assert [(k.kind, k.rate) for k in target_progress(user=county, code="330523", year=YEAR + 1).kinds] == [("road", None)]


def test_another_area_reads_nothing(place):
    _accepted(place["yucun"], output="4")
    rebuild("")
    other = user_with("changxing", (Role.COUNTY_STAFF, "330522"))
    progress = target_progress(user=other, code="330523", year=YEAR)
    assert progress.kinds == [] and progress.children == []
    assert plan_share(user=other, code="330523").projects == 0


def test_plan_share_counts_items_and_exceptions(place, county):
    yucun = place["yucun"]
    ProjectFactory(village=yucun, status=S.APPROVED)  # cites an item
    _accepted(yucun)
    exception = ProjectFactory(village=yucun, status=S.SUBMITTED, plan_citation=None)
    PlanCitation.objects.create(project=exception, out_of_plan_reason="山洪冲毁", exception_status=ExceptionStatus.PENDING)
    ProjectFactory(village=yucun, status=S.SUBMITTED, plan_citation=None)  # cites nothing yet
    ProjectFactory(village=yucun, status=S.DRAFT)
    ProjectFactory(village=yucun, status=S.CANCELLED)
    rebuild("")  # the summary rows count them
    assert plan_share(user=county, code=yucun.code).in_plan == 2  # a village's own
    share = plan_share(user=county, code="330523")
    assert (share.projects, share.in_plan, share.out_of_plan, share.uncited, share.share) == (4, 2, 1, 1, D("0.5"))
    assert plan_share(user=county, code="330523001").share is None


def _count(call):
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_children_and_kinds(db, county):
    def run():
        target_progress(user=county, code="330523", year=YEAR)
        plan_share(user=county, code="330523")

    VillageFactory(code="330523108204")
    TargetFactory(region=region("330523108"), year=YEAR, kind="sewage", quantity=D("1"))
    run()  # the user's grants are read once, then kept on the user
    few = _count(run)
    for i in range(8):
        township = region(f"330523{110 + i:03d}")
        village = VillageFactory(township_code=township.code, code=f"{township.code}201")
        for kind in ("sewage", "road", "toilet"):
            TargetFactory(region=township, year=YEAR, kind=kind, quantity=D("5"))
            _accepted(village, kind=kind)
        _promote(village)
    rebuild("")
    assert len(target_progress(user=county, code="330523", year=YEAR).children) == 9
    assert _count(run) == few == 4  # targets, actuals, names, share


@pytest.mark.parametrize("code", ["33", "3305", "330523", "330523108"])
def test_the_dashboard_panel_at_every_level(client, place, code):
    _accepted(place["yucun"], output="1")
    _accepted(place["lujia"], output="1.5")
    TargetFactory(region=region("33"), year=YEAR, kind="sewage", quantity=D("100"))
    TargetFactory(region=region("3305"), year=YEAR, kind="sewage", quantity=D("50"))
    root = user_with("root")
    root.is_superuser = True
    root.save()
    client.force_login(root)
    # The dashboard holds the panel's address (with the year asked for) and a link to it; its script fetches it.
    dashboard = client.get(reverse("dashboard:region", args=[code]) + f"?year={YEAR}").content.decode()
    panel_url = reverse("dashboard:targets", args=[code]) + f"?year={YEAR}"
    assert f'data-panel="{panel_url}"' in dashboard and f'href="{panel_url}"' in dashboard
    assert 'id="target-year"' not in dashboard  # the panel itself is not rendered there
    page = client.get(panel_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="targets"' in html and f"{YEAR}" in html and "<html" in html  # a page of its own
    targets = page.context["targets"]
    assert targets.year == YEAR and [k.kind for k in targets.kinds][0] == "sewage"
    if code == "330523":
        assert [c.code for c in targets.children] == ["330523001", "330523108"]  # 1.5/6 behind 1/4
    if code == "330523108":
        assert _kind(targets, "sewage").actual == D("1") and [c.code for c in targets.children] == ["330523108204"]
    # Asked by the dashboard's script: the panel alone, its year form going back to the dashboard.
    fragment = client.get(panel_url, headers={"X-Requested-With": "fetch"})
    body = fragment.content.decode()
    assert "<html" not in body and 'id="target-year"' in body and "X-Requested-With" in fragment["Vary"]
    assert f'action="{reverse("dashboard:region", args=[code])}#targets"' in body
    assert f'action="{reverse("dashboard:targets", args=[code])}#targets"' in html
    # A year without targets: the panel says so; a bad year falls back to this year, and the dashboard keeps no bad year.
    assert client.get(reverse("dashboard:targets", args=[code]) + "?year=1999").context["targets"].kinds == []
    assert client.get(reverse("dashboard:targets", args=[code]) + "?year=19999").context["targets"].year == datetime.date.today().year
    assert f'data-panel="{reverse("dashboard:targets", args=[code])}"' in client.get(
        reverse("dashboard:region", args=[code]) + "?year=abc").content.decode()


def test_the_panel_costs_the_same_queries_with_one_area_or_many(client, county, django_assert_max_num_queries):
    client.force_login(county)
    url = reverse("dashboard:targets", args=["330523"]) + f"?year={YEAR}"
    VillageFactory(code="330523108204")
    TargetFactory(region=region("330523108"), year=YEAR, kind="sewage", quantity=D("1"))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(8):
        township = region(f"330523{110 + i:03d}")
        village = VillageFactory(township_code=township.code, code=f"{township.code}201")
        for kind in ("sewage", "road", "toilet"):
            TargetFactory(region=township, year=YEAR, kind=kind, quantity=D("5"))
            _accepted(village, kind=kind)
        CreationListEntryFactory(village=village, year=YEAR)
    rebuild("")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert len(page.context["targets"].children) >= 9 and page.context["creation"].listed == 8


def test_the_panel_of_another_area_is_404(client, place):
    client.force_login(user_with("changxing", (Role.COUNTY_STAFF, "330522")))
    assert client.get(reverse("dashboard:targets", args=["330523"]) + f"?year={YEAR}").status_code == 404
    assert client.get(reverse("dashboard:region", args=["330523"])).status_code == 404


def test_creation_progress_counts_the_lists_of_the_year_and_puts_the_villages_behind_first(county, place):
    from dashboard.targets import creation_progress

    ahead = VillageFactory(code="330523108211", category="demonstration")  # reached 示范村 already
    behind = VillageFactory(code="330523108212", category="renovation")
    idle = VillageFactory(code="330523108213", category="renovation")  # no project at all
    for village, percent in ((ahead, 90), (behind, 20)):
        ProjectFactory(village=village, status=S.UNDER_CONSTRUCTION, percent_complete=percent, actual_start=datetime.date(YEAR, 3, 1))
    for village in (ahead, behind, idle):
        CreationListEntryFactory(village=village, year=YEAR, category="demonstration")
    CreationListEntryFactory(village=VillageFactory(code="330523108214", category="demonstration"), year=YEAR, category="boutique")
    CreationListEntryFactory(village=VillageFactory(code="330523108215"), year=YEAR - 1)  # another year
    CreationListEntryFactory(village=VillageFactory(township_code="330522001", code="330522001201"), year=YEAR)  # another county
    rebuild("")  # each village's figures come from its summary row
    progress = creation_progress(user=county, code="330523", year=YEAR)
    assert {c["category"]: (c["listed"], c["reached"]) for c in progress.by_category} == {
        "demonstration": (3, 1), "boutique": (1, 0), "future": (0, 0)}
    assert progress.listed == 4
    # No project yet first (by code), then the lowest mean percent.
    assert [e.village_id for e in progress.villages] == [idle.code, "330523108214", behind.code, ahead.code]
    assert [e.reached for e in progress.villages if e.village_id == ahead.code] == [True]
    # The township's official reads the lists of the township only; someone of another county reads none.
    other = user_with("changxing", (Role.COUNTY_STAFF, "330522"))
    assert creation_progress(user=other, code="330523", year=YEAR).listed == 0
    with CaptureQueriesContext(connection) as ctx:
        creation_progress(user=county, code="330523", year=YEAR)
    assert len(ctx.captured_queries) == 2
