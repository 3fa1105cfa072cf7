"""The payment lock (PostgreSQL): a payment out of an allocation holds the allocation's row lock from its
balance check to its commit, so that a reversal of the same allocation, or another payment out of it, waits
and then sees it. Every loser gets a domain refusal with its code, never a database error, and the ledger
stays whole: no payment on a reversed allocation, never more paid than allocated.

Two kinds of race, each repeated:
- *together*: both calls released at the same moment by a barrier, each on its own thread and connection;
- *in the window*: the first call is held for a moment right after its balance check (before it writes), and
  the second is started exactly then. Without the lock the second passes its own check on the stale balance
  and both succeed; with it the second waits. This is the interleaving that a lost lock lets through, made
  certain instead of left to the scheduler.
"""
import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections

from core.exceptions import Conflict, DomainError
from core.models import Role
from funding import services
from funding.models import Allocation, Disbursement
from projects.models import ProjectStatus
from tests.factories import AllocationFactory, FundingSourceFactory, ProjectFactory, VillageFactory, region, user_with

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
REPETITIONS = 5
HOLD = 0.5  # seconds the first call waits between its balance check and its write
_BALANCE = services.allocation_disbursed


@pytest.fixture
def county(postgres):
    return user_with("anji-race", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def new_allocation(postgres):
    """A fresh allocation of 100.00 (today) to a project under construction, from a direct-grant source."""
    village = VillageFactory(code="330523108204")
    source = FundingSourceFactory(name="县级财政竞争测试", total_amount=D("100000"), region=region("330523"))
    today = datetime.date.today()

    def make():
        project = ProjectFactory(village=village, status=ProjectStatus.UNDER_CONSTRUCTION, actual_start=today)
        return AllocationFactory(source=source, project=project, amount=D("100.00"), allocated_on=today)

    return make


def _run_together(calls, start=None):
    """Run each call on its own thread (its own database connection). ``start(i)`` is waited for before call i
    runs. Returns one (kind, value) per call: ("ok", result), ("refused", DomainError) or ("error", exception)."""
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            start(i)
            outcomes[i] = ("ok", call())
        except DomainError as refusal:
            outcomes[i] = ("refused", refusal)
        except Exception as error:  # noqa: BLE001 - a database error is the failure this test looks for
            outcomes[i] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a call did not finish within 60 s"
    return outcomes


def _barrier_start(n):
    barrier = threading.Barrier(n)
    return lambda i: barrier.wait(timeout=30)


def _window_start(monkeypatch):
    """The first call to reach its balance check (allocation_disbursed, read under the locks) is held there for
    HOLD seconds with the balance it read; the second call starts the moment the first is held."""
    held = threading.Event()
    first = threading.Lock()

    def slow_balance(allocation_id):
        value = _BALANCE(allocation_id)
        if first.acquire(blocking=False):  # only the first caller is held
            held.set()
            time.sleep(HOLD)
        return value

    monkeypatch.setattr(services, "allocation_disbursed", slow_balance)
    return lambda i: None if i == 0 else held.wait(timeout=30)


def _pay(county, allocation, amount, voucher):
    return lambda: services.disbursement_create(
        actor=county, allocation=allocation, amount=amount, paid_on=datetime.date.today(), voucher_no=voucher
    )


def _reverse(county, allocation):
    return lambda: services.allocation_reverse(actor=county, allocation=allocation, reason="录入错误，撤销")


def _assert_clean(outcomes):
    errors = [value for kind, value in outcomes if kind == "error"]
    assert not errors, f"database errors instead of refusals: {errors!r}"


def _assert_ledger_whole(allocation):
    reversed_ = Allocation.objects.filter(reverses=allocation).exists()
    payments = Disbursement.objects.filter(allocation=allocation)
    paid = sum((p.amount for p in payments), D("0"))
    assert paid <= allocation.amount
    if reversed_:
        assert not payments.exists(), "a payment out of a reversed allocation"
    return reversed_, paid


def _payment_or_reversal(outcomes, allocation):
    """Exactly one of (payment, reversal) succeeded; the other was refused cleanly, with the refusal its order
    calls for. Returns which won."""
    _assert_clean(outcomes)
    (pay_kind, pay_value), (rev_kind, rev_value) = outcomes
    assert sorted([pay_kind, rev_kind]) == ["ok", "refused"], outcomes
    reversed_, paid = _assert_ledger_whole(allocation)
    if pay_kind == "ok":
        # The reversal came second: the payment is there, so it is refused until the payment is reversed.
        assert type(rev_value) is Conflict and rev_value.code == "conflict", rev_value
        assert "60.00" in str(rev_value.message)  # what was paid out of it
        assert (reversed_, paid) == (False, D("60.00"))
        return "payment"
    # The payment came second: nothing of the allocation is left to pay.
    assert type(pay_value) is services.OverCommitted and pay_value.code == "over_committed", pay_value
    assert pay_value.context["available"] == "0.00"
    assert (reversed_, paid) == (True, D("0"))
    return "reversal"


def test_a_payment_and_a_reversal_of_the_same_allocation_released_together(county, new_allocation):
    winners = []
    for repetition in range(REPETITIONS):
        allocation = new_allocation()
        outcomes = _run_together(
            [_pay(county, allocation, "60", f"AJ-R{repetition}"), _reverse(county, allocation)], _barrier_start(2)
        )
        winners.append(_payment_or_reversal(outcomes, allocation))
    assert len(winners) == REPETITIONS
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("first", ["payment", "reversal"])
def test_a_payment_and_a_reversal_meeting_in_the_balance_window(county, new_allocation, monkeypatch, first):
    """Whichever checks the balance first wins; the other waits for it and is refused. Without the payment's
    lock on the allocation both would succeed: a payment out of a reversed allocation."""
    for repetition in range(REPETITIONS):
        allocation = new_allocation()
        pay, reverse = _pay(county, allocation, "60", f"AJ-W{repetition}"), _reverse(county, allocation)
        calls = [pay, reverse] if first == "payment" else [reverse, pay]
        outcomes = _run_together(calls, _window_start(monkeypatch))
        if first == "reversal":
            outcomes.reverse()  # back to (payment, reversal)
        assert _payment_or_reversal(outcomes, allocation) == first, (repetition, outcomes)


def _one_of_two_payments(outcomes, allocation):
    _assert_clean(outcomes)
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["ok", "refused"], outcomes
    (refusal,) = [value for kind, value in outcomes if kind == "refused"]
    assert type(refusal) is services.OverCommitted and refusal.code == "over_committed", refusal
    assert refusal.context["available"] == "40.00" and refusal.field_errors["amount"]
    _reversed, paid = _assert_ledger_whole(allocation)
    assert paid == D("60.00") and Disbursement.objects.filter(allocation=allocation).count() == 1


def test_two_payments_exhausting_one_allocation_released_together(county, new_allocation):
    """Two payments of 60 out of an allocation of 100: exactly one is made, the other is refused."""
    for repetition in range(REPETITIONS):
        allocation = new_allocation()
        outcomes = _run_together(
            [_pay(county, allocation, "60", f"AJ-A{repetition}"), _pay(county, allocation, "60", f"AJ-B{repetition}")],
            _barrier_start(2),
        )
        _one_of_two_payments(outcomes, allocation)


def test_two_payments_meeting_in_the_balance_window(county, new_allocation, monkeypatch):
    """The second payment starts while the first holds the balance it checked: it waits for the first, then is
    refused. Without the lock both would be made: 120 paid out of 100."""
    for repetition in range(REPETITIONS):
        allocation = new_allocation()
        outcomes = _run_together(
            [_pay(county, allocation, "60", f"AJ-C{repetition}"), _pay(county, allocation, "60", f"AJ-D{repetition}")],
            _window_start(monkeypatch),
        )
        assert outcomes[0][0] == "ok", outcomes  # the first to check is the one paid
        _one_of_two_payments(outcomes, allocation)
