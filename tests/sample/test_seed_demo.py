"""seed_demo: the sample programme of a county, on the real villages already loaded."""
import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Sum
from django.test import RequestFactory

from assessment.models import (
    PASSING_GRADES,
    Assessment,
    AssessmentScheme,
    AssessmentStatus,
    FollowUp,
    FollowUpStatus,
    IndicatorCategory,
    IndicatorScore,
)
from funding.models import Allocation, Disbursement, FundingSource, Mechanism, SourceKind
from projects.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    ProgressReport,
    Project,
    ProjectStatus,
    ProjectTransition,
    ProjectType,
)
from sample.base import Timeline
from sample.demo import DEMO_KEEPER, DEMO_PASSWORD, DEMO_SUPERUSER, DEMO_USERS, SAMPLE_MARK, seed_demo
from tests.clock import at_day
from tests.factories import region
from villages.models import Village, VillageKind, kind_for_code, short_name_for

COUNTY = "330523"
YUCUN, LUJIACUN = "330523108204", "330523001211"
# Real rows of the 2023 statistical division codes (villages/data/divisions).
ANJI_VILLAGES = {
    "330523108": [
        ("330523108200", "白水湾村委会"), ("330523108201", "井村村委会"), ("330523108203", "山河村委会"),
        ("330523108204", "余村村委会"), ("330523108207", "大溪村委会"), ("330523108208", "西鹤村委会"),
        ("330523108209", "马吉村委会"), ("330523108210", "银坑村委会"), ("330523108211", "五鹤村委会"),
        ("330523108212", "港口村委会"), ("330523108213", "横路村委会"),
    ],
    "330523001": [
        ("330523001002", "苕秀社区居委会"), ("330523001012", "桃城社区居委会"),  # residents' committees
        ("330523001203", "吉庆桥村委会"), ("330523001205", "康山村委会"), ("330523001211", "鲁家村委会"),
        ("330523001212", "南北庄村委会"), ("330523001213", "义士塔村委会"), ("330523001218", "荷花塘村委会"),
        ("330523001219", "银湾村委会"), ("330523001220", "赵家上村委会"), ("330523001221", "东山垓村委会"),
        ("330523001222", "青龙村委会"), ("330523001245", "双河村委会"),
    ],
}
# Both townships of the fixture have their official in DEMO_USERS: the one account the seed adds records the
# province's funding sources.
PROVINCE_SUPERVISOR = ("supervisor_zhejiang", "supervisor", "33")
BUILT = (ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED, ProjectStatus.SUSPENDED)
# The reference day of the tests that look at one sample programme in detail, and the clock's day while they seed
# (tests.clock): the sample is dated relative to it, whatever day the tests run on.
AS_OF = date(2026, 6, 30)
ROUND = Timeline(AS_OF).round_year  # 2025: the latest round finalised by then (in April 2026)


def load_villages(divisions: dict) -> None:
    for township_code, rows in divisions.items():
        township = region(township_code)
        for code, name in rows:
            Village.objects.create(
                code=code, name=name, short_name=short_name_for(name), township=township, kind=kind_for_code(code)
            )


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anji(db):
    load_villages(ANJI_VILLAGES)


@pytest.fixture
def seeded(anji, fast_passwords, monkeypatch):
    at_day(monkeypatch, AS_OF)
    return seed_demo(county_code=COUNTY, as_of=AS_OF)


def committees(county=COUNTY):
    return Village.objects.within(county).filter(kind=VillageKind.VILLAGE_COMMITTEE)


# --- Projects -------------------------------------------------------------------


