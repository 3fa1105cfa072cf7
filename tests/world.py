"""The world of the access matrix, shared with the browser crawl (tests/browser/test_csp.py): one of
every object of the portal around 余村 (330523108204, 天荒坪镇, 安吉县) and a user of every kind.

Far from 余村, the same again in another city of Zhejiang (下姜村, 枫树岭镇, 淳安县, 杭州市, with 荻浦村 in
桐庐县, another county of that city) and in another province (福山村, 海虞镇, 常熟市, 苏州市, 江苏省), each
with users of every role: a gate that lets a user read beyond their own region shows it on these
(tests/core/test_access_matrix.py, tests/core/test_far_scoping.py)."""
import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from core.models import Role, RoleAssignment
from projects.models import ProjectStatus
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProgressPhotoFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    api_token,
    region,
)

PASSWORD = "correct-horse-battery-staple"

# user kind → (role, region) granted to it
GRANTS = {
    "official": (Role.TOWNSHIP_OFFICIAL, "330523108"),  # 天荒坪镇, where the village is
    "neighbour": (Role.TOWNSHIP_OFFICIAL, "330523001"),  # 递铺街道, same county
    "county": (Role.COUNTY_STAFF, "330523"),  # 安吉县
    "other_county": (Role.COUNTY_STAFF, "330522"),  # 长兴县
    "supervisor": (Role.SUPERVISOR, "3305"),  # 湖州市
    "api_client": (Role.API_CLIENT, "33"),
    # Far from 余村: every role in another city of the province, and in another province.
    "hz_official": (Role.TOWNSHIP_OFFICIAL, "330127106"),  # 枫树岭镇, 淳安县, 杭州市
    "hz_county": (Role.COUNTY_STAFF, "330127"),  # 淳安县
    "hz_supervisor": (Role.SUPERVISOR, "3301"),  # 杭州市
    "hz_api_client": (Role.API_CLIENT, "3301"),
    "js_official": (Role.TOWNSHIP_OFFICIAL, "320581105"),  # 海虞镇, 常熟市, 苏州市, 江苏省
    "js_county": (Role.COUNTY_STAFF, "320581"),  # 常熟市
    "js_supervisor": (Role.SUPERVISOR, "3205"),  # 苏州市
    "js_api_client": (Role.API_CLIENT, "32"),  # 江苏省
}
# The far areas of the world: key → (township, its county, the stem every name of its objects carries).
FAR_AREAS = {
    "hangzhou": ("330127106", "330127", "下姜"),
    "tonglu": ("330122104", "330122", "荻浦"),  # another county of 杭州市: the city's, not 淳安县's
    "jiangsu": ("320581105", "320581", "福山"),
}


