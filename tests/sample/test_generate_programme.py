"""generate_programme: deterministic for a seed, consistent with the constraints, refuses a second run."""
import datetime
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Sum

from assessment.models import Assessment, FollowUp
from dashboard.models import VillageStats
from funding.models import Allocation, Disbursement, FundingSource
from maintenance.models import Asset, Fault, Inspection, Keeper, KeeperAssignment
from oversight.models import Problem, Visit
from planning.models import CreationListEntry, PlanCitation, PlanItem, Target
from projects.models import ProgressReport, Project
from sample.scale import SCALE_MARK, AlreadyGenerated, generate_programme
from tests.factories import VillageFactory

TODAY = datetime.date(2026, 6, 30)


def _digest() -> str:
    rows = [
        list(Project.objects.order_by("village_id", "planned_start", "budget").values_list(
            "village_id", "type", "status", "budget", "planned_start", "percent_complete", "last_reported_on")),
        list(ProgressReport.objects.order_by("report_date", "percent_complete").values_list("report_date", "percent_complete", "amount_spent")),
        list(Allocation.objects.order_by("amount").values_list("amount", "allocated_on")),
        list(Assessment.objects.order_by("village_id").values_list("village_id", "total_score", "grade")),
        list(FollowUp.objects.order_by("village_id").values_list("village_id", "rank")),
        list(Asset.objects.order_by("village_id", "commissioned_on", "kind").values_list("village_id", "kind", "commissioned_on")),
        list(Inspection.objects.order_by("asset__village_id", "due_on", "status").values_list("due_on", "status", "done_on", "condition")),
        list(Fault.objects.order_by("reported_on", "severity", "status").values_list("reported_on", "severity", "status", "repaired_on")),
        list(Project.objects.order_by("village_id", "planned_start", "budget").values_list("planned_output", "actual_output", "accepted_on")),
        list(PlanItem.objects.order_by("plan__area_code", "quantity", "estimated_cost").values_list("plan__area_code", "kind", "quantity", "planned_year")),
        list(Target.objects.order_by("region_id", "year", "kind").values_list("region_id", "year", "kind", "quantity")),
        list(CreationListEntry.objects.order_by("county_id", "year", "village_id").values_list("county_id", "year", "village_id")),
        list(Problem.objects.order_by("village_id", "found_on", "deadline", "status", "category").values_list(
            "village_id", "visit__region_id", "found_on", "deadline", "status", "category", "severity")),
    ]
    # Each list is compared as a sorted multiset: the orderings above are not total (two reports of one day at one
    # percent), and PostgreSQL returns such ties in the order it finds them on disk, which autovacuum can change
    # between the two runs.
    return hashlib.sha256(repr([sorted(map(repr, part)) for part in rows]).encode()).hexdigest()


def _wipe():
    from planning.models import Plan

    for model in (Problem, Visit, PlanCitation, PlanItem, Plan, Target, CreationListEntry, Fault, Inspection, KeeperAssignment, Asset, Keeper, FollowUp, Assessment, Disbursement, Allocation,
                  FundingSource, ProgressReport):
        model.objects.all().delete()
    Project.objects.all().delete()


@pytest.mark.django_db
def test_same_seed_same_programme(db):
    from assessment.models import AssessmentScheme, Indicator, IndicatorScore
    from projects.models import ProjectTransition

    for t in ("330523108", "330523001", "330522001"):
        for i in range(4):
            VillageFactory(township_code=t, code=f"{t}{200 + i:03d}")
    result = generate_programme(province="33", seed=7, projects_per_village=4, reports_per_project=5, today=TODAY, log=lambda *_: None)
    assert result.villages == 12 and result.counts["projects"] == Project.objects.filter(description=SCALE_MARK).count()
    assert result.counts["follow_ups"] >= 2  # one bottom group per county
    # Upkeep: one asset per accepted project, kept, with a year of inspections (some overdue) and faults.
    accepted = Project.objects.filter(status="accepted")
    assert Asset.objects.count() == accepted.count() > 0
    assert set(Asset.objects.values_list("project_id", flat=True)) == set(accepted.values_list("pk", flat=True))
    assert KeeperAssignment.objects.filter(ends_on__isnull=True).count() == Asset.objects.count()
    done = Inspection.objects.filter(status="done")
    assert done.exists() and not done.filter(done_on__gt=TODAY).exists()
    assert not done.filter(done_on__lt=TODAY - datetime.timedelta(days=364 + 3)).exists()
    assert Inspection.objects.filter(status="due").count() <= Asset.objects.count()
    assert all(f.deadline >= f.reported_on for f in Fault.objects.all())
    # Plans and targets: every project cites an item of its village's plan or holds an approved exception; every
    # breakdown adds up (each level's target is its children's sum) and the accepted output counts toward it.
    assert PlanCitation.objects.count() == Project.objects.count()
    assert not PlanCitation.objects.filter(item__isnull=True).exclude(exception_status="approved").exists()
    assert not PlanCitation.objects.filter(item__isnull=False).exclude(item__plan__area_code=F("project__village_id")).exists()
    for target in Target.objects.filter(region_id__in=["33", "330523"]):
        children = Target.objects.filter(region__parent_id=target.region_id, year=target.year, kind=target.kind)
        assert children.aggregate(s=Sum("quantity"))["s"] == target.quantity, target
    assert Target.objects.filter(region_id="330523108").exists()
    # Supervision: each county's office visited its own villages; the problems' states keep the register's rules
    # (the database's checks) and some are past their deadline, still to be rectified.
    assert result.counts["supervision_visits"] == Visit.objects.count() == 4 * 2
    assert not Problem.objects.exclude(village__code__startswith=F("visit__region_id")).exists()
    assert not Problem.objects.exclude(township_id=F("village__township_id")).exists()
    assert result.counts["problems"] == Problem.objects.count() > 0
    assert Problem.objects.filter(status="closed").exists() and Problem.objects.filter(status="open").exists()
    first = _digest()
    with pytest.raises(AlreadyGenerated):
        generate_programme(province="33", seed=7, today=TODAY, log=lambda *_: None)
    IndicatorScore.objects.all().delete()
    _wipe()
    ProjectTransition.objects.all().delete()
    Indicator.objects.all().delete()
    AssessmentScheme.objects.all().delete()
    generate_programme(province="33", seed=7, projects_per_village=4, reports_per_project=5, today=TODAY, log=lambda *_: None)
    assert _digest() == first