@pytest.mark.django_db
def test_projects_of_every_type_and_status_on_the_real_villages(seeded):
    projects = Project.objects.within(COUNTY)
    assert set(projects.values_list("type", flat=True)) == set(ProjectType.values)
    assert set(projects.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert projects.filter(village__township_id="330523108").exists()  # 天荒坪镇
    assert projects.filter(village__township_id="330523001").exists()  # 递铺街道
    assert projects.filter(village_id=YUCUN).count() >= 3
    assert projects.filter(village_id=LUJIACUN).count() >= 3
    assert not projects.exclude(village__kind=VillageKind.VILLAGE_COMMITTEE).exists()
    with_projects = projects.values("village").distinct().count()
    assert 0.5 * committees().count() <= with_projects < committees().count()
    for project in projects.select_related("village"):
        assert SAMPLE_MARK in project.description
        assert project.name.startswith(project.village.short_name)
        assert Decimal(50_000) <= project.budget <= Decimal(3_000_000)
        assert 2 <= len(project.responsible_person) <= 3
    assert seeded["created"] is True
    assert seeded["projects"] == projects.count()


@pytest.mark.django_db
def test_timelines_follow_the_lifecycle_from_draft_to_the_current_status(seeded):
    timelines = defaultdict(list)
    for move in ProjectTransition.objects.order_by("project", "at", "id"):
        timelines[move.project_id].append(move)
    projects = Project.objects.within(COUNTY)
    assert set(timelines) == set(projects.values_list("pk", flat=True))
    for project in projects:
        moves = timelines[project.pk]
        assert (moves[0].from_status, moves[0].to_status) == ("", ProjectStatus.DRAFT)
        for previous, move in zip(moves, moves[1:]):
            assert move.from_status == previous.to_status
            assert move.to_status in TRANSITIONS[move.from_status], (project.name, move)
            assert move.at > previous.at
        assert moves[-1].to_status == project.status
        assert moves[-1].at.date() < AS_OF  # no move on the reference day itself (its moments could lie ahead)
        assert moves[0].at.date() < project.planned_start <= project.planned_end
        assert moves[-1].actor_id is not None
    returned = ProjectTransition.objects.filter(to_status=ProjectStatus.RETURNED)
    assert returned.exists() and not returned.filter(reason="").exists()


@pytest.mark.django_db
def test_progress_histories_match_the_projects(seeded):
    for project in Project.objects.within(COUNTY):
        reports = list(project.progress_reports.order_by("report_date", "id"))
        if project.status not in BUILT:
            assert reports == [] and project.percent_complete == 0 and project.last_reported_on is None
            assert project.actual_start is None
            continue
        assert reports, project.name
        dates = [r.report_date for r in reports]
        assert dates == sorted(set(dates))
        assert project.actual_start <= dates[0] and dates[-1] <= AS_OF
        percents = [r.percent_complete for r in reports]
        spent = [r.amount_spent for r in reports]
        assert percents == sorted(percents) and spent == sorted(spent)
        assert spent[-1] <= project.budget
        assert (project.percent_complete, project.last_reported_on) == (percents[-1], dates[-1])
        if project.status in DONE_STATUSES:
            assert percents[-1] == 100 and dates[-1] == project.actual_end
        else:
            assert percents[-1] < 100 and project.actual_end is None
        if project.status == ProjectStatus.ACCEPTED:
            assert project.maintenance_body and project.maintenance_owner and project.property_owner


@pytest.mark.django_db
def test_some_projects_are_overdue_silent_or_returned(seeded):
    projects = Project.objects.within(COUNTY)
    assert projects.filter(status__in=OPEN_STATUSES, planned_end__lt=AS_OF).exists()
    assert projects.filter(
        status=ProjectStatus.UNDER_CONSTRUCTION, last_reported_on__lt=AS_OF - timedelta(days=30)
    ).exists()
    assert projects.filter(status=ProjectStatus.UNDER_CONSTRUCTION, planned_end__gte=AS_OF).exists()
    assert projects.filter(status=ProjectStatus.RETURNED).count() >= 2


# --- Funding --------------------------------------------------------------------


@pytest.mark.django_db
def test_funding_of_every_kind_and_mechanism(seeded):
    sources = FundingSource.objects.all()
    assert set(sources.values_list("kind", flat=True)) == set(SourceKind.values)
    assert set(sources.values_list("mechanism", flat=True)) == set(Mechanism.values)
    for source in sources:
        assert source.note.startswith(SAMPLE_MARK)
        administered_by = {SourceKind.PROVINCIAL_SPECIAL: "33", SourceKind.CITY_MATCHING: "3305"}
        assert source.region_id == administered_by.get(source.kind, COUNTY)
        if source.village_id:
            assert source.kind in (SourceKind.VILLAGE_COLLECTIVE, SourceKind.FARMER, SourceKind.SOCIAL_DONATION)
    assert set(Mechanism.values) == set(
        Disbursement.objects.values_list("allocation__source__mechanism", flat=True).distinct()
    )


@pytest.mark.django_db
def test_the_ledger_never_exceeds_a_total(seeded):
    for source in FundingSource.objects.annotate(allocated=Sum("allocations__amount")):
        assert (source.allocated or 0) <= source.total_amount, source.name
        gross = source.allocations.filter(amount__gt=0).aggregate(total=Sum("amount"))["total"] or 0
        assert gross <= source.total_amount  # never over-committed, not even before the reversal
    allocations = Allocation.objects.select_related("source", "project").annotate(paid=Sum("disbursements__amount"))
    for allocation in allocations:
        assert (allocation.paid or 0) <= max(allocation.amount, 0)
        project, source = allocation.project, allocation.source
        assert project.status in (set(ProjectStatus.values) - {ProjectStatus.DRAFT, ProjectStatus.SUBMITTED,
                                                               ProjectStatus.RETURNED, ProjectStatus.CANCELLED})
        assert project.village_id.startswith(source.region_id)
        assert source.village_id in (None, project.village_id)
        assert allocation.allocated_on <= AS_OF
    for payment in Disbursement.objects.select_related("allocation"):
        assert payment.voucher_no and payment.amount > 0
        assert payment.allocation.allocated_on <= payment.paid_on <= AS_OF


@pytest.mark.django_db
def test_one_allocation_is_reversed_with_a_reason(seeded):
    reversal = Allocation.objects.get(reverses__isnull=False)
    original = reversal.reverses
    assert reversal.amount == -original.amount and reversal.reason
    assert not original.disbursements.exists()
    rebooked = Allocation.objects.filter(
        source=original.source, project=original.project, reverses__isnull=True, reversal__isnull=True
    )
    assert rebooked.filter(amount=original.amount - 100_000).exists()


@pytest.mark.django_db
def test_payments_follow_the_mechanism(seeded):
    later = Disbursement.objects.filter(allocation__source__mechanism=Mechanism.BUILD_THEN_SUBSIDIZE)
    assert later.exists()
    for payment in later.select_related("allocation__project"):
        project = payment.allocation.project
        assert project.status == ProjectStatus.ACCEPTED
        accepted = project.transitions.get(to_status=ProjectStatus.ACCEPTED)
        assert payment.paid_on >= accepted.at.date()
    rewards = Disbursement.objects.filter(allocation__source__mechanism=Mechanism.REWARD_IN_LIEU)
    assert rewards.exists()
    for payment in rewards.select_related("allocation__project", "allocation__source"):
        assessment = Assessment.objects.get(
            village_id=payment.allocation.project.village_id, period=str(payment.allocation.source.fiscal_year)
        )
        assert assessment.passed
        assert payment.paid_on >= assessment.finalised_at.date()
    withheld = Allocation.objects.filter(
        source__mechanism=Mechanism.REWARD_IN_LIEU,
        project__village__assessments__period=str(ROUND),
        project__village__assessments__grade="fail",
    )
    assert withheld.exists() and not Disbursement.objects.filter(allocation__in=withheld).exists()


# --- Assessment -----------------------------------------------------------------


@pytest.mark.django_db
def test_finalised_assessment_of_every_village_committee(seeded):
    scheme = AssessmentScheme.objects.get(region_id=COUNTY, year=ROUND)
    indicators = list(scheme.indicators.all())
    assert {i.category for i in indicators} == set(IndicatorCategory.values)
    assert sum(i.max_score for i in indicators) == 100
    assessments = Assessment.objects.filter(scheme=scheme, period=str(ROUND))
    assert set(assessments.values_list("village_id", flat=True)) == set(committees().values_list("code", flat=True))
    assert Assessment.objects.filter(period=str(ROUND - 1)).count() == committees().count()
    assert set(AssessmentScheme.objects.values_list("year", flat=True)) == {ROUND - 1, ROUND}
    for assessment in Assessment.objects.select_related("scheme").annotate(points=Sum("scores__score")):
        assert assessment.status == AssessmentStatus.FINALISED and assessment.finalised_at
        assert assessment.total_score == assessment.points
        assert assessment.grade == assessment.scheme.grade_for(assessment.total_score)
        assert assessment.scores.count() == len(indicators)
    for score in IndicatorScore.objects.select_related("indicator"):
        assert 0 <= score.score <= score.max_score == score.indicator.max_score
    grades = set(assessments.values_list("grade", flat=True))
    assert len(grades) >= 3 and grades & set(PASSING_GRADES)


@pytest.mark.django_db
def test_follow_ups_are_exactly_the_bottom_group(seeded):
    for scheme in AssessmentScheme.objects.filter(region_id=COUNTY):
        assessments = list(scheme.assessments.all())
        totals = sorted(a.total_score for a in assessments)
        size = max(scheme.bottom_min, math.ceil(len(totals) * scheme.bottom_percent / 100))
        cutoff = totals[size - 1]
        expected = {a.pk: 1 + sum(t > a.total_score for t in totals) for a in assessments if a.total_score <= cutoff}
        follow_ups = FollowUp.objects.filter(assessment__scheme=scheme)
        assert {f.assessment_id: f.rank for f in follow_ups} == expected
        lowest = max(follow_ups, key=lambda f: (f.rank, f.village_id))
        for follow_up in follow_ups:
            assert follow_up.ranked_among == len(assessments)
            assert follow_up.village_id == follow_up.assessment.village_id
            assert follow_up.due_date == follow_up.assessment.finalised_at.date() + timedelta(days=scheme.follow_up_days)
            steps = [follow_up.talk_held_on, follow_up.rectified_on, follow_up.reinspected_on]
            assert all(step is None or step <= AS_OF for step in steps)
            if scheme.year == ROUND:
                # The latest round's steps are taken as their days come; the lowest-ranked village is still
                # rectifying after its talk.
                assert follow_up.status != FollowUpStatus.CLOSED or follow_up.reinspected_on
                if follow_up == lowest:
                    assert follow_up.status == FollowUpStatus.TALK_HELD and follow_up.rectified_on is None
            else:
                assert follow_up.status == FollowUpStatus.CLOSED and follow_up.reinspected_on


# --- Written through the services ---------------------------------------------


@pytest.mark.django_db
def test_every_row_is_written_through_the_services_by_a_demo_user(seeded):
    """Each project, move, progress report, ledger entry, assessment and follow-up step has the audit row its
    service writes, naming the demo account that acted; nobody holds a role the demo users were not given."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import AuditEntry, RoleAssignment

    accounts = [u for u, *_ in DEMO_USERS] + [PROVINCE_SUPERVISOR[0]]
    demo = set(get_user_model().objects.filter(username__in=accounts).values_list("pk", flat=True))

    def audited(model, action="create"):
        rows = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), action=action)
        assert set(rows.values_list("actor_id", flat=True)) <= demo, model
        return rows

    def ids(queryset):
        return sorted(str(pk) for pk in queryset.values_list("pk", flat=True))

    for model in (Project, ProgressReport, FundingSource, Allocation, Disbursement, Assessment, FollowUp):
        assert sorted(audited(model).values_list("object_id", flat=True)) == ids(model.objects.all()), model
    moves = ProjectTransition.objects.exclude(from_status="").count()
    assert audited(Project, "transition").count() == moves > 0
    steps = sum(day is not None for row in FollowUp.objects.values_list("talk_held_on", "rectified_on", "reinspected_on")
                for day in row)  # each step taken (talk, rectification, re-inspection) is one audited transition
    assert audited(FollowUp, "transition").count() == steps >= 3 * FollowUp.objects.filter(status=FollowUpStatus.CLOSED).count() > 0
    assert all(t.actor_id in demo for t in ProjectTransition.objects.all())
    officials = dict(
        get_user_model().objects.filter(username__in=["township_tianhuangping", "township_dipu"]).values_list("username", "pk")
    )
    created = dict(Project.objects.values_list("pk", "village__township_id"))
    for row in audited(Project):
        expected = {"330523108": "township_tianhuangping", "330523001": "township_dipu"}.get(created[int(row.object_id)])
        if expected:
            assert row.actor_id == officials[expected]  # a township with its own official enters its own projects
    assert RoleAssignment.objects.count() == len(DEMO_USERS) + 1  # and the province's supervisor


# A township of 安吉县 without an official in DEMO_USERS (real rows of the division codes).
XILONG = {"330523201": [("330523201201", "后河村委会"), ("330523201202", "黄杜村委会"), ("330523201204", "新丰村委会"),
                        ("330523201205", "徐村湾村委会"), ("330523201206", "溪龙村委会")]}
SMALL_COUNTY = {"330522101": [("330522101201", "洪桥村委会"), ("330522101202", "亭子桥村委会"), ("330522101203", "古龙村委会")]}


def gate_action(row) -> str:
    """The action core.scoping's gate asks for to write what the audit row records (the services' own
    ``scoping.require`` calls): a lifecycle move or a follow-up step is told by its status change."""
    from assessment.services import FOLLOW_UP_STEPS
    from projects.models import LIFECYCLE_ACTIONS

    label = f"{row.content_type.app_label}.{row.content_type.model}"
    if (label, row.action) == ("projects.project", "transition"):
        before, after = row.changes["status"]
        return next(a.permission for a in LIFECYCLE_ACTIONS.values() if before in a.sources and a.target == after)
    if (label, row.action) == ("assessment.followup", "transition"):
        before, after = row.changes["status"]
        return next(s.permission for s in FOLLOW_UP_STEPS.values() if (s.source, s.target) == (before, after))
    if (label, row.action) == ("oversight.problem", "transition"):
        return "problem.rectify" if row.changes["status"][1] == "rectified" else "problem.recheck"
    if (label, row.action) == ("oversight.problemphoto", "create"):
        return "visit.record" if row.changes["stage"][1] == "found" else "problem.rectify"
    if (label, row.action) == ("maintenance.fault", "transition"):
        return "fault.verify" if row.changes["status"][1] == "verified" else "fault.repair"
    return {
        ("projects.project", "create"): "project.create",
        ("projects.progressreport", "create"): "progress.create",
        ("funding.fundingsource", "create"): "funding_source.manage",
        ("funding.allocation", "create"): "allocation.create",
        ("funding.disbursement", "create"): "disbursement.create",
        ("assessment.assessment", "create"): "assessment.manage",
        ("assessment.assessment", "transition"): "assessment.manage",
        ("assessment.followup", "create"): "assessment.manage",
        ("villages.village", "update"): "village.edit",
        # An accepted project's asset, its named keeper and the keeper's assignment (maintenance.services.
        # asset_create_from_project, in the acceptance's transaction).
        ("maintenance.asset", "create"): "asset.manage",
        ("maintenance.keeper", "create"): "keeper.manage",
        ("maintenance.keeperassignment", "create"): "keeper.assign",
        ("maintenance.keeperassignment", "update"): "keeper.assign",  # a handover ends the previous assignment
        ("maintenance.keeper", "update"): "keeper.manage",
        # A year of upkeep (sample/upkeep.py): inspections recorded, faults reported, repaired and verified.
        ("maintenance.inspection", "create"): "inspection.record",
        ("maintenance.inspection", "transition"): "inspection.record",
        ("maintenance.inspectionphoto", "create"): "inspection.record",
        ("maintenance.fault", "create"): "fault.report",
        ("maintenance.faultphoto", "create"): "fault.repair",
        # Plans and targets (sample/plans.py): plans, their items and revisions; what each project carries out, and
        # the county's exceptions; targets set and broken down by the level above; the county's creation lists.
        ("planning.plan", "create"): "plan.manage",
        ("planning.plan", "update"): "plan.manage",  # superseded by a new version
        ("planning.planitem", "create"): "plan.manage",
        ("planning.plancitation", "create"): "plan.cite",
        ("planning.plancitation", "update"): "plan.manage",  # a revision carries the project over to the new item
        ("planning.plancitation", "transition"): "plan.exception_decide",
        ("planning.target", "create"): "target.set",
        ("planning.target", "update"): "target.set",
        ("planning.creationlistentry", "create"): "creation_list.manage",
        # Supervision (sample/oversight.py): visits and their findings by the county's and the city's offices (a
        # finding in a village not visited yet adds it to the visit); rectifications and re-checks by transition.
        ("oversight.visit", "create"): "visit.record",
        ("oversight.visit", "update"): "visit.record",
        ("oversight.problem", "create"): "visit.record",
        # Last month's bulletin of the county (sample/oversight.seed_bulletin): composed, approved, published.
        ("bulletins.bulletin", "create"): "bulletin.manage",
        ("bulletins.bulletin", "transition"): "bulletin.manage",
        # Its public pages (sample/publicity.py): the village pages opened, two exemplary cases with photos, one published.
        ("disclosure.countypublication", "create"): "publicity.manage",
        ("disclosure.exemplar", "create"): "publicity.manage",
        ("disclosure.exemplar", "transition"): "publicity.manage",
        ("disclosure.exemplarphoto", "create"): "publicity.manage",
    }[(label, row.action)]  # a KeyError: the seed writes something this test does not know the gate's action for


@pytest.mark.django_db
@pytest.mark.parametrize("county, divisions", [(COUNTY, {**ANJI_VILLAGES, **XILONG}), ("330522", SMALL_COUNTY)])
def test_every_audited_write_is_by_an_account_that_holds_the_role_the_gate_asks_for(fast_passwords, county, divisions):
    """Each audit row of the seed names an account that, read back from the database (no grant held in memory),
    holds in RoleAssignment a role with which core.scoping lets it take that action on that object (or, for the demo
    keeper, the keeper role the gate derives from their current assignments); only the role grants themselves name
    no actor (the command line grants, as grant_role does), the one mark of the county as holding sample data (no
    role's action), and the due inspections the schedule opens (the nightly beat task's, no one's). A second run
    writes nothing."""
    from core import scoping
    from core.models import AuditEntry, RoleAssignment

    load_villages(divisions)
    seed_demo(county_code=county)
    User = get_user_model()
    rows = list(AuditEntry.objects.select_related("content_type").order_by("pk"))
    grants = [row for row in rows if row.action == "grant"]
    assert {(row.content_type.model, row.actor_id) for row in grants} == {("roleassignment", None)}
    assert len(grants) == RoleAssignment.objects.count()
    marks = [row for row in rows if row.content_type.model == "region"]
    assert [(row.object_id, row.action, row.actor_id, row.changes) for row in marks] == [
        (county, "update", None, {"sample_data": ["", "sample"]})
    ]
    actors: dict[int, object] = {}
    checked = defaultdict(int)
    scheduled = [row for row in rows if row.content_type.model == "inspection" and row.action == "create" and row.actor_id is None]
    assert scheduled and {row.note for row in scheduled} == {"按巡查周期自动生成。"}
    for row in rows:
        if row.action == "grant" or row in marks or row in scheduled:
            continue
        assert row.actor_id is not None, row
        if row.actor_id not in actors:
            actors[row.actor_id] = User.objects.get(pk=row.actor_id)  # a fresh read: its grants come from the database
        actor = actors[row.actor_id]
        action = gate_action(row)
        obj = row.content_type.get_object_for_this_type(pk=row.object_id)
        assert not actor.is_superuser, (row, actor)
        held = set(RoleAssignment.objects.filter(user=actor).values_list("role", flat=True))
        if actor.username == DEMO_KEEPER[0]:
            held = {grant.role for grant in scoping.grants(User.objects.get(pk=actor.pk))}
            assert held == {scoping.KEEPER}, held
        assert held & set(scoping.PERMISSIONS[action]), (row, actor, action)
        assert scoping.can(actor, action, obj), (row, actor, action, obj)
        checked[action] += 1
    assert {"project.create", "project.approve", "funding_source.manage", "allocation.create",
            "assessment.manage", "followup.record", "inspection.record", "fault.report", "fault.repair",
            "fault.verify"} <= set(checked)

    # The township without a demo official has its own, who entered its projects; the province's and the
    # city's sources were recorded by their supervisors.
    township = next(code for code in divisions if code not in {c for _u, _r, c, _n in DEMO_USERS})
    official = User.objects.get(username=f"township_{township}")
    assert set(official.role_assignments.values_list("role", "region_id")) == {("township_official", township)}
    assert official.first_name and log_in(official.username, DEMO_PASSWORD) is not None
    projects = Project.objects.filter(village__township_id=township)
    assert projects.exists()
    assert set(projects.values_list("created_by__username", flat=True)) == {official.username}
    assert set(ProjectTransition.objects.filter(project__in=projects, to_status=ProjectStatus.SUBMITTED)
               .values_list("actor__username", flat=True)) == {official.username}
    recorded_by = dict(FundingSource.objects.filter(region_id__in=["33", "3305"]).values_list("region_id", "created_by__username"))
    assert recorded_by == {"33": "supervisor_zhejiang", "3305": "supervisor_huzhou"}
    clerk = "county_anji" if county == COUNTY else f"county_{county}"
    assert set(RoleAssignment.objects.filter(user__username=clerk).values_list("role", "region_id")) == {("county_staff", county)}

    counts = (User.objects.count(), RoleAssignment.objects.count(), AuditEntry.objects.count())
    assert seed_demo(county_code=county)["created"] is False
    assert (User.objects.count(), RoleAssignment.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.django_db
def test_a_year_of_upkeep_with_inspections_on_time_late_and_overdue_and_faults_repaired(seeded):
    """sample/upkeep.py: assets of accepted projects and of before the portal, each with a keeper; a year of
    inspections, most on time, some late, some overdue at the reference day; faults repaired and verified, some open."""
    from maintenance.models import Asset, Fault, Inspection
    from maintenance.selectors import has_keeper_q, village_maintenance

    assets = Asset.objects.all()
    assert assets.filter(project__isnull=False).exists() and assets.filter(project__isnull=True).exists()
    assert not assets.exclude(has_keeper_q()).exists()
    done = Inspection.objects.filter(status="done")
    assert done.filter(scheduled=True).count() > 2 * assets.count()  # more than two a year each
    assert not done.filter(done_on__gt=AS_OF).exists() and not done.filter(done_on__lt=AS_OF - timedelta(days=365)).exists()
    on_time = sum(1 for i in done.filter(scheduled=True) if i.done_on <= i.due_on)
    assert 0.6 < on_time / done.filter(scheduled=True).count() < 0.95
    assert Inspection.objects.filter(status="due", due_on__lt=AS_OF).exists()  # overdue now
    faults = Fault.objects.all()
    assert faults.filter(status="verified").exists() and faults.filter(status__in=["reported", "repairing"]).exists()
    assert faults.filter(inspection__isnull=True).exists() and faults.filter(inspection__isnull=False).exists()
    assert not faults.filter(status="verified").exclude(photos__stage="repaired").exists()  # each with its repair photo
    figures = village_maintenance(Asset.objects.first().village_id, start=date(AS_OF.year, 1, 1), end=AS_OF, today=AS_OF)
    assert figures.assets >= 1


@pytest.mark.django_db
def test_the_demo_keeper_keeps_yucuns_station_and_sees_only_yucun(seeded):
    from core import scoping
    from maintenance.models import KeeperAssignment

    keeper = get_user_model().objects.get(username=DEMO_KEEPER[0])
    assert log_in(keeper.username, DEMO_PASSWORD) is not None
    assert not keeper.role_assignments.exists()
    kept = KeeperAssignment.objects.filter(keeper__user=keeper, ends_on__isnull=True).select_related("asset__village")
    assert {a.asset.village.short_name for a in kept} == {"余村"}
    assert list(scoping.restrict(Village.objects.all(), keeper).values_list("short_name", flat=True)) == ["余村"]
    assert scoping.restrict(Project.objects.all(), keeper).exclude(village__short_name="余村").count() == 0


@pytest.mark.django_db
def test_demo_logins_mentions_the_other_accounts_in_one_line(fast_passwords):
    load_villages({**ANJI_VILLAGES, **XILONG})
    seed_demo(county_code=COUNTY)
    out = StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    for username, *_ in DEMO_USERS:
        assert any(line.split()[:1] == [username] for line in lines)
    others = [line for line in lines if "township_<code>" in line]
    assert len(others) == 1 and "supervisor_zhejiang" in others[0] and "township_330523201" not in out.getvalue()


# --- Users ----------------------------------------------------------------------


def log_in(username, password):
    """Through the configured backends (django-axes wants the request)."""
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)


@pytest.mark.django_db
def test_the_famous_villages_have_a_year_of_joining_and_so_a_phase(seeded):
    """Issue 18, item 15: 余村 and 鲁家村 show their phase; other villages are left without a year."""
    from villages.models import phase_for_year

    joined = dict(Village.objects.filter(code__in=(YUCUN, LUJIACUN)).values_list("short_name", "joined_year"))
    assert joined == {"余村": 2005, "鲁家村": 2011}
    assert all(phase_for_year(year) is not None for year in joined.values())
    assert not Village.objects.within(COUNTY).exclude(code__in=(YUCUN, LUJIACUN)).filter(joined_year__isnull=False).exists()


def test_demo_users_can_log_in(seeded):
    for username, _role, _region, name in DEMO_USERS + [(DEMO_SUPERUSER[0], "", "", DEMO_SUPERUSER[1])]:
        user = log_in(username, DEMO_PASSWORD)
        assert user is not None and user.first_name == name
    assert get_user_model().objects.get(username="admin").is_superuser
    assert len(DEMO_PASSWORD) >= 12
    county_staff = get_user_model().objects.get(username="county_anji")
    assert ProjectTransition.objects.filter(actor=county_staff, to_status=ProjectStatus.APPROVED).exists()


@pytest.mark.django_db
def test_demo_users_hold_their_roles(seeded):
    from core.models import AuditEntry, RoleAssignment

    held = set(RoleAssignment.objects.values_list("user__username", "role", "region_id"))
    assert held == {(username, role, region) for username, role, region, _name in DEMO_USERS} | {PROVINCE_SUPERVISOR}
    assert ("township_tianhuangping", "township_official", "330523108") in held
    assert ("township_dipu", "township_official", "330523001") in held
    assert ("supervisor_huzhou", "supervisor", "3305") in held
    assert AuditEntry.objects.filter(action="grant").count() == len(DEMO_USERS) + 1


@pytest.mark.django_db
def test_existing_accounts_are_left_alone(anji, fast_passwords):
    get_user_model().objects.create_user("admin", password="another-long-password")
    seed_demo(county_code=COUNTY)
    assert log_in("admin", "another-long-password") is not None
    assert not get_user_model().objects.get(username="admin").is_superuser


# --- Runs -----------------------------------------------------------------------

MODELS = [Project, ProjectTransition, ProgressReport, FundingSource, Allocation, Disbursement, AssessmentScheme,
          Assessment, IndicatorScore, FollowUp, get_user_model()]


def database_state():
    counts = {model.__name__: model.objects.count() for model in MODELS}
    latest = {
        model.__name__: model.objects.aggregate(latest=Max("updated_at"))["latest"]
        for model in (Project, FundingSource, AssessmentScheme, Assessment, FollowUp)
    }
    return counts, latest, Project.objects.aggregate(total=Sum("budget"))["total"]


@pytest.mark.django_db
def test_second_run_changes_nothing(seeded):
    before = database_state()
    again = seed_demo(county_code=COUNTY)
    assert again.pop("created") is False and again.pop("as_of") is None  # nothing dated: nothing written
    assert again == {key: value for key, value in seeded.items() if key not in ("created", "as_of")}
    assert database_state() == before
    out = StringIO()
    call_command("seed_demo", county=COUNTY, stdout=out)
    assert "nothing written" in out.getvalue()
    assert database_state() == before


class _Rollback(Exception):
    pass


def fingerprint():
    def rows(queryset, *fields):
        return sorted(tuple(str(value) for value in row) for row in queryset.values_list(*fields))

    return [
        rows(Project.objects.all(), "village_id", "type", "status", "name", "budget", "planned_start", "planned_end",
             "actual_start", "actual_end", "percent_complete", "last_reported_on", "responsible_person",
             "maintenance_owner", "created_at", "updated_at"),
        rows(ProjectTransition.objects.all(), "project__name", "from_status", "to_status", "at", "reason",
             "actor__username"),
        rows(ProgressReport.objects.all(), "project__name", "report_date", "percent_complete", "amount_spent",
             "narrative", "problems"),
        rows(FundingSource.objects.all(), "name", "kind", "mechanism", "region_id", "village_id", "fiscal_year",
             "total_amount", "document_no"),
        rows(Allocation.objects.all(), "source__name", "project__name", "amount", "allocated_on", "reason"),
        rows(Disbursement.objects.all(), "allocation__source__name", "allocation__project__name", "amount",
             "paid_on", "voucher_no"),
        rows(Assessment.objects.all(), "period", "village_id", "total_score", "grade", "finalised_at"),
        rows(IndicatorScore.objects.all(), "assessment__period", "assessment__village_id", "indicator__name", "score"),
        rows(FollowUp.objects.all(), "assessment__period", "village_id", "rank", "ranked_among", "due_date", "status"),
    ]


def seed_and_forget(seed, as_of=AS_OF):
    """Seed inside a savepoint, take the fingerprint, roll everything back."""
    try:
        with transaction.atomic():
            seed_demo(county_code=COUNTY, seed=seed, as_of=as_of)
            taken = fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    assert not Project.objects.exists() and not get_user_model().objects.exists()
    return taken


@pytest.mark.django_db
def test_same_seed_and_day_same_programme(anji, fast_passwords, monkeypatch):
    """Deterministic for a seed and a reference day, whatever the time of day it runs at (its moments on the
    reference day itself are that day's first); another seed or another day is another programme."""
    at_day(monkeypatch, AS_OF)
    first = seed_and_forget(2003)
    assert first == seed_and_forget(2003)
    assert first != seed_and_forget(7)
    assert first != seed_and_forget(2003, AS_OF - timedelta(days=1))


@pytest.mark.django_db
def test_a_small_county_without_model_villages_gets_the_whole_programme(db, fast_passwords, monkeypatch):
    load_villages({"330522101": [("330522101201", "洪桥村委会"), ("330522101202", "亭子桥村委会"),
                                 ("330522101203", "古龙村委会")]})
    at_day(monkeypatch, AS_OF)
    counts = seed_demo(county_code="330522", seed=11, as_of=AS_OF)
    projects = Project.objects.within("330522")
    assert counts["projects"] == projects.count()
    assert set(projects.values_list("type", flat=True)) == set(ProjectType.values)
    assert set(projects.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert set(FundingSource.objects.values_list("kind", flat=True)) == set(SourceKind.values)
    assert FollowUp.objects.filter(assessment__period=str(ROUND)).count() >= 3  # bottom_min
    assert counts["assessments"] == 2 * 3


# --- Command --------------------------------------------------------------------


@pytest.mark.django_db
def test_command_says_the_figures_are_sample_data(anji, fast_passwords):
    from django.utils import timezone

    out = StringIO()
    call_command("seed_demo", "--county", COUNTY, "--seed", "5", stdout=out)
    output = out.getvalue()
    assert SAMPLE_MARK in output and "sample data" in output
    assert f"dated as of {timezone.localdate():%Y-%m-%d}" in output  # today, by default
    assert "county_anji" in output and DEMO_PASSWORD in output
    assert Project.objects.within(COUNTY).exists()


@pytest.mark.django_db
def test_command_dates_the_sample_as_of_the_day_it_is_given(anji, fast_passwords, monkeypatch):
    at_day(monkeypatch, date(2026, 11, 29))
    out = StringIO()
    call_command("seed_demo", "--county", COUNTY, "--as-of", "2026-01-15", stdout=out)
    assert "dated as of 2026-01-15" in out.getvalue()
    assert max(ProgressReport.objects.values_list("report_date", flat=True)) == date(2026, 1, 15)  # a model village's
    assert set(AssessmentScheme.objects.values_list("year", flat=True)) == {2023, 2024}


@pytest.mark.django_db
@pytest.mark.parametrize("as_of, message", [
    ("2026-12-01", "in the future"),  # the day after the clock's: the services refuse future dates
    ("2011-12-31", "cannot be before 2012-01-01"),
    ("2026-13-01", "YYYY-MM-DD"),
])
def test_command_refuses_a_reference_day_it_cannot_date_by(anji, monkeypatch, as_of, message):
    at_day(monkeypatch, date(2026, 11, 30))
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", "--county", COUNTY, "--as-of", as_of, stdout=StringIO())
    assert not Project.objects.exists() and not get_user_model().objects.exists()


@pytest.mark.django_db
def test_missing_divisions_are_a_command_error(db):
    with pytest.raises(CommandError, match="import_divisions"):
        call_command("seed_demo")
    region("330523001")  # the county, but none of its villages
    with pytest.raises(CommandError, match="import_divisions"):
        call_command("seed_demo", county=COUNTY)
    with pytest.raises(CommandError, match="county code"):
        call_command("seed_demo", county="33")
    assert not Project.objects.exists() and not get_user_model().objects.exists()


# --- Dated relative to the day it is loaded (issue 18, item 15) ------------------------------------------------

REFERENCE_DAYS = [
    # (reference day, the latest annual round finalised by then)
    (date(2026, 1, 15), 2024),  # before the spring's round: the latest is the year before last's
    (date(2026, 11, 29), 2025),
    (date(2027, 8, 1), 2026),  # the first of a month
]


def assert_nothing_dated_after(day):
    """No date or moment of the sample lies after the reference day, but planned starts and ends and the follow-ups'
    due dates; and no moment lies after the clock."""
    from django.utils import timezone

    from core.models import AuditEntry

    now = timezone.now()
    for model, fields in {
        Project: ["actual_start", "actual_end", "last_reported_on"],
        ProgressReport: ["report_date"],
        Allocation: ["allocated_on"],
        Disbursement: ["paid_on"],
        FollowUp: ["talk_held_on", "rectified_on", "reinspected_on"],
    }.items():
        for field in fields:
            assert not model.objects.filter(**{f"{field}__gt": day}).exists(), (model.__name__, field)
    for model, fields in {
        Project: ["created_at", "updated_at"], ProjectTransition: ["at"], FundingSource: ["created_at", "updated_at"],
        AssessmentScheme: ["created_at", "updated_at"], Assessment: ["finalised_at", "updated_at"],
        FollowUp: ["created_at", "updated_at"], AuditEntry: ["at"],
    }.items():
        for field in fields:
            assert not model.objects.filter(**{f"{field}__gt": now}).exists(), (model.__name__, field)
    assert max(FundingSource.objects.values_list("fiscal_year", flat=True)) <= day.year
    assert max(AssessmentScheme.objects.values_list("year", flat=True)) < day.year
    assert max(Village.objects.exclude(joined_year=None).values_list("joined_year", flat=True)) <= day.year


@pytest.mark.django_db
@pytest.mark.parametrize("day, latest_round", REFERENCE_DAYS)
def test_the_programme_is_dated_relative_to_its_reference_day(anji, fast_passwords, monkeypatch, day, latest_round):
    """With the clock on the reference day (before, after and long after the old fixed 2026-06-30): the seed runs
    through the services' "not in the future" checks, dates nothing after that day, has its rounds and fiscal years
    where a county would on that day, a handful of late projects, and a monthly trend with figures in every month up
    to the current one."""
    from dashboard.selectors import dashboard
    from projects.rules import overdue_q, stale_q
    from villages.models import Region

    at_day(monkeypatch, day)
    counts = seed_demo(county_code=COUNTY, as_of=day)
    assert counts["created"] is True and counts["as_of"] == day
    assert_nothing_dated_after(day)

    # The rounds: the latest finalised by the reference day (in the spring after its year) and the one before, whose
    # follow-ups are closed; the province's money of the latest round's year on is a reward in lieu of subsidy.
    assert set(AssessmentScheme.objects.values_list("year", flat=True)) == {latest_round - 1, latest_round}
    finalised = {a.period: a.finalised_at.date() for a in Assessment.objects.all()}
    assert date(latest_round + 1, 4, 20) <= finalised[str(latest_round)] <= min(day, date(latest_round + 1, 4, 22))
    assert not FollowUp.objects.filter(assessment__period=str(latest_round - 1)).exclude(status=FollowUpStatus.CLOSED).exists()
    years = set(FundingSource.objects.values_list("fiscal_year", flat=True))
    assert min(years) >= latest_round - 1 and max(years) <= day.year
    rewards = FundingSource.objects.filter(kind=SourceKind.PROVINCIAL_SPECIAL, mechanism=Mechanism.REWARD_IN_LIEU)
    assert rewards.exists() and not rewards.filter(fiscal_year__lt=latest_round).exists()

    # Late work as a county sees it: a handful of overdue and of silent projects, most work under way on time.
    projects = Project.objects.within(COUNTY)
    overdue, stale = projects.filter(overdue_q(day)).count(), projects.filter(stale_q(day)).count()
    building = projects.filter(status=ProjectStatus.UNDER_CONSTRUCTION)
    assert 1 <= overdue <= max(3, projects.count() // 10), (overdue, projects.count())
    assert 1 <= stale <= max(3, building.count() // 3), (stale, building.count())
    assert building.filter(planned_end__gte=day).count() > building.count() // 2

    # The dashboard's trend (the last twelve months, this one included): progress reports and payments every month.
    admin = get_user_model().objects.get(username=DEMO_SUPERUSER[0])
    trend = dashboard(user=admin, region=Region.objects.get(code=COUNTY), today=day).trend
    assert [m["month"] for m in trend][-1] == day.replace(day=1)
    assert all(m["reports"] > 0 for m in trend), [(m["month"], m["reports"]) for m in trend]
    assert trend[-1]["disbursed"] > 0 and sum(m["disbursed"] > 0 for m in trend) >= 9, trend


# --- Marked as sample data for the reports (issue 18, item 15) ---------------------------------------------------


@pytest.mark.django_db
def test_the_county_is_recorded_as_holding_sample_data(seeded):
    """What every report and export covering the county reads to say its figures are samples (the reports layer
    does not know this app): the county's mark, through the audited service, once."""
    from villages.models import Region, SampleData
    from villages.selectors import sample_data_kinds

    assert Region.objects.get(code=COUNTY).sample_data == SampleData.SAMPLE
    assert set(Region.objects.exclude(sample_data="").values_list("code", flat=True)) == {COUNTY}
    for code in ("33", "3305", COUNTY, "330523108"):  # above it, the county itself, below it
        assert sample_data_kinds(code) == [SampleData.SAMPLE]
    assert sample_data_kinds("330522") == [] and sample_data_kinds("3301") == []


@pytest.mark.django_db
def test_a_county_seeded_before_the_mark_gets_it_on_the_next_run(seeded):
    from core.models import AuditEntry
    from villages.models import Region, SampleData

    Region.objects.filter(code=COUNTY).update(sample_data="")  # as seeded by an earlier version
    audit_rows = AuditEntry.objects.count()
    assert seed_demo(county_code=COUNTY)["created"] is False
    assert Region.objects.get(code=COUNTY).sample_data == SampleData.SAMPLE
    assert AuditEntry.objects.count() == audit_rows + 1  # the mark's row, nothing else
