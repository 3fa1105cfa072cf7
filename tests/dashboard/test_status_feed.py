"""The bulk village status feed, GET /api/v1/village-status/ (issue 24, item 1).

The feed serves the snapshots (dashboard.models.VillageStatus) that the dashboard's rebuild writes with the output of
dashboard.status.village_blocks, the function behind /api/v1/villages/{code}/status/. After random writes through the
services and the outbox drained, the feed equals the per-village endpoint for every village of the sample county:
which proves every write the block shows reaches the outbox (core.changes.village_changed)."""
import datetime
import os
import random
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from assessment import services as assessment_services
from assessment.models import Assessment, AssessmentStatus, FollowUp, FollowUpStatus
from core.exceptions import DomainError
from core.models import Role
from dashboard import stats
from dashboard.models import VillageStatus
from dashboard.status import village_block
from funding import services as funding_services
from funding.models import Allocation, FundingSource
from maintenance import services as maintenance_services
from maintenance.models import Asset, AssetStatus, Fault, Keeper
from planning import services as planning_services
from planning.models import CreationListEntry, Plan, PlanKind, PlanStatus
from projects import services as project_services
from projects.models import Project, ProjectStatus
from tests.clock import at_day
from tests.factories import ProjectFactory, VillageFactory, user_with
from tests.images import upload
from tests.sample.test_seed_demo import ANJI_VILLAGES, AS_OF, COUNTY, load_villages
from villages.models import Village

FEED = "/api/v1/village-status/"
D = Decimal


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _sync(client, query: str = "") -> tuple[list[dict], str | None, int]:
    """Every page of a sync: (items, the last page's next_updated_since, pages)."""
    items, url, pages, mark = [], FEED + query, 0, None
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["results"]
        url, mark, pages = body["next"], body["next_updated_since"], pages + 1
    return items, mark, pages


# --- the feed equals the per-village endpoint after random writes ------------------------------------------------

