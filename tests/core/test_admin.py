"""The admin is no back door around the portal's rules. Every registered model admin is walked as a superuser:
domain records are read-only there (no add, no change, no delete, no bulk action that writes), and the few admins
that write do it through the same services as the portal or within the rule that protects them:

- role grants: core.services.role_grant / role_revoke (levels checked, audited);
- assessment schemes and indicators: only while no assessment uses the scheme, audited;
- users: Django's forms with the password validators, audited; a deactivation revokes API tokens;
- API tokens: shown, revoked through core.services (audited), never created.

Before, /admin/funding/allocation/add/ accepted any amount and the project form left `status` editable: the balance
checks, locks, lifecycle, versions and dashboard refreshes were all bypassed."""
import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from knox.models import AuthToken

from assessment.models import Assessment, AssessmentScheme, Indicator, Promotion
from core.models import AuditAction, AuditEntry, Role, RoleAssignment
from projects.models import ProgressReport
from tests.core.test_access_matrix import world  # noqa: F401 - one of everything (tests/world.py)
from tests.factories import (
    AssessmentSchemeFactory,
    IndicatorFactory,
    IndicatorScoreFactory,
    ProgressReportFactory,
    api_token,
    region,
)
from villages.models import Village

User = get_user_model()
# The admins that write, each tested below against the rule that protects it.
WRITING = {User, RoleAssignment, AssessmentScheme, Indicator, Village}
# django-axes' records of logins: read-only, and deleting an attempt is how an administrator lifts a lockout.
LOGIN_RECORDS = {"axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"}


@pytest.fixture
def root(client, world):  # noqa: F811
    user = User.objects.create_superuser("root", password="a-long-admin-passphrase-2025")
    client.force_login(user)
    Promotion.objects.create(village=world["village"], from_category="renovation", to_category="demonstration",
                             promoted_on=datetime.date(2025, 12, 1), assessment=world["acceptance"])
    from django.test import Client

    from core.services import role_grant

    role_grant(actor=user, user=User.objects.get(username="neighbour"), role=Role.API_CLIENT, region_code="330523")  # an audit row
    from projects.services import project_transition

    project_transition(actor=User.objects.get(username="county"), project=world["submitted"], action="approve")  # a timeline row
    IndicatorScoreFactory(assessment=world["submitted_assessment"], indicator=world["indicator"])
    other = Client()  # one failed and one good login: django-axes' records
    other.post(reverse("login"), {"username": "county", "password": "wrong password"})
    other.post(reverse("login"), {"username": "official", "password": "correct-horse-battery-staple"})
    return user


def _everything():
    """Every row of every model the admin shows, and the audit trail's length."""
    rows = {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in admin.site._registry}
    return rows, AuditEntry.objects.count()


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_data(obj, **changes):
    """What a crafted form post would carry: the object's own values, changed where asked."""
    data = {k: ("" if v is None else v.pk if hasattr(v, "pk") else (v.name or "") if isinstance(v, FieldFile) else v)
            for k, v in model_to_dict(obj).items()}
    data.update(changes)
    return data


