"""A region's figures marked as invented (Region.sample_data): the service that records it, and what reports read."""
import pytest

from core.exceptions import InvalidInput, NotPermitted
from core.models import AuditEntry, Role
from tests.factories import UserFactory, region, user_with
from villages.models import Region, SampleData
from villages.selectors import sample_data_kinds, sample_notice
from villages.services import region_mark_sample_data


@pytest.fixture
def anji(db):
    region("330523108")
    region("330522001")
    return Region.objects.get(code="330523")


@pytest.mark.parametrize("who", ["anonymous", "other_county", "county", "township", "supervisor"])
def test_no_role_marks_a_region_as_sample_data(anji, who):
    """No role's action: only the command line (no actor) or a superuser; a refusal changes nothing."""
    from django.contrib.auth.models import AnonymousUser

    actor = {
        "anonymous": lambda: AnonymousUser(),
        "other_county": lambda: user_with("changxing", (Role.COUNTY_STAFF, "330522")),
        "county": lambda: user_with("anji", (Role.COUNTY_STAFF, "330523")),
        "township": lambda: user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
        "supervisor": lambda: user_with("huzhou", (Role.SUPERVISOR, "3305")),
    }[who]()
    before = AuditEntry.objects.count()
    with pytest.raises(NotPermitted):
        region_mark_sample_data(actor=actor, region=anji, kind=SampleData.SAMPLE)
    assert Region.objects.get(code="330523").sample_data == "" and AuditEntry.objects.count() == before


def test_the_command_line_and_a_superuser_mark_a_region(anji):
    region_mark_sample_data(actor=None, region=anji, kind=SampleData.SAMPLE)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    region_mark_sample_data(actor=admin, region=Region.objects.get(code="33"), kind=SampleData.SCALE_TEST)
    assert dict(Region.objects.exclude(sample_data="").values_list("code", "sample_data")) == {
        "330523": "sample", "33": "scale_test"}
    with pytest.raises(InvalidInput):
        region_mark_sample_data(actor=None, region=anji, kind="")  # unmarking is nobody's business either


def test_what_a_report_about_a_region_reads(anji):
    """A report covers the marks of its region, of the regions above it and of those below it, and no other."""
    assert sample_data_kinds("33") == [] and sample_notice("33") == ""
    region_mark_sample_data(actor=None, region=anji, kind=SampleData.SAMPLE)
    for code in ("33", "3305", "330523", "330523108"):
        assert sample_data_kinds(code) == ["sample"]
        assert sample_notice(code) == "示例数据：非真实数据"
    for code in ("330522", "330522001", "3301", "32"):
        assert sample_data_kinds(code) == [] and sample_notice(code) == ""
    region_mark_sample_data(actor=None, region=Region.objects.get(code="33"), kind=SampleData.SCALE_TEST)
    assert sample_data_kinds("330522") == ["scale_test"] and sample_notice("330522") == "规模测试数据：非真实数据"
    assert sample_data_kinds("3305") == ["sample", "scale_test"]
    assert sample_notice("3305") == "示例数据：非真实数据 · 规模测试数据：非真实数据"
