"""A sample programme for demonstrations: ``python manage.py seed_demo``.

Builds a deterministic, plausible renovation programme on the real villages
of one county (安吉县 330523 by default) that ``import_divisions`` has loaded:

- projects of every type and in every status on about 60 % of the village
  committees, each with a lifecycle timeline consistent with
  ``projects.models.TRANSITIONS`` and, once building started, a progress
  history (sample/works.py);
- the two latest finalised annual assessment rounds of every village
  committee (the previous year's, finalised in the spring, and the year
  before's), with the bottom group (末位) followed up (sample/rounds.py);
- funding sources of every kind and mechanism, allocations within each
  source's total and region, disbursements within each allocation and within
  the rules of the mechanism (先建后补 only after acceptance, 以奖代补 only
  after the village passed that year's assessment), and one reversal pair
  (sample/ledger.py);
- demo users (``DEMO_USERS``) for the roles that come later, and the accounts the
  county's writes need where DEMO_USERS has none: an official of each other
  township, the province's supervisor (and, for another county, its clerk and
  its city's supervisor) (sample/people.py);
- a year of upkeep: the accepted projects' assets and facilities built before the portal, their keepers (the demo
  keeper ``keeper_yucun`` keeps 余村's station and sees only 余村), a year of inspections opened by the schedule
  and recorded mostly on time, faults repaired and verified, some still open (sample/upkeep.py).

Every figure is invented: project descriptions and funding-source notes carry
``SAMPLE_MARK`` (示例数据), and the county is recorded as holding sample data
(``Region.sample_data``, through villages.services.region_mark_sample_data), so
that every report and export covering it says so. Randomness comes only from
``random.Random`` seeded with the ``seed`` argument, and dates only from the
reference day ``as_of`` (by default the day it runs: base.Timeline), so a run on a
fresh database with the same seed and the same reference day writes the same
rows. The demo so opens on any day with a county's usual share of late work and
a monthly trend up to the current month. A second run for a county that
already has its sample programme writes nothing.

Everything is written through the domain services (project_create,
project_transition, progress_report_create, assessment_start/score,
round_finalise, the follow-up steps, funding_source_create, allocation_create,
allocation_reverse, disbursement_create, village_update), each by a demo account
that holds, in RoleAssignment, the role the gate asks for (see base._Actors), so
the access gate, the balance and mechanism checks and the audit rows are the
real ones. Only two things are written past them:
assessment schemes and their indicators (configuration, kept in the admin: no
service writes them), and the moments of the sample's timeline, put on the rows
afterwards (the services stamp the clock: transition times, created/updated
times, finalisation times, the reversal's date). The audit rows keep the
moment the seed ran. For 安吉县 (168 village committees, about 7,000 service
calls) it takes about 35 s on SQLite (bulk_create took 2 s), of which about 9 s
are the dashboard refreshes the writes queue for after the commit, which find
nothing left to do (the seed drains the outbox itself).
"""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assessment.models import Assessment, AssessmentScheme, FollowUp, Indicator, IndicatorScore
from bulletins.models import Bulletin
from dashboard.stats import drain, rebuild
from disclosure.models import Exemplar
from funding.models import Allocation, Disbursement, FundingSource
from maintenance.models import Asset, Fault, Inspection
from oversight.models import Problem, Visit
from planning.models import CreationListEntry, Plan, PlanItem, Target
from projects.models import ProgressReport, Project, ProjectTransition
from villages import outlines
from villages.models import Region, RegionLevel, SampleData, Village, VillageKind
from villages.services import region_mark_sample_data, village_update

from .base import (  # noqa: F401  (the names callers and tests use)
    DEFAULT_COUNTY,
    DEFAULT_SEED,
    SAMPLE_MARK,
    SCHEME_SUFFIX,
    DemoDataMissing,
    ReferenceDayRefused,
    _Actors,
    source_mark,
    timeline,
)
from .ledger import _seed_funding
from .oversight import seed_bulletin, seed_supervision
from .people import DEMO_PASSWORD, DEMO_SUPERUSER, DEMO_USERS, _seed_users, county_accounts  # noqa: F401
from .plans import revise_some_plans, seed_creation_lists, seed_targets
from .publicity import seed_public
from .rounds import _lagging_village, _seed_assessments
from .upkeep import DEMO_KEEPER, _seed_upkeep  # noqa: F401  (demo_logins prints the keeper)
from .works import _seed_projects

