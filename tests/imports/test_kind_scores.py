"""The kind ``scores``: the scores of an assessment round (a scheme and a period), one row per village, one column per
indicator; written through assessment.services (assessment_start, assessment_score)."""
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import Assessment, AssessmentStatus, IndicatorScore
from core.exceptions import InvalidInput, NotPermitted
from core.models import AuditEntry
from imports import services
from imports.kinds import kind_of
from imports.models import ImportBatch
from imports.template import template_bytes
from tests.factories import (
    AssessmentFactory,
    AssessmentSchemeFactory,
    IndicatorFactory,
    IndicatorScoreFactory,
    VillageFactory,
    region,
)

from .conftest import csv_file, xlsx

YUCUN, YINKENG = "330523108204", "330523108205"
HEADERS = ["村代码", "垃圾分类", "污水治理"]


@pytest.fixture
def scheme(db):
    scheme = AssessmentSchemeFactory(name="2025年度村庄整治考核", year=2025)
    IndicatorFactory(scheme=scheme, name="垃圾分类", max_score=Decimal("40"), order=1)
    IndicatorFactory(scheme=scheme, name="污水治理", max_score=Decimal("60"), order=2)
    return scheme


def params(scheme, period="2025"):
    return {"scheme": scheme.pk, "period": period}


def upload(user, scheme, rows, *, headers=HEADERS, period="2025", area="330523", as_csv=False):
    rows = [dict(zip(headers, row, strict=False)) for row in rows]
    file = csv_file(rows, headers=headers, name="评分.csv") if as_csv else xlsx(rows, headers=headers, name="评分.xlsx", sheet="评分")
    return services.import_upload(actor=user, kind="scores", region=region(area), upload=file, params=params(scheme, period))


def scores_of(code, scheme, period="2025"):
    assessment = Assessment.objects.get(scheme=scheme, village_id=code, period=period)
    return {s.indicator.name: s.score for s in assessment.scores.select_related("indicator")}


def errors(batch):
    return sorted((e["row"], e["column"], e["message"]) for e in batch.errors)


def test_clean_file_creates_through_the_service_then_is_unchanged(county, villages, scheme):
    batch = upload(county, scheme, [[YUCUN, "35", "52.5"], [YINKENG, 30, 48]])
    assert batch.status == "checked" and batch.error_count == 0, batch.errors
    assert (batch.to_create, batch.to_update, batch.unchanged) == (2, 0, 0)
    assert not Assessment.objects.exists()  # a dry run writes nothing

    batch = services.import_commit(actor=county, batch=batch)
    assert batch.status == "committed" and batch.created == 2
    assert scores_of(YUCUN, scheme) == {"垃圾分类": Decimal("35"), "污水治理": Decimal("52.5")}
    yucun = Assessment.objects.get(village_id=YUCUN)
    assert yucun.status == AssessmentStatus.DRAFT and yucun.total_score == Decimal("87.50")
    # Through assessment_start and assessment_score: their audit rows.
    rows = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Assessment), object_id=str(yucun.pk))
    assert sorted(rows.values_list("action", flat=True)) == ["create", "update"]
    assert all(row.actor_id == county.pk for row in rows)

    again = upload(county, scheme, [[YUCUN, "35", "52.5"], [YINKENG, 30, 48]], as_csv=True)
    assert (again.to_create, again.to_update, again.unchanged, again.error_count) == (0, 0, 2, 0)


def test_a_changed_score_is_an_update_and_empty_cells_stay(county, villages, scheme):
    services.import_commit(actor=county, batch=upload(county, scheme, [[YUCUN, 35, 52], [YINKENG, 30, 48]]))
    evidence = IndicatorScore.objects.get(assessment__village_id=YUCUN, indicator__name="垃圾分类")
    evidence.evidence = "现场查看"
    evidence.save()
    batch = upload(county, scheme, [[YUCUN, 38, None], [YINKENG, 30, 48]])
    assert (batch.to_create, batch.to_update, batch.unchanged, batch.error_count) == (0, 1, 1, 0)
    assert batch.preview[0]["action"] == "update" and batch.preview[0]["changes"] == ["垃圾分类"]
    services.import_commit(actor=county, batch=batch)
    assert scores_of(YUCUN, scheme) == {"垃圾分类": Decimal("38"), "污水治理": Decimal("52")}
    assert IndicatorScore.objects.get(assessment__village_id=YUCUN, indicator__name="垃圾分类").evidence == "现场查看"


