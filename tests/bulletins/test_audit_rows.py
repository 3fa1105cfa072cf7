"""The audit rows of the bulletins' services (tests/audit_rows.py)."""
import datetime

import pytest

from bulletins import services
from core.models import AuditAction
from tests.audit_rows import Row, run_case
from tests.factories import BulletinFactory, region

A = AuditAction


def bulletin_compose(county, village):
    bulletin = services.bulletin_compose(actor=county, region=region("330523"), period_start=datetime.date(2025, 9, 1),
                                         period_end=datetime.date(2025, 9, 30), today=datetime.date(2025, 10, 8))
    return [Row(county, A.CREATE, bulletin, created=True, fields={"status": [None, "draft"], "region": [None, "330523"]})]


def bulletin_edit(county, village, start):
    bulletin = BulletinFactory(status="approved", approved_at=datetime.datetime(2025, 10, 2, tzinfo=datetime.UTC),
                               approved_by=county)
    start()
    services.bulletin_edit(actor=county, bulletin=bulletin, title="新标题", body=bulletin.body)
    return [Row(county, A.UPDATE, bulletin, fields={"title": [bulletin.title, "新标题"], "status": ["approved", "draft"],
                                                    "approved_by": [county.pk, None]})]


def bulletin_approve(county, village, start):
    bulletin = BulletinFactory()
    start()
    services.bulletin_approve(actor=county, bulletin=bulletin)
    return [Row(county, A.TRANSITION, bulletin, fields={"status": ["draft", "approved"], "approved_by": [None, county.pk]})]


def bulletin_publish(county, village, start):
    bulletin = BulletinFactory(status="approved", approved_at=datetime.datetime(2025, 10, 2, tzinfo=datetime.UTC))
    start()
    services.bulletin_publish(actor=county, bulletin=bulletin)
    return [Row(county, A.TRANSITION, bulletin, fields={"status": ["approved", "published"], "published_by": [None, county.pk],
                                                        "pdf": ["", f"bulletins/330523/bulletin-{bulletin.pk}.pdf"]})]


CASES = {f.__name__: f for f in (bulletin_compose, bulletin_edit, bulletin_approve, bulletin_publish)}
NO_AUDIT_ROW: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)
