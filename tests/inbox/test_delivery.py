"""Delivery: e-mail through a real SMTP server, SMS through the adapter, the users' choices, the log, retries."""
import datetime
import logging
import socket

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from config.beat import CELERY_BEAT_SCHEDULE
from inbox import services
from inbox.models import Channel, Delivery, DeliveryStatus, Kind, Message, Preference
from inbox.tasks import deliver
from projects.models import ProjectStatus
from tests.factories import project_in

from .conftest import TODAY

# The deliveries run in-process whatever broker the environment configures (CI points CELERY_BROKER_URL at Redis,
# where no worker would take them): these tests check what the task does.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
SMTP = "django.core.mail.backends.smtp.EmailBackend"


class Inbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def message(people):
    official = people["official"]
    official.email = "tianhuangping@example.gov.cn"
    official.save()
    return Message.objects.create(recipient=official, kind=Kind.PROGRESS_DUE, subject="进度报告到期：余村污水",
                                  body="余村污水治理工程已 40 天未报告进度。", url="/projects/1/", event_key="progress_due:1:2025-08-01")


def test_the_run_queues_the_delivery_after_the_commit_and_mails_through_a_real_smtp_server(
        people, village, smtp_server, django_capture_on_commit_callbacks):
    controller, handler = smtp_server
    official = people["official"]
    official.email = "tianhuangping@example.gov.cn"
    official.save()
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, name="余村污水治理", last_reported_on=TODAY - datetime.timedelta(days=40))
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port, EMAIL_USE_TLS=False,
                           DEFAULT_FROM_EMAIL="qiancun@example.gov.cn", PORTAL_URL="https://qiancun.example.gov.cn"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.reminders_run(today=TODAY)
        assert callbacks  # delivered after the commit, not inside the run's transaction
    assert len(handler.received) == 1
    envelope = handler.received[0]
    assert envelope.rcpt_tos == ["tianhuangping@example.gov.cn"] and envelope.mail_from == "qiancun@example.gov.cn"
    from email import message_from_bytes
    from email.header import decode_header, make_header

    mail = message_from_bytes(envelope.original_content)
    assert str(make_header(decode_header(mail["Subject"]))) == "[千村] 进度报告到期：余村污水治理"
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert "余村污水治理" in body and "https://qiancun.example.gov.cn/projects/" in body
    delivery = Delivery.objects.get(channel=Channel.EMAIL)
    assert (delivery.status, delivery.address, delivery.error) == (DeliveryStatus.SENT, "tianhuangping@example.gov.cn", "")
    # SMS is off unless chosen: no attempt, no row.
    assert not Delivery.objects.filter(channel=Channel.SMS).exists()
    # Delivering again sends nothing more (a channel sent is never sent again).
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port):
        deliver.delay(Message.objects.get().pk)
    assert len(handler.received) == 1 and Delivery.objects.count() == 1


def test_a_server_that_refuses_gives_failed_deliveries_retried_then_sent_once(message, smtp_server, settings):
    controller, handler = smtp_server
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", _free_port()  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    deliver.delay(message.pk)  # eager: the retries run at once
    failed = Delivery.objects.filter(message=message, channel=Channel.EMAIL, status=DeliveryStatus.FAILED)
    assert failed.count() == 1 + settings.INBOX_DELIVERY_RETRIES
    assert "Connection refused" in failed.first().error or "Errno" in failed.first().error
    # The server is back: the next attempt sends it, once.
    settings.EMAIL_PORT = controller.port
    assert deliver.delay(message.pk).get() == []
    deliver.delay(message.pk)
    assert len(handler.received) == 1
    assert Delivery.objects.filter(message=message, status=DeliveryStatus.SENT).count() == 1


def test_the_task_asks_to_retry_with_a_growing_wait(message, settings, monkeypatch):
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", _free_port()
    waits = []

    def retry(self, countdown=None, **kw):
        waits.append(countdown)
        raise RuntimeError("retry asked")

    monkeypatch.setattr(deliver, "retry", retry.__get__(deliver))
    monkeypatch.setattr(type(deliver.request), "is_eager", property(lambda self: False), raising=False)
    with pytest.raises(RuntimeError, match="retry asked"):
        deliver.apply(args=(message.pk,), retries=2, throw=True).get()
    assert waits == [240]


def test_sms_through_the_logging_adapter(message, caplog, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = message.recipient
    user.phone = "13800001111"
    user.save()
    Preference.objects.create(user=user, kind=Kind.PROGRESS_DUE, channel=Channel.SMS, enabled=True)
    with caplog.at_level(logging.INFO, logger="qiancun.inbox.sms"):
        assert services.message_deliver(message_id=message.pk) == []
    sms = Delivery.objects.get(channel=Channel.SMS)
    assert sms.status == DeliveryStatus.SENT and sms.address == "13800001111" and sms.provider_id.startswith("log-")
    assert any("13800001111" in r.getMessage() and sms.provider_id in r.getMessage() for r in caplog.records)


def test_sms_without_a_phone_is_skipped_and_not_tried_again(message, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Preference.objects.create(user=message.recipient, kind=Kind.PROGRESS_DUE, channel=Channel.SMS, enabled=True)
    services.message_deliver(message_id=message.pk)
    services.message_deliver(message_id=message.pk)
    skipped = Delivery.objects.get(channel=Channel.SMS)
    assert skipped.status == DeliveryStatus.SKIPPED and skipped.error == "无手机号码"


class FailingAdapter:
    def send(self, phone, text):
        raise ConnectionError("provider down")


def test_another_sms_adapter_is_chosen_by_setting_and_its_failure_logged(message, settings):
    settings.SMS_ADAPTER = "tests.inbox.test_delivery.FailingAdapter"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message.recipient.phone = "13800001111"
    message.recipient.save()
    Preference.objects.create(user=message.recipient, kind=Kind.PROGRESS_DUE, channel=Channel.SMS, enabled=True)
    assert services.message_deliver(message_id=message.pk) == [Channel.SMS]
    failed = Delivery.objects.get(channel=Channel.SMS)
    assert failed.status == DeliveryStatus.FAILED and failed.error == "ConnectionError: provider down"
    assert Delivery.objects.get(channel=Channel.EMAIL).status == DeliveryStatus.SENT


def test_the_users_choices_decide_the_channels(people, village, mailoutbox, django_capture_on_commit_callbacks):
    official = people["official"]
    official.email = "o@example.gov.cn"
    official.save()
    Preference.objects.create(user=official, kind=Kind.PROGRESS_DUE, channel=Channel.EMAIL, enabled=False)
    Preference.objects.create(user=official, kind=Kind.PROGRESS_DUE, channel=Channel.INBOX, enabled=False)
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, last_reported_on=TODAY - datetime.timedelta(days=40))
    with django_capture_on_commit_callbacks(execute=True):
        services.reminders_run(today=TODAY)
    message = Message.objects.get()
    assert message.read_at is not None  # kept (so it comes once) but not shown as unread
    assert mailoutbox == [] and not Delivery.objects.exists()


def test_a_user_without_an_address_is_skipped(message, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message.recipient.email = ""
    message.recipient.save()
    services.message_deliver(message_id=message.pk)
    assert Delivery.objects.get().status == DeliveryStatus.SKIPPED


def test_the_beat_runs_the_reminders_every_morning():
    entry = CELERY_BEAT_SCHEDULE["inbox-run-reminders"]
    assert entry["task"] == "inbox.run_reminders"
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {30}
    from config.celery import app

    app.loader.import_default_modules()
    assert "inbox.run_reminders" in app.tasks and "inbox.deliver" in app.tasks