def test_errors_by_row_and_column_and_nothing_written(county, villages, scheme):
    VillageFactory(code="330522100201", township_code="330522100")  # another county
    done = AssessmentFactory(scheme=scheme, village=VillageFactory(code="330523108206"), period="2025")
    IndicatorScoreFactory(assessment=done, indicator=scheme.indicators.get(name="垃圾分类"), score=Decimal("20"))
    Assessment.objects.filter(pk=done.pk).update(status=AssessmentStatus.FINALISED, total_score=20, grade="fail",
                                                     finalised_at=timezone.now())
    batch = upload(county, scheme, [
        [YUCUN, "41", "50"],             # above the maximum (40)
        [YINKENG, "很好", "50"],          # not a number
        ["330522100201", "30", "50"],    # outside the area
        [YUCUN, "30", "50"],             # the same village again
        ["330523108206", "30", ""],      # finalised, changed
    ])
    assert batch.status == "checked"
    got = errors(batch)
    assert [e[:2] for e in got] == [(2, "垃圾分类"), (3, "垃圾分类"), (4, "村代码"), (5, "村代码"), (6, "村代码")]
    assert "40" in got[0][2] and got[3][2] == "与第 2 行的村重复"
    assert "不能再通过导入修改分数" in got[4][2] and "重新打开" in got[4][2]
    assert not batch.ready
    before = (Assessment.objects.count(), IndicatorScore.objects.count(), AuditEntry.objects.count())
    with pytest.raises(Exception):  # noqa: B017 - an import with errors cannot be committed
        services.import_commit(actor=county, batch=batch)
    assert (Assessment.objects.count(), IndicatorScore.objects.count(), AuditEntry.objects.count()) == before


def test_finalised_but_unchanged_is_unchanged(county, villages, scheme):
    done = AssessmentFactory(scheme=scheme, village=villages[0], period="2025")
    for name, score in (("垃圾分类", 30), ("污水治理", 50)):
        IndicatorScoreFactory(assessment=done, indicator=scheme.indicators.get(name=name), score=Decimal(score))
    Assessment.objects.filter(pk=done.pk).update(status=AssessmentStatus.SUBMITTED)
    batch = upload(county, scheme, [[YUCUN, "30.00", 50]])
    assert (batch.unchanged, batch.error_count) == (1, 0)
    batch = upload(county, scheme, [[YUCUN, "31", 50]])
    assert batch.error_count == 1 and "请先在考核页面退回草稿" in batch.errors[0]["message"]


def test_a_bad_row_makes_the_commit_write_nothing(county, villages, scheme):
    batch = upload(county, scheme, [[YUCUN, "35", "52"], [YINKENG, "30", "48"]])
    assert batch.ready
    # Between the dry run and the commit the second village's assessment is submitted: the commit checks again.
    other = AssessmentFactory(scheme=scheme, village=villages[1], period="2025", status=AssessmentStatus.SUBMITTED)
    counts = (Assessment.objects.count(), IndicatorScore.objects.count(), AuditEntry.objects.count())
    batch = services.import_commit(actor=county, batch=batch)
    assert batch.status == "checked" and batch.error_count == 1 and batch.errors[0]["row"] == 3
    assert (Assessment.objects.count(), IndicatorScore.objects.count()) == counts[:2]
    assert not Assessment.objects.filter(village_id=YUCUN).exists() and not other.scores.exists()


def test_a_village_not_in_the_round_is_an_error(county, villages, scheme):
    scheme.category = "demonstration"
    scheme.save()
    batch = upload(county, scheme, [[YUCUN, "35", "52"]])
    assert batch.error_count == 1 and batch.errors[0]["column"] == "村代码"
    assert batch.errors[0]["message"].startswith("不在本轮考核范围内")


def test_a_file_without_an_indicator_column_is_refused(county, villages, scheme):
    batch = upload(county, scheme, [[YUCUN, "35"]], headers=["村代码", "别的指标"])
    assert batch.status == "refused" and "至少一个方案指标" in batch.refusal


