"""Issue 18, item 3: a page offers only the actions the status and the role allow (填报进度 only where a progress
report can be accepted, 分配资金 only where money can go), and says why where that helps, instead of refusing a
filled-in form afterwards."""
import pytest
from django.urls import reverse

from core.exceptions import IllegalTransition
from funding.services import FUNDABLE_STATUSES
from projects import services
from projects.models import REPORTABLE_STATUSES, ProjectStatus
from tests.factories import project_in

S = ProjectStatus


@pytest.mark.parametrize("status", S.values)
def test_report_progress_is_offered_exactly_where_a_report_is_accepted(client, people, village, status):
    project = project_in(status, village=village)
    client.force_login(people["official"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    link = reverse("projects:progress_create", args=[project.pk])
    offered = link in page
    assert offered == (status in REPORTABLE_STATUSES)
    # The button agrees with the service: where it is not offered, a report is refused.
    if not offered:
        assert 'data-unavailable="progress"' in page
        with pytest.raises(IllegalTransition):
            services.progress_report_create(actor=people["official"], project=project, report_date=project.planned_start,
                                            percent_complete=10, amount_spent=0)


@pytest.mark.parametrize(
    "status, why",
    [(S.DRAFT, "县里批准项目后才能填报进度。"), (S.SUBMITTED, "县里批准项目后才能填报进度。"),
     (S.ACCEPTED, "此项目状态为“已验收”，不能再填报进度。"), (S.CANCELLED, "此项目状态为“已取消”，不能再填报进度。")],
)
def test_the_page_says_why_progress_cannot_be_reported(client, people, village, status, why):
    project = project_in(status, village=village)
    client.force_login(people["official"])
    assert why in client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    # The form's address, opened anyway (an old bookmark), leads back to the project with the same words.
    response = client.get(reverse("projects:progress_create", args=[project.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("projects:detail", args=[project.pk])
    assert why in response.content.decode()


def test_the_county_is_not_told_about_the_townships_button(client, people, village):
    project = project_in(S.DRAFT, village=village)
    client.force_login(people["county"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-unavailable="progress"' not in page


@pytest.mark.parametrize("status", S.values)
def test_allocate_is_offered_where_money_can_go(client, people, village, status):
    project = project_in(status, village=village)
    client.force_login(people["county"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert (f"{reverse('funding:allocation_create')}?project={project.pk}" in page) == (status in FUNDABLE_STATUSES)
    if status in (S.DRAFT, S.SUBMITTED, S.RETURNED):
        assert "项目批准后才能分配资金。" in page


@pytest.mark.parametrize("status", S.values)
def test_lifecycle_buttons_are_exactly_the_available_actions(client, people, village, status):
    project = project_in(status, village=village)
    for who in ("official", "county"):
        client.force_login(people[who])
        page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
        offered = {name for name in services.LIFECYCLE_ACTIONS if reverse("projects:action", args=[project.pk, name]) in page}
        assert offered == {a.name for a in services.available_actions(people[who], project)}


def test_each_action_that_asks_for_a_reason_says_what_for(client, people, village):
    """A county page of a project under construction offers 暂停 and 取消项目, both with a reason. A screenshot showed
    a bare "原因" above one box (issue 18, item 20); with two, their labels both pointed at the first box's id."""
    project = project_in(S.UNDER_CONSTRUCTION, village=village)
    client.force_login(people["county"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert '<label for="id_suspend_reason">暂停原因' in page and 'id="id_suspend_reason"' in page
    assert '<label for="id_cancel_reason">取消原因' in page and 'id="id_cancel_reason"' in page
    assert 'id="id_reason"' not in page
    # The server reads one name, whichever form sent it: the reason reaches the confirmation step and the service.
    confirm = client.post(reverse("projects:action", args=[project.pk, "cancel"]), {"reason": "村民不同意选址"})
    assert confirm.status_code == 200 and "村民不同意选址" in confirm.content.decode()
    assert '<label for="id_cancel_reason">取消原因' in confirm.content.decode()
    project.refresh_from_db()
    assert project.status == S.UNDER_CONSTRUCTION  # not before the second step