def test_every_domain_admin_is_read_only(client, root, world):  # noqa: F811
    walked = []
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model._meta.label}: add one"
        assert client.get(_url(model, "changelist")).status_code == 200, model
        page = client.get(_url(model, "change", obj.pk))
        assert page.status_code == 200, model
        if model in WRITING:
            continue
        walked.append(model._meta.label)
        html = page.content.decode()
        editable = [f.name for f in model._meta.fields if f'name="{f.name}"' in html]
        assert not editable, f"{model._meta.label}: editable fields {editable}"
        before = _everything()
        assert client.get(_url(model, "add")).status_code == 403, model
        assert client.post(_url(model, "add"), _form_data(obj)).status_code == 403, model
        client.post(_url(model, "change", obj.pk), _form_data(obj))
        assert _everything() == before, f"{model._meta.label}: a refused admin write changed the database"
        if model._meta.label in LOGIN_RECORDS:
            continue
        assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403, model
        client.post(_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
        assert _everything() == before, f"{model._meta.label}: a refused admin write changed the database"
    assert {"funding.Allocation", "funding.FundingSource", "projects.Project", "projects.ProgressReport",
            "assessment.Assessment", "villages.Region", "reports.ReportJob", "core.AuditEntry"} <= set(walked)


def test_no_money_and_no_status_through_the_admin(client, root, world):  # noqa: F811
    """The two holes the review found, named: an allocation of any amount, a project's status."""
    allocation, project = world["allocation"], world["building"]
    before = _everything()
    crafted = _form_data(allocation, amount="999999999.00", allocated_on="1900-01-01")
    crafted.pop("id", None)
    assert client.post(_url(type(allocation), "add"), crafted).status_code == 403
    response = client.post(_url(type(project), "change", project.pk), _form_data(project, status="accepted", version=99))
    assert response.status_code == 403
    assert _everything() == before


def test_role_grants_go_through_the_service(client, root, world):  # noqa: F811
    official = User.objects.get(username="official")
    before = _everything()
    wrong_level = client.post(_url(RoleAssignment, "add"), {"user": official.pk, "role": Role.TOWNSHIP_OFFICIAL, "region": "330523"})
    assert wrong_level.status_code == 200 and "errornote" in wrong_level.content.decode()
    assert _everything() == before
    client.post(_url(RoleAssignment, "add"), {"user": official.pk, "role": Role.TOWNSHIP_OFFICIAL, "region": "330523001"})
    granted = RoleAssignment.objects.get(user=official, region_id="330523001")
    assert AuditEntry.objects.filter(action=AuditAction.GRANT, object_id=str(granted.pk)).exists()
    client.post(_url(RoleAssignment, "changelist"), {"action": "delete_selected", "_selected_action": [granted.pk], "post": "yes"})
    assert not RoleAssignment.objects.filter(pk=granted.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.REVOKE, object_id=str(granted.pk)).exists()
    grant = RoleAssignment.objects.filter(user=official).first()
    assert client.post(_url(RoleAssignment, "change", grant.pk), {"user": official.pk, "role": Role.COUNTY_STAFF,
                                                                 "region": "330523"}).status_code == 403


def test_a_scheme_in_use_cannot_change_in_the_admin(client, root, world):  # noqa: F811
    scheme, indicator = world["scheme"], world["indicator"]  # villages are scored under it
    before = _everything()
    data = _form_data(scheme, name="改名", excellent_min="50")
    data.update({"indicators-TOTAL_FORMS": "0", "indicators-INITIAL_FORMS": "0"})
    assert client.post(_url(AssessmentScheme, "change", scheme.pk), data).status_code == 403
    assert client.post(_url(Indicator, "change", indicator.pk), _form_data(indicator, max_score="5")).status_code == 403
    assert client.post(_url(AssessmentScheme, "delete", scheme.pk), {"post": "yes"}).status_code == 403
    assert client.get(_url(Indicator, "add")).status_code == 403
    assert _everything() == before


def test_a_scheme_that_came_into_use_meanwhile_is_not_saved_by_the_admin(rf, root, world):  # noqa: F811
    """The admin checks the rule when the request starts, and again under the scheme's row lock when it writes: an
    assessment opened in between (assessment_start takes the same lock) is not slipped past."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    scheme, indicator = world["spare_scheme"], world["spare_indicator"]
    scheme_admin, indicator_admin = admin.site._registry[AssessmentScheme], admin.site._registry[Indicator]
    request = rf.post("/admin/")
    request.user = User.objects.get(username="root")
    assert scheme_admin.has_change_permission(request, scheme)  # the page was opened while unused ...
    Assessment.objects.create(scheme=scheme, village=world["village"], period="2026")  # ... then a round started
    before = _everything()
    scheme.name, indicator.max_score = "改名", Decimal("5")
    for write in (lambda: scheme_admin.save_model(request, scheme, None, True),
                  lambda: indicator_admin.save_model(request, indicator, None, True),
                  lambda: indicator_admin.delete_model(request, indicator)):
        with pytest.raises(PermissionDenied), transaction.atomic():
            write()
    assert _everything() == before


def test_an_unused_scheme_is_configured_in_the_admin_and_audited(client, root, world):  # noqa: F811
    scheme = AssessmentSchemeFactory(name="2026年度考核", year=2026, region=region("330523"))
    IndicatorFactory(scheme=scheme, name="环境卫生", max_score=Decimal("40"))
    data = _form_data(scheme, name="2026年度村庄整治考核")
    data.update({"indicators-TOTAL_FORMS": "1", "indicators-INITIAL_FORMS": "1", "indicators-MIN_NUM_FORMS": "0",
                 "indicators-MAX_NUM_FORMS": "1000"})
    indicator = scheme.indicators.get()
    for key, value in _form_data(indicator, max_score="45").items():
        data[f"indicators-0-{key}"] = value
    response = client.post(_url(AssessmentScheme, "change", scheme.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    scheme.refresh_from_db()
    indicator.refresh_from_db()
    assert (scheme.name, indicator.max_score) == ("2026年度村庄整治考核", Decimal("45"))
    assert AuditEntry.objects.filter(object_id=str(scheme.pk), note="admin", changes__name__1="2026年度村庄整治考核").exists()
    assert AuditEntry.objects.filter(object_id=str(indicator.pk), note="admin").exists()
    Assessment.objects.create(scheme=scheme, village=world["village"], period="2026")
    assert client.post(_url(AssessmentScheme, "change", scheme.pk), data).status_code == 403


def test_users_are_audited_and_a_deactivation_revokes_their_tokens(client, root, world):  # noqa: F811
    user = User.objects.get(username="api_client")
    assert AuthToken.objects.filter(user=user).exists()
    page = client.get(_url(User, "change", user.pk))
    form = page.context["adminform"].form
    data = {name: (value.pk if hasattr(value, "pk") else value) for name, value in form.initial.items()
            if name not in ("password", "groups", "user_permissions", "last_login", "date_joined") and value is not None}
    data.update({"is_active": "", "date_joined_0": "2025-01-01", "date_joined_1": "08:00:00"})
    response = client.post(_url(User, "change", user.pk), data)
    assert response.status_code == 302, response.content.decode()[:1500]
    user.refresh_from_db()
    assert not user.is_active and not AuthToken.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(object_id=str(user.pk), note="admin", changes__is_active=[True, False]).exists()


def test_api_tokens_are_revoked_not_created_in_the_admin(client, root, world):  # noqa: F811
    user = User.objects.get(username="official")
    api_token(user)
    before = AuthToken.objects.count()
    assert client.get(_url(AuthToken, "add")).status_code == 403
    assert client.post(_url(AuthToken, "add"), {"user": user.pk, "expiry": "2099-01-01 00:00"}).status_code == 403
    assert AuthToken.objects.count() == before
    tokens = list(AuthToken.objects.filter(user=user).values_list("pk", flat=True))
    client.post(_url(AuthToken, "changelist"), {"action": "revoke", "_selected_action": tokens})
    assert not AuthToken.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(object_id=str(user.pk), note__startswith="API token revoked").count() == len(tokens)


def test_every_admin_search_answers(client, root, world):  # noqa: F811
    """A number (an id), a division code and a text in every admin's search box: an answer, never an error."""
    for model in admin.site._registry:
        for term in ("1", "330523108204", "330523", "余村", "99999999999999999999999"):
            response = client.get(_url(model, "changelist"), {"q": term})
            assert response.status_code == 200, (model, term, response.status_code)


def test_admin_lists_page_and_search_only_what_an_index_serves(client, root, world, settings):  # noqa: F811
    settings.PAGE_NUMBER_MAX_ROWS = 100  # two pages of 50
    ProgressReportFactory.create_batch(110, project=world["building"])
    changelist = _url(type(world["photo"].report), "changelist")
    assert client.get(changelist + "?p=2").status_code == 200
    assert client.get(changelist + "?p=3").status_code == 302  # past the limit: the admin's error page, no OFFSET
    with CaptureQueriesContext(connection) as queries:
        page = client.get(changelist + "?q=污水")
    assert page.status_code == 200 and page.context["cl"].result_count == 0
    assert not [q["sql"] for q in queries if "LIKE" in q["sql"].upper() or "::text" in q["sql"]]
    by_project = client.get(changelist + f"?q={world['building'].pk}")
    # A number finds the reports with that id or of the project with that id (search_ids); the world's other
    # reports (far from 余村) have ids of their own, one of which may be the project's.
    by_number = Q(pk=world["building"].pk) | Q(project_id=world["building"].pk)
    assert by_project.context["cl"].result_count == ProgressReport.objects.filter(by_number).count() > 110
    audit = client.get(_url(AuditEntry, "changelist") + f"?q={world['building'].pk}")
    assert audit.status_code == 200


def test_a_villages_facts_change_through_the_service_and_nothing_else(client, root, world, django_capture_on_commit_callbacks):  # noqa: F811
    village = world["village"]
    url = _url(Village, "change", village.code)
    form = client.get(url).context["adminform"].form
    assert set(form.fields) == {"population", "households", "area_km2", "latitude", "longitude", "joined_year"}
    data = {"population": "1234", "households": "400", "area_km2": "", "latitude": "30.5", "longitude": "119.6",
            "joined_year": "2005", "category": "future", "township": "330523001", "name": "改名"}
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(url, data).status_code == 302
    village.refresh_from_db()
    assert (village.population, village.category, village.township_id, village.name) == (1234, "renovation", "330523108", "余村村委会")
    entry = AuditEntry.objects.filter(object_id=village.code).latest("id")
    assert entry.actor == root and entry.changes["population"][1] == 1234 and "category" not in entry.changes
    assert callbacks, "the dashboard's refresh was not requested"
    before = _everything()
    response = client.post(url, {**data, "households": "5000"})  # more households than people
    assert response.status_code == 200 and _everything() == before
