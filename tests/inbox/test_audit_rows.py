"""The audit rows of the reminders' services (tests/audit_rows.py)."""
import pytest

from core.models import AuditAction
from inbox import services
from inbox.models import Preference, ReminderRule
from tests.audit_rows import Row, run_case
from tests.factories import region

A = AuditAction


def reminder_rule_set(people):
    county = people["county"]
    rule = services.reminder_rule_set(actor=county, county=region("330523"), kind="progress_due", enabled=True, days=15)
    services.reminder_rule_set(actor=county, county=region("330523"), kind="progress_due", enabled=True, days=15)  # no change
    services.reminder_rule_set(actor=county, county=region("330523"), kind="progress_due", enabled=False, days=20)
    rule.refresh_from_db()
    return [
        Row(county, A.CREATE, rule, created=True, fields={"region": [None, "330523"], "kind": [None, "progress_due"],
                                                          "days": [None, 15], "enabled": [None, True]}),
        Row(county, A.UPDATE, rule, changes={"enabled": [True, False], "days": [15, 20]}),
    ]


def preferences_set(people):
    official = people["official"]
    assert services.preferences_set(actor=official, choices={("progress_due", "sms"): True, ("progress_due", "email"): True}) == 1
    assert services.preferences_set(actor=official, choices={("progress_due", "sms"): False}) == 1
    row = Preference.objects.get(user=official, kind="progress_due", channel="sms")
    return [
        Row(official, A.CREATE, row, created=True, fields={"kind": [None, "progress_due"], "channel": [None, "sms"],
                                                           "enabled": [None, True]}),
        Row(official, A.UPDATE, row, changes={"enabled": [True, False]}),
    ]


CASES = {f.__name__: f for f in (reminder_rule_set, preferences_set)}
NO_AUDIT_ROW = {
    "reminders_run": "the beat task's bookkeeping: the messages it stores are themselves the record of what was "
                     "sent, to whom and when; no one changed anything",
    "message_deliver": "the delivery task's log: each attempt is a Delivery row (the delivery log), which is the "
                       "record; no domain record changes",
    "message_open": "a user marking their own message read is not a change of the programme's records (only the "
                    "message's read time, seen by its recipient alone)",
    "messages_mark_all_read": "as message_open, for all of the user's own messages at once",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)


def test_a_refused_rule_writes_nothing(people):
    from core.exceptions import InvalidInput, NotPermitted
    from core.models import AuditEntry

    before = AuditEntry.objects.count()
    with pytest.raises(NotPermitted):
        services.reminder_rule_set(actor=people["official"], county=region("330523"), kind="progress_due", enabled=True, days=5)
    with pytest.raises(NotPermitted):
        services.reminder_rule_set(actor=people["other_county"], county=region("330523"), kind="progress_due", enabled=True, days=5)
    with pytest.raises(InvalidInput):
        services.reminder_rule_set(actor=people["county"], county=region("330523"), kind="progress_due", enabled=True, days=400)
    assert AuditEntry.objects.count() == before and not ReminderRule.objects.exists()
