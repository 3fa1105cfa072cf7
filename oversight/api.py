"""API v1 of supervision (督查): /api/v1/visits/ (record a visit, add its findings) and /api/v1/problems/ (the
register: rectify, close, reopen). The same FilterSets as the pages (oversight/filters.py), scoped by the gate; every
write is a call to oversight.services, so the pages' refusals hold here too, in the API's one error shape.

Photos (a finding's, a rectification's) come as multipart/form-data, several under `photos`, checked by the same
rules as the forms (projects.photos); those actions also take JSON without photos."""
from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import scoping
from core.api import ScopedViewSet, etag_for, referenced
from core.exceptions import InvalidInput, NotPermitted
from core.parsers import JSONParser
from projects import photos as photo_rules
from projects.api import photos_field
from projects.models import Project
from projects.selectors import project_list
from villages.models import Region, Village

from . import selectors, services
from .filters import ProblemFilterSet, VisitFilterSet
from .models import (
    Problem,
    ProblemCategory,
    ProblemPhoto,
    ProblemPhotoStage,
    ProblemSeverity,
    ProblemStatus,
    Visit,
    VisitKind,
)

CODE = r"^[0-9]{12}$"
# An API request's body is bounded by BODY_LIMIT_AUTHENTICATED (core.body_limits, and nginx's /api/ location): the
# portal's photo forms take more (nine photos of 10 MB), the API what fits in one request of that size.
PHOTOS_HELP = (f"Up to {photo_rules.MAX_PHOTOS} photos (JPEG, PNG or WebP), as multipart/form-data, one `photos` part each, "
               f"the whole request at most {settings.BODY_LIMIT_AUTHENTICATED // 1024} KiB (413 above). Checked and "
               "re-encoded by the same rules as the portal's forms; a refused photo refuses the request (400 on `photos`).")


class VisitSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", help_text="Code of the supervising office (a county, a city, the province).")
    region_name = serializers.CharField(source="region.name", help_text="The supervising office's name.")
    kind = serializers.ChoiceField(choices=VisitKind.choices, help_text="`unannounced` (四不两直) or `announced`.")
    villages = serializers.SerializerMethodField(help_text="12-digit codes of the villages visited.")
    projects = serializers.SerializerMethodField(help_text="Ids of the projects visited.")
    problems = serializers.IntegerField(source="problem_count", help_text="Problems found on the visit.")
    open_problems = serializers.IntegerField(source="open_count", help_text="Of those, not closed yet (to be rectified or re-checked).")
    recorded_by = serializers.SerializerMethodField(help_text="Who recorded the visit (their name; null: recorded by no one, e.g. imported).")

    class Meta:
        model = Visit
        fields = ["id", "region", "region_name", "kind", "visited_on", "inspectors", "summary", "villages", "projects",
                  "problems", "open_problems", "recorded_by", "created_at", "updated_at"]
        read_only_fields = fields

    def get_villages(self, visit) -> list[str]:
        return sorted(v.code for v in visit.villages.all())

    def get_projects(self, visit) -> list[int]:
        return sorted(p.pk for p in visit.projects.all())

    def get_recorded_by(self, visit) -> str | None:
        return visit.recorded_by.display_name if visit.recorded_by_id else None


class VisitCreateSerializer(serializers.Serializer):
    region = serializers.RegexField(r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$", help_text="Code of the supervising office: a county, a city or the province whose visits the caller records.")
    kind = serializers.ChoiceField(choices=VisitKind.choices, default=VisitKind.UNANNOUNCED, help_text="`unannounced` (四不两直, the default) or `announced`.")
    visited_on = serializers.DateField(help_text="The day of the visit (not in the future).")
    inspectors = serializers.CharField(max_length=300, help_text="The names of the inspectors.")
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True, help_text="What the visit found overall.")
    villages = serializers.ListField(
        child=serializers.RegexField(CODE), min_length=1, max_length=services.MAX_VILLAGES,
        help_text=f"12-digit codes of the villages visited, in the office's area (1 to {services.MAX_VILLAGES}).",
    )
    projects = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False, max_length=1000,
        help_text="Ids of the projects visited, each of a village visited.",
    )


