"""A lock holds only the rows it means to (issue 17, item 6; PostgreSQL).

`select_for_update()` without `of=("self",)` also locks every row joined by select_related: a provincial fund's
region row (33), an assessment's scheme and village. Every allocation from any provincial fund then queued on
region 33, province-wide. Here another connection holds such a row (or a whole allocation, uncommitted) and the
service must go ahead without waiting: lock_timeout turns any wait into an error (tests/locks.py)."""
import datetime
from decimal import Decimal

import pytest

from core.models import Role
from funding import services
from funding.models import Allocation, Disbursement, SourceKind
from projects.models import ProjectStatus
from tests.factories import AllocationFactory, FundingSourceFactory, ProjectFactory, VillageFactory, region, user_with
from tests.locks import held_elsewhere, refused_to_wait
from villages.models import Region

D = Decimal
S = ProjectStatus
TODAY = datetime.date.today()
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def province(postgres):
    anji = user_with("anji-scope", (Role.COUNTY_STAFF, "330523"))
    deqing = user_with("deqing-scope", (Role.COUNTY_STAFF, "330521"))
    start = TODAY - datetime.timedelta(days=30)
    return {
        "anji": anji, "deqing": deqing,
        "anji_project": ProjectFactory(village=VillageFactory(code="330523108204"), status=S.UNDER_CONSTRUCTION, actual_start=start),
        "deqing_project": ProjectFactory(
            village=VillageFactory(code="330521001201", township_code="330521001"), status=S.UNDER_CONSTRUCTION, actual_start=start
        ),
        "roads": FundingSourceFactory(name="省级农村公路补助", kind=SourceKind.PROVINCIAL_SPECIAL, region=region("33"),
                                      total_amount=D("1000000")),
        "water": FundingSourceFactory(name="省级污水治理补助", kind=SourceKind.PROVINCIAL_SPECIAL, region=region("33"),
                                      total_amount=D("1000000")),
    }


def test_an_allocation_from_a_provincial_fund_does_not_lock_the_province(province):
    def hold_the_province():
        Region.objects.select_for_update().get(code="33")

    with held_elsewhere(hold_the_province), refused_to_wait():
        services.allocation_create(actor=province["anji"], source=province["roads"], project=province["anji_project"], amount="100")
    assert Allocation.objects.filter(source=province["roads"]).count() == 1


def test_two_counties_drawing_on_two_provincial_funds_do_not_queue_on_each_other(province):
    def deqing_allocating():  # an allocation from another provincial fund, under way in another county
        services.allocation_create(actor=province["deqing"], source=province["water"], project=province["deqing_project"], amount="500")

    with held_elsewhere(deqing_allocating), refused_to_wait():
        services.allocation_create(actor=province["anji"], source=province["roads"], project=province["anji_project"], amount="100")
    assert sorted(Allocation.objects.values_list("amount", flat=True)) == [D("100.00"), D("500.00")]


def test_a_payment_does_not_lock_the_source_of_its_allocation(province):
    allocation = AllocationFactory(source=province["roads"], project=province["anji_project"], amount=D("600"),
                                   allocated_on=TODAY - datetime.timedelta(days=20))

    def deqing_allocating_from_the_same_fund():  # holds the fund's row, as an allocation does
        services.allocation_create(actor=province["deqing"], source=province["roads"], project=province["deqing_project"], amount="500")

    with held_elsewhere(deqing_allocating_from_the_same_fund), refused_to_wait():
        services.disbursement_create(actor=province["anji"], allocation=allocation, amount="100", paid_on=TODAY, voucher_no="PAY-1")
    assert Disbursement.objects.filter(allocation=allocation).count() == 1


def test_the_wait_is_caught_when_a_service_does_lock_the_row(province):
    """The check itself: the same allocation does wait for (and, here, give up on) its own source held elsewhere."""
    from django.db import OperationalError

    def hold_the_fund():
        type(province["roads"]).objects.select_for_update().get(pk=province["roads"].pk)

    with held_elsewhere(hold_the_fund), refused_to_wait(), pytest.raises(OperationalError, match="lock timeout"):
        services.allocation_create(actor=province["anji"], source=province["roads"], project=province["anji_project"], amount="100")
    assert not Allocation.objects.exists()