@pytest.fixture
def anji_sample(db, monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at_day(monkeypatch, AS_OF)
    load_villages(ANJI_VILLAGES)
    from sample.demo import seed_demo

    seed_demo(county_code=COUNTY, as_of=AS_OF)


def _writes(rng: random.Random, steps: int) -> dict:
    """A random sequence of writes through the services, as the county's staff and the townships' officials."""
    today = AS_OF
    county = user_with("feed_county", (Role.COUNTY_STAFF, COUNTY))
    official = user_with("feed_official", *((Role.TOWNSHIP_OFFICIAL, t) for t in ANJI_VILLAGES))
    source = FundingSource.objects.filter(region_id__in=["33", "3305", COUNTY]).order_by("pk").first()
    done: dict[str, int] = {}

    def projects(*statuses):
        return list(Project.objects.filter(village__code__startswith=COUNTY, status__in=statuses).order_by("pk"))

    for step in range(steps):
        op = rng.choice(["report", "move", "move", "allocate", "pay", "finalise", "reopen", "follow_up", "inspect",
                         "fault", "repair", "keeper", "plan_item", "creation", "promote_noop"])
        try:
            if op == "report" and (live := projects(ProjectStatus.UNDER_CONSTRUCTION)):
                project = rng.choice(live)
                spent = project.progress_reports.order_by("-report_date", "-pk").values_list("amount_spent", flat=True).first()
                project_services.progress_report_create(
                    actor=official, project=project, report_date=today,
                    percent_complete=min(100, project.percent_complete + rng.randint(1, 30)),
                    amount_spent=(spent or D("0")) + D("1000"))
            elif op == "move" and (movable := projects(ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION,
                                                       ProjectStatus.COMPLETED, ProjectStatus.SUSPENDED)):
                project = rng.choice(movable)
                actions = project_services.available_actions(official, project) + project_services.available_actions(county, project)
                if not actions:
                    continue
                action = rng.choice(actions)
                actor = official if action.permission in ("project.submit", "project.start", "project.complete",
                                                          "project.withdraw", "project.discard") else county
                extra = {"maintenance": {"maintenance_body": "village_collective", "maintenance_owner": "村委会"},
                         "actual_output": D("10")} if action.name == "accept" else {}
                project_services.project_transition(actor=actor, project=project, action=action.name, reason="理由", **extra)
            elif op == "allocate" and (live := projects(ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION)):
                funding_services.allocation_create(actor=county, source=source, project=rng.choice(live),
                                                   amount=D(rng.randint(1, 9) * 1000))
            elif op == "pay" and (allocations := list(Allocation.objects.filter(
                    village__code__startswith=COUNTY, project__isnull=False, reverses__isnull=True).order_by("pk")[:50])):
                funding_services.disbursement_create(actor=county, allocation=rng.choice(allocations), amount=D("100"),
                                                     paid_on=today, voucher_no=f"F{step}")
            elif op in ("finalise", "reopen"):
                finalised = list(Assessment.objects.filter(village__code__startswith=COUNTY,
                                                           status=AssessmentStatus.FINALISED, promotions__isnull=True)
                                 .order_by("pk"))
                if not finalised:
                    continue
                assessment = rng.choice(finalised)
                # Reopened, rescored the same and finalised again: the round's ranks move and come back.
                assessment_services.assessment_reopen(actor=county, assessment=assessment, reason="更正")
                if op == "finalise":
                    assessment = Assessment.objects.get(pk=assessment.pk)
                    scores = {s.indicator_id: (s.score, s.evidence or "依据") for s in assessment.scores.all()}
                    assessment_services.assessment_score(actor=county, assessment=assessment, scores=scores, submit=True)
                    assessment_services.round_finalise(actor=county, scheme=assessment.scheme, period=assessment.period,
                                                       county_code=COUNTY)
            elif op == "follow_up" and (open_ := list(FollowUp.objects.filter(
                    village__code__startswith=COUNTY).exclude(status=FollowUpStatus.CLOSED).order_by("pk"))):
                follow_up = rng.choice(open_)
                step = {FollowUpStatus.OPEN: "talk", FollowUpStatus.TALK_HELD: "rectification"}.get(follow_up.status, "close")
                assessment_services.follow_up_advance(actor=county, follow_up=follow_up, step=step, on=today, text="记录")
            elif op == "inspect" and (assets := list(Asset.objects.filter(
                    village__code__startswith=COUNTY, status=AssetStatus.IN_SERVICE).order_by("pk"))):
                maintenance_services.inspection_record(actor=official, asset=rng.choice(assets), done_on=today,
                                                       condition=rng.randint(1, 5), fault=None)
            elif op == "fault" and (assets := list(Asset.objects.filter(
                    village__code__startswith=COUNTY, status=AssetStatus.IN_SERVICE).order_by("pk"))):
                maintenance_services.fault_report(actor=official, asset=rng.choice(assets), severity="minor",
                                                  description="灯不亮", reported_on=today)
            elif op == "repair" and (faults := list(Fault.objects.filter(
                    asset__village__code__startswith=COUNTY, status__in=["reported", "repairing"]).order_by("pk"))):
                maintenance_services.fault_mark_repaired(actor=official, fault=rng.choice(faults), repaired_on=today,
                                                         notes="已修复", photos=[upload()])
            elif op == "keeper" and (assets := list(Asset.objects.filter(
                    village__code__startswith=COUNTY, status=AssetStatus.IN_SERVICE).order_by("pk"))):
                asset = rng.choice(assets)
                keepers = list(Keeper.objects.filter(region_id__in=[COUNTY, asset.village_id[:9]]).order_by("pk"))
                if not keepers:
                    continue
                maintenance_services.keeper_assign(actor=county, asset=asset, keeper=rng.choice(keepers),
                                                   chief_type=rng.choice(["road", "river", "keeper"]), starts_on=today)
            elif op == "plan_item" and (plans := list(Plan.objects.filter(
                    area_code__startswith=COUNTY, kind=PlanKind.CONSTRUCTION, status=PlanStatus.CURRENT).order_by("pk"))):
                planning_services.plan_item_add(actor=official, plan=rng.choice(plans), reason="补充", data={
                    "kind": "road", "name": f"新增项目{step}", "planned_year": today.year, "quantity": D("1")})
            elif op == "creation":
                entry = CreationListEntry.objects.filter(village__code__startswith=COUNTY).order_by("pk").first()
                if entry is None:
                    continue
                planning_services.creation_list_remove(actor=county, entry=entry, reason="调整")
            elif op == "promote_noop":
                continue
            else:
                continue
            done[op] = done.get(op, 0) + 1
        except DomainError as refused:  # a refused step writes nothing
            assert refused.code
            done[f"refused {op}"] = done.get(f"refused {op}", 0) + 1
    return done


@pytest.mark.django_db(transaction=False)
def test_the_feed_equals_the_per_village_endpoint_after_random_writes(anji_sample, django_capture_on_commit_callbacks,
                                                                      eager_celery):
    seed = int(os.environ.get("FEED_SEED", random.randrange(10**6)))
    print(f"FEED_SEED={seed}")  # shown on failure: rerun with FEED_SEED=<seed>
    rng = random.Random(seed)
    with django_capture_on_commit_callbacks(execute=True):
        done = _writes(rng, 60)
    stats.drain()
    print(f"writes: {done}")
    assert len([op for op in done if not op.startswith("refused")]) >= 8, done  # many kinds of write happened
    root = user_with("feed_root")
    root.is_superuser = True
    root.save()
    client = _client(root)
    items, _mark, _pages = _sync(client, f"?region={COUNTY}&page_size=7")
    villages = list(Village.objects.filter(code__startswith=COUNTY).order_by("code").values_list("code", flat=True))
    assert [item["code"] for item in items] == villages
    for item in items:
        expected = client.get(f"/api/v1/villages/{item['code']}/status/").json()
        assert item["status"] == expected, (seed, item["code"])


def test_the_per_village_endpoint_is_the_function_it_shares_with_the_feed(db):
    village = VillageFactory(code="330523108204")
    ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, percent_complete=40)
    official = user_with("o", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    body = _client(official).get(f"/api/v1/villages/{village.code}/status/").json()
    assert body == village_block(village.code)
    assert body["projects"]["total"] == 1 and body["projects"]["completion"] == 40.0


# --- updated_since, the watermark, no bump without a change ------------------------------------------------------

@pytest.fixture
def small(db):
    villages = [VillageFactory(code=f"330523108{200 + i:03d}") for i in range(6)]
    villages.append(VillageFactory(code="330523102201", township_code="330523102"))
    stats.rebuild("")
    return villages


def test_updated_since_returns_exactly_the_villages_changed_after_the_watermark(small, django_capture_on_commit_callbacks,
                                                                                 eager_celery):
    county = user_with("county", (Role.COUNTY_STAFF, "330523"))
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    client = _client(county)
    items, mark, _pages = _sync(client)
    assert len(items) == 7 and mark is not None
    assert _sync(client, "?" + _q(updated_since=mark))[0] == []  # nothing changed: nothing sent
    data = {"type": "road", "name": "道路", "budget": D("100000"), "planned_start": AS_OF, "planned_end": AS_OF,
            "responsible_person": "张"}
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_create(actor=official, village=small[1], data=data)
        project_services.project_create(actor=official, village=small[4], data=data)
    changed, mark2, _pages = _sync(client, "?" + _q(updated_since=mark))
    assert [item["code"] for item in changed] == [small[1].code, small[4].code]
    assert changed[0]["status"]["projects"]["by_status"]["draft"] == 1
    assert mark2 > mark
    assert _sync(client, "?" + _q(updated_since=mark2))[0] == []
    # A rebuild that changes no block (a write with the same figures, the nightly refresh) bumps nothing.
    before = dict(VillageStatus.objects.values_list("village_id", "changed_at"))
    stats.rebuild_all()
    assert dict(VillageStatus.objects.values_list("village_id", "changed_at")) == before
    assert _sync(client, "?" + _q(updated_since=mark2))[0] == []
    # The watermark of a sync is fixed when it begins: a change committed while paging is found by the next sync.
    first = client.get(FEED + "?page_size=2").json()
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_create(actor=official, village=small[0], data=data)
    rest, mark3, _pages = _sync(client, "?" + first["next"].split("?", 1)[1])
    assert mark3 == first["next_updated_since"] == mark2
    assert [item["code"] for item in _sync(client, "?" + _q(updated_since=mark3))[0]] == [small[0].code]


def _q(**params) -> str:
    from django.utils.http import urlencode

    return urlencode(params)


def test_stamps_increase_strictly_even_when_the_clock_goes_back(small, monkeypatch):
    from django.utils import timezone

    from dashboard import status

    last = VillageStatus.objects.order_by("-changed_at").values_list("changed_at", flat=True).first()
    monkeypatch.setattr(timezone, "now", lambda: last - datetime.timedelta(hours=1))
    ProjectFactory(village=small[2])
    stats.rebuild(small[2].code)
    stamp = VillageStatus.objects.get(pk=small[2].code).changed_at
    assert stamp == last + datetime.timedelta(microseconds=1)
    assert status.watermark() == stamp


# --- paging -------------------------------------------------------------------------------------------------------

def test_paging_sends_every_village_once_and_caps_pages_at_500(db):
    township = "330523108"
    for i in range(503):
        VillageFactory(code=f"{township}{i:03d}")
    stats.rebuild("")
    client = _client(user_with("c", (Role.COUNTY_STAFF, "330523")))
    items, _mark, pages = _sync(client)
    assert pages == 2 and len(items) == 503 and len({i["code"] for i in items}) == 503
    assert [i["code"] for i in items] == sorted(i["code"] for i in items)
    assert len(client.get(FEED).json()["results"]) == 500
    items, _mark, pages = _sync(client, "?page_size=100")
    assert pages == 6 and len(items) == 503
    for value in ("501", "0", "-1", "abc", "²"):
        response = client.get(FEED + "?" + _q(page_size=value))
        assert response.status_code == 400 and "page_size" in response.json()["field_errors"], value


@pytest.mark.parametrize("param,value", [
    ("cursor", "nonsense"), ("cursor", "eyJhIjoiMSJ9"), ("cursor", "€"), ("cursor", "e30"),
    ("updated_since", "yesterday"), ("updated_since", "2026-01-01"), ("updated_since", "2026-13-01T00:00:00+08:00"),
])
def test_an_invalid_cursor_or_updated_since_is_a_400_naming_it(small, param, value):
    client = _client(user_with("c", (Role.COUNTY_STAFF, "330523")))
    response = client.get(FEED + "?" + _q(**{param: value}))
    assert response.status_code == 400, response.content
    assert param in response.json()["field_errors"]


# --- ETag -----------------------------------------------------------------------------------------------------------

def test_an_unchanged_page_answers_304_and_a_changed_one_200(small, django_capture_on_commit_callbacks, eager_celery):
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    client = _client(official)
    first = client.get(FEED + "?page_size=3")
    etag = first["ETag"]
    assert etag and "private" in first["Cache-Control"]
    again = client.get(FEED + "?page_size=3", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    data = {"type": "road", "name": "道路", "budget": D("100000"), "planned_start": AS_OF, "planned_end": AS_OF,
            "responsible_person": "张"}
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_create(actor=official, village=small[0], data=data)
    changed = client.get(FEED + "?page_size=3", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


# --- scoping and cost -----------------------------------------------------------------------------------------------

def test_anonymous_is_refused_and_each_reader_sees_its_own_area_only(small):
    assert APIClient().get(FEED).status_code == 401
    official = user_with("official", (Role.TOWNSHIP_OFFICIAL, "330523108"))
    neighbour = user_with("neighbour", (Role.TOWNSHIP_OFFICIAL, "330523102"))
    api = user_with("api", (Role.API_CLIENT, "330523102"))
    mine = {i["code"] for i in _sync(_client(official))[0]}
    theirs = {i["code"] for i in _sync(_client(neighbour))[0]}
    assert mine == {v.code for v in small[:6]} and theirs == {"330523102201"}
    assert {i["code"] for i in _sync(_client(api))[0]} == {"330523102201"}
    assert _sync(_client(official), "?region=330523102")[0] == []  # asking for another's area gives nothing


def test_token_clients_read_the_feed(small):
    from core.services import token_issue

    api = user_with("api", (Role.API_CLIENT, "330523"))
    token, _row = token_issue(user=api)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert len(client.get(FEED).json()["results"]) == 7


def test_the_same_queries_for_one_village_and_for_500(db, django_assert_max_num_queries):
    VillageFactory(code="330523108200")
    stats.rebuild("")
    client = _client(user_with("c", (Role.COUNTY_STAFF, "330523")))
    client.get(FEED)  # the user's grants are read once per request: warm nothing across requests
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert len(client.get(FEED).json()["results"]) == 1
    for i in range(1, 500):
        VillageFactory(code=f"330523108{200 + i:03d}")
    stats.rebuild("")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(FEED).json()["results"]) == 500
