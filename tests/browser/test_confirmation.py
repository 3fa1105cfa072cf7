"""Issue 18, item 1, in a real browser on a phone and a desktop: withdrawing a submission takes it back to draft
at once; discarding a draft asks for a reason and a confirmation in plain Chinese words before anything happens,
and the way back leaves the project as it was. No script is needed (CSP violations are checked by the fixture)."""
import pytest

from core.models import Role
from projects.models import ProjectStatus
from tests.factories import VillageFactory, project_in, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
S = ProjectStatus


@pytest.fixture
def programme():
    village = VillageFactory(code="330523108204", name="余村村委会")
    return {
        "official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "submitted": project_in(S.SUBMITTED, village=village, name="余村公厕改造"),
        "draft": project_in(S.DRAFT, village=village, name="余村路灯安装"),
    }


@pytest.mark.parametrize("desktop", [False, True], ids=["phone", "desktop"])
def test_withdraw_and_discard_with_a_confirmation(phone, programme, desktop):
    device = phone(desktop=desktop)
    size = "desktop" if desktop else "phone"
    page = device.login("tianhuangping", PASSWORD)

    submitted, draft = programme["submitted"], programme["draft"]
    device.go(f"/projects/{submitted.pk}/")
    with page.expect_navigation():
        page.click("button[value=withdraw]")
    assert page.locator(".status-draft").is_visible()
    submitted.refresh_from_db()
    assert submitted.status == S.DRAFT

    page = device.go(f"/projects/{draft.pk}/")
    assert page.locator("button[value=withdraw]").count() == 0
    device.shot(f"18-1-draft-actions-{size}")
    form = page.locator("form.action-form:has(button[value=discard])")
    form.locator("textarea[name=reason]").fill("村民意见不一，暂不实施。")
    with page.expect_navigation():
        form.locator("button[value=discard]").click()
    assert page.get_by_text("确定要对项目“余村路灯安装”执行“作废项目”吗？").is_visible()
    assert page.locator(".confirm-consequence").inner_text().startswith("项目将被永久作废")
    assert page.locator("textarea[name=reason]").input_value() == "村民意见不一，暂不实施。"
    device.shot(f"18-1-discard-confirmation-{size}")
    draft.refresh_from_db()
    assert draft.status == S.DRAFT  # asked, not done

    with page.expect_navigation():
        page.click("text=不，返回")
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and page.locator(".status-draft").is_visible()

    form = page.locator("form.action-form:has(button[value=discard])")
    form.locator("textarea[name=reason]").fill("村民意见不一，暂不实施。")
    with page.expect_navigation():
        form.locator("button[value=discard]").click()
    with page.expect_navigation():
        page.click("button[name=confirmed]")
    assert page.locator(".status-cancelled").is_visible()
    draft.refresh_from_db()
    assert draft.status == S.CANCELLED
    device.shot(f"18-1-discarded-{size}")
