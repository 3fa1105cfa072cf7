"""Reads that combine several apps, for the portal's pages."""
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assessment.filters import overdue_follow_up_q
from assessment.models import FollowUp
from core.divisions import CHILD_CODE_LENGTH, CODE_LENGTH, VILLAGE_CODE_LENGTH, RegionLevel
from core.models import Role
from core.scoping import KEEPER, grants, restrict, roles_of
from maintenance.models import OPEN_FAULT_STATUSES, Fault, FaultStatus, Inspection, InspectionStatus
from maintenance.selectors import fault_overdue_q, inspection_overdue_q
from oversight.models import Problem, ProblemStatus, Visit
from oversight.selectors import problem_overdue_q
from projects.models import DONE_STATUSES, OPEN_STATUSES, Project, ProjectStatus, ProjectTransition
from projects.rules import overdue_q, stale_q
from villages.models import Region, Village
from villages.selectors import village_list


@dataclass
class TodoSection:
    """One heading of the to-do list: the first rows, how many there are in all, and the full filtered list."""

    key: str
    title: str
    items: list
    count: int
    url: str

    @property
    def more(self) -> int:
        return self.count - len(self.items)


def _latest(to_status: str, field: str = "at"):
    """The latest move of a project into ``to_status``: its time (when it was submitted, ...) or its reason."""
    return Subquery(
        ProjectTransition.objects.filter(project=OuterRef("pk"), to_status=to_status).order_by("-at", "-id").values(field)[:1]
    )


def todo_for(*, user, limit: int = 10) -> list[TodoSection]:
    """The to-do list (待办), sections with something in them only: an official's returned projects (with the
    county's reason), overdue and silent projects and overdue follow-ups; county staff's submissions to approve and
    completed projects to accept, newest first, and overdue follow-ups. Each section counts all its rows and links
    to the list filtered to them."""
    projects = restrict(Project.objects.select_related("village"), user, "project.edit")
    to_decide = restrict(Project.objects.select_related("village"), user, "project.approve")
    follow_ups = restrict(FollowUp.objects.select_related("village"), user, "followup.record")
    S = ProjectStatus
    counts = projects.aggregate(
        returned=Count("pk", filter=Q(status=S.RETURNED)), overdue=Count("pk", filter=overdue_q()),
        stale=Count("pk", filter=stale_q()),
    ) | to_decide.aggregate(
        submitted=Count("pk", filter=Q(status=S.SUBMITTED)), completed=Count("pk", filter=Q(status=S.COMPLETED)),
    )
    follow_up_count = follow_ups.filter(overdue_follow_up_q()).count()
    projects_url = reverse("projects:list")
    sections = [
        TodoSection(
            "returned", _("Returned for correction"),
            list(projects.filter(status=S.RETURNED).annotate(return_reason=_latest(S.RETURNED, "reason"))
                 .order_by("-updated_at", "-id")[:limit]) if counts["returned"] else [],
            counts["returned"], f"{projects_url}?status={S.RETURNED}&ordering=-updated",
        ),
        TodoSection(
            "to_approve", _("Submitted, waiting for approval"),
            list(to_decide.filter(status=S.SUBMITTED).annotate(since=_latest(S.SUBMITTED))
                 .order_by(F("since").desc(nulls_last=True), "-id")[:limit]) if counts["submitted"] else [],
            counts["submitted"], f"{projects_url}?status={S.SUBMITTED}&ordering=-updated",
        ),
        TodoSection(
            "to_accept", _("Completed, waiting for acceptance"),
            list(to_decide.filter(status=S.COMPLETED).annotate(since=_latest(S.COMPLETED))
                 .order_by(F("since").desc(nulls_last=True), "-id")[:limit]) if counts["completed"] else [],
            counts["completed"], f"{projects_url}?status={S.COMPLETED}&ordering=-updated",
        ),
        TodoSection(
            "overdue", _("Overdue"),
            list(projects.filter(overdue_q()).order_by("planned_end", "id")[:limit]) if counts["overdue"] else [],
            counts["overdue"], f"{projects_url}?overdue=true&ordering=planned_end",
        ),
        TodoSection(
            "stale", _("No progress report in 30 days"),
            list(projects.filter(stale_q()).order_by(F("last_reported_on").asc(nulls_first=True), "id")[:limit])
            if counts["stale"] else [],
            counts["stale"], f"{projects_url}?stale=true",
        ),
        TodoSection(
            "follow_ups", _("Overdue bottom-rank follow-ups"),
            list(follow_ups.filter(overdue_follow_up_q()).order_by("due_date", "id")[:limit]) if follow_up_count else [],
            follow_up_count, f"{reverse('assessment:follow_ups')}?overdue=true",
        ),
    ]
    sections += _upkeep_todo(user, limit)
    sections += _problems_todo(user, limit)
    return [section for section in sections if section.count]


