"""Every read of the public pages, and the only place that decides what the public may read:

- bulletins: the published ones (``bulletins.BulletinStatus.PUBLISHED``), of any office;
- villages: those of the counties that opened their village pages (``CountyPublication.villages_public``), with
  their projects from approval on (not drafts, submissions, returned or cancelled ones), their money in summary
  and their latest finalised assessment;
- exemplary cases: the published ones, with their photos.

What is read of them is copied into plain records here (``PublicProject``, ``VillagePage``), so a template cannot
reach a field that is not meant for the public: no person (a project's responsible person and phone, an owner, a
user, an assessor), no GPS position. Each page costs the same number of queries whatever it shows."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from assessment.models import Assessment, AssessmentStatus
from bulletins.models import Bulletin, BulletinStatus
from core.scoping import SYSTEM, restrict
from funding.selectors import figures_for_area
from projects.models import Project, ProjectStatus, output_unit_of
from villages.models import Region, RegionLevel, Village

from .models import Exemplar, ExemplarPhoto, ExemplarStatus

# A project is public from its approval on; a cancelled one is not.
PUBLIC_PROJECT_STATUSES = (
    ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.SUSPENDED,
    ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED,
)


def published_bulletins() -> QuerySet:
    return (Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).select_related("region")
            .only("pk", "title", "body", "period_start", "period_end", "published_at", "pdf", "region__code", "region__name")
            .order_by("-published_at", "-id"))


def open_counties() -> QuerySet:
    """The counties whose village pages are public, with their city."""
    return (Region.objects.filter(level=RegionLevel.COUNTY, publication__villages_public=True)
            .select_related("parent").order_by("code"))


def public_villages() -> QuerySet:
    return Village.objects.filter(township__parent__publication__villages_public=True)


def county_villages(county: Region) -> QuerySet:
    """The villages of an open county, by township, with the count of their public projects."""
    return (public_villages().filter(township__parent=county).select_related("township")
            .annotate(public_projects=Count("projects", filter=_public_projects_q())).order_by("code"))


def _public_projects_q() -> Q:
    return Q(projects__status__in=PUBLIC_PROJECT_STATUSES)


def published_exemplars() -> QuerySet:
    """Published cases, newest first, each with its first photo (for the list) and its village's names."""
    return (Exemplar.objects.filter(status=ExemplarStatus.PUBLISHED)
            .select_related("village", "village__township", "village__township__parent")
            .only("pk", "title", "summary", "story", "published_at", "village__code", "village__short_name",
                  "village__category", "village__township__code", "village__township__name",
                  "village__township__parent__code", "village__township__parent__name")
            .prefetch_related(Prefetch("photos", queryset=ExemplarPhoto.objects.only("pk", "exemplar_id", "caption", "width", "height")
                                       .order_by("id"), to_attr="public_photos"))
            .order_by("-published_at", "-id"))


def published_exemplar_photos() -> QuerySet:
    """The photos of published cases (each reached through its own case: the views filter by both)."""
    return ExemplarPhoto.objects.filter(exemplar__status=ExemplarStatus.PUBLISHED)


@dataclass(frozen=True)
class PublicProject:
    pk: int
    name: str
    type: str
    type_label: str
    status: str
    status_label: str
    percent_complete: int
    budget: Decimal
    planned_start: object
    planned_end: object
    actual_end: object
    planned_output: Decimal | None
    actual_output: Decimal | None
    unit: str


@dataclass(frozen=True)
class LatestGrade:
    scheme: str
    period: str
    total_score: Decimal | None
    grade: str
    grade_label: str


@dataclass
class VillagePage:
    village: Village
    projects: list[PublicProject] = field(default_factory=list)
    budget: Decimal = Decimal("0.00")
    allocated: Decimal = Decimal("0.00")
    disbursed: Decimal = Decimal("0.00")
    execution_rate: Decimal | None = None
    latest: LatestGrade | None = None
    exemplars: list = field(default_factory=list)
    by_status: dict = field(default_factory=dict)


def village_page(code: str) -> VillagePage | None:
    """The public page of a village of an open county, or None. Seven queries whatever the number of projects."""
    village = (public_villages().select_related("township", "township__parent", "township__parent__parent")
               .only("code", "short_name", "name", "category", "kind", "joined_year",
                     "township__code", "township__name", "township__parent__code", "township__parent__name",
                     "township__parent__parent__code", "township__parent__parent__name")
               .filter(code=code).first())
    if village is None:
        return None
    rows = (Project.objects.filter(village=village, status__in=PUBLIC_PROJECT_STATUSES)
            .only("pk", "name", "type", "status", "percent_complete", "budget", "planned_start", "planned_end",
                  "actual_end", "planned_output", "actual_output").order_by("-planned_start", "-id"))
    projects = [PublicProject(
        pk=p.pk, name=p.name, type=p.type, type_label=str(p.get_type_display()), status=p.status,
        status_label=str(p.get_status_display()), percent_complete=p.percent_complete, budget=p.budget,
        planned_start=p.planned_start, planned_end=p.planned_end, actual_end=p.actual_end,
        planned_output=p.planned_output, actual_output=p.actual_output, unit=str(output_unit_of(p.type)),
    ) for p in rows]
    money = figures_for_area(user=SYSTEM, code=village.code)  # allocations and disbursements of the village
    page = VillagePage(village=village, projects=projects)
    page.budget = sum((p.budget for p in projects), Decimal("0.00"))
    page.allocated, page.disbursed = money.allocated, money.disbursed
    page.execution_rate = (money.disbursed * 100 / page.budget).quantize(Decimal("0.1")) if page.budget else None
    for p in projects:
        page.by_status[p.status_label] = page.by_status.get(p.status_label, 0) + 1
    latest = (Assessment.objects.filter(village=village, status=AssessmentStatus.FINALISED).select_related("scheme")
              .only("period", "total_score", "grade", "finalised_at", "scheme__name").order_by("-period", "-finalised_at").first())
    if latest is not None:
        page.latest = LatestGrade(scheme=latest.scheme.name, period=latest.period, total_score=latest.total_score,
                                  grade=latest.grade, grade_label=str(latest.get_grade_display()))
    page.exemplars = list(Exemplar.objects.filter(village=village, status=ExemplarStatus.PUBLISHED)
                          .order_by("-published_at", "-id").values("pk", "title", "summary"))
    return page



# --- The staff's reads (through the gate) -------------------------------------------------------------------------

def exemplar_list(*, user) -> QuerySet:
    return restrict(Exemplar.objects.select_related("village", "village__township"), user).order_by("-updated_at", "-id")


def exemplar_photo_list(*, user) -> QuerySet:
    return restrict(ExemplarPhoto.objects.select_related("exemplar"), user)


def managed_counties(*, user) -> list:
    """The counties whose public pages the user keeps, with their choice (None: never made)."""
    return list(restrict(Region.objects.filter(level=RegionLevel.COUNTY), user, "publicity.manage")
                .select_related("publication").order_by("code"))


def managed_villages(*, user) -> QuerySet:
    return restrict(Village.objects.select_related("township"), user, "publicity.manage").order_by("code")