@pytest.mark.django_db
def test_command_rebuilds_the_dashboard_and_refuses_twice(db):
    VillageFactory(code="330523108204")
    call_command("generate_programme", "--province", "33", "--projects-per-village", "3", verbosity=0)
    stats = VillageStats.objects.get(village_id="330523108204")
    assert stats.projects == Project.objects.filter(village_id="330523108204").count() > 0
    with pytest.raises(CommandError):
        call_command("generate_programme", "--province", "33", verbosity=0)
    call_command("generate_programme", "--province", "33", "--if-missing", verbosity=0)


@pytest.mark.django_db
def test_scale_data_is_marked_and_dated_by_its_reference_day(db, monkeypatch):
    """The province is recorded as holding scale-test data (what the reports read to say so); with the clock before
    the spring's round, the latest round is the year before last's and nothing is dated after the reference day."""
    from django.utils import timezone

    from assessment.models import AssessmentScheme
    from tests.clock import at_day
    from villages.models import Region, SampleData
    from villages.selectors import sample_data_kinds

    day = datetime.date(2026, 1, 15)
    at_day(monkeypatch, day)
    VillageFactory(code="330523108204")
    with pytest.raises(CommandError, match="in the future"):
        call_command("generate_programme", "--province", "33", "--as-of", "2026-01-16", verbosity=0)
    assert not Project.objects.exists() and Region.objects.get(code="33").sample_data == ""
    call_command("generate_programme", "--province", "33", "--as-of", "2026-01-15", "--projects-per-village", "6",
                 verbosity=0)
    assert Region.objects.get(code="33").sample_data == SampleData.SCALE_TEST
    assert sample_data_kinds("330523108") == [SampleData.SCALE_TEST] and sample_data_kinds("32") == []
    assert list(AssessmentScheme.objects.values_list("year", flat=True)) == [2024]
    assert not Assessment.objects.filter(finalised_at__gt=timezone.now()).exists()
    assert not ProgressReport.objects.filter(report_date__gt=day).exists()
    assert not Disbursement.objects.filter(paid_on__gt=day).exists()
    assert not Project.objects.filter(actual_end__gt=day).exists()


@pytest.mark.django_db
def test_several_provinces_or_all_of_them_each_placed_in_its_own_province(db):
    """--province takes a list or 'all': each province is filled (and marked) on its own, its county centres inside
    that province's box, and --if-missing skips the ones already filled."""
    from sample.scale import PROVINCE_BOXES
    from villages.models import Region, SampleData, Village

    for code in ("320481101201", "320481101202", "330523108204", "530102001201"):
        VillageFactory(code=code, township_code=code[:9])
    call_command("generate_programme", "--province", "33,32", "--projects-per-village", "2", "--reports-per-project", "2",
                 verbosity=0)
    assert set(Project.objects.values_list("village__code", flat=True).distinct()) == {"320481101201", "320481101202", "330523108204"}
    assert set(Region.objects.filter(sample_data=SampleData.SCALE_TEST).values_list("code", flat=True)) == {"32", "33"}
    for village in Village.objects.filter(code__startswith="32"):
        south, north, west, east = PROVINCE_BOXES["32"]
        assert south - 0.25 <= village.latitude <= south + north + 0.25 and west - 0.3 <= village.longitude <= west + east + 0.3
    # 'all': every imported province; those filled already are skipped with --if-missing, the rest are filled.
    before = Project.objects.filter(village__code__startswith="33").count()
    call_command("generate_programme", "--province", "all", "--projects-per-village", "2", "--reports-per-project", "2",
                 "--if-missing", verbosity=0)
    assert Project.objects.filter(village__code="530102001201").exists()
    assert Project.objects.filter(village__code__startswith="33").count() == before
    with pytest.raises(CommandError, match="--province: 3x is not"):
        call_command("generate_programme", "--province", "33,3x", verbosity=0)