def _problems_todo(user, limit: int) -> list[TodoSection]:
    """Supervision's to-dos (督查): a township official's problems to rectify (the overdue ones marked); county staff's
    overdue problems of their area and the rectifications waiting for their office's re-check. Two queries for the
    counts, one per list shown."""
    to_rectify = restrict(Problem.objects.select_related("village"), user, "problem.rectify")
    to_recheck = Problem.objects.filter(status=ProblemStatus.RECTIFIED, visit__in=restrict(Visit.objects.all(), user,
                                                                                           "problem.recheck"))
    official = Role.TOWNSHIP_OFFICIAL in roles_of(user)
    counts = to_rectify.aggregate(open=Count("pk", filter=Q(status=ProblemStatus.OPEN)), overdue=Count("pk", filter=problem_overdue_q()))
    recheck_count = to_recheck.count()
    url = reverse("oversight:problems")
    first = "deadline"
    if official:
        rectify = TodoSection(
            "problems_to_rectify", _("Problems to rectify"),
            list(to_rectify.filter(status=ProblemStatus.OPEN).order_by(first, "id")[:limit]) if counts["open"] else [],
            counts["open"], f"{url}?status={ProblemStatus.OPEN}&ordering={first}",
        )
    else:
        rectify = TodoSection(
            "problems_overdue", _("Overdue problems"),
            list(to_rectify.filter(problem_overdue_q()).order_by(first, "id")[:limit]) if counts["overdue"] else [],
            counts["overdue"], f"{url}?overdue=true&ordering={first}",
        )
    return [rectify, TodoSection(
        "problems_to_recheck", _("Rectified, waiting for your re-check"),
        list(to_recheck.select_related("village").order_by("rectified_on", "id")[:limit]) if recheck_count else [],
        recheck_count, f"{url}?status={ProblemStatus.RECTIFIED}",
    )]


def _upkeep_todo(user, limit: int) -> list[TodoSection]:
    """The to-do sections of long-term maintenance. A keeper (who holds no other role) sees every inspection due of
    their assets and every fault still to repair; officials and county staff the overdue inspections and repairs of
    their area, and the repairs waiting for their verification. Three queries for the counts, one per list shown."""
    inspections = restrict(Inspection.objects.select_related("asset", "asset__village"), user, "inspection.record")
    to_repair = restrict(Fault.objects.select_related("asset", "asset__village"), user, "fault.repair")
    to_verify = restrict(Fault.objects.select_related("asset", "asset__village"), user, "fault.verify")
    keeper_only = roles_of(user) == {KEEPER}
    inspection_counts = inspections.aggregate(
        due=Count("pk", filter=Q(status=InspectionStatus.DUE)), overdue=Count("pk", filter=inspection_overdue_q()),
    )
    repair_counts = to_repair.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_FAULT_STATUSES)), overdue=Count("pk", filter=fault_overdue_q()),
    )
    inspections_url, faults_url = reverse("maintenance:inspections"), reverse("maintenance:faults")
    if keeper_only:
        due, open_faults = inspection_counts["due"], repair_counts["open"]
        return [
            TodoSection(
                "inspections_due", _("Inspections due"),
                list(inspections.filter(status=InspectionStatus.DUE).order_by("due_on", "id")[:limit]) if due else [],
                due, f"{inspections_url}?status={InspectionStatus.DUE}",
            ),
            TodoSection(
                "faults_open", _("Faults to repair"),
                list(to_repair.filter(status__in=OPEN_FAULT_STATUSES).order_by("deadline", "id")[:limit]) if open_faults else [],
                open_faults, f"{faults_url}?status={FaultStatus.REPORTED}&status={FaultStatus.REPAIRING}",
            ),
        ]
    verify_count = to_verify.filter(status=FaultStatus.REPAIRED).count()
    return [
        TodoSection(
            "inspections_overdue", _("Overdue inspections"),
            list(inspections.filter(inspection_overdue_q()).order_by("due_on", "id")[:limit]) if inspection_counts["overdue"] else [],
            inspection_counts["overdue"], f"{inspections_url}?overdue=true",
        ),
        TodoSection(
            "repairs_overdue", _("Overdue repairs"),
            list(to_repair.filter(fault_overdue_q()).order_by("deadline", "id")[:limit]) if repair_counts["overdue"] else [],
            repair_counts["overdue"], f"{faults_url}?overdue=true",
        ),
        TodoSection(
            "to_verify", _("Repairs waiting for verification"),
            list(to_verify.filter(status=FaultStatus.REPAIRED).order_by("repaired_on", "id")[:limit]) if verify_count else [],
            verify_count, f"{faults_url}?status={FaultStatus.REPAIRED}",
        ),
    ]


