"""The access matrix, enforced: every URL of the project × every kind of user.

`test_every_url_has_an_entry` walks the URL configuration and fails when a
route has no row in ACCESS, so a new page cannot ship unguarded. Each row
gives, for every user kind, the expected status; for writes, a refused
request must leave the database exactly as it was.
"""
import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from knox.models import AuthToken

from core.models import AuditEntry
from funding.models import Allocation, Disbursement, FundingSource
from projects.models import ProgressReport, Project, ProjectTransition
from reports.models import ReportJob
from tests.images import upload
from tests.pdfs import pdf_upload
from tests.world import GRANTS, PASSWORD, build_world, built_once

# Far from 余村 (tests/world.py): a user of every role in another city of Zhejiang (hz_: 杭州市) and in another
# province (js_: 江苏省). For them every object of the world's matrix rows lies outside their region.
FAR_ROLES = ("official", "county", "supervisor", "api_client")
FAR_USERS = tuple(f"{place}_{role}" for place in ("hz", "js") for role in FAR_ROLES)
USERS = ("anonymous", "official", "neighbour", "county", "other_county", "supervisor", "api_client", *FAR_USERS)
assert set(USERS) == {"anonymous", *GRANTS}  # tests.world makes a user of every kind but the anonymous one
# Ledger entries dated within the window that needs no reason for an earlier date (funding.services._entry_date).
RECENT = (datetime.date.today() - datetime.timedelta(days=5)).isoformat()


def statuses(anonymous, official, neighbour, county, other_county, supervisor, api_client, *, far):
    """The expected status of every user kind. ``far`` gives, in the order of FAR_ROLES, what the township official,
    county staff, supervisor and API client of another city and of another province get: the same in both places,
    an outsider's answer (404 for an object of 余村's area, as for the neighbour and the other county's staff)."""
    near = dict(zip(USERS, (anonymous, official, neighbour, county, other_county, supervisor, api_client)))
    assert len(far) == len(FAR_ROLES)
    return near | {f"{place}_{role}": status for place in ("hz", "js") for role, status in zip(FAR_ROLES, far)}


# What the far users get (official, county staff, supervisor, API client):
FAR_OPEN = (200, 200, 200, 403)  # a page every portal role may open (API clients use the API only)
FAR_HIDDEN = (404, 404, 404, 403)  # an object of 余村's area, or a write on it
FAR_API_OPEN = (200, 200, 200, 200)
FAR_API_HIDDEN = (404, 404, 404, 404)

# Shorthands for the common rows. 302 for the anonymous user is the redirect to the login page.
READ_ANY = statuses(302, 200, 200, 200, 200, 200, 403, far=FAR_OPEN)  # a page every portal role may open
READ_OBJECT = statuses(302, 200, 404, 200, 404, 200, 403, far=FAR_HIDDEN)  # an object of 天荒坪镇
EDIT_OBJECT = statuses(302, 302, 404, 403, 404, 403, 403, far=FAR_HIDDEN)  # a township official's write on it
COUNTY_ACTION = statuses(302, 403, 404, 302, 404, 403, 403, far=FAR_HIDDEN)  # county staff's write on it
API_READ = statuses(401, 200, 200, 200, 200, 200, 200, far=FAR_API_OPEN)
API_OBJECT = statuses(401, 200, 404, 200, 404, 200, 200, far=FAR_API_HIDDEN)
API_COUNTY_ACTION = statuses(401, 403, 404, 201, 404, 403, 403, far=FAR_API_HIDDEN)
# A scheme of 安吉县: read in the county and below it (both townships) and by the city; configured (assessment.configure)
# by the county's staff and the city's supervisor; the townships, which read it, are refused (403), not kept out (404).
SCHEME_READ = statuses(302, 200, 200, 200, 404, 200, 403, far=FAR_HIDDEN)
SCHEME_CONFIGURE_PAGE = statuses(302, 403, 403, 200, 404, 200, 403, far=FAR_HIDDEN)
# An asset or a keeper of 天荒坪镇: its township's official and the county's staff maintain it; supervisors read only.
MAINTAIN_PAGE = statuses(302, 200, 404, 200, 404, 403, 403, far=FAR_HIDDEN)
MAINTAIN = statuses(302, 302, 404, 302, 404, 403, 403, far=FAR_HIDDEN)
SCHEME_CONFIGURE = statuses(302, 403, 403, 302, 404, 302, 403, far=FAR_HIDDEN)
# A problem found by 安吉县's visit: re-checked (closed, reopened) by the county's staff and the city's supervisor; the
# township's official, who reads and rectifies it, is refused (403).
RECHECK = statuses(302, 403, 404, 302, 404, 302, 403, far=FAR_HIDDEN)
# A draft bulletin of 安吉县's office: written by its county staff only (the city's supervisor neither reads nor writes it).
# The public pages (公开): the same for everyone, logged in or not (API clients included: nothing there is theirs);
# what is not published (a draft, a withdrawn case, a county that did not open its village pages) for no one.
PUBLIC = statuses(200, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200))
# offline.js's JSON: 401 (not a redirect) without login, 403 for an API-only account.
OFFLINE_JSON = statuses(401, 200, 200, 200, 200, 200, 403, far=(200, 200, 200, 403))
PUBLIC_NONE = statuses(404, 404, 404, 404, 404, 404, 404, far=(404, 404, 404, 404))
PUBLIC_NO_WRITE = statuses(405, 405, 405, 405, 405, 405, 405, far=(405, 405, 405, 405))
OFFICE_WRITE = statuses(302, 404, 404, 302, 404, 404, 403, far=FAR_HIDDEN)

def _message_of(username: str, key: str = "access:1") -> int:
    """A reminder in the inbox of ``username`` (tests.world's user), unread."""
    from inbox.models import Message

    message, _ = Message.objects.get_or_create(
        recipient=get_user_model().objects.get(username=username), event_key=key,
        defaults={"kind": "progress_due", "subject": "进度报告到期", "url": "/projects/"},
    )
    return message.pk


def _unread_for_everyone(url: str) -> str:
    """Every user of the world has an unread message (so that marking all read changes something)."""
    for username in GRANTS:
        _message_of(username, "access:all")
    return url