def built_once(django_db_blocker, media, then=None):
    """Yield (the world, its media folder) for the tests of a module, built once for all of them: inside a
    transaction that stays open for the module and is rolled back at its end. Each test runs in a savepoint
    within it (the ``db`` fixture's own atomic block), so whatever a test writes is undone before the next one
    sees the world. ``then(world)`` runs after the build, in the same transaction. For a module-scoped fixture;
    its tests set MEDIA_ROOT to ``media`` (tests/conftest.py gives each test a folder of its own)."""
    from django.db import transaction
    from django.test import override_settings

    # The world's passwords are hashed as every test checks them (tests/conftest.py: _fast_password_hasher).
    fast = override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            if then is not None:
                then(world)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield world, media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def build_world():
    """One of everything around 余村 (天荒坪镇, 安吉县), and a user of each kind of GRANTS (password PASSWORD)."""
    village = VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    region("330522")
    base = dict(village=village, planned_start=datetime.date(2024, 3, 1), planned_end=datetime.date(2026, 12, 31))
    world = {
        "village": village,
        "draft": ProjectFactory(status=ProjectStatus.DRAFT, **base),
        "submitted": ProjectFactory(status=ProjectStatus.SUBMITTED, **base),
        "building": ProjectFactory(
            status=ProjectStatus.UNDER_CONSTRUCTION, actual_start=datetime.date(2024, 3, 5), budget=Decimal("500000"), **base
        ),
    }
    world["photo"] = ProgressPhotoFactory(report=ProgressReportFactory(project=world["building"]))
    world["source"] = FundingSourceFactory(name="2024年县级财政预算", region=region("330523"), total_amount=Decimal("1000000"))
    world["allocation"] = AllocationFactory(source=world["source"], project=world["building"], amount=Decimal("300000"))
    world["spare_allocation"] = AllocationFactory(source=world["source"], project=world["building"], amount=Decimal("20000"))
    world["payment"] = DisbursementFactory(allocation=world["allocation"], amount=Decimal("100000"), paid_on=datetime.date(2024, 5, 1))
    world.update(_assessment_world(village))
    world["report"] = _report(region("330523108"), village.code)
    world.update(_maintenance_world(village, "余村"))
    world.update(_planning_world(village, world["building"], "余村", draft=world["draft"]))
    world.update(_oversight_world(village, world["building"], "余村"))
    world.update(_bulletins_world("330523", "安吉县"))
    world.update(_public_world(village, "余村"))
    # Upkeep money (管护经费) for the asset: one allocation with a payment, one to reverse.
    world["upkeep_allocation"] = AllocationFactory(source=world["source"], project=None, asset=world["asset"], amount=Decimal("30000"))
    world["upkeep_payment"] = DisbursementFactory(allocation=world["upkeep_allocation"], amount=Decimal("10000"),
                                                  paid_on=datetime.date(2024, 5, 2), voucher_no="AJ-GH-2024-0001")
    world["spare_upkeep_allocation"] = AllocationFactory(source=world["source"], project=None, asset=world["asset"],
                                                         amount=Decimal("5000"))
    User = get_user_model()
    for kind, (role, code) in GRANTS.items():
        user = User.objects.create_user(kind, password=PASSWORD)
        RoleAssignment.objects.create(user=user, role=role, region=region(code))
        api_token(user)  # something for the account pages to revoke
    world["far"] = {area: _far_world(area, *place) for area, place in FAR_AREAS.items()}
    world.update(_funds_from_above(world["far"]["hangzhou"]["village"]))
    world["import"] = _import_batch(User.objects.get(username="county"), region("330523"), "330523108")
    return world


TARGETS_CSV = "区划代码,年度,目标类别,目标数量,备注\n{code},2026,污水治理,10,\n"


