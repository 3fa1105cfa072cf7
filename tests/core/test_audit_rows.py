"""The audit rows of core's services (role grants, users, API tokens), and the guard of the whole net:
every service of every app that writes has its audit rows checked (tests/audit_rows.py)."""
import datetime
import importlib
import importlib.util

import pytest
from django.contrib.auth import get_user_model

from core import services
from core.models import AuditAction, Role, RoleAssignment
from tests.audit_rows import ABSENT, Row, public_functions, run_case, services_modules, writing_functions
from tests.factories import region, user_with

A = AuditAction


@pytest.fixture
def admin(db):
    return user_with("root-admin")


@pytest.fixture
def zhang(db):
    region("330523")
    return get_user_model().objects.create_user("zhang", password="x" * 12)


def role_grant(admin, zhang):
    assignment, created = services.role_grant(actor=admin, user=zhang, role=Role.COUNTY_STAFF, region_code="330523")
    again, created_again = services.role_grant(actor=admin, user=zhang, role=Role.COUNTY_STAFF, region_code="330523")
    assert created and not created_again and again == assignment  # a grant held already: no second row
    return [Row(admin, A.GRANT, assignment, changes={"user": [None, "zhang"], "role": [None, "county_staff"],
                                                     "region": [None, "330523"]})]


def role_revoke(admin, zhang):
    assignment = RoleAssignment.objects.create(user=zhang, role=Role.COUNTY_STAFF, region=region("330523"))
    pk = assignment.pk
    services.role_revoke(actor=admin, assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=pk).exists()
    return [Row(admin, A.REVOKE, (RoleAssignment, pk), changes={"user": ["zhang", None], "role": ["county_staff", None],
                                                                  "region": ["330523", None]})]


def user_ensure_with_role(admin, zhang):
    User = get_user_model()
    region("330523108")
    user, created, assignment, granted = services.user_ensure_with_role(
        actor=admin, username="li", role=Role.TOWNSHIP_OFFICIAL, region_code="330523108", display_name="李明",
        password="a-long-enough-passphrase-17",
    )
    assert created and granted
    # An existing user given a new password and a role: the password change is recorded, never the hash.
    _same, created_again, other, granted_again = services.user_ensure_with_role(
        actor=admin, username="zhang", role=Role.COUNTY_STAFF, region_code="330523", password="another-long-passphrase-9",
    )
    assert not created_again and granted_again
    return [
        Row(admin, A.CREATE, user, created=True, fields={"username": [None, "li"], "first_name": [None, "李明"],
                                                         "password": ABSENT}),
        Row(admin, A.GRANT, assignment, changes={"user": [None, "li"], "role": [None, "township_official"],
                                                 "region": [None, "330523108"]}),
        Row(admin, A.UPDATE, User.objects.get(username="zhang"), changes={"password": ["***", "***"]}),
        Row(admin, A.GRANT, other, changes={"user": [None, "zhang"], "role": [None, "county_staff"],
                                            "region": [None, "330523"]}),
    ]


def token_issue(zhang):
    _token, row = services.token_issue(user=zhang)
    return [Row(zhang, A.UPDATE, zhang, changes={"api_token": [None, row.token_key[:8]]},
                note=f"API token issued ({row.token_key[:8]}…)")]


def token_revoke(admin, zhang):
    _token, row = services.token_issue(user=zhang)
    key = row.token_key[:8]
    issued = Row(zhang, A.UPDATE, zhang, changes={"api_token": [None, key]})
    services.token_revoke(actor=admin, token=row)
    return [issued, Row(admin, A.UPDATE, zhang, changes={"api_token": [key, None]}, note=f"API token revoked ({key}…)")]


def tokens_revoke_all(admin, zhang):
    issued = [Row(zhang, A.UPDATE, zhang, fields={"api_token": [None, services.token_issue(user=zhang)[1].token_key[:8]]})
              for _ in range(2)]
    assert services.tokens_revoke_all(actor=admin, user=zhang, reason="password changed") == 2
    assert services.tokens_revoke_all(actor=admin, user=zhang, reason="again") == 0  # none left: no row
    return [*issued, Row(admin, A.UPDATE, zhang, changes={"api_tokens": [2, 0]}, note="API tokens revoked: password changed")]


CASES = {f.__name__: f for f in (role_grant, role_revoke, user_ensure_with_role, token_issue, token_revoke,
                                  tokens_revoke_all)}
NO_AUDIT_ROW = {
    "tokens_purge_expired": "deletes tokens that had already expired (and were refused from then on); a "
                            "housekeeping job with no actor, run by a periodic task (core.tasks)",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)


def test_purging_expired_tokens_writes_no_audit_row(zhang):
    from knox.models import AuthToken

    from core.models import AuditEntry

    _row, _token = AuthToken.objects.create(user=zhang, expiry=datetime.timedelta(seconds=-1))
    before = AuditEntry.objects.count()
    assert services.tokens_purge_expired() == 1 and AuditEntry.objects.count() == before


# --- The guard: the net grows with the code ------------------------------------------------------

def _net(label):
    module = importlib.import_module(f"tests.{label}.test_audit_rows")
    return module.CASES, module.NO_AUDIT_ROW


def test_every_app_with_services_has_an_audit_row_test_module():
    modules = services_modules()
    assert {"core", "villages", "projects", "funding", "assessment", "reports"} <= set(modules)
    for label in modules:
        assert importlib.util.find_spec(f"tests.{label}.test_audit_rows") is not None, (
            f"{label}/services.py has no tests/{label}/test_audit_rows.py"
        )


def test_every_writing_service_is_in_the_audit_net():
    """A public function of a services module that writes is either a case (its audit rows are checked) or
    named in NO_AUDIT_ROW with the reason; entries naming no such function are stale."""
    problems = []
    for label, module in sorted(services_modules().items()):
        cases, exempt = _net(label)
        writers = writing_functions(module)
        public = set(public_functions(module))
        for name in sorted(writers - set(cases) - set(exempt)):
            problems.append(f"{label}.services.{name} writes but has no audit-row case in tests/{label}/test_audit_rows.py")
        for name in sorted((set(cases) | set(exempt)) - public):
            problems.append(f"tests/{label}/test_audit_rows.py names {name}, which is not a public function of {label}.services")
        for name in sorted(set(cases) & set(exempt)):
            problems.append(f"{label}.services.{name} is both a case and exempt")
        for name in sorted(set(cases) - writers):
            problems.append(f"{label}.services.{name} has a case but is not seen to write (the guard's reading is off)")
        problems.extend(f"{label}.services.{name}: no reason given" for name, why in exempt.items() if len(why) < 20)
    assert not problems, "\n".join(problems)


def test_the_guard_sees_writes_directly_and_through_the_module():
    """The reading behind the guard: the funding source edit writes (an update under a row lock); the
    follow-up steps write through follow_up_advance; balance readers and pure helpers do not."""
    from assessment import services as assessment_services
    from funding import services as funding_services
    from reports import services as reports_services

    assert {"funding_source_update", "disbursement_create"} <= writing_functions(funding_services)
    assert not {"source_allocated", "allocation_net", "allocation_disbursed"} & writing_functions(funding_services)
    assert {"follow_up_record_talk", "follow_up_close", "round_start"} <= writing_functions(assessment_services)
    assert "scheme_in_use" not in writing_functions(assessment_services)
    assert {"report_sweep", "report_run", "report_request"} <= writing_functions(reports_services)
    assert not {"temp_name", "final_name", "previous_month"} & writing_functions(reports_services)
    assert "role_grant_check" not in writing_functions(services)
