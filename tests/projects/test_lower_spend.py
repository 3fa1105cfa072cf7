"""Issue 18, item 6: the cumulative amount spent cannot drop below the previous report's without a reason, as a lower
percentage already cannot (423,728.28 → 52,000 went through silently)."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from core.exceptions import InvalidInput
from core.models import Role
from projects import services
from projects.models import ProgressReport, ProjectStatus
from tests.factories import VillageFactory, project_in, user_with

D = Decimal
DAY = datetime.date(2024, 6, 1)


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def project(db, official):
    project = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=VillageFactory(code="330523108204"))
    services.progress_report_create(actor=official, project=project, report_date=DAY, percent_complete=60,
                                    amount_spent=D("423728.28"))
    return project


def _report(official, project, amount, reason="", percent=65):
    return services.progress_report_create(actor=official, project=project, report_date=DAY + datetime.timedelta(days=30),
                                           percent_complete=percent, amount_spent=D(amount), correction_reason=reason)


def test_a_lower_cumulative_spend_without_a_reason_is_refused(official, project):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        _report(official, project, "52000")
    with translation.override("zh-hans"):
        messages = [str(m) for m in refused.value.field_errors["amount_spent"]]
    assert messages == ["低于上次填报的累计支出（423,728.28 元）：如需下调，请填写更正原因。"]
    assert ProgressReport.objects.filter(project=project).count() == 1


def test_a_lower_cumulative_spend_with_a_reason_is_kept(official, project):
    report = _report(official, project, "52000", reason="上次误填为合同总额")
    assert (report.amount_spent, report.correction_reason) == (D("52000"), "上次误填为合同总额")


@pytest.mark.parametrize("amount", ["423728.28", "500000"])
def test_the_same_or_a_higher_spend_needs_no_reason(official, project, amount):
    assert _report(official, project, amount).amount_spent == D(amount)


def test_both_lower_figures_are_named(official, project):
    with pytest.raises(InvalidInput) as refused:
        _report(official, project, "1", percent=10)
    assert set(refused.value.field_errors) == {"amount_spent", "percent_complete"}


def test_the_form_says_so_and_shows_the_figure_not_to_go_below(client, official, project):
    client.force_login(official)
    url = reverse("projects:progress_create", args=[project.pk])
    page = client.get(url).content.decode()
    assert "423,728.28" in page and "进度百分比或累计支出低于上次填报时必填" in page
    response = client.post(url, {"report_date": "2024-07-01", "percent_complete": "65", "amount_spent": "52000"})
    assert response.status_code == 200
    assert 'data-field="amount_spent"' in response.content.decode()
    assert ProgressReport.objects.filter(project=project).count() == 1
