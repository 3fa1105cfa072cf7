"""County staff move money on a phone: balances shown as they type, refusals on their fields."""
import datetime
from decimal import Decimal

import pytest

from core.models import Role
from funding.models import Allocation, Disbursement
from projects.models import ProjectStatus
from tests.factories import FundingSourceFactory, ProjectFactory, VillageFactory, region, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_allocates_and_pays_seeing_the_balance_as_it_types(phone):
    village = VillageFactory(code="330523108204", name="余村村委会")
    project = ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, name="余村污水管网",
                             actual_start=datetime.date(2025, 3, 1), budget=Decimal("600000"))
    source = FundingSourceFactory(name="2025年县级财政预算", region=region("330523"), total_amount=Decimal("500000"), fiscal_year=2025)
    user_with("anji", (Role.COUNTY_STAFF, "330523"))
    device = phone()
    page = device.login("anji", "correct-horse-battery-staple")

    page = device.go(f"/funding/allocations/new/?project={project.pk}")
    page.select_option("#id_source", str(source.pk))
    note = page.locator("[data-balance-note]")
    page.fill("#id_amount", "120000")
    assert "380,000.00" in note.inner_text()
    page.fill("#id_amount", "600000")
    assert "-100,000.00" in note.inner_text() and "error" in note.get_attribute("class")
    device.shot("20-allocation-form-over")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.locator('.field-error[data-field="amount"]').is_visible()  # refused by the service, on its field
    assert not Allocation.objects.exists()

    page.fill("#id_amount", "300000")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    allocation = Allocation.objects.get()
    assert page.url.endswith(f"/funding/allocations/{allocation.pk}/")
    page.fill("#id_amount", "50000")
    assert "250,000.00" in page.locator("[data-balance-note]").inner_text()
    page.fill("#id_voucher_no", "AJ-2025-0001")
    device.shot("21-payment-form")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert Disbursement.objects.get().amount == Decimal("50000.00")
    device.shot("22-allocation-detail")
    device.go("/funding/")
    device.shot("23-sources")
    device.go("/funding/figures/?region=330523")
    device.shot("24-figures-county")
    page = device.go(f"/projects/{project.pk}/")
    assert page.get_by_text("300,000.00").first.is_visible()