@pytest.mark.parametrize("bad", ["unknown", "other_county", "no_period", "period_of_another_year", "garbage"])
def test_bad_params_are_invalid_input_and_write_nothing(county, villages, scheme, bad):
    other = AssessmentSchemeFactory(region=region("330522"), year=2025)
    IndicatorFactory(scheme=other)
    given = {
        "unknown": {"scheme": 999999, "period": "2025"},
        "other_county": {"scheme": other.pk, "period": "2025"},
        "no_period": {"scheme": scheme.pk},
        "period_of_another_year": {"scheme": scheme.pk, "period": "2024"},
        "garbage": {"scheme": "abc"},
    }[bad]
    file = xlsx([{"村代码": YUCUN, "垃圾分类": "35", "污水治理": "50"}], headers=HEADERS, name="评分.xlsx", sheet="评分")
    with pytest.raises(InvalidInput) as refused:
        services.import_upload(actor=county, kind="scores", region=region("330523"), upload=file, params=given)
    assert set(refused.value.field_errors) == ({"period"} if bad in ("no_period", "period_of_another_year") else {"scheme"})
    assert not ImportBatch.objects.exists() and not Assessment.objects.exists()


def test_the_form_value_of_a_round_is_read(county, villages, scheme):
    kind = kind_of("scores")
    assert kind.clean_params(user=county, region=region("330523"), params={"scheme": f"{scheme.pk}:2025-H1"}) == {
        "scheme": scheme.pk, "period": "2025-H1"}


def test_a_township_official_cannot_upload_scores(official, villages, scheme):
    with pytest.raises(NotPermitted):
        upload(official, scheme, [[YUCUN, "35", "52"]], area="330523108")
    assert not ImportBatch.objects.exists()


def test_the_template_of_a_round(county, villages, scheme):
    AssessmentFactory(scheme=scheme, village=villages[0], period="2025")
    data = template_bytes(kind_of("scores"), user=county, region=region("330523"), params=params(scheme))
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["村代码*", "垃圾分类", "污水治理"]
    codes = book.worksheets[1]
    assert [row[0] for row in codes.iter_rows(min_row=2, values_only=True)] == [YUCUN, YINKENG]
    # The template, filled in, is read back (its example row skipped).
    sheet.cell(row=3, column=1, value=YUCUN)
    sheet.cell(row=3, column=2, value=30)
    out = io.BytesIO()
    book.save(out)
    from django.core.files.uploadedfile import SimpleUploadedFile

    batch = services.import_upload(actor=county, kind="scores", region=region("330523"), params=params(scheme),
                                   upload=SimpleUploadedFile("评分.xlsx", out.getvalue()))
    assert (batch.rows, batch.to_update, batch.error_count) == (1, 1, 0), batch.errors


def test_the_pages_choose_the_round(client, county, villages, scheme):
    client.force_login(county)
    page = client.get(reverse("imports:upload"))
    assert page.status_code == 200
    assert f"{scheme.pk}:2025" in page.content.decode()
    template = client.get(reverse("imports:template", args=["scores"]) + f"?scheme={scheme.pk}&period=2025")
    assert template.status_code == 200
    assert client.get(reverse("imports:template", args=["scores"])).status_code in (302, 400)
    file = xlsx([{"村代码": YUCUN, "垃圾分类": "35", "污水治理": "50"}], headers=HEADERS, name="评分.xlsx", sheet="评分")
    response = client.post(reverse("imports:upload"), {"kind": "scores", "area": "330523", "scheme": f"{scheme.pk}:2025",
                                                       "file": file})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.params == params(scheme) and batch.to_create == 1


def test_the_suggested_score_needs_a_reason_to_differ(county, villages, scheme):
    upkeep = IndicatorFactory(scheme=scheme, name="长效管护", max_score=Decimal("10"), order=3, prefill="maintenance")
    assessment = AssessmentFactory(scheme=scheme, village=villages[0], period="2025")
    IndicatorScoreFactory(assessment=assessment, indicator=upkeep, score=Decimal("8"), suggested=Decimal("8"))
    headers = [*HEADERS, "长效管护"]
    batch = upload(county, scheme, [[YUCUN, 30, 50, 6]], headers=headers)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "长效管护（原因）")]  # the column of its reason
    batch = upload(county, scheme, [[YUCUN, 30, 50, 6, "设施损坏未修"]], headers=[*headers, batch.errors[0]["column"]])
    assert (batch.to_update, batch.error_count) == (1, 0), batch.errors
    services.import_commit(actor=county, batch=batch)
    row = IndicatorScore.objects.get(assessment=assessment, indicator=upkeep)
    assert (row.score, row.override_reason) == (Decimal("6"), "设施损坏未修")