# --- Entry point --------------------------------------------------------------


def seed_demo(*, county_code: str = DEFAULT_COUNTY, seed: int = DEFAULT_SEED, as_of: date | None = None) -> dict:
    """Seed the sample programme of a county, dated as of ``as_of`` (default: today); return counts of what it holds.

    The result has ``created`` (False when the county already had its sample
    programme and nothing was written), ``as_of`` (the reference day) and one
    count per kind of row. A reference day after today, or before 2012, raises
    ReferenceDayRefused: no date of the sample is ever after the clock's day.
    """
    line = timeline(as_of or timezone.localdate())
    county = _county(county_code)
    villages = list(
        Village.objects.within(county_code)
        .filter(kind=VillageKind.VILLAGE_COMMITTEE)
        .select_related("township")
        .order_by("code")
    )
    if not villages:
        raise DemoDataMissing(
            f"No village committees of {county.name} ({county_code}) are in the database: run import_divisions first."
        )
    with transaction.atomic():
        if already_seeded(county):
            # A county seeded before reports learnt to read the mark gets it now (nothing written when it has it).
            region_mark_sample_data(actor=None, region=county, kind=SampleData.SAMPLE)
            return {"created": False, "as_of": None, **sample_counts(county_code)}
        users = _seed_users(county)
        actors = _Actors(users, county)
        plans = _seed_projects(random.Random(f"{seed}:projects"), county, villages, actors, line)
        lagging = _lagging_village(random.Random(f"{seed}:lagging"), plans, line)
        results = _seed_assessments(random.Random(f"{seed}:assessment"), county, villages, actors, lagging, line)
        _seed_funding(random.Random(f"{seed}:funding"), county, villages, plans, results, actors, lagging, line)
        _sample_places(random.Random(f"{seed}:places"), villages, actors)
        _seed_upkeep(random.Random(f"{seed}:upkeep"), county, villages, actors, line)
        revise_some_plans(random.Random(f"{seed}:revisions"), villages, actors, line)
        seed_targets(random.Random(f"{seed}:targets"), county, actors, line)
        seed_creation_lists(random.Random(f"{seed}:creation"), county, villages, actors, line)
        seed_supervision(random.Random(f"{seed}:supervision"), county, villages, actors, line)
        # What reports and exports read to mark their figures as samples (the reports do not know this app).
        region_mark_sample_data(actor=None, region=county, kind=SampleData.SAMPLE)
        # The services recorded every village they changed (the outbox): rebuild those now, in this transaction,
        # so that the refreshes queued for after the commit find nothing left to do; then the whole county, for
        # the figures no service reports (the assessment rounds).
        drain([village.code for village in villages], limit=len(villages))
        rebuild(county_code)
        # Last month's bulletin, written from the figures just rebuilt.
        seed_bulletin(county, actors, line)
        # Its public pages: the village pages opened, an exemplary case published and one in draft.
        seed_public(random.Random(f"{seed}:public"), county, villages, actors, line)
    return {"created": True, "as_of": line.today, **sample_counts(county_code)}


# 安吉县 lies around 30.64° N, 119.68° E; other counties get the same spread around their seat.
PLACE_CENTRES = {"330523": (30.64, 119.68)}
# The programme's famous villages, by short name, with a plausible (sample) year of joining, so that their phase
# shows: 下姜村 (淳安县) and 余村 among the first demonstration villages, 荻浦村 (桐庐县), 鲁家村 in the 美丽乡村 years.
FAMOUS_JOINED = {"下姜村": 2003, "余村": 2005, "荻浦村": 2007, "鲁家村": 2011}


