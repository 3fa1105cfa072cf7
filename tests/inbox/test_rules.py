"""Each reminder rule: who gets it and who does not, idempotency, the county's N, disabled rules."""
import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from assessment.models import FollowUp
from core import scoping
from core.models import Role
from inbox import services
from inbox.models import Kind, Message, ReminderRule
from projects.models import ProjectStatus, ProjectTransition
from tests.factories import (
    AssessmentFactory,
    AssetFactory,
    InspectionFactory,
    KeeperAssignmentFactory,
    KeeperFactory,
    ProblemFactory,
    project_in,
    region,
    user_with,
)

from .conftest import TODAY

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def recipients(kind):
    return set(Message.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def run(**kw):
    return services.reminders_run(today=TODAY, **kw)


def _transition(project, to_status, at=None):
    from_status = "draft" if to_status == ProjectStatus.SUBMITTED else "submitted"
    return ProjectTransition.objects.create(project=project, from_status=from_status, to_status=to_status,
                                            at=at or timezone.make_aware(datetime.datetime(2025, 9, 9, 10)), reason="预算不实")


def test_a_returned_project_reminds_its_township_once(people, village, neighbour_village):
    project = project_in(ProjectStatus.RETURNED, village=village, name="余村污水")
    other = project_in(ProjectStatus.RETURNED, village=neighbour_village)
    transition = _transition(project, ProjectStatus.RETURNED)
    _transition(other, ProjectStatus.RETURNED)
    counts = run()
    assert counts[Kind.PROJECT_RETURNED] == 2
    message = Message.objects.get(recipient=people["official"])
    assert message.event_key == f"project_returned:{transition.pk}" and "余村污水" in message.subject
    assert "预算不实" in message.body and message.url == f"/projects/{project.pk}/"
    assert recipients(Kind.PROJECT_RETURNED) == {"official", "neighbour"}
    # A second run stores nothing: the database's unique (recipient, event) is the guarantee.
    assert run()[Kind.PROJECT_RETURNED] == 0
    assert Message.objects.count() == 2


def test_old_events_and_projects_no_longer_returned_are_not_reminded(people, village):
    project = project_in(ProjectStatus.RETURNED, village=village)
    _transition(project, ProjectStatus.RETURNED, at=timezone.make_aware(datetime.datetime(2025, 8, 1)))
    resubmitted = project_in(ProjectStatus.SUBMITTED, village=village)
    _transition(resubmitted, ProjectStatus.RETURNED)
    assert run()[Kind.PROJECT_RETURNED] == 0


def test_a_submission_waits_for_its_county_staff(people, village, far_village):
    project = project_in(ProjectStatus.SUBMITTED, village=village)
    transition = _transition(project, ProjectStatus.SUBMITTED)
    run()
    assert recipients(Kind.APPROVAL_WAITING) == {"county"}
    assert Message.objects.get().event_key == f"approval_waiting:{transition.pk}"


def test_progress_due_after_the_countys_n_days_and_again_after_a_new_report(people, village):
    due = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, last_reported_on=TODAY - 31 * DAY)
    recent = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, last_reported_on=TODAY - 20 * DAY)
    never = project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, actual_start=TODAY - 40 * DAY)
    project_in(ProjectStatus.APPROVED, village=village)  # not open: no report expected
    run()
    keys = set(Message.objects.values_list("event_key", flat=True))
    assert keys == {f"progress_due:{due.pk}:{(TODAY - 31 * DAY).isoformat()}",
                    f"progress_due:{never.pk}:{(TODAY - 40 * DAY).isoformat()}"}
    assert recipients(Kind.PROGRESS_DUE) == {"official"}
    # The county shortens N to 15 days: the recent project is due too.
    ReminderRule.objects.create(region=region("330523"), kind=Kind.PROGRESS_DUE, days=15)
    assert run()[Kind.PROGRESS_DUE] == 1
    assert Message.objects.filter(event_key__startswith=f"progress_due:{recent.pk}:").exists()
    # A new report resets the count: a reminder again only N days after it.
    due.last_reported_on = TODAY - 16 * DAY
    due.save()
    assert run()[Kind.PROGRESS_DUE] == 1
    assert run()[Kind.PROGRESS_DUE] == 0


def test_another_countys_n_does_not_apply_here(people, village):
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, last_reported_on=TODAY - 20 * DAY)
    ReminderRule.objects.create(region=region("330522"), kind=Kind.PROGRESS_DUE, days=10)
    assert run()[Kind.PROGRESS_DUE] == 0


def test_a_disabled_rule_sends_nothing(people, village):
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, last_reported_on=TODAY - 40 * DAY)
    ReminderRule.objects.create(region=region("330523"), kind=Kind.PROGRESS_DUE, days=30, enabled=False)
    assert run()[Kind.PROGRESS_DUE] == 0
    assert not Message.objects.exists()


def test_follow_up_deadline_near_then_passed(people, village, neighbour_village):
    follow_up = FollowUp.objects.create(assessment=AssessmentFactory(village=village), village=village, rank=9,
                                        ranked_among=10, due_date=TODAY + 2 * DAY)
    FollowUp.objects.create(assessment=AssessmentFactory(village=neighbour_village), village=neighbour_village, rank=10,
                            ranked_among=10, due_date=TODAY + 5 * DAY)  # not within 3 days
    run()
    # The township's official, not the county's staff (who may record follow-ups too).
    assert recipients(Kind.FOLLOW_UP_DUE) == {"official"}
    assert Message.objects.get().event_key == f"follow_up_due:{follow_up.pk}:{(TODAY + 2 * DAY).isoformat()}:near"
    services.reminders_run(today=TODAY + 3 * DAY)
    assert Message.objects.filter(event_key__endswith=":passed", recipient=people["official"]).count() == 1
    assert Message.objects.filter(recipient=people["neighbour"]).count() == 1  # its own deadline came near