def _import_batch(requester, area, township_code):
    """An import of one township's target (a CSV), checked and ready to import, uploaded by ``requester``."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from imports.models import ImportBatch

    data = TARGETS_CSV.format(code=township_code).encode("utf-8")
    batch = ImportBatch(kind="targets", region=area, requester=requester, original_name="目标.csv", size=len(data),
                        sha256="0" * 64)
    batch.created_at = timezone.now()
    batch.file.save("targets.csv", ContentFile(data), save=False)
    batch.save()
    from imports.services import run_check

    run_check(batch.pk)
    batch.refresh_from_db()
    return batch


def _far_world(area, township, county, stem):
    """One of every object with an area, in a township far from 余村; every name carries ``stem``."""
    from django.utils import timezone

    from assessment.models import Assessment, FollowUp, IndicatorScore, Promotion, SchemeKind
    from core.models import VillageChange
    from projects.models import ProjectTransition
    from tests.factories import AssessmentSchemeFactory, IndicatorFactory

    village = VillageFactory(township_code=township, code=f"{township}201", name=f"{stem}村委会")
    base = dict(village=village, planned_start=datetime.date(2024, 3, 1), planned_end=datetime.date(2026, 12, 31))
    far = {"township": region(township), "village": village}
    for status in (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.APPROVED):
        far[status] = ProjectFactory(status=status, name=f"{stem}村{status}工程", **base)
    far["building"] = ProjectFactory(status=ProjectStatus.UNDER_CONSTRUCTION, name=f"{stem}村污水管网工程",
                                     actual_start=datetime.date(2024, 3, 5), budget=Decimal("500000"), **base)
    far["transition"] = ProjectTransition.objects.create(project=far["submitted"], from_status=ProjectStatus.DRAFT,
                                                         to_status=ProjectStatus.SUBMITTED, at=timezone.now())
    far["progress"] = ProgressReportFactory(project=far["building"], narrative=f"{stem}村管网铺设过半")
    far["photo"] = ProgressPhotoFactory(report=far["progress"])
    far["source"] = FundingSourceFactory(name=f"{stem}片区县级财政资金", region=region(county), total_amount=Decimal("800000"))
    far["allocation"] = AllocationFactory(source=far["source"], project=far["building"], amount=Decimal("200000"))
    far["payment"] = DisbursementFactory(allocation=far["allocation"], amount=Decimal("60000"), paid_on=datetime.date(2024, 5, 1),
                                         voucher_no=f"{area.upper()}-2024-0001")
    far["scheme"] = AssessmentSchemeFactory(name=f"{stem}片区年度考核", year=2025, region=region(county))
    indicator = IndicatorFactory(scheme=far["scheme"], name=f"{stem}综合", max_score=Decimal("100"))
    far["assessment"] = Assessment.objects.create(scheme=far["scheme"], village=village, period="2025", status="finalised",
                                                  total_score=Decimal("50"), grade="fail", finalised_at=timezone.now())
    far["score"] = IndicatorScore.objects.create(assessment=far["assessment"], indicator=indicator, score=Decimal("50"),
                                                 max_score=Decimal("100"))
    far["follow_up"] = FollowUp.objects.create(assessment=far["assessment"], village=village, rank=1, ranked_among=1,
                                               due_date=datetime.date(2025, 12, 31))
    acceptance = AssessmentSchemeFactory(name=f"{stem}示范村验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region(county))
    far["acceptance"] = Assessment.objects.create(scheme=acceptance, village=village, period="2025", status="finalised",
                                                  total_score=Decimal("90"), grade="good", finalised_at=timezone.now())
    far["promotion"] = Promotion.objects.create(village=village, from_category="renovation", to_category="demonstration",
                                                promoted_on=datetime.date(2025, 12, 1), assessment=far["acceptance"])
    far["report"] = _report(region(township), village.code)
    far["village_change"] = VillageChange.objects.create(village_code=village.code)  # the dashboard's outbox
    maintenance = _maintenance_world(village, stem)
    far.update({key: maintenance[key] for key in (
        "asset", "keeper", "keeper_assignment", "inspection", "inspection_photo", "due_inspection", "fault", "fault_photo",
    )})
    from maintenance.models import InspectionInterval

    far["interval"] = InspectionInterval.objects.create(region=region(county), kind="road", days=60)
    far["upkeep_allocation"] = AllocationFactory(source=far["source"], project=None, asset=far["asset"], amount=Decimal("20000"))
    far.update(_planning_world(village, far["building"], stem, draft=far[ProjectStatus.DRAFT]))
    far.update({key: value for key, value in _oversight_world(village, far["building"], stem).items()
                if key in ("visit", "problem", "problem_photo")})
    far["bulletin"] = _bulletins_world(county, stem)["bulletin"]
    far["import"] = _import_batch(get_user_model().objects.get(username=FAR_IMPORTER[area]), region(county), township)
    public = _public_world(village, stem, opened=False)
    far.update({key: public[key] for key in ("publication", "exemplar", "exemplar_photo")})
    return far


# Who uploaded each far area's import (its audience reads it through the gate; only its uploader through the pages).
FAR_IMPORTER = {"hangzhou": "hz_county", "tonglu": "hz_supervisor", "jiangsu": "js_county"}


def _public_world(village, stem, opened=True):
    """The county's public pages (公开): its village pages opened (or, far away, not); an exemplary case published with
    a photo, one in draft with a photo, one withdrawn."""
    from disclosure.models import CountyPublication
    from tests.factories import ExemplarFactory, ExemplarPhotoFactory, PublishedExemplarFactory

    published = PublishedExemplarFactory(village=village, title=f"{stem}：从卖石头到卖风景")
    draft = ExemplarFactory(village=village, title=f"{stem}：小微水体治理（草稿）")
    return {
        "publication": CountyPublication.objects.create(county=region(village.code[:6]), villages_public=opened),
        "exemplar": published,
        "exemplar_photo": ExemplarPhotoFactory(exemplar=published),
        "draft_exemplar": draft,
        "draft_exemplar_photo": ExemplarPhotoFactory(exemplar=draft),
        "withdrawn_exemplar": ExemplarFactory(village=village, title=f"{stem}：已撤下的案例", status="withdrawn",
                                              published_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC),
                                              withdrawn_reason="数据待核实"),
    }


def _bulletins_world(county, stem):
    """The county office's bulletins (通报): one published (with its PDF), one draft and one approved."""
    from tests.factories import BulletinFactory, PublishedBulletinFactory

    return {
        "bulletin": PublishedBulletinFactory(region=region(county), title=f"{stem}2025年9月通报"),
        "draft_bulletin": BulletinFactory(region=region(county), title=f"{stem}2025年10月通报（草稿）"),
        "approved_bulletin": BulletinFactory(region=region(county), title=f"{stem}2025年8月通报", status="approved",
                                             approved_at=datetime.datetime(2025, 9, 2, 9, 0, tzinfo=datetime.UTC)),
    }