class FindingSerializer(serializers.Serializer):
    village = serializers.RegexField(CODE, help_text="12-digit code of the village where the problem is, in the office's area "
                                                     "(one the visit went to, or it becomes one).")
    project = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True,
                                       help_text="The project concerned, of that village (optional).")
    category = serializers.ChoiceField(choices=ProblemCategory.choices, help_text="The problem's category.")
    severity = serializers.ChoiceField(choices=ProblemSeverity.choices, help_text="general, serious or critical.")
    description = serializers.CharField(max_length=4000, help_text="What the problem is.")
    deadline = serializers.DateField(help_text="Rectification deadline (not before the visit).")
    photos = photos_field("Photos as found. " + PHOTOS_HELP)


class FindingJSONSerializer(FindingSerializer):
    photos = None  # JSON carries no files: send multipart/form-data for photos


class ProblemPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The photo's id.")
    stage = serializers.ChoiceField(choices=ProblemPhotoStage.choices, help_text="`found` (on the visit) or `rectified` (after rectification).")
    url = serializers.SerializerMethodField(help_text="The photo, through the portal's gate (a logged-in session of the problem's area).")
    thumbnail_url = serializers.SerializerMethodField(help_text="Its thumbnail, through the same gate.")

    def _absolute(self, name, photo) -> str:
        path = reverse(name, args=[photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, photo) -> str:
        return self._absolute("oversight:problem_photo", photo)

    def get_thumbnail_url(self, photo) -> str:
        return self._absolute("oversight:problem_photo_thumbnail", photo)


class ProblemSerializer(serializers.ModelSerializer):
    visit = serializers.IntegerField(source="visit_id", help_text="The visit that found it.")
    office = serializers.CharField(source="visit.region_id", help_text="Code of the visit's office, which re-checks the rectification.")
    village = serializers.CharField(source="village_id", help_text="12-digit code of the village.")
    village_name = serializers.CharField(source="village.short_name", help_text="The village's name.")
    township = serializers.CharField(source="township_id", help_text="Code of the township that must rectify it.")
    project = serializers.IntegerField(source="project_id", allow_null=True, help_text="The project concerned (null: none).")
    category = serializers.ChoiceField(choices=ProblemCategory.choices, help_text="The problem's category.")
    severity = serializers.ChoiceField(choices=ProblemSeverity.choices, help_text="general, serious or critical.")
    status = serializers.ChoiceField(choices=ProblemStatus.choices, help_text="open (to be rectified) → rectified (to be re-checked) → "
                                                                             "closed; a re-check may reopen it.")
    overdue = serializers.SerializerMethodField(help_text="To be rectified and past its deadline.")
    photos = ProblemPhotoSerializer(many=True, help_text="Photos as found and after rectification.")

    class Meta:
        model = Problem
        fields = ["id", "visit", "office", "village", "village_name", "township", "project", "category", "severity",
                  "description", "found_on", "deadline", "status", "overdue", "rectified_on", "rectification", "closed_on",
                  "reopened", "photos", "created_at", "updated_at"]
        read_only_fields = fields

    def get_overdue(self, problem) -> bool:
        return problem.status == ProblemStatus.OPEN and problem.deadline < self.context["today"]


def _visit_queryset(user):
    return selectors.visit_list(user=user).prefetch_related(
        Prefetch("villages", queryset=Village.objects.only("code")),
        Prefetch("projects", queryset=Project.objects.only("id")),
    )


def _problem_queryset(user):
    return selectors.problem_list(user=user).prefetch_related(
        Prefetch("photos", queryset=ProblemPhoto.objects.only("id", "problem_id", "stage").order_by("id"))
    )


class _TodayMixin:
    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


def _require_somewhere(user, action_name):
    """A role that can never take the action is refused before its input is looked at."""
    if not scoping.can_anywhere(user, action_name):
        raise NotPermitted(action_name)


@extend_schema_view(
    list=extend_schema(description="Supervision visits (督查) of the offices in the caller's scope, newest first, with their "
                                   "villages, projects and problem counts. Filter by `region` (the office or below), `kind`, "
                                   "`visited_after`, `visited_before`, `village`, `q` (inspectors, summary)."),
    retrieve=extend_schema(description="One visit. Its problems: `GET /problems/?visit={id}`."),
)
class VisitViewSet(ScopedViewSet):
    selector = selectors.visit_list
    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet
    queryset = Visit.objects.none()
    default_ordering = ("-visited_on", "-id")

    def get_queryset(self):
        return _visit_queryset(self.request.user).order_by(*self.default_ordering)

    def get_serializer_class(self):
        if self.action == "create":
            return VisitCreateSerializer
        if self.action == "findings":
            return FindingSerializer
        return VisitSerializer

    @extend_schema(
        request=VisitCreateSerializer, responses={201: VisitSerializer},
        description="Record a visit (county staff for their county, city and province staff for their area), through "
                    "the same service as the portal's form. Its findings are added afterwards "
                    "(`POST /visits/{id}/findings/`). A village code that is not of the office's area answers 400 on "
                    "`villages`.",
        examples=[OpenApiExample("An unannounced visit", request_only=True, value={
            "region": "330523", "kind": "unannounced", "visited_on": "2025-09-10", "inspectors": "县督查组 王明、李华",
            "villages": ["330523108204"], "projects": [],
        })],
    )
    def create(self, request, *args, **kwargs):
        _require_somewhere(request.user, "visit.record")
        serializer = VisitCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        offices = scoping.restrict(Region.objects.filter(level__in=services.SUPERVISING_LEVELS), request.user, "visit.record")
        region = referenced(offices, "region", code=data["region"])
        codes = list(dict.fromkeys(data["villages"]))
        found = {v.code: v for v in Village.objects.filter(code__in=codes, code__startswith=region.code)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise InvalidInput(field_errors={"villages": _("No single village of %(office)s is named: %(names)s.")
                                             % {"office": region.name, "names": "、".join(unknown[:20])}})
        ids = list(dict.fromkeys(data.get("projects", [])))
        projects = list(project_list(user=request.user).filter(pk__in=ids)) if ids else []
        if len(projects) != len(ids):
            raise InvalidInput(field_errors={"projects": _("Unknown, or outside your area.")})
        visit = services.visit_record(
            actor=request.user, region=region, kind=data["kind"], visited_on=data["visited_on"],
            inspectors=data["inspectors"], summary=data.get("summary", ""), villages=[found[c] for c in codes],
            projects=projects,
        )
        return self.created(visit, VisitSerializer)

    @extend_schema(
        request={"multipart/form-data": FindingSerializer, "application/json": FindingJSONSerializer},
        responses={201: ProblemSerializer},
        description="Add a finding of the visit: a problem in the register for the village's township to rectify by "
                    "`deadline`, with the photos taken (multipart/form-data; JSON without photos). The visit's office "
                    "only (county staff, city and province staff of its area).",
    )
    @action(detail=True, methods=["post"], parser_classes=[parsers.MultiPartParser, JSONParser])
    def findings(self, request, pk=None):
        visit = self.get_object()
        if not scoping.can(request.user, "visit.record", visit):
            raise NotPermitted("visit.record")
        serializer = FindingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        village = referenced(Village.objects.filter(code__startswith=visit.region_id), "village", code=data["village"])
        project = (referenced(project_list(user=request.user), "project", pk=data["project"])
                   if data.get("project") is not None else None)
        problem = services.finding_add(
            actor=request.user, visit=visit, village=village, project=project, category=data["category"],
            severity=data["severity"], description=data["description"], deadline=data["deadline"],
            photos=data.get("photos", []),
        )
        return _problem_response(self, problem, status.HTTP_201_CREATED)


class RectifySerializer(serializers.Serializer):
    rectified_on = serializers.DateField(help_text="The day the rectification was done (not in the future, not before the finding).")
    rectification = serializers.CharField(max_length=4000, help_text="What was done.")
    photos = photos_field("Photos of the result: at least one. " + PHOTOS_HELP)


class CloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField(required=False, help_text="The day of the re-check (default today; not before the rectification).")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, help_text="A note on the re-check, kept in the history.")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="What is still wrong (整改不到位).")
    deadline = serializers.DateField(required=False, allow_null=True, help_text="A new deadline (not in the past); absent or null: the deadline stands.")