def test_problem_deadline_reminds_the_township_officials(people, village, far_village):
    problem = ProblemFactory(village=village, found_on=TODAY - 20 * DAY, deadline=TODAY + DAY)
    ProblemFactory(village=village, found_on=TODAY - 20 * DAY, deadline=TODAY + DAY, status="rectified",
                   rectified_on=TODAY - DAY, rectification="已清理")
    ProblemFactory(village=far_village, found_on=TODAY - 20 * DAY, deadline=TODAY + 20 * DAY)
    run()
    assert recipients(Kind.PROBLEM_DUE) == {"official"}
    assert Message.objects.get(kind=Kind.PROBLEM_DUE).event_key == f"problem_due:{problem.pk}:{(TODAY + DAY).isoformat()}:near"


def test_a_rectified_problem_waits_for_the_visits_office(people, village):
    problem = ProblemFactory(village=village, found_on=TODAY - 20 * DAY, deadline=TODAY + DAY, status="rectified",
                             rectified_on=TODAY - DAY, rectification="已清理")
    run()
    # The county's visit: its staff re-check it; the city's supervisor (who may) is not reminded of the county's.
    assert recipients(Kind.PROBLEM_RECHECK) == {"county"}
    assert Message.objects.get(kind=Kind.PROBLEM_RECHECK).url == f"/oversight/problems/{problem.pk}/"


def test_an_inspection_due_reminds_the_keeper_and_the_official(people, village, neighbour_village):
    keeper_user = get_user_model().objects.create_user("keeper", password="x" * 12)
    asset = AssetFactory(village=village)
    KeeperAssignmentFactory(asset=asset, keeper=KeeperFactory(user=keeper_user))
    former = get_user_model().objects.create_user("former_keeper", password="x" * 12)
    KeeperAssignmentFactory(asset=asset, keeper=KeeperFactory(user=former), starts_on=datetime.date(2020, 1, 1),
                            ends_on=datetime.date(2021, 1, 1))
    inspection = InspectionFactory(asset=asset, due_on=TODAY + 3 * DAY)
    InspectionFactory(asset=AssetFactory(village=village), due_on=TODAY + 10 * DAY)  # not near yet
    run()
    assert recipients(Kind.INSPECTION_DUE) == {"official", "keeper"}
    assert Message.objects.filter(event_key=f"inspection_due:{inspection.pk}:near").count() == 2
    services.reminders_run(today=TODAY + 4 * DAY)
    assert Message.objects.filter(event_key=f"inspection_due:{inspection.pk}:passed").count() == 2


def test_a_run_for_one_county_leaves_the_others(people, village, far_village):
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village, last_reported_on=TODAY - 40 * DAY)
    project_in(ProjectStatus.UNDER_CONSTRUCTION, village=far_village, last_reported_on=TODAY - 40 * DAY)
    run(county_code="330522")
    assert recipients(Kind.PROGRESS_DUE) == {"other_official"}


def test_the_run_costs_the_same_queries_for_more_objects(people, village, neighbour_village, django_assert_max_num_queries):
    def make(n):
        for i in range(n):
            project_in(ProjectStatus.UNDER_CONSTRUCTION, village=village if i % 2 else neighbour_village,
                       last_reported_on=TODAY - 40 * DAY)
    make(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        run()
    make(30)
    with CaptureQueriesContext(connection) as many:
        run()
    assert len(many.captured_queries) == len(few.captured_queries)


# --- core.scoping.holders -------------------------------------------------------------------------------------

def test_holders_respect_within_exact_and_activity(people, village):
    project = project_in(ProjectStatus.DRAFT, village=village)
    assert set(scoping.holders("project.edit", project).values_list("username", flat=True)) == {"official"}
    assert set(scoping.holders("project.approve", project).values_list("username", flat=True)) == {"county"}
    assert set(scoping.holders("view", project).values_list("username", flat=True)) == {"official", "county", "supervisor"}
    # EXACT: a supervisor manages the funding sources of its own region only.
    province = user_with("province", (Role.SUPERVISOR, "33"))
    assert set(scoping.holders("funding_source.manage", region("3305")).values_list("username", flat=True)) == {"supervisor"}
    assert province not in scoping.holders("funding_source.manage", region("3305"))
    people["official"].is_active = False
    people["official"].save()
    assert not scoping.holders("project.edit", project).exists()
    # holders() is can() read the other way round.
    for user in get_user_model().objects.filter(is_active=True):
        assert (user in scoping.holders("project.approve", project)) == scoping.can(user, "project.approve", project)


def test_holders_include_keepers_through_their_derived_grants(people, village, neighbour_village):
    keeper_user = get_user_model().objects.create_user("keeper", password="x" * 12)
    KeeperAssignmentFactory(asset=AssetFactory(village=village), keeper=KeeperFactory(user=keeper_user))
    assert set(scoping.holders("inspection.record", village).values_list("username", flat=True)) == {"official", "county", "keeper"}
    assert keeper_user not in scoping.holders("inspection.record", neighbour_village)
    assert keeper_user not in scoping.holders("project.edit", village)