def _oversight_world(village, project, stem):
    """The county's unannounced supervision visit of September 2025 to the village and its project: a problem found
    (with a photo), to be rectified; another the township rectified (with a photo), for the county to re-check."""
    from tests.factories import ProblemFactory, ProblemPhotoFactory, VisitFactory

    visit = VisitFactory(region=region(village.code[:6]), villages=[village], inspectors=f"{stem}片区督查组")
    visit.projects.add(project)
    problem = ProblemFactory(visit=visit, village=village, project=project, category="sewage", severity="serious",
                             description=f"{stem}村管网检查井破损")
    rectified = ProblemFactory(visit=visit, village=village, description=f"{stem}村河道漂浮物未清理", status="rectified",
                               rectified_on=datetime.date(2025, 9, 20), rectification="已组织清理")
    ProblemPhotoFactory(problem=rectified, stage="rectified")
    return {"visit": visit, "problem": problem, "problem_photo": ProblemPhotoFactory(problem=problem),
            "rectified_problem": rectified}


def _planning_world(village, project, stem, draft):
    """The village's construction plan (with its PDF) with the item its project carries out, the draft project asking
    for an exception outside the plan, a target for its township and one for its county, and an entry of its county's
    creation list."""
    from django.core.files.base import ContentFile

    from planning.models import CreationListEntry, ExceptionStatus, Plan, PlanItem, PlanKind, Target
    from tests.pdfs import pdf_bytes

    citation = project.plan_citation
    item = citation.item
    item.name = f"{stem}村污水管网"
    item.save(update_fields=["name"])
    plan = item.plan
    document = pdf_bytes()
    plan.document.save(f"{stem}村庄建设规划.pdf", ContentFile(document), save=False)
    plan.document_size = len(document)
    plan.save(update_fields=["document", "document_size"])
    exception = draft.plan_citation
    exception.item, exception.out_of_plan_reason, exception.exception_status = None, f"{stem}村村民急需的应急排水沟", ExceptionStatus.PENDING
    exception.save()
    township = village.township
    spare_item = PlanItem.objects.create(plan=plan, village=village, kind="lighting", name=f"{stem}村路灯", quantity=Decimal("40"),
                                         estimated_cost=Decimal("80000"), planned_year=plan.valid_from.year)
    layout_plan = Plan.objects.create(kind=PlanKind.LAYOUT, region=township.parent, area_code=township.parent_id,
                                      title=f"{township.parent.name}村庄布局规划", approved_on=datetime.date(2022, 5, 1),
                                      approved_by=f"{township.parent.name}人民政府", valid_from=datetime.date(2022, 1, 1),
                                      valid_until=datetime.date(2030, 12, 31))
    return {
        "spare_item": spare_item,
        "layout_plan": layout_plan,
        "plan": plan,
        "plan_item": item,
        "citation": citation,
        "exception": exception,
        "target": Target.objects.create(region=township, year=2025, kind="sewage", quantity=Decimal("12")),
        "county_target": Target.objects.create(region=township.parent, year=2025, kind="sewage", quantity=Decimal("30")),
        "creation_entry": CreationListEntry.objects.create(
            county=township.parent, year=2025, category="demonstration", village=village,
        ),
    }


def _funds_from_above(xiajiang):
    """Funds administered above the users who spend them, seen from below only on their target's line
    (core.scoping.FROM_BELOW_TARGETS): provincial funds, one earmarked for a county, and a city's donation to one village."""
    def fund(name, code, kind="provincial_special", **targets):
        return FundingSourceFactory(name=name, kind=kind, region=region(code), total_amount=Decimal("3000000"), **targets)

    return {
        "zhejiang_fund": fund("浙江省乡村振兴专项资金", "33"),  # for the whole province
        "anji_earmark": fund("浙江省专项资金（安吉县）", "33", beneficiary_region=region("330523")),
        "chunan_earmark": fund("浙江省专项资金（下姜片区）", "33", beneficiary_region=region("330127")),
        "xiajiang_donation": fund("杭州市社会捐赠（下姜村）", "3301", kind="social_donation", village=xiajiang),
        "jiangsu_fund": fund("江苏省乡村振兴专项资金（福山片区）", "32"),
    }


