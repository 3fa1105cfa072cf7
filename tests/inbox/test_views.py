"""The inbox pages, the header's badge, the preferences, the delivery log and the rules page."""
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from inbox.models import Channel, Delivery, DeliveryStatus, Kind, Message, Preference, ReminderRule
from tests.factories import region

pytestmark = pytest.mark.django_db


def _message(user, n=1, **kw):
    return Message.objects.create(recipient=user, kind=Kind.PROGRESS_DUE, subject=f"进度报告到期：工程{n}", body="正文",
                                  url="/projects/", event_key=f"progress_due:{n}:{user.pk}", **kw)


def test_the_inbox_lists_the_users_own_messages_and_the_badge_counts_them(client, people):
    official = people["official"]
    mine = [_message(official, n) for n in range(3)]
    _message(people["neighbour"], 9)
    client.force_login(official)
    page = client.get(reverse("inbox:list")).content.decode()
    assert all(m.subject in page for m in mine) and "工程9" not in page
    assert "消息 (3)" in page and 'aria-label="消息：3 条未读"' in page
    # Opening one marks it read and goes where it points; the badge follows.
    response = client.get(reverse("inbox:open", args=[mine[0].pk]))
    assert response.status_code == 302 and response["Location"] == "/projects/"
    assert Message.objects.get(pk=mine[0].pk).read_at is not None
    assert "消息 (2)" in client.get(reverse("inbox:list")).content.decode()
    # Someone else's message is not there for this user.
    other = Message.objects.get(recipient=people["neighbour"])
    assert client.get(reverse("inbox:open", args=[other.pk])).status_code == 404
    assert Message.objects.get(pk=other.pk).read_at is None
    # Mark all read (POST only).
    assert client.get(reverse("inbox:read_all")).status_code == 405
    client.post(reverse("inbox:read_all"))
    assert not Message.objects.filter(recipient=official, read_at__isnull=True).exists()
    assert "消息 (0)" in client.get(reverse("home")).content.decode()


def test_the_badge_costs_no_query_once_counted(client, people, django_assert_num_queries):
    official = people["official"]
    _message(official)
    client.force_login(official)  # the login counts the unread messages
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("inbox:preferences")).content.decode()
    assert "消息 (1)" in page
    assert not any("inbox_message" in q["sql"] and "COUNT" in q["sql"].upper() for q in queries.captured_queries)
    # A new message drops the cached count (the run does it after its commit): the badge shows it.
    from inbox.selectors import forget_unread

    _message(official, 2)
    forget_unread([official.pk])
    assert "消息 (2)" in client.get(reverse("inbox:preferences")).content.decode()


def test_the_list_costs_the_same_queries_for_more_messages(client, people, django_assert_max_num_queries):
    official = people["official"]
    client.force_login(official)
    _message(official, 1)
    client.get(reverse("inbox:list"))
    for n in range(2, 40):
        _message(official, n)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("inbox:list"))
    assert response.status_code == 200 and len(response.context["object_list"]) == 30


def test_preferences_page_saves_the_users_choices(client, people):
    official = people["official"]
    client.force_login(official)
    page = client.get(reverse("inbox:preferences")).content.decode()
    assert 'name="progress_due__email" id="id_progress_due__email" checked' in page
    assert 'name="progress_due__sms" id="id_progress_due__sms">' in page
    # Keep everything as it is but turn SMS on for progress reports and e-mail off for inspections.
    data = {f"{kind}__{channel}": "on" for kind in Kind.values for channel in ("inbox", "email")}
    data.pop("inspection_due__email")
    data["progress_due__sms"] = "on"
    assert client.post(reverse("inbox:preferences"), data).status_code == 302
    assert set(Preference.objects.filter(user=official).values_list("kind", "channel", "enabled")) == {
        ("progress_due", "sms", True), ("inspection_due", "email", False)}


def test_the_delivery_log_is_the_users_own_and_a_superusers_all(client, people, django_user_model):
    official, neighbour = people["official"], people["neighbour"]
    Delivery.objects.create(message=_message(official), channel=Channel.EMAIL, status=DeliveryStatus.FAILED,
                            address="o@example.gov.cn", error="SMTPServerDisconnected: 连接中断")
    Delivery.objects.create(message=_message(neighbour, 2), channel=Channel.EMAIL, status=DeliveryStatus.SENT,
                            address="n@example.gov.cn")
    client.force_login(official)
    page = client.get(reverse("inbox:deliveries")).content.decode()
    assert "o@example.gov.cn" in page and "连接中断" in page and "n@example.gov.cn" not in page
    client.force_login(django_user_model.objects.create_superuser("root", password="x" * 12))
    page = client.get(reverse("inbox:deliveries")).content.decode()
    assert "o@example.gov.cn" in page and "n@example.gov.cn" in page


def test_county_staff_set_their_countys_rules(client, people):
    region("330522")
    client.force_login(people["county"])
    page = client.get(reverse("inbox:rules")).content.decode()
    assert "进度报告到期" in page and 'id="id_progress_due_days"' in page
    response = client.post(reverse("inbox:rules"), {"county": "330523", "kind": "progress_due", "enabled": "on", "days": "14"})
    assert response.status_code == 302
    assert ReminderRule.objects.filter(region="330523", kind="progress_due", enabled=True, days=14).exists()
    client.post(reverse("inbox:rules"), {"county": "330523", "kind": "problem_due", "days": "3"})  # unchecked: off
    assert ReminderRule.objects.get(kind="problem_due").enabled is False
    # Out of bounds: refused, nothing changes.
    response = client.post(reverse("inbox:rules"), {"county": "330523", "kind": "progress_due", "enabled": "on", "days": "999"})
    assert response.status_code == 200 and "须在 0 到 365 天之间" in response.content.decode()
    assert ReminderRule.objects.get(kind="progress_due").days == 14
    # Another county's: not in this user's areas.
    assert client.post(reverse("inbox:rules"), {"county": "330522", "kind": "progress_due", "days": "5"}).status_code == 404
    # A township official reads the rules of its county but may not change them.
    client.force_login(people["official"])
    assert client.get(reverse("inbox:rules")).status_code == 200
    assert client.post(reverse("inbox:rules"), {"county": "330523", "kind": "progress_due", "days": "5"}).status_code == 403


def test_the_database_bounds_a_rules_days_and_keeps_one_message_per_event(people):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderRule.objects.create(region=region("330523"), kind=Kind.PROGRESS_DUE, days=366)
    _message(people["official"])
    with pytest.raises(IntegrityError), transaction.atomic():
        _message(people["official"])