# route name → list of (method, url maker, expected statuses, is_write)
ACCESS = {
    # The load balancer's and Docker's probe: public, answers the same to everyone (tests/core/test_health.py).
    "healthz": [("get", lambda w: reverse("healthz"), statuses(200, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200)), False)],
    "home": [("get", lambda w: reverse("home"), READ_ANY, False)],
    "login": [("get", lambda w: reverse("login"), statuses(200, 302, 302, 302, 302, 302, 302, far=(302, 302, 302, 302)), False)],
    "logout": [
        ("post", lambda w: reverse("logout"), statuses(302, 302, 302, 302, 302, 302, 302, far=(302, 302, 302, 302)), False),
        ("get", lambda w: reverse("logout"), statuses(405, 405, 405, 405, 405, 405, 405, far=(405, 405, 405, 405)), False),
    ],
    # The user's own account (issue 15): every logged-in user, API-only accounts included.
    "password_change": [
        ("get", lambda w: reverse("password_change"), statuses(302, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200)), False),
        ("post", lambda w: reverse("password_change"), statuses(302, 302, 302, 302, 302, 302, 302, far=(302, 302, 302, 302)), True),
    ],
    "tokens": [("get", lambda w: reverse("tokens"), statuses(302, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200)), False)],
    "tokens_revoke": [
        ("get", lambda w: reverse("tokens_revoke") + "?token=all", statuses(302, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200)), False),
        ("post", lambda w: reverse("tokens_revoke"), statuses(302, 302, 302, 302, 302, 302, 302, far=(302, 302, 302, 302)), True),
    ],
    "set_language": [("post", lambda w: reverse("set_language"), statuses(302, 302, 302, 302, 302, 302, 302, far=(302, 302, 302, 302)), False)],
    "villages:list": [("get", lambda w: reverse("villages:list"), READ_ANY, False)],
    "villages:detail": [("get", lambda w: reverse("villages:detail", args=[w["village"].code]), READ_OBJECT, False)],
    "projects:list": [("get", lambda w: reverse("projects:list"), READ_ANY, False)],
    "projects:progress_list": [("get", lambda w: reverse("projects:progress_list"), READ_ANY, False)],
    "projects:detail": [("get", lambda w: reverse("projects:detail", args=[w["submitted"].pk]), READ_OBJECT, False)],
    "projects:create": [
        ("get", lambda w: reverse("projects:create"), statuses(302, 200, 200, 403, 403, 403, 403, far=(200, 403, 403, 403)), False),
        ("post", lambda w: reverse("projects:create"), statuses(302, 302, 404, 403, 403, 403, 403, far=(404, 403, 403, 403)), True),
    ],
    "projects:edit": [
        ("get", lambda w: reverse("projects:edit", args=[w["draft"].pk]), statuses(302, 200, 404, 403, 404, 403, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("projects:edit", args=[w["draft"].pk]), EDIT_OBJECT, True),
    ],
    "projects:action": [
        ("post", lambda w: reverse("projects:action", args=[w["draft"].pk, "submit"]), EDIT_OBJECT, True),
        ("post", lambda w: reverse("projects:action", args=[w["submitted"].pk, "approve"]), COUNTY_ACTION, True),
        ("post", lambda w: reverse("projects:action", args=[w["submitted"].pk, "return"]), COUNTY_ACTION, True),
        ("post", lambda w: reverse("projects:action", args=[w["building"].pk, "suspend"]), COUNTY_ACTION, True),
    ],
    "projects:photo": [("get", lambda w: reverse("projects:photo", args=[w["photo"].pk]), READ_OBJECT, False)],
    "projects:photo_thumbnail": [
        ("get", lambda w: reverse("projects:photo_thumbnail", args=[w["photo"].pk]), READ_OBJECT, False)
    ],
    "projects:progress_create": [
        ("get", lambda w: reverse("projects:progress_create", args=[w["building"].pk]), statuses(302, 200, 404, 403, 404, 403, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("projects:progress_create", args=[w["building"].pk]), EDIT_OBJECT, True),
    ],
    # Money (issue 5): a county budget source of 安吉县 funds the project under construction.
    "funding:sources": [("get", lambda w: reverse("funding:sources"), READ_ANY, False)],
    "funding:allocations": [("get", lambda w: reverse("funding:allocations"), READ_ANY, False)],
    "funding:disbursements": [("get", lambda w: reverse("funding:disbursements"), READ_ANY, False)],
    "funding:figures": [("get", lambda w: reverse("funding:figures"), READ_ANY, False)],
    "funding:source_detail": [
        # Sources administered above a user's region are readable from below (a county fund by its townships).
        ("get", lambda w: reverse("funding:source_detail", args=[w["source"].pk]), statuses(302, 200, 200, 200, 404, 200, 403, far=FAR_HIDDEN), False)
    ],
    "funding:source_create": [
        ("get", lambda w: reverse("funding:source_create"), statuses(302, 403, 403, 200, 200, 200, 403, far=(403, 200, 200, 403)), False),
        # Another county's staff cannot name 安吉县 (form error, 200), nor can a far supervisor; the city's supervisor
        # manages city sources only.
        ("post", lambda w: reverse("funding:source_create"), statuses(302, 403, 403, 302, 200, 403, 403, far=(403, 200, 200, 403)), True),
    ],
    "funding:source_edit": [
        ("get", lambda w: reverse("funding:source_edit", args=[w["source"].pk]), statuses(302, 403, 403, 200, 404, 403, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("funding:source_edit", args=[w["source"].pk]), statuses(302, 403, 403, 302, 404, 403, 403, far=FAR_HIDDEN), True),
    ],
    "funding:allocation_create": [
        ("get", lambda w: reverse("funding:allocation_create"), statuses(302, 403, 403, 200, 200, 403, 403, far=(403, 200, 403, 403)), False),
        ("post", lambda w: reverse("funding:allocation_create"), statuses(302, 403, 403, 302, 200, 403, 403, far=(403, 200, 403, 403)), True),
    ],
    "funding:upkeep": [("get", lambda w: reverse("funding:upkeep"), READ_ANY, False)],
    "funding:upkeep_create": [
        ("get", lambda w: reverse("funding:upkeep_create"), statuses(302, 403, 403, 200, 200, 403, 403, far=(403, 200, 403, 403)), False),
        ("get", lambda w: reverse("funding:upkeep_create") + f"?asset={w['asset'].pk}",
         statuses(302, 403, 403, 200, 200, 403, 403, far=(403, 200, 403, 403)), False),
        ("post", lambda w: reverse("funding:upkeep_create"), statuses(302, 403, 403, 302, 200, 403, 403, far=(403, 200, 403, 403)), True),
    ],
    "funding:allocation_detail": [
        ("get", lambda w: reverse("funding:allocation_detail", args=[w["allocation"].pk]), READ_OBJECT, False),
        ("get", lambda w: reverse("funding:allocation_detail", args=[w["upkeep_allocation"].pk]), READ_OBJECT, False)
    ],
    "funding:allocation_reverse": [
        ("post", lambda w: reverse("funding:allocation_reverse", args=[w["spare_allocation"].pk]), COUNTY_ACTION, True),
        ("post", lambda w: reverse("funding:allocation_reverse", args=[w["spare_upkeep_allocation"].pk]), COUNTY_ACTION, True)
    ],
    "funding:disbursement_create": [
        ("post", lambda w: reverse("funding:disbursement_create", args=[w["allocation"].pk]), COUNTY_ACTION, True),
        ("post", lambda w: reverse("funding:disbursement_create", args=[w["upkeep_allocation"].pk]), COUNTY_ACTION, True)
    ],
    "funding:disbursement_reverse": [
        ("post", lambda w: reverse("funding:disbursement_reverse", args=[w["payment"].pk]), COUNTY_ACTION, True)
    ],
    # Assessment (issue 6): a round of 安吉县 with 余村 submitted, a finalised half-year with a follow-up,
    # a draft to score, and a passed acceptance to promote on.
    "assessment:list": [("get", lambda w: reverse("assessment:list"), READ_ANY, False)],
    "assessment:follow_ups": [("get", lambda w: reverse("assessment:follow_ups"), READ_ANY, False)],
    "assessment:round_start": [
        ("post", lambda w: reverse("assessment:round_start"), statuses(302, 403, 403, 302, 404, 403, 403, far=(403, 404, 403, 403)), True)
    ],
    "assessment:round": [("get", lambda w: reverse("assessment:round", args=[w["scheme"].pk, "2025", "330523"]), READ_OBJECT, False)],
    "assessment:round_finalise": [
        ("post", lambda w: reverse("assessment:round_finalise", args=[w["scheme"].pk, "2025", "330523"]), COUNTY_ACTION, True)
    ],
    "assessment:detail": [("get", lambda w: reverse("assessment:detail", args=[w["submitted_assessment"].pk]), READ_OBJECT, False)],
    "assessment:score": [("post", lambda w: reverse("assessment:score", args=[w["draft_assessment"].pk]), COUNTY_ACTION, True)],
    "assessment:reopen": [("post", lambda w: reverse("assessment:reopen", args=[w["finalised_assessment"].pk]), COUNTY_ACTION, True)],
    "assessment:promote": [("post", lambda w: reverse("assessment:promote", args=[w["acceptance"].pk]), COUNTY_ACTION, True)],
    "assessment:follow_up": [("get", lambda w: reverse("assessment:follow_up", args=[w["follow_up"].pk]), READ_OBJECT, False)],
    # Schemes and indicators (issue 18, item 16): 安吉县's schemes are read in the county and below it; county staff
    # and the city's (the supervisor role) configure them. "spare_scheme" is used by no assessment (editable);
    # "scheme" is in use (frozen: its edit pages send back to its page, tests/assessment/test_scheme_views.py).
    "assessment:schemes": [("get", lambda w: reverse("assessment:schemes"), READ_ANY, False)],
    "assessment:scheme": [
        ("get", lambda w: reverse("assessment:scheme", args=[w["scheme"].pk]), SCHEME_READ, False),
        ("get", lambda w: reverse("assessment:scheme", args=[w["spare_scheme"].pk]), SCHEME_READ, False),
    ],
    "assessment:scheme_create": [
        ("get", lambda w: reverse("assessment:scheme_create"), statuses(302, 403, 403, 200, 200, 200, 403, far=(403, 200, 200, 403)), False),
        # Another county's staff (and far users) cannot choose 安吉县 as the issuing region (form error, 200).
        ("post", lambda w: reverse("assessment:scheme_create"), statuses(302, 403, 403, 302, 200, 302, 403, far=(403, 200, 200, 403)), True),
    ],
    "assessment:scheme_edit": [
        ("get", lambda w: reverse("assessment:scheme_edit", args=[w["spare_scheme"].pk]), SCHEME_CONFIGURE_PAGE, False),
        ("post", lambda w: reverse("assessment:scheme_edit", args=[w["spare_scheme"].pk]), SCHEME_CONFIGURE, True),
    ],
    "assessment:scheme_copy": [
        ("get", lambda w: reverse("assessment:scheme_copy", args=[w["scheme"].pk]), SCHEME_CONFIGURE_PAGE, False),
        ("post", lambda w: reverse("assessment:scheme_copy", args=[w["scheme"].pk]), SCHEME_CONFIGURE, True),
    ],
    "assessment:scheme_delete": [
        ("post", lambda w: reverse("assessment:scheme_delete", args=[w["spare_scheme"].pk]), SCHEME_CONFIGURE, True),
    ],
    "assessment:indicator_add": [
        ("get", lambda w: reverse("assessment:indicator_add", args=[w["spare_scheme"].pk]), SCHEME_CONFIGURE_PAGE, False),
        ("post", lambda w: reverse("assessment:indicator_add", args=[w["spare_scheme"].pk]), SCHEME_CONFIGURE, True),
    ],
    "assessment:indicator_edit": [
        ("get", lambda w: reverse("assessment:indicator_edit", args=[w["spare_scheme"].pk, w["spare_indicator"].pk]),
         SCHEME_CONFIGURE_PAGE, False),
        ("post", lambda w: reverse("assessment:indicator_edit", args=[w["spare_scheme"].pk, w["spare_indicator"].pk]),
         SCHEME_CONFIGURE, True),
    ],
    "assessment:indicator_remove": [
        ("post", lambda w: reverse("assessment:indicator_remove", args=[w["spare_scheme"].pk, w["spare_indicator"].pk]),
         SCHEME_CONFIGURE, True),
    ],
    "assessment:follow_up_step": [
        ("post", lambda w: reverse("assessment:follow_up_step", args=[w["follow_up"].pk, "talk"]),
         statuses(302, 302, 404, 302, 404, 403, 403, far=FAR_HIDDEN), True)
    ],
    # Dashboards (issue 7): a region's dashboard answers 404 outside the user's scope.
    "dashboard:home": [("get", lambda w: reverse("dashboard:home"), statuses(302, 302, 302, 302, 302, 302, 403, far=(302, 302, 302, 403)), False)],
    "dashboard:region": [("get", lambda w: reverse("dashboard:region", args=["330523108"]), READ_OBJECT, False)],
    # The nation's figures: for a scope of the whole country (superusers); no portal role is held above a province.
    "dashboard:nation": [("get", lambda w: reverse("dashboard:nation"), statuses(302, 404, 404, 404, 404, 404, 403, far=(404, 404, 404, 403)), False)],
    # Supervision (督查): visits are the supervising office's (the county's here: its staff and the city's supervisor);
    # the problems found are read in their village's township too, rectified by the township (or the county) and
    # re-checked by the visit's office.
    "oversight:visits": [("get", lambda w: reverse("oversight:visits"), READ_ANY, False)],
    "oversight:visit_create": [
        ("get", lambda w: reverse("oversight:visit_create"), statuses(302, 403, 403, 200, 200, 200, 403, far=(403, 200, 200, 403)), False),
        ("post", lambda w: reverse("oversight:visit_create"), statuses(302, 403, 403, 302, 200, 302, 403, far=(403, 200, 200, 403)), True),
    ],
    "oversight:visit_detail": [
        ("get", lambda w: reverse("oversight:visit_detail", args=[w["visit"].pk]), statuses(302, 404, 404, 200, 404, 200, 403, far=FAR_HIDDEN), False),
    ],
    "oversight:finding_add": [
        ("post", lambda w: reverse("oversight:finding_add", args=[w["visit"].pk]), statuses(302, 404, 404, 302, 404, 302, 403, far=FAR_HIDDEN), True),
    ],
    "oversight:problems": [("get", lambda w: reverse("oversight:problems"), READ_ANY, False)],
    "oversight:problems_export": [("get", lambda w: reverse("oversight:problems_export"), READ_ANY, False)],
    "oversight:problem_detail": [
        ("get", lambda w: reverse("oversight:problem_detail", args=[w["problem"].pk]), READ_OBJECT, False),
        ("get", lambda w: reverse("oversight:problem_detail", args=[w["rectified_problem"].pk]), READ_OBJECT, False),
    ],
    "oversight:problem_rectify": [("post", lambda w: reverse("oversight:problem_rectify", args=[w["problem"].pk]), MAINTAIN, True)],
    "oversight:problem_close": [
        ("post", lambda w: reverse("oversight:problem_close", args=[w["rectified_problem"].pk]), RECHECK, True),
    ],
    "oversight:problem_reopen": [
        ("post", lambda w: reverse("oversight:problem_reopen", args=[w["rectified_problem"].pk]), RECHECK, True),
    ],
    "oversight:problem_photo": [("get", lambda w: reverse("oversight:problem_photo", args=[w["problem_photo"].pk]), READ_OBJECT, False)],
    "oversight:problem_photo_thumbnail": [
        ("get", lambda w: reverse("oversight:problem_photo_thumbnail", args=[w["problem_photo"].pk]), READ_OBJECT, False),
    ],
    # Bulletins (通报) of 安吉县's office: published ones are read in the county and below it and by the city; drafts
    # (and approved ones not yet published) only by the office itself (its county staff; the city's supervisor
    # manages the city's own, EXACT).
    "bulletins:list": [("get", lambda w: reverse("bulletins:list"), READ_ANY, False)],
    "api:bulletin-list": [("get", lambda w: reverse("api:bulletin-list"), API_READ, False)],
    "api:bulletin-detail": [
        ("get", lambda w: reverse("api:bulletin-detail", args=[w["bulletin"].pk]), statuses(401, 200, 200, 200, 404, 200, 200, far=FAR_API_HIDDEN), False),
        ("get", lambda w: reverse("api:bulletin-detail", args=[w["draft_bulletin"].pk]), statuses(401, 404, 404, 200, 404, 404, 404, far=FAR_API_HIDDEN), False),
    ],
    "bulletins:compose": [
        ("get", lambda w: reverse("bulletins:compose"), statuses(302, 403, 403, 200, 200, 200, 403, far=(403, 200, 200, 403)), False),
        ("post", lambda w: reverse("bulletins:compose"), statuses(302, 403, 403, 302, 200, 200, 403, far=(403, 200, 200, 403)), True),
    ],
    "bulletins:detail": [
        ("get", lambda w: reverse("bulletins:detail", args=[w["bulletin"].pk]), statuses(302, 200, 200, 200, 404, 200, 403, far=FAR_HIDDEN), False),
        ("get", lambda w: reverse("bulletins:detail", args=[w["draft_bulletin"].pk]), statuses(302, 404, 404, 200, 404, 404, 403, far=FAR_HIDDEN), False),
    ],
    "bulletins:pdf": [
        ("get", lambda w: reverse("bulletins:pdf", args=[w["bulletin"].pk]), statuses(302, 200, 200, 200, 404, 200, 403, far=FAR_HIDDEN), False),
        ("get", lambda w: reverse("bulletins:pdf", args=[w["draft_bulletin"].pk]), statuses(302, 404, 404, 404, 404, 404, 403, far=FAR_HIDDEN), False),
    ],
    "bulletins:edit": [("post", lambda w: reverse("bulletins:edit", args=[w["draft_bulletin"].pk]), OFFICE_WRITE, True)],
    "bulletins:approve": [("post", lambda w: reverse("bulletins:approve", args=[w["draft_bulletin"].pk]), OFFICE_WRITE, True)],
    "bulletins:publish": [("post", lambda w: reverse("bulletins:publish", args=[w["approved_bulletin"].pk]), OFFICE_WRITE, True)],
    # The public pages (公开), read without logging in: published bulletins, the village pages of 安吉县 (opened;
    # 淳安县's are not), published cases; never a draft, an approved bulletin not yet published, a withdrawn case.
    "public:index": [("get", lambda w: reverse("public:index"), PUBLIC, False),
                     ("post", lambda w: reverse("public:index"), PUBLIC_NO_WRITE, True)],
    "public:bulletins": [("get", lambda w: reverse("public:bulletins"), PUBLIC, False)],
    "public:bulletin": [
        ("get", lambda w: reverse("public:bulletin", args=[w["bulletin"].pk]), PUBLIC, False),
        ("get", lambda w: reverse("public:bulletin", args=[w["draft_bulletin"].pk]), PUBLIC_NONE, False),
        ("get", lambda w: reverse("public:bulletin", args=[w["approved_bulletin"].pk]), PUBLIC_NONE, False),
    ],
    "public:bulletin_pdf": [
        ("get", lambda w: reverse("public:bulletin_pdf", args=[w["bulletin"].pk]), PUBLIC, False),
        ("get", lambda w: reverse("public:bulletin_pdf", args=[w["draft_bulletin"].pk]), PUBLIC_NONE, False),
        ("get", lambda w: reverse("public:bulletin_pdf", args=[w["approved_bulletin"].pk]), PUBLIC_NONE, False),
    ],
    "public:county": [
        ("get", lambda w: reverse("public:county", args=["330523"]), PUBLIC, False),
        ("get", lambda w: reverse("public:county", args=["330522"]), PUBLIC_NONE, False),
        ("get", lambda w: reverse("public:county", args=["330127"]), PUBLIC_NONE, False),
    ],
    "public:village": [
        ("get", lambda w: reverse("public:village", args=[w["village"].code]), PUBLIC, False),
        ("get", lambda w: reverse("public:village", args=[w["far"]["hangzhou"]["village"].code]), PUBLIC_NONE, False),
    ],
    "public:exemplars": [("get", lambda w: reverse("public:exemplars"), PUBLIC, False)],
    "public:exemplar": [
        ("get", lambda w: reverse("public:exemplar", args=[w["exemplar"].pk]), PUBLIC, False),
        ("get", lambda w: reverse("public:exemplar", args=[w["draft_exemplar"].pk]), PUBLIC_NONE, False),
        ("get", lambda w: reverse("public:exemplar", args=[w["withdrawn_exemplar"].pk]), PUBLIC_NONE, False),
    ],
    "public:exemplar_photo": [
        ("get", lambda w: reverse("public:exemplar_photo", args=[w["exemplar"].pk, w["exemplar_photo"].pk]), PUBLIC, False),
        ("get", lambda w: reverse("public:exemplar_photo", args=[w["draft_exemplar"].pk, w["draft_exemplar_photo"].pk]),
         PUBLIC_NONE, False),
        ("get", lambda w: reverse("public:exemplar_photo", args=[w["exemplar"].pk, w["draft_exemplar_photo"].pk]),
         PUBLIC_NONE, False),
    ],
    "public:exemplar_photo_thumbnail": [
        ("get", lambda w: reverse("public:exemplar_photo_thumbnail", args=[w["exemplar"].pk, w["exemplar_photo"].pk]), PUBLIC, False),
        ("get", lambda w: reverse("public:exemplar_photo_thumbnail", args=[w["draft_exemplar"].pk, w["draft_exemplar_photo"].pk]),
         PUBLIC_NONE, False),
    ],
    # What the public reads, kept by 安吉县's staff (publicity.manage, WITHIN): its village pages opened or closed,
    # its exemplary cases written, published, edited and withdrawn. Every role reads the cases of its area.
    "publicity:list": [("get", lambda w: reverse("publicity:list"), READ_ANY, False)],
    "publicity:publication": [
        ("post", lambda w: reverse("publicity:publication", args=["330523"]), statuses(302, 404, 404, 302, 404, 403, 403, far=FAR_HIDDEN), True),
    ],
    "publicity:create": [
        ("get", lambda w: reverse("publicity:create"), statuses(302, 403, 403, 200, 403, 403, 403, far=(403, 200, 403, 403)), False),
        ("post", lambda w: reverse("publicity:create"), statuses(302, 403, 403, 302, 403, 403, 403, far=(403, 400, 403, 403)), True),
    ],
    "publicity:detail": [
        ("get", lambda w: reverse("publicity:detail", args=[w["draft_exemplar"].pk]), READ_OBJECT, False),
        ("get", lambda w: reverse("publicity:detail", args=[w["exemplar"].pk]), READ_OBJECT, False),
    ],
    "publicity:edit": [("post", lambda w: reverse("publicity:edit", args=[w["draft_exemplar"].pk]), COUNTY_ACTION, True)],
    "publicity:publish": [("post", lambda w: reverse("publicity:publish", args=[w["draft_exemplar"].pk]), COUNTY_ACTION, True)],
    "publicity:withdraw": [("post", lambda w: reverse("publicity:withdraw", args=[w["exemplar"].pk]), COUNTY_ACTION, True)],
    "publicity:photo": [("get", lambda w: reverse("publicity:photo", args=[w["draft_exemplar_photo"].pk]), READ_OBJECT, False)],
    "publicity:photo_thumbnail": [
        ("get", lambda w: reverse("publicity:photo_thumbnail", args=[w["draft_exemplar_photo"].pk]), READ_OBJECT, False),
    ],
    "publicity:photo_remove": [
        ("post", lambda w: reverse("publicity:photo_remove", args=[w["draft_exemplar_photo"].pk]), COUNTY_ACTION, True),
    ],
    # Imports (导入): a user reads and commits only their own (the world's: 安吉县's staff's targets of 天荒坪镇). The
    # upload and template pages open to those who may import some kind somewhere: township officials (projects),
    # county staff and supervisors (targets of the areas below them).
    "imports:list": [("get", lambda w: reverse("imports:list"), READ_ANY, False)],
    "imports:upload": [
        ("get", lambda w: reverse("imports:upload"), statuses(302, 200, 200, 200, 200, 200, 403, far=(200, 200, 200, 403)), False),
        ("post", lambda w: reverse("imports:upload"), statuses(302, 302, 400, 400, 400, 400, 403, far=(400, 400, 400, 403)), True),
    ],
    "imports:template": [
        ("get", lambda w: reverse("imports:template", args=["projects"]), statuses(302, 200, 200, 403, 403, 403, 403, far=(200, 403, 403, 403)), False),
        ("get", lambda w: reverse("imports:template", args=["targets"]), statuses(302, 403, 403, 200, 200, 200, 403, far=(403, 200, 200, 403)), False),
        # Plan items, assets and keepers: township officials and county staff of their areas (supervisors read only).
        *[("get", (lambda name: lambda w: reverse("imports:template", args=[name]))(kind),
           statuses(302, 200, 200, 200, 200, 403, 403, far=(200, 200, 403, 403)), False)
          for kind in ("plan_items", "assets", "keepers")],
        # Scores: county staff; without its round the template sends them back to the upload page to choose one.
        ("get", lambda w: reverse("imports:template", args=["scores"]), statuses(302, 403, 403, 302, 302, 403, 403, far=(403, 302, 403, 403)), False),
    ],
    "imports:detail": [("get", lambda w: reverse("imports:detail", args=[w["import"].pk]), statuses(302, 404, 404, 200, 404, 404, 403, far=FAR_HIDDEN), False)],
    "imports:status": [("get", lambda w: reverse("imports:status", args=[w["import"].pk]), statuses(302, 404, 404, 200, 404, 404, 403, far=FAR_HIDDEN), False)],
    "imports:commit": [("post", lambda w: reverse("imports:commit", args=[w["import"].pk]), statuses(302, 404, 404, 302, 404, 404, 403, far=FAR_HIDDEN), True)],
    "api:import-list": [
        ("get", lambda w: reverse("api:import-list"), API_READ, False),
        ("post", lambda w: reverse("api:import-list"), statuses(401, 403, 403, 202, 403, 202, 403, far=(403, 403, 403, 403)), True),
    ],
    "api:import-detail": [
        ("get", lambda w: reverse("api:import-detail", args=[w["import"].pk]), statuses(401, 404, 404, 200, 404, 404, 404, far=FAR_API_HIDDEN), False),
    ],
    "api:import-commit": [
        ("post", lambda w: reverse("api:import-commit", args=[w["import"].pk]), statuses(401, 404, 404, 202, 404, 404, 404, far=FAR_API_HIDDEN), True),
    ],
    "dashboard:targets": [("get", lambda w: reverse("dashboard:targets", args=["330523108"]), READ_OBJECT, False)],
    "dashboard:map": [("get", lambda w: reverse("dashboard:map", args=["330523108"]), READ_OBJECT, False)],
    "dashboard:outline": [("get", lambda w: reverse("dashboard:outline", args=["330523108"]), READ_OBJECT, False)],
    "dashboard:export": [("get", lambda w: reverse("dashboard:export", args=["330523108"]), READ_OBJECT, False)],
    # Reports (issue 9): a township report of 天荒坪镇 with its file; county staff and supervisors request.
    "reports:list": [("get", lambda w: reverse("reports:list"), READ_ANY, False)],
    "reports:request": [
        ("get", lambda w: reverse("reports:request"), statuses(302, 403, 403, 200, 200, 200, 403, far=(403, 200, 200, 403)), False),
        # Another county's staff cannot name 安吉县 (form error, 200).
        ("post", lambda w: reverse("reports:request"), statuses(302, 403, 403, 302, 200, 302, 403, far=(403, 200, 200, 403)), True),
    ],
    # The ledger pages' export is a report job, for everyone who reads the ledger, about their own area.
    "reports:ledger": [
        ("post", lambda w: reverse("reports:ledger"), statuses(302, 302, 302, 302, 302, 302, 403, far=(302, 302, 302, 403)), True),
        ("get", lambda w: reverse("reports:ledger"), statuses(302, 405, 405, 405, 405, 405, 403, far=(405, 405, 405, 403)), False),
    ],
    "reports:detail": [("get", lambda w: reverse("reports:detail", args=[w["report"].pk]), READ_OBJECT, False)],
    "reports:status": [("get", lambda w: reverse("reports:status", args=[w["report"].pk]), READ_OBJECT, False)],
    "reports:download": [("get", lambda w: reverse("reports:download", args=[w["report"].pk]), READ_OBJECT, False)],
    "api:report-list": [
        ("get", lambda w: reverse("api:report-list"), API_READ, False),
        ("post", lambda w: reverse("api:report-list"), statuses(401, 403, 403, 202, 400, 202, 403, far=(403, 400, 400, 403)), True),
    ],
    "api:report-detail": [("get", lambda w: reverse("api:report-detail", args=[w["report"].pk]), API_OBJECT, False)],
    "api:report-download": [("get", lambda w: reverse("api:report-download", args=[w["report"].pk]), API_OBJECT, False)],
    # API v1 (token or session). Anonymous: 401. api_client reads; writes as the matrix allows.
    "api:api-root": [("get", lambda w: reverse("api:api-root"), API_READ, False)],
    "api:token": [
        ("post", lambda w: reverse("api:token"), statuses(200, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200)), False),
        # DELETE revokes the token a request was made with; a browser session has none (400 no_token).
        ("delete", lambda w: reverse("api:token"), statuses(401, 400, 400, 400, 400, 400, 400, far=(400, 400, 400, 400)), True),
    ],
    "api:fundingsource-list": [
        ("get", lambda w: reverse("api:fundingsource-list"), API_READ, False),
        ("post", lambda w: reverse("api:fundingsource-list"), statuses(401, 403, 403, 201, 400, 403, 403, far=(403, 400, 400, 403)), True),
    ],
    "api:fundingsource-detail": [
        ("get", lambda w: reverse("api:fundingsource-detail", args=[w["source"].pk]), statuses(401, 200, 200, 200, 404, 200, 200, far=FAR_API_HIDDEN), False)
    ],
    "api:allocation-list": [
        ("get", lambda w: reverse("api:allocation-list"), API_READ, False),
        ("post", lambda w: reverse("api:allocation-list"), statuses(401, 403, 403, 201, 400, 403, 403, far=(403, 400, 403, 403)), True),
    ],
    "api:allocation-detail": [("get", lambda w: reverse("api:allocation-detail", args=[w["allocation"].pk]), API_OBJECT, False)],
    "api:allocation-reverse": [
        ("post", lambda w: reverse("api:allocation-reverse", args=[w["spare_allocation"].pk]), API_COUNTY_ACTION, True)
    ],
    "api:disbursement-list": [
        ("get", lambda w: reverse("api:disbursement-list"), API_READ, False),
        ("post", lambda w: reverse("api:disbursement-list"), statuses(401, 403, 403, 201, 400, 403, 403, far=(403, 400, 403, 403)), True),
    ],
    "api:assessment-list": [("get", lambda w: reverse("api:assessment-list") + "?region=330523", API_READ, False)],
    "api:assessment-detail": [("get", lambda w: reverse("api:assessment-detail", args=[w["finalised_assessment"].pk]), API_OBJECT, False)],
    "api:village-list": [("get", lambda w: reverse("api:village-list") + "?region=3305", API_READ, False)],
    "api:village-detail": [("get", lambda w: reverse("api:village-detail", args=[w["village"].code]), API_OBJECT, False)],
    "api:village-status": [("get", lambda w: reverse("api:village-status", args=[w["village"].code]), API_OBJECT, False)],
    "api:ping": [("get", lambda w: reverse("api:ping"), API_READ, False)],
    # The bulk status feed (issue 24): every reader gets 200 with the villages of its own area only
    # (tests/dashboard/test_status_feed.py checks what each sees).
    "api:village-status-feed": [
        ("get", lambda w: reverse("api:village-status-feed") + f"?region={w['village'].code}", API_READ, False),
    ],
    "api:region-list": [("get", lambda w: reverse("api:region-list"), API_READ, False)],
    "api:region-detail": [("get", lambda w: reverse("api:region-detail", args=["330523108"]), API_OBJECT, False)],
    "api:region-summary": [("get", lambda w: reverse("api:region-summary", args=["330523108"]), API_OBJECT, False)],
    # Plans and targets (issue 20): 余村's construction plan; 天荒坪镇's targets of 2025 with their actuals.
    "api:plan-list": [("get", lambda w: reverse("api:plan-list") + "?area=330523", API_READ, False)],
    "api:plan-detail": [("get", lambda w: reverse("api:plan-detail", args=[w["plan"].pk]), API_OBJECT, False)],
    "api:targets": [("get", lambda w: reverse("api:targets") + f"?region={w['target'].region_id}&year=2025", API_OBJECT, False)],
    "api:project-list": [
        ("get", lambda w: reverse("api:project-list"), API_READ, False),
        ("post", lambda w: reverse("api:project-list"), statuses(401, 201, 400, 403, 403, 403, 403, far=(400, 403, 403, 403)), True),
    ],
    "api:project-detail": [("get", lambda w: reverse("api:project-detail", args=[w["draft"].pk]), API_OBJECT, False)],
    "api:project-action": [
        ("post", lambda w: reverse("api:project-action", args=[w["draft"].pk, "submit"]), statuses(401, 200, 404, 403, 404, 403, 403, far=FAR_API_HIDDEN), True),
        ("post", lambda w: reverse("api:project-action", args=[w["submitted"].pk, "approve"]), statuses(401, 403, 404, 200, 404, 403, 403, far=FAR_API_HIDDEN), True),
    ],
    "api:progressreport-list": [
        ("get", lambda w: reverse("api:progressreport-list"), API_READ, False),
        ("post", lambda w: reverse("api:progressreport-list"), statuses(401, 201, 400, 403, 403, 403, 403, far=(400, 403, 403, 403)), True),
    ],
    "api:progressreport-detail": [
        ("get", lambda w: reverse("api:progressreport-detail", args=[w["photo"].report_id]), API_OBJECT, False)
    ],
    # The API's description and its browser, as in production (API_DOCS_PUBLIC off, set in test_access): for
    # logged-in users and API clients only; anonymous 401 (tests/api/test_api_docs.py covers API_DOCS_PUBLIC on).
    "schema": [("get", lambda w: reverse("schema"), statuses(401, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200)), False)],
    "api-docs": [("get", lambda w: reverse("api-docs"), statuses(401, 200, 200, 200, 200, 200, 200, far=(200, 200, 200, 200)), False)],
    # Long-term maintenance (issue 19): 余村's sewage station, kept by a keeper of 天荒坪镇's roster; township officials
    # and county staff register, edit, retire and hand over the assets of their area and keep their rosters.
    "maintenance:assets": [("get", lambda w: reverse("maintenance:assets"), READ_ANY, False)],
    "maintenance:asset_detail": [("get", lambda w: reverse("maintenance:asset_detail", args=[w["asset"].pk]), READ_OBJECT, False)],
    "maintenance:asset_create": [
        ("get", lambda w: reverse("maintenance:asset_create"), statuses(302, 200, 200, 200, 200, 403, 403, far=(200, 200, 403, 403)), False),
        ("post", lambda w: reverse("maintenance:asset_create"), statuses(302, 302, 404, 302, 404, 403, 403, far=(404, 404, 403, 403)), True),
    ],
    "maintenance:asset_edit": [
        ("get", lambda w: reverse("maintenance:asset_edit", args=[w["asset"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("maintenance:asset_edit", args=[w["asset"].pk]), MAINTAIN, True),
    ],
    "maintenance:asset_retire": [("post", lambda w: reverse("maintenance:asset_retire", args=[w["asset"].pk]), MAINTAIN, True)],
    "maintenance:asset_assign": [
        ("get", lambda w: reverse("maintenance:asset_assign", args=[w["asset"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("maintenance:asset_assign", args=[w["asset"].pk]), MAINTAIN, True),
    ],
    "maintenance:keepers": [("get", lambda w: reverse("maintenance:keepers"), READ_ANY, False)],
    "maintenance:keeper_detail": [("get", lambda w: reverse("maintenance:keeper_detail", args=[w["keeper"].pk]), READ_OBJECT, False)],
    "maintenance:keeper_create": [
        ("get", lambda w: reverse("maintenance:keeper_create"), statuses(302, 200, 200, 200, 200, 403, 403, far=(200, 200, 403, 403)), False),
        # Another township's official and another county's staff cannot choose 天荒坪镇's roster (form error, 200).
        ("post", lambda w: reverse("maintenance:keeper_create"), statuses(302, 302, 200, 302, 200, 403, 403, far=(200, 200, 403, 403)), True),
    ],
    "maintenance:keeper_edit": [
        ("get", lambda w: reverse("maintenance:keeper_edit", args=[w["keeper"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("maintenance:keeper_edit", args=[w["keeper"].pk]), MAINTAIN, True),
    ],
    # A village's own keepers (its river chief...): read with the village, assigned and ended by those who assign keepers.
    "maintenance:village_keepers": [
        ("get", lambda w: reverse("maintenance:village_keepers", args=[w["village"].code]), READ_OBJECT, False),
        ("post", lambda w: reverse("maintenance:village_keepers", args=[w["village"].code]), MAINTAIN, True),
    ],
    "maintenance:village_keeper_end": [
        ("post", lambda w: reverse("maintenance:village_keeper_end", args=[w["village_assignment"].pk]), MAINTAIN, True),
    ],
    # Inspections and faults (issue 19, items 3-4): the keeper of the village (a derived role, tests/maintenance),
    # its township's official and the county's staff record inspections, report faults and repairs; the township or
    # the county verifies a repair; supervisors read. Photos are served through the gate.
    "maintenance:inspections": [("get", lambda w: reverse("maintenance:inspections"), READ_ANY, False)],
    "maintenance:inspection_detail": [
        ("get", lambda w: reverse("maintenance:inspection_detail", args=[w["inspection"].pk]), READ_OBJECT, False),
        ("get", lambda w: reverse("maintenance:inspection_detail", args=[w["due_inspection"].pk]), READ_OBJECT, False),
    ],
    "maintenance:inspection_photo": [
        ("get", lambda w: reverse("maintenance:inspection_photo", args=[w["inspection_photo"].pk]), READ_OBJECT, False)
    ],
    "maintenance:inspection_photo_thumbnail": [
        ("get", lambda w: reverse("maintenance:inspection_photo_thumbnail", args=[w["inspection_photo"].pk]), READ_OBJECT, False)
    ],
    "maintenance:asset_inspect": [
        ("get", lambda w: reverse("maintenance:asset_inspect", args=[w["asset"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("maintenance:asset_inspect", args=[w["asset"].pk]), MAINTAIN, True),
    ],
    "maintenance:asset_fault": [
        ("get", lambda w: reverse("maintenance:asset_fault", args=[w["asset"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("maintenance:asset_fault", args=[w["asset"].pk]), MAINTAIN, True),
    ],
    "maintenance:faults": [("get", lambda w: reverse("maintenance:faults"), READ_ANY, False)],
    "maintenance:fault_detail": [
        ("get", lambda w: reverse("maintenance:fault_detail", args=[w["fault"].pk]), READ_OBJECT, False),
        ("get", lambda w: reverse("maintenance:fault_detail", args=[w["repaired_fault"].pk]), READ_OBJECT, False),
    ],
    "maintenance:fault_photo": [("get", lambda w: reverse("maintenance:fault_photo", args=[w["fault_photo"].pk]), READ_OBJECT, False)],
    "maintenance:fault_photo_thumbnail": [
        ("get", lambda w: reverse("maintenance:fault_photo_thumbnail", args=[w["fault_photo"].pk]), READ_OBJECT, False)
    ],
    "maintenance:fault_start": [("post", lambda w: reverse("maintenance:fault_start", args=[w["fault"].pk]), MAINTAIN, True)],
    "maintenance:fault_repaired": [("post", lambda w: reverse("maintenance:fault_repaired", args=[w["fault"].pk]), MAINTAIN, True)],
    "maintenance:fault_verify": [("post", lambda w: reverse("maintenance:fault_verify", args=[w["repaired_fault"].pk]), MAINTAIN, True)],
    "maintenance:fault_reject": [("post", lambda w: reverse("maintenance:fault_reject", args=[w["repaired_fault"].pk]), MAINTAIN, True)],
    # Every portal role reads the intervals of its own county (or of the counties below its region); 安吉县's staff
    # change 安吉县's. Another county's staff, and far users, cannot open 安吉县's.
    "maintenance:intervals": [
        ("get", lambda w: reverse("maintenance:intervals"), READ_ANY, False),
        ("get", lambda w: reverse("maintenance:intervals") + "?county=330523", statuses(302, 200, 200, 200, 404, 200, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("maintenance:intervals"), statuses(302, 403, 403, 302, 404, 403, 403, far=FAR_HIDDEN), True),
    ],
    # Reminders (inbox): each user's own messages, choices and delivery log; a message of another user is a 404.
    # Offline use (offline/): the manifest, the worker and the fallback page are nobody's (browsers fetch the first
    # two without the session); the list of pages to keep and the session's token are JSON for the portal's users.
    "offline:manifest": [("get", lambda w: reverse("offline:manifest"), PUBLIC, False)],
    "offline:service_worker": [("get", lambda w: reverse("offline:service_worker"), PUBLIC, False)],
    "offline:fallback": [("get", lambda w: reverse("offline:fallback"), PUBLIC, False)],
    "offline:queue": [("get", lambda w: reverse("offline:queue"), READ_ANY, False)],
    "offline:pages": [("get", lambda w: reverse("offline:pages"), OFFLINE_JSON, False),
                      ("post", lambda w: reverse("offline:pages"), PUBLIC_NO_WRITE, True)],
    "offline:session": [("get", lambda w: reverse("offline:session"), OFFLINE_JSON, False)],
    "inbox:list": [("get", lambda w: reverse("inbox:list"), READ_ANY, False)],
    "inbox:open": [("get", lambda w: reverse("inbox:open", args=[_message_of("official")]),
                    statuses(302, 302, 404, 404, 404, 404, 403, far=(404, 404, 404, 403)), False)],
    "inbox:read_all": [
        ("post", lambda w: _unread_for_everyone(reverse("inbox:read_all")),
         statuses(302, 302, 302, 302, 302, 302, 403, far=(302, 302, 302, 403)), True),
    ],
    "inbox:preferences": [
        ("get", lambda w: reverse("inbox:preferences"), READ_ANY, False),
        ("post", lambda w: reverse("inbox:preferences"), statuses(302, 302, 302, 302, 302, 302, 403, far=(302, 302, 302, 403)), True),
    ],
    "inbox:deliveries": [("get", lambda w: reverse("inbox:deliveries"), READ_ANY, False)],
    # Every portal role reads the reminder rules of its own county (or of the counties below its region); 安吉县's
    # staff change 安吉县's, as the inspection intervals.
    "inbox:rules": [
        ("get", lambda w: reverse("inbox:rules"), READ_ANY, False),
        ("get", lambda w: reverse("inbox:rules") + "?county=330523", statuses(302, 200, 200, 200, 404, 200, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("inbox:rules"), statuses(302, 403, 403, 302, 404, 403, 403, far=FAR_HIDDEN), True),
    ],
    "api:asset-list": [("get", lambda w: reverse("api:asset-list"), API_READ, False)],
    "api:asset-detail": [("get", lambda w: reverse("api:asset-detail", args=[w["asset"].pk]), API_OBJECT, False)],
    "api:inspection-list": [("get", lambda w: reverse("api:inspection-list"), API_READ, False)],
    "api:inspection-detail": [("get", lambda w: reverse("api:inspection-detail", args=[w["inspection"].pk]), API_OBJECT, False)],
    "api:fault-list": [("get", lambda w: reverse("api:fault-list"), API_READ, False)],
    "api:fault-detail": [("get", lambda w: reverse("api:fault-detail", args=[w["fault"].pk]), API_OBJECT, False)],
    "api:disbursement-detail": [("get", lambda w: reverse("api:disbursement-detail", args=[w["payment"].pk]), API_OBJECT, False)],
    # Supervision (督查), as the pages above: a visit is its office's (安吉县's: not read by the township, which reads the
    # problems found in its villages); findings by the office, rectification by the township (or the county), re-checks
    # by the office. The API's refusals of input are 400 where the pages show the form again (200).
    "api:visit-list": [
        ("get", lambda w: reverse("api:visit-list"), API_READ, False),
        ("post", lambda w: reverse("api:visit-list"), statuses(401, 403, 403, 201, 400, 201, 403, far=(403, 400, 400, 403)), True),
    ],
    "api:visit-detail": [
        ("get", lambda w: reverse("api:visit-detail", args=[w["visit"].pk]), statuses(401, 404, 404, 200, 404, 200, 200, far=FAR_API_HIDDEN), False),
    ],
    "api:visit-findings": [
        ("post", lambda w: reverse("api:visit-findings", args=[w["visit"].pk]), statuses(401, 404, 404, 201, 404, 201, 403, far=FAR_API_HIDDEN), True),
    ],
    "api:problem-list": [("get", lambda w: reverse("api:problem-list"), API_READ, False)],
    "api:problem-detail": [
        ("get", lambda w: reverse("api:problem-detail", args=[w["problem"].pk]), API_OBJECT, False),
        ("get", lambda w: reverse("api:problem-detail", args=[w["rectified_problem"].pk]), API_OBJECT, False),
    ],
    "api:problem-rectify": [
        ("post", lambda w: reverse("api:problem-rectify", args=[w["problem"].pk]), statuses(401, 200, 404, 200, 404, 403, 403, far=FAR_API_HIDDEN), True),
    ],
    "api:problem-close": [
        ("post", lambda w: reverse("api:problem-close", args=[w["rectified_problem"].pk]), statuses(401, 403, 404, 200, 404, 200, 403, far=FAR_API_HIDDEN), True),
    ],
    "api:problem-reopen": [
        ("post", lambda w: reverse("api:problem-reopen", args=[w["rectified_problem"].pk]), statuses(401, 403, 404, 200, 404, 200, 403, far=FAR_API_HIDDEN), True),
    ],
    "api:disbursement-reverse": [
        ("post", lambda w: reverse("api:disbursement-reverse", args=[w["payment"].pk]), API_COUNTY_ACTION, True)
    ],
    # Plans and targets (issue 20): 余村's construction plan (with its PDF) and 安吉县's layout plan (without one);
    # township officials and county staff manage the plans of their area, supervisors read them. A township official
    # cites plan items; county staff decide exceptions, keep creation lists and set the targets of the level below.
    "planning:plans": [("get", lambda w: reverse("planning:plans"), READ_ANY, False)],
    "planning:plan_create": [
        ("get", lambda w: reverse("planning:plan_create"), statuses(302, 200, 200, 200, 200, 403, 403, far=(200, 200, 403, 403)), False),
        # 鲁家村 (递铺街道) has no plan yet: its township's official and the county's staff record it.
        ("post", lambda w: reverse("planning:plan_create"), statuses(302, 404, 302, 302, 404, 403, 403, far=(404, 404, 403, 403)), True),
    ],
    "planning:plan_detail": [
        ("get", lambda w: reverse("planning:plan_detail", args=[w["plan"].pk]), READ_OBJECT, False),
        # A county's layout plan is read by its townships.
        ("get", lambda w: reverse("planning:plan_detail", args=[w["layout_plan"].pk]), SCHEME_READ, False),
    ],
    "planning:plan_document": [("get", lambda w: reverse("planning:plan_document", args=[w["plan"].pk]), READ_OBJECT, False)],
    "planning:plan_attach": [
        ("get", lambda w: reverse("planning:plan_attach", args=[w["layout_plan"].pk]), statuses(302, 403, 403, 200, 404, 403, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("planning:plan_attach", args=[w["layout_plan"].pk]), statuses(302, 403, 403, 302, 404, 403, 403, far=FAR_HIDDEN), True),
    ],
    "planning:plan_revise": [
        ("get", lambda w: reverse("planning:plan_revise", args=[w["plan"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("planning:plan_revise", args=[w["plan"].pk]), MAINTAIN, True),
    ],
    "planning:item_add": [
        ("get", lambda w: reverse("planning:item_add", args=[w["plan"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("planning:item_add", args=[w["plan"].pk]), MAINTAIN, True),
    ],
    "planning:item_edit": [
        ("get", lambda w: reverse("planning:item_edit", args=[w["plan_item"].pk]), MAINTAIN_PAGE, False),
        ("post", lambda w: reverse("planning:item_edit", args=[w["plan_item"].pk]), MAINTAIN, True),
    ],
    "planning:item_remove": [("post", lambda w: reverse("planning:item_remove", args=[w["spare_item"].pk]), MAINTAIN, True)],
    "planning:item_project": [
        ("get", lambda w: reverse("planning:item_project", args=[w["plan_item"].pk]), statuses(302, 200, 404, 403, 404, 403, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("planning:item_project", args=[w["plan_item"].pk]), EDIT_OBJECT, True),
    ],
    "planning:project_cite": [("post", lambda w: reverse("planning:project_cite", args=[w["submitted"].pk]), EDIT_OBJECT, True)],
    "planning:exception_decide": [
        ("post", lambda w: reverse("planning:exception_decide", args=[w["exception"].pk]), COUNTY_ACTION, True)
    ],
    "planning:targets": [
        ("get", lambda w: reverse("planning:targets"), READ_ANY, False),  # the user's own region, this year
        ("get", lambda w: reverse("planning:targets") + "?region=330523108&year=2025", READ_OBJECT, False),
    ],
    # 天荒坪镇's target is set by 安吉县 (its parent) and those above it; the township itself reads it.
    "planning:target_set": [
        ("post", lambda w: reverse("planning:target_set"), statuses(302, 403, 404, 302, 404, 302, 403, far=FAR_HIDDEN), True)
    ],
    "planning:target_break_down": [
        ("get", lambda w: reverse("planning:target_break_down", args=[w["county_target"].pk]), statuses(302, 403, 403, 200, 404, 200, 403, far=FAR_HIDDEN), False),
        ("post", lambda w: reverse("planning:target_break_down", args=[w["county_target"].pk]), statuses(302, 403, 403, 302, 404, 302, 403, far=FAR_HIDDEN), True),
    ],
    "planning:creation": [("get", lambda w: reverse("planning:creation"), READ_ANY, False)],
    "planning:creation_add": [
        ("post", lambda w: reverse("planning:creation_add"), statuses(302, 404, 404, 302, 404, 404, 403, far=(404, 404, 404, 403)), True)
    ],
    "planning:creation_remove": [
        ("post", lambda w: reverse("planning:creation_remove", args=[w["creation_entry"].pk]), COUNTY_ACTION, True)
    ],
}
# The admin site is for superusers; none of the portal roles is staff, so
# every admin URL sends them to the admin login (checked over all of them).
NAMESPACES_COVERED_ELSEWHERE = {"admin": "test_admin_is_closed_to_portal_roles"}

POST_DATA = {
    "planning:plan_create": lambda w: {
        "area": "330523001211", "title": "鲁家村村庄建设规划", "approved_on": "2024-04-01", "approved_by": "安吉县人民政府",
        "valid_from": "2024-01-01", "valid_until": "2030-12-31",
    },
    "planning:plan_attach": lambda w: {"document": pdf_upload("布局规划.pdf")},
    "planning:plan_revise": lambda w: {
        "title": "余村村庄建设规划（修编）", "approved_on": "2025-03-01", "approved_by": "安吉县人民政府",
        "valid_from": "2025-01-01", "valid_until": "2030-12-31", "reason": "污水管网线路调整",
    },
    "planning:item_add": lambda w: {"kind": "road", "name": "村道拓宽", "quantity": "1.2", "estimated_cost": "300000",
                                    "planned_year": "2025", "reason": "村民代表大会决议"},
    "planning:item_edit": lambda w: {"kind": w["plan_item"].kind, "name": "余村污水管网（二期）", "quantity": "3",
                                     "estimated_cost": "600000", "planned_year": "2025", "reason": "设计变更"},
    "planning:item_remove": lambda w: {"reason": "并入亮化工程", "confirmed": "yes"},
    "planning:item_project": lambda w: {
        "name": "余村污水管网二期工程", "budget": "400000", "planned_output": "2", "planned_start": "2025-03-01",
        "planned_end": "2025-10-31", "responsible_person": "李明",
    },
    "planning:project_cite": lambda w: {"item": "", "out_of_plan_reason": "防汛应急"},
    "planning:exception_decide": lambda w: {"decision": "approve", "decision_note": ""},
    "planning:target_set": lambda w: {"region": "330523108", "year": "2025", "kind": "sewage", "quantity": "15", "note": ""},
    "planning:target_break_down": lambda w: {"330523108": "10", "330523001": "20"},
    "planning:creation_add": lambda w: {"county": "330523", "villages": ["330523001211"], "year": "2025",
                                        "category": "boutique", "note": ""},
    "planning:creation_remove": lambda w: {"reason": "不再申报", "confirmed": "yes"},
    "projects:create": lambda w: {
        "village": w["village"].code, "type": "road", "name": "村道硬化工程", "budget": "300000",
        "planned_start": "2025-03-01", "planned_end": "2025-10-31", "responsible_person": "李明",
    },
    "projects:edit": lambda w: {
        "type": "sewage", "name": "污水管网改造（修改）", "budget": "520000", "planned_start": "2024-03-01",
        "planned_end": "2024-12-31", "responsible_person": "张建国", "version": w["draft"].version,
    },
    "projects:action": lambda w: {"reason": "材料不全，请补充预算依据。", "confirmed": "yes"},
    "projects:progress_create": lambda w: {
        "report_date": "2025-05-10", "percent_complete": "55", "amount_spent": "160000", "narrative": "完成管网铺设",
    },
    "funding:source_create": lambda w: {
        "name": "2025年县级乡村振兴资金", "kind": "county_budget", "mechanism": "direct_grant", "region": "330523",
        "fiscal_year": "2025", "total_amount": "2000000",
    },
    "funding:source_edit": lambda w: {"name": w["source"].name, "total_amount": "1500000", "document_no": "安财农〔2024〕12号"},
    "funding:allocation_create": lambda w: {
        "source": w["source"].pk, "project": w["building"].pk, "amount": "50000", "allocated_on": RECENT,
    },
    "funding:allocation_reverse": lambda w: {"reason": "拨错项目", "confirmed": "yes"},
    "funding:upkeep_create": lambda w: {
        "source": w["source"].pk, "asset": w["asset"].pk, "amount": "8000", "allocated_on": RECENT,
    },
    "assessment:round_finalise": lambda w: {"confirmed": "yes"},  # the confirmation step (core.views.confirmation)
    "assessment:scheme_create": lambda w: {
        "name": "2026年度美丽乡村考核", "kind": "annual", "year": "2026", "category": "", "region": "330523",
        "excellent_min": "90", "good_min": "80", "pass_min": "60", "bottom_percent": "5", "bottom_min": "1",
        "follow_up_days": "60",
    },
    "assessment:scheme_edit": lambda w: {
        "name": "2026年度专项考核（修订）", "kind": "annual", "year": "2026", "category": "", "excellent_min": "85",
        "good_min": "75", "pass_min": "60", "bottom_percent": "10", "bottom_min": "2", "follow_up_days": "45",
    },
    "assessment:scheme_copy": lambda w: {"year": "2027", "name": "", "region": "330523"},
    "assessment:scheme_delete": lambda w: {"confirmed": "yes"},
    "assessment:indicator_add": lambda w: {"category": "infrastructure", "name": "村道硬化", "description": "通达率",
                                           "max_score": "30", "order": ""},
    "assessment:indicator_edit": lambda w: {"category": "environment", "name": "垃圾分类", "description": "分类覆盖率",
                                            "max_score": "35", "order": "2"},
    "assessment:indicator_remove": lambda w: {"confirmed": "yes"},
    "funding:disbursement_create": lambda w: {"amount": "1000", "paid_on": RECENT, "voucher_no": "AJ-2025-0099"},
    "funding:disbursement_reverse": lambda w: {"reason": "凭证号录错", "confirmed": "yes"},
    "maintenance:asset_create": lambda w: {
        "village": w["village"].code, "kind": "public_toilet", "name": "余村游客公厕", "quantity": "1", "unit": "stations",
        "commissioned_on": "2018-05-01", "owner_kind": "village_collective", "owner_name": "余村股份经济合作社",
        "maintenance_body": "village_collective",
    },
    "maintenance:asset_edit": lambda w: {
        "kind": "sewage_station", "name": "余村污水处理终端（一期）", "quantity": "2", "unit": "stations",
        "commissioned_on": "2020-06-01", "owner_kind": "village_collective", "owner_name": "余村",
        "maintenance_body": "contracted_company", "latitude": "30.47", "longitude": "119.59",
    },
    "maintenance:asset_retire": lambda w: {"retired_on": RECENT, "reason": "拆除重建", "confirmed": "yes"},
    "maintenance:asset_assign": lambda w: {"keeper": w["spare_keeper"].pk, "chief_type": "station", "starts_on": RECENT},
    "maintenance:keeper_create": lambda w: {"region": "330523108", "name": "潘春林", "phone": "13900000000", "organisation": "余村村委会"},
    "maintenance:keeper_edit": lambda w: {"name": "余村管护员", "phone": "13911111111", "organisation": "余村村委会"},
    "maintenance:village_keepers": lambda w: {"keeper": str(w["spare_keeper"].pk), "chief_type": "river", "starts_on": RECENT},
    "maintenance:village_keeper_end": lambda w: {"confirmed": "yes"},
    "maintenance:asset_inspect": lambda w: {
        "done_on": RECENT, "condition": "3", "checklist": ["equipment_running", "site_clean"], "notes": "出水略浑",
        "latitude": "30.458333", "longitude": "119.680000", "photos": [upload("巡查.jpg")],
        "severity": "minor", "description": "格栅有杂物",
    },
    "maintenance:asset_fault": lambda w: {
        "severity": "urgent", "description": "提升泵停转", "reported_on": RECENT, "photos": [upload("故障.jpg")],
    },
    "maintenance:fault_repaired": lambda w: {"repaired_on": RECENT, "repair_notes": "更换进水泵轴承", "photos": [upload("修好.jpg")]},
    "maintenance:fault_reject": lambda w: {"reason": "围栏仍有缺口", "confirmed": "yes"},
    "maintenance:intervals": lambda w: {"county": "330523", "kind": "sewage_station", "days": "21"},
    "inbox:preferences": lambda w: {"progress_due__sms": "on"},
    "inbox:rules": lambda w: {"county": "330523", "kind": "progress_due", "enabled": "on", "days": "21"},
    "oversight:visit_create": lambda w: {
        "region": "330523", "kind": "unannounced", "visited_on": RECENT, "inspectors": "县督查组 张强", "villages": "330523108204",
    },
    "oversight:finding_add": lambda w: {
        "village": "330523108204", "project": "", "category": "waste", "severity": "general", "description": "垃圾桶满溢",
        "deadline": "2099-12-31", "photos": [upload("现场.jpg")],
    },
    "oversight:problem_rectify": lambda w: {"rectified_on": RECENT, "rectification": "已修复检查井盖", "photos": [upload("整改.jpg")]},
    "oversight:problem_reopen": lambda w: {"reason": "漂浮物仍在", "deadline": "", "confirmed": "yes"},
    "bulletins:compose": lambda w: {"region": "330523", "period_start": "2025-09-01", "period_end": "2025-09-30"},
    "bulletins:edit": lambda w: {"title": "安吉县2025年10月通报", "body": "一、总体情况。"},
    "publicity:publication": lambda w: {"villages_public": ""},
    "imports:upload": lambda w: {"kind": "projects", "area": "330523108", "file": [_projects_csv()]},
    "api:import-list": lambda w: {"kind": "targets", "area": "330523", "file": [_targets_csv()]},
    "publicity:create": lambda w: {"village": w["village"].code, "title": "余村：矿山复绿", "summary": "关停矿山，复绿生态。",
                                   "story": "余村关停矿山，发展乡村旅游。", "photos": [upload("case.jpg")]},
    "publicity:edit": lambda w: {"title": "余村：小微水体治理", "summary": "分片包干。", "story": "村规民约写明保洁责任。"},
    "publicity:withdraw": lambda w: {"reason": "数据待核实", "confirmed": "yes"},
    "api:visit-list": lambda w: {
        "region": "330523", "kind": "unannounced", "visited_on": RECENT, "inspectors": "县督查组 张强",
        "villages": ["330523108204"], "projects": [w["building"].pk],
    },
    # Multipart, as a phone sends a finding or a rectification with its photos (the others are JSON).
    "api:visit-findings": lambda w: {
        "village": "330523108204", "category": "waste", "severity": "general", "description": "垃圾桶满溢",
        "deadline": "2099-12-31", "photos": [upload("现场.jpg")],
    },
    "api:problem-rectify": lambda w: {"rectified_on": RECENT, "rectification": "已修复检查井盖", "photos": [upload("整改.jpg")]},
    "api:problem-close": lambda w: {"note": "复查合格"},
    "api:problem-reopen": lambda w: {"reason": "漂浮物仍在"},
    "api:token": lambda w: {"username": "api_client", "password": PASSWORD},
    "password_change": lambda w: {"old_password": PASSWORD, "new_password1": "a-new-long-passphrase-2025",
                                  "new_password2": "a-new-long-passphrase-2025"},
    "tokens_revoke": lambda w: {"token": "all"},
    "assessment:round_start": lambda w: {"scheme": w["scheme"].pk, "period": "2025-Q4"},
    "assessment:score": lambda w: {f"score_{w['indicator'].pk}": "80", f"evidence_{w['indicator'].pk}": "现场核查", "do": "save"},
    "assessment:reopen": lambda w: {"reason": "分数录入错误"},
    "assessment:follow_up_step": lambda w: {"talk_held_on": "2025-09-01", "talk_notes": "约谈村书记"},
    "api:fundingsource-list": lambda w: {
        "name": "2025年县级乡村振兴资金", "kind": "county_budget", "mechanism": "direct_grant", "region": "330523",
        "fiscal_year": 2025, "total_amount": "2000000",
    },
    "api:allocation-list": lambda w: {"source": w["source"].pk, "project": w["building"].pk, "amount": "50000"},
    "api:allocation-reverse": lambda w: {"reason": "拨错项目"},
    "api:disbursement-list": lambda w: {
        "allocation": w["allocation"].pk, "amount": "1000", "paid_on": RECENT, "voucher_no": "AJ-2025-0099",
    },
    "api:disbursement-reverse": lambda w: {"reason": "凭证号录错"},
    "reports:request": lambda w: {"kind": "roster", "region": "330523", "format": "csv", "period": ""},
    "reports:ledger": lambda w: {"fiscal_year": "2024", "kind": "county_budget"},
    "api:report-list": lambda w: {"kind": "roster", "region": "330523", "format": "csv"},
    "api:project-list": lambda w: {
        "village": w["village"].code, "type": "road", "name": "村道硬化工程", "budget": "300000",
        "planned_start": "2025-03-01", "planned_end": "2025-10-31", "responsible_person": "李明",
    },
    "api:progressreport-list": lambda w: {
        "project": w["building"].pk, "report_date": "2025-05-10", "percent_complete": 55, "amount_spent": "160000",
    },
}


def _route_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            if namespace in NAMESPACES_COVERED_ELSEWHERE:
                continue
            yield from _route_names(pattern, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(pattern, URLPattern):
            yield f"{prefix}{pattern.name}" if pattern.name else f"{prefix}<unnamed {pattern.pattern}>"


def test_every_url_has_an_entry():
    names = set(_route_names())
    missing = sorted(names - set(ACCESS))
    assert not missing, f"URLs without an entry in the access table: {missing}"
    stale = sorted(set(ACCESS) - names)
    assert not stale, f"entries for URLs that no longer exist: {stale}"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world of test_access, built once for its 1,500 cases instead of once per case (tests.world.built_once)."""
    yield from built_once(django_db_blocker, tmp_path_factory.mktemp("matrix-media"))


@pytest.fixture
def case_world(shared_world, db, settings):
    world, media = shared_world
    settings.MEDIA_ROOT = media  # after the autouse per-test folder of tests/conftest.py
    return world


def _state():
    """Everything a refused write must leave as it was."""
    return (
        list(Project.objects.order_by("pk").values()),
        ProgressReport.objects.count(),
        ProjectTransition.objects.count(),
        AuditEntry.objects.count(),
        list(FundingSource.objects.order_by("pk").values()),
        list(Allocation.objects.order_by("pk").values()),
        list(Disbursement.objects.order_by("pk").values()),
        _assessment_state(),
        list(ReportJob.objects.order_by("pk").values_list("pk", "status", "requester_id")),
        list(AuthToken.objects.order_by("digest").values_list("digest", "user_id")),
        list(get_user_model().objects.order_by("pk").values_list("pk", "password", "is_active")),
        _maintenance_state(),
        _planning_state(),
        _oversight_state(),
        _bulletins_state(),
        _public_state(),
        _imports_state(),
        _inbox_state(),
    )


def _inbox_state():
    from inbox.models import Message, Preference, ReminderRule

    return (
        list(Message.objects.order_by("pk").values_list("pk", "recipient_id", "read_at")),
        list(Preference.objects.order_by("pk").values()),
        list(ReminderRule.objects.order_by("pk").values()),
    )


def _bulletins_state():
    from bulletins.models import Bulletin

    return list(Bulletin.objects.order_by("pk").values())


def _projects_csv():
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = ("村代码,项目编号,项目名称,项目类型,预算（元）,计划开工日期,计划完工日期,责任人\n"
            "330523108204,YC-2026-01,余村村道提升工程,道路硬化,300000,2026-03-01,2026-10-31,李明\n").encode()
    return SimpleUploadedFile("项目.csv", data, content_type="text/csv")


def _targets_csv():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.world import TARGETS_CSV

    return SimpleUploadedFile("目标.csv", TARGETS_CSV.format(code="330523108").encode(), content_type="text/csv")


def _imports_state():
    from imports.models import ImportBatch

    return list(ImportBatch.objects.order_by("pk").values_list("pk", "status", "requester_id", "created", "updated"))


def _public_state():
    from disclosure.models import CountyPublication, Exemplar, ExemplarPhoto

    return (
        list(CountyPublication.objects.order_by("pk").values()),
        list(Exemplar.objects.order_by("pk").values()),
        list(ExemplarPhoto.objects.order_by("pk").values_list("pk", "exemplar_id")),
    )


def _oversight_state():
    from oversight.models import Problem, ProblemPhoto, Visit

    return (
        list(Visit.objects.order_by("pk").values()),
        list(Visit.villages.through.objects.order_by("pk").values_list("visit_id", "village_id")),
        list(Problem.objects.order_by("pk").values()),
        list(ProblemPhoto.objects.order_by("pk").values_list("pk", "problem_id", "stage")),
    )


def _planning_state():
    from planning.models import CreationListEntry, Plan, PlanCitation, PlanItem, Target

    return (
        list(Plan.objects.order_by("pk").values()),
        list(PlanItem.objects.order_by("pk").values()),
        list(PlanCitation.objects.order_by("pk").values()),
        list(Target.objects.order_by("pk").values()),
        list(CreationListEntry.objects.order_by("pk").values()),
    )


def _maintenance_state():
    from maintenance.models import (
        Asset,
        Fault,
        FaultPhoto,
        Inspection,
        InspectionInterval,
        InspectionPhoto,
        Keeper,
        KeeperAssignment,
    )

    return (
        list(Asset.objects.order_by("pk").values()),
        list(Keeper.objects.order_by("pk").values()),
        list(KeeperAssignment.objects.order_by("pk").values()),
        list(Inspection.objects.order_by("pk").values()),
        list(Fault.objects.order_by("pk").values()),
        list(InspectionPhoto.objects.order_by("pk").values_list("pk", "inspection_id")),
        list(FaultPhoto.objects.order_by("pk").values_list("pk", "fault_id", "stage")),
        list(InspectionInterval.objects.order_by("pk").values_list("pk", "region_id", "kind", "days")),
    )


def _assessment_state():
    from assessment.models import Assessment, AssessmentScheme, FollowUp, Indicator, IndicatorScore, Promotion
    from villages.models import Village

    return (
        list(AssessmentScheme.objects.order_by("pk").values()),
        list(Indicator.objects.order_by("pk").values()),
        list(Assessment.objects.order_by("pk").values()),
        list(IndicatorScore.objects.order_by("pk").values()),
        list(FollowUp.objects.order_by("pk").values()),
        Promotion.objects.count(),
        list(Village.objects.order_by("pk").values_list("code", "category")),
    )


CASES = [
    (name, index, user)
    for name, rows in ACCESS.items()
    for index in range(len(rows))
    for user in USERS
]


def _has_files(data) -> bool:
    """A body with uploads goes as multipart/form-data (the API's photo actions), like a form's."""
    return any(isinstance(value, list) and any(hasattr(item, "read") for item in value) for value in data.values())


@pytest.mark.parametrize("name, index, user", CASES, ids=[f"{n}[{i}]-{u}" for n, i, u in CASES])
def test_access(client, case_world, name, index, user, settings):
    settings.API_DOCS_PUBLIC = False  # the production default (DEBUG off); the test settings have DEBUG on
    method, make_url, expected, is_write = ACCESS[name][index]
    if user != "anonymous":
        client.force_login(get_user_model().objects.get(username=user))
    url = make_url(case_world)
    data = POST_DATA.get(name, lambda w: {})(case_world) if method == "post" else None
    before = _state()
    if data is not None and url.startswith("/api/") and name != "api:token" and not _has_files(data):
        response = getattr(client, method)(url, json.dumps(data), content_type="application/json")  # the API speaks JSON
    else:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    assert response.status_code == expected[user], (name, user, response.status_code)
    if not is_write:
        return
    # A write went through: a redirect after a form, 201 from the API, or 200 from an API action.
    allowed = user != "anonymous" and (expected[user] in (201, 202, 302) or (expected[user] == 200 and "/api/" in url))
    if allowed:
        assert _state() != before, f"an allowed {method.upper()} {url} by {user} changed nothing"
    else:
        assert _state() == before, f"a refused {method.upper()} {url} by {user} changed the database"


@pytest.mark.parametrize("user", [u for u in USERS if u != "anonymous"])
def test_admin_is_closed_to_portal_roles(client, case_world, user):
    from django.contrib import admin

    client.force_login(get_user_model().objects.get(username=user))
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    urls.append(reverse("admin:projects_project_change", args=[case_world["draft"].pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