def _sample_places(rng, villages, actors) -> None:
    """Sample population, households and coordinates for villages that have none (the division data
    carries neither), entered by the county: plausible for a county of Zhejiang, marked as sample data by the
    seed's output."""
    centre = PLACE_CENTRES.get(villages[0].code[:6], (30.0 + rng.random(), 119.5 + rng.random()))
    for village in villages:
        data = {}
        if village.population is None:
            data["population"] = rng.randint(800, 4200)
            data["households"] = max(1, round(data["population"] / rng.uniform(2.6, 3.4)))
        if village.latitude is None or village.longitude is None:
            # Inside the county's outline (villages.outlines); around the centre only if it has none.
            point = outlines.random_point(village.code[:6], rng) or (
                round(centre[0] + rng.uniform(-0.22, 0.22), 6), round(centre[1] + rng.uniform(-0.28, 0.28), 6))
            data["latitude"], data["longitude"] = Decimal(str(point[0])), Decimal(str(point[1]))
        if village.joined_year is None and village.short_name in FAMOUS_JOINED:
            data["joined_year"] = FAMOUS_JOINED[village.short_name]
        if data:
            village_update(actor=actors.county, village=village, data=data)


def _county(county_code: str) -> Region:
    if not (len(county_code) == 6 and county_code.isdigit()):
        raise DemoDataMissing(f"{county_code!r} is not a county code (six digits, e.g. 330523).")
    county = Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).select_related("parent__parent").first()
    if county is None:
        raise DemoDataMissing(f"County {county_code} is not in the database: run import_divisions first.")
    return county



def already_seeded(county: Region) -> bool:
    """Has the county a sample programme (of whatever reference day)?"""
    return (
        FundingSource.objects.filter(note__startswith=source_mark(county.code)).exists()
        or AssessmentScheme.objects.filter(
            region=county, name__startswith=county.name, name__endswith=SCHEME_SUFFIX
        ).exists()
        or Project.objects.within(county.code).filter(description__contains=SAMPLE_MARK).exists()
    )


def sample_counts(county_code: str) -> dict[str, int]:
    """Rows of the county's sample programme, by kind."""
    projects = Project.objects.within(county_code).filter(description__contains=SAMPLE_MARK)
    sources = FundingSource.objects.filter(note__startswith=source_mark(county_code))
    assessments = Assessment.objects.filter(village__code__startswith=county_code, scheme__region_id=county_code)
    county = Region.objects.filter(code=county_code).select_related("parent__parent").first()
    accounts = DEMO_USERS + (county_accounts(county) if county is not None else [])
    usernames = [username for username, *_ in accounts] + [DEMO_SUPERUSER[0]]
    return {
        "village_committees": Village.objects.within(county_code).filter(kind=VillageKind.VILLAGE_COMMITTEE).count(),
        "villages_with_projects": projects.order_by().values("village").distinct().count(),
        "projects": projects.count(),
        "project_transitions": ProjectTransition.objects.filter(project__in=projects).count(),
        "progress_reports": ProgressReport.objects.filter(project__in=projects).count(),
        "funding_sources": sources.count(),
        "allocations": Allocation.objects.filter(source__in=sources).count(),
        "disbursements": Disbursement.objects.filter(allocation__source__in=sources).count(),
        "assessment_schemes": AssessmentScheme.objects.filter(region_id=county_code).count(),
        "indicators": Indicator.objects.filter(scheme__region_id=county_code).count(),
        "assessments": assessments.count(),
        "indicator_scores": IndicatorScore.objects.filter(assessment__in=assessments).count(),
        "follow_ups": FollowUp.objects.filter(assessment__in=assessments).count(),
        "demo_users": get_user_model().objects.filter(username__in=usernames).count(),
        "assets": Asset.objects.filter(village__code__startswith=county_code).count(),
        "inspections": Inspection.objects.filter(asset__village__code__startswith=county_code).count(),
        "faults": Fault.objects.filter(asset__village__code__startswith=county_code).count(),
        "plans": Plan.objects.filter(area_code__startswith=county_code).count(),
        "plan_items": PlanItem.objects.filter(plan__area_code__startswith=county_code).count(),
        "targets": Target.objects.filter(region__code__startswith=county_code).count(),
        "creation_list_entries": CreationListEntry.objects.filter(county_id=county_code).count(),
        "supervision_visits": Visit.objects.filter(villages__code__startswith=county_code).distinct().count(),
        "problems": Problem.objects.filter(village__code__startswith=county_code).count(),
        "bulletins": Bulletin.objects.filter(region_id=county_code).count(),
        "exemplary_cases": Exemplar.objects.filter(village__code__startswith=county_code).count(),
    }