def _maintenance_world(village, stem):
    """An asset of the village kept by a keeper of its township's roster since 2021, and a second keeper of that
    roster to hand it over to; its inspection of June 2025 (with a photo) that found a fault (with a photo), still
    open, and its next inspection, due."""
    from tests.factories import (
        AssetFactory,
        DoneInspectionFactory,
        FaultFactory,
        FaultPhotoFactory,
        InspectionFactory,
        InspectionPhotoFactory,
        KeeperAssignmentFactory,
        KeeperFactory,
    )

    asset = AssetFactory(village=village, name=f"{stem}村污水处理终端", latitude=Decimal("30.47"), longitude=Decimal("119.59"))
    keeper = KeeperFactory(name=f"{stem}管护员", region=village.township)
    inspection = DoneInspectionFactory(asset=asset, due_on=datetime.date(2025, 6, 1), condition=2, notes=f"{stem}村终端进水泵异响")
    fault = FaultFactory(asset=asset, inspection=inspection, description=f"{stem}村终端进水泵异响", reported_on=datetime.date(2025, 6, 1))
    # A fault repaired and waiting for the township to verify (or send back) the repair.
    repaired = FaultFactory(asset=asset, severity="minor", description=f"{stem}村终端围栏破损", reported_on=datetime.date(2025, 6, 1),
                            status="repaired", repair_started_on=datetime.date(2025, 6, 3), repaired_on=datetime.date(2025, 6, 5),
                            repair_notes="围栏已更换")
    return {
        "repaired_fault": repaired,
        "inspection": inspection,
        "inspection_photo": InspectionPhotoFactory(inspection=inspection),
        "due_inspection": InspectionFactory(asset=asset, due_on=datetime.date(2025, 7, 1)),
        "fault": fault,
        "fault_photo": FaultPhotoFactory(fault=fault),
        "asset": asset,
        "keeper": keeper,
        "spare_keeper": KeeperFactory(name=f"{stem}保洁员", region=village.township),
        "keeper_assignment": KeeperAssignmentFactory(asset=asset, keeper=keeper, starts_on=datetime.date(2021, 1, 1)),
        "village_assignment": KeeperAssignmentFactory(asset=None, village=village, keeper=keeper, chief_type="river",
                                                      starts_on=datetime.date(2022, 1, 1)),
    }


def _report(township, village_code):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from reports.models import ReportJob

    job = ReportJob(kind="roster", format="csv", region=township, scheduled=True, status="succeeded", progress=100,
                    started_at=timezone.now(), finished_at=timezone.now(), rows=1)
    job.file.save("reports/test/roster.csv", ContentFile(f"村代码\n{village_code}\n".encode()), save=False)
    job.save()
    return job


def _assessment_world(village):
    from django.utils import timezone

    from assessment.models import Assessment, FollowUp, SchemeKind
    from tests.factories import AssessmentSchemeFactory, IndicatorFactory

    scheme = AssessmentSchemeFactory(name="2025年度考核", year=2025, region=region("330523"))
    indicator = IndicatorFactory(scheme=scheme, name="综合", max_score=Decimal("100"))
    done = dict(status="finalised", total_score=Decimal("55"), grade="fail", finalised_at=timezone.now())
    finalised = Assessment.objects.create(scheme=scheme, village=village, period="2025-H2", **done)
    acceptance_scheme = AssessmentSchemeFactory(name="示范村验收", kind=SchemeKind.ACCEPTANCE, year=2025, region=region("330523"))
    # A scheme no assessment uses yet: still open to change (issue 18, item 16).
    spare_scheme = AssessmentSchemeFactory(name="2026年度专项考核", year=2026, region=region("330523"))
    return {
        "scheme": scheme,
        "indicator": indicator,
        "spare_scheme": spare_scheme,
        "spare_indicator": IndicatorFactory(scheme=spare_scheme, name="垃圾分类", max_score=Decimal("40")),
        "submitted_assessment": Assessment.objects.create(
            scheme=scheme, village=village, period="2025", status="submitted", total_score=Decimal("70"), grade="pass"
        ),
        "draft_assessment": Assessment.objects.create(scheme=scheme, village=village, period="2025-H1"),
        "finalised_assessment": finalised,
        "follow_up": FollowUp.objects.create(
            assessment=finalised, village=village, rank=1, ranked_among=1, due_date=datetime.date(2025, 12, 31)
        ),
        "acceptance": Assessment.objects.create(
            scheme=acceptance_scheme, village=village, period="2025", status="finalised", total_score=Decimal("88"),
            grade="good", finalised_at=timezone.now(),
        ),
    }