def home_villages(*, user, limit: int = 300) -> list[Village]:
    """A township official's villages (a keeper's: those they keep something in), with their open project counts."""
    townships = [grant.code for grant in grants(user) if len(grant.code) == CODE_LENGTH[RegionLevel.TOWNSHIP]]
    # A keeper's villages: those where they keep something (core.scoping.KEEPER).
    villages = [grant.code for grant in grants(user) if len(grant.code) == VILLAGE_CODE_LENGTH]
    if not townships and not villages:
        return []
    return list(
        village_list(user=user)
        .filter(Q(township_id__in=townships) | Q(code__in=villages))
        .annotate(
            project_count=Count("projects"),
            open_count=Count("projects", filter=Q(projects__status__in=OPEN_STATUSES)),
        )
        .order_by("code")[:limit]
    )


@dataclass
class AreaAttention:
    """What needs attention in one area below a supervisor's region."""

    code: str
    name: str
    overdue: int = 0
    stale: int = 0
    overdue_follow_ups: int = 0
    overdue_problems: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.stale + self.overdue_follow_ups + self.overdue_problems


@dataclass
class Supervision:
    """A supervisor's home: the summary of their region and, per area one level below, what needs attention."""

    region: Region
    villages: int
    projects: int
    open_projects: int
    done_projects: int
    budget: Decimal
    overdue: int
    stale: int
    overdue_follow_ups: int
    overdue_problems: int = 0
    to_recheck: int = 0  # problems rectified, waiting for the re-check of an office of the region
    areas: list[AreaAttention] = field(default_factory=list)

    @property
    def budget_wan(self) -> Decimal:
        """The budget in 万元 (ten thousand yuan), to two places."""
        return (self.budget / 10000).quantize(Decimal("0.01"))


def _count_per_child(areas: dict[str, AreaAttention], queryset, attribute: str, child_length: int) -> None:
    """One grouped count: the rows of ``queryset`` per area one level below (the first ``child_length`` digits of
    the village's code), set as ``attribute`` of that area's AreaAttention."""
    rows = queryset.annotate(child=Substr("village_id", 1, child_length)).values("child").annotate(n=Count("id")).order_by()
    for row in rows:
        area = areas.setdefault(row["child"], AreaAttention(code=row["child"], name=row["child"]))
        setattr(area, attribute, row["n"])


def supervision_for(*, user) -> list[Supervision]:
    """For each region a supervisor's role is held for: its summary and the counts of overdue and stale projects and
    overdue follow-ups per area below it (live, not the dashboard's nightly tables: these are today's to-dos).
    Seven queries per region whatever its size (grouped counts), plus the names of the areas below."""
    codes = sorted({grant.code for grant in grants(user) if grant.role == Role.SUPERVISOR})
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    result = []
    for code in codes:
        if code not in regions or len(code) not in CHILD_CODE_LENGTH:
            continue
        child_length = CHILD_CODE_LENGTH[len(code)]
        projects = restrict(Project.objects.filter(village__code__startswith=code), user)
        follow_ups = restrict(FollowUp.objects.filter(village__code__startswith=code), user)
        totals = projects.aggregate(
            projects=Count("id"), budget=Sum("budget"),
            open_projects=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            done_projects=Count("id", filter=Q(status__in=DONE_STATUSES)),
        )
        areas: dict[str, AreaAttention] = {}
        _count_per_child(areas, projects.filter(overdue_q()), "overdue", child_length)
        _count_per_child(areas, projects.filter(stale_q()), "stale", child_length)
        _count_per_child(areas, follow_ups.filter(overdue_follow_up_q()), "overdue_follow_ups", child_length)
        problems = restrict(Problem.objects.filter(village__code__startswith=code), user)
        _count_per_child(areas, problems.filter(problem_overdue_q()), "overdue_problems", child_length)
        # The rectifications waiting for this office's own re-check (the visits of the counties below are theirs).
        to_recheck = Problem.objects.filter(
            status=ProblemStatus.RECTIFIED, visit__in=restrict(Visit.objects.filter(region_id=code), user, "problem.recheck"),
        ).count()
        names = dict(Region.objects.filter(code__in=list(areas)).values_list("code", "name"))
        listed = sorted(areas.values(), key=lambda a: (-a.total, a.code))
        for area in listed:
            area.name = names.get(area.code, area.code)
        result.append(Supervision(
            region=regions[code],
            villages=village_list(user=user).filter(code__startswith=code).count(),
            projects=totals["projects"], open_projects=totals["open_projects"], done_projects=totals["done_projects"],
            budget=totals["budget"] or Decimal("0"),
            overdue=sum(a.overdue for a in listed), stale=sum(a.stale for a in listed),
            overdue_follow_ups=sum(a.overdue_follow_ups for a in listed),
            overdue_problems=sum(a.overdue_problems for a in listed), to_recheck=to_recheck,
            areas=listed,
        ))
    return result
