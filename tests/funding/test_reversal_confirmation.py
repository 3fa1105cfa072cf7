"""Issue 18, item 1: reversing an allocation or a payment is asked for twice on the pages: the first POST answers a
confirmation page in plain Chinese words (with the reason still editable) and writes nothing."""
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry, Role
from funding import services
from funding.models import Allocation, Disbursement, FundingSource
from projects.models import ProjectStatus
from tests.factories import FundingSourceFactory, VillageFactory, project_in, region, user_with

D = Decimal


@pytest.fixture
def ledger(db):
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    project = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=VillageFactory(code="330523108204"), name="余村污水管网")
    source = FundingSourceFactory(name="安吉县专项", region=region("330523"), fiscal_year=2020, total_amount=D("100000"))
    allocation = services.allocation_create(actor=county, source=source, project=project, amount="5000")
    return {"county": county, "project": project, "source": source, "allocation": allocation}


def _state():
    return (list(Allocation.objects.order_by("pk").values()), list(Disbursement.objects.order_by("pk").values()),
            list(FundingSource.objects.order_by("pk").values()), AuditEntry.objects.count())


def test_reversing_an_allocation_is_confirmed_first(client, ledger):
    client.force_login(ledger["county"])
    url = reverse("funding:allocation_reverse", args=[ledger["allocation"].pk])
    before = _state()
    asked = client.post(url, {"reason": "拨错项目"})
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "确定要冲销分配给“余村污水管网”的 5,000.00 元吗？" in page and "冲销本身不能撤销" in page
    assert "拨错项目" in page and 'name="confirmed" value="yes"' in page and "确定冲销" in page
    assert _state() == before
    # No reason: asked for on the confirmation page.
    assert "请填写原因" in client.post(url, {"reason": ""}).content.decode()
    assert _state() == before
    done = client.post(url, {"reason": "拨错项目", "confirmed": "yes"})
    assert done.status_code == 302
    assert Allocation.objects.filter(reverses=ledger["allocation"]).count() == 1


def test_reversing_a_payment_is_confirmed_first(client, ledger):
    payment = services.disbursement_create(actor=ledger["county"], allocation=ledger["allocation"], amount="800",
                                           paid_on=timezone.localdate(), voucher_no="AJ-7")
    client.force_login(ledger["county"])
    url = reverse("funding:disbursement_reverse", args=[payment.pk])
    before = _state()
    asked = client.post(url, {"reason": "凭证号录错"})
    assert asked.status_code == 200
    assert "确定要冲销这笔 800.00 元的拨付（凭证号 AJ-7）吗？" in asked.content.decode()
    assert _state() == before
    assert client.post(url, {"reason": "凭证号录错", "confirmed": "yes"}).status_code == 302
    assert Disbursement.objects.filter(reverses=payment).count() == 1


def test_who_may_not_reverse_gets_no_confirmation_page(client, ledger):
    client.force_login(user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")))
    before = _state()
    assert client.post(reverse("funding:allocation_reverse", args=[ledger["allocation"].pk]), {"reason": "x"}).status_code == 403
    assert _state() == before