def _problem_response(view, problem, status_code=status.HTTP_200_OK):
    """The problem as the list shows it (re-read through the gate), with its ETag."""
    problem = _problem_queryset(view.request.user).get(pk=problem.pk)
    context = {**view.get_serializer_context(), "today": timezone.localdate()}
    response = Response(ProblemSerializer(problem, context=context).data, status=status_code)
    response["ETag"] = etag_for(problem)
    return response


@extend_schema_view(
    list=extend_schema(description="The problem register (问题清单) of the caller's scope, nearest deadline first. Filter by "
                                   "`region`, `township`, `village`, `visit`, `office` (the visit's office itself), "
                                   "`category`, `severity`, `status`, `overdue`, `found_after`, `found_before`, "
                                   "`deadline_after`, `deadline_before`, `q`; `ordering`."),
    retrieve=extend_schema(description="One problem, with its photos."),
)
class ProblemViewSet(_TodayMixin, ScopedViewSet):
    selector = selectors.problem_list
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilterSet
    queryset = Problem.objects.none()
    default_ordering = ("deadline", "id")

    def get_queryset(self):
        return _problem_queryset(self.request.user).order_by(*self.default_ordering)

    def get_serializer_class(self):
        return {"rectify": RectifySerializer, "close": CloseSerializer, "reopen": ReopenSerializer}.get(self.action, ProblemSerializer)

    @extend_schema(
        request={"multipart/form-data": RectifySerializer}, responses={200: ProblemSerializer},
        description="Record the rectification (整改) of a problem to be rectified, with at least one photo of the result "
                    "(multipart/form-data): the township's official or the county's staff. The visit's office then "
                    "re-checks it. A problem not to be rectified answers 409.",
    )
    @action(detail=True, methods=["post"], parser_classes=[parsers.MultiPartParser, JSONParser])
    def rectify(self, request, pk=None):
        problem = self.get_object()
        if not scoping.can(request.user, "problem.rectify", problem):
            raise NotPermitted("problem.rectify")
        serializer = RectifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = services.problem_rectify(actor=request.user, problem=problem, rectified_on=data["rectified_on"],
                                           rectification=data["rectification"], photos=data.get("photos", []))
        return _problem_response(self, problem)

    @extend_schema(
        request=CloseSerializer, responses={200: ProblemSerializer},
        description="Close a rectified problem after the re-check (the visit's office). Any other status answers 409.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        problem = self.get_object()
        if not scoping.can(request.user, "problem.recheck", problem.visit):
            raise NotPermitted("problem.recheck")
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = services.problem_close(actor=request.user, problem=problem, on_date=data.get("closed_on"),
                                         note=data.get("note", ""))
        return _problem_response(self, problem)

    @extend_schema(
        request=ReopenSerializer, responses={200: ProblemSerializer},
        description="Reopen a rectified or closed problem whose re-check found it not fixed (the visit's office), with "
                    "the reason and, if given, a new deadline: the township must rectify it again. A problem still to be "
                    "rectified answers 409.",
        examples=[OpenApiExample("Not fixed", request_only=True, value={"reason": "河道漂浮物仍在", "deadline": "2099-12-31"})],
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        problem = self.get_object()
        if not scoping.can(request.user, "problem.recheck", problem.visit):
            raise NotPermitted("problem.recheck")
        serializer = ReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = services.problem_reopen(actor=request.user, problem=problem, reason=data["reason"],
                                          deadline=data.get("deadline"))
        return _problem_response(self, problem)
