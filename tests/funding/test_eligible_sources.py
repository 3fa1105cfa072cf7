"""The allocation form offers only the sources that may fund the chosen project; a refusal names villages and
regions by name; a form with errors lists them at the top, each linking to its field (issue 18, item 5)."""
import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from core.exceptions import DomainError, InvalidInput
from core.models import Role
from funding import selectors, services
from funding.models import FundingSource
from projects.models import ProjectStatus
from tests.factories import FundingSourceFactory, ProjectFactory, VillageFactory, region, user_with

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def setting():
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    dipu = VillageFactory(code="330523001211", township_code="330523001", name="荻浦村村委会")
    project = ProjectFactory(village=yucun, status=ProjectStatus.APPROVED)
    sources = {
        "county": FundingSourceFactory(name="安吉县专项", region=region("330523")),
        "province": FundingSourceFactory(name="省级专项", region=region("33")),
        "township": FundingSourceFactory(name="天荒坪镇自筹", region=region("330523108")),
        "other_township": FundingSourceFactory(name="递铺街道自筹", region=region("330523001")),
        "other_county": FundingSourceFactory(name="长兴县专项", region=region("330522")),
        "for_yucun": FundingSourceFactory(name="余村社会捐赠", region=region("330523"), village=yucun),
        "for_dipu": FundingSourceFactory(name="荻浦社会捐赠", region=region("330523"), village=dipu),
        "earmarked_here": FundingSourceFactory(name="天荒坪片区", region=region("330523"), beneficiary_region=region("330523108")),
        "earmarked_elsewhere": FundingSourceFactory(name="递铺片区", region=region("330523"), beneficiary_region=region("330523001")),
    }
    return {"project": project, "sources": sources, "county": user_with("anji", (Role.COUNTY_STAFF, "330523"))}


def test_the_filter_keeps_exactly_the_sources_the_ledger_accepts(setting):
    project, sources = setting["project"], setting["sources"]
    offered = set(selectors.serving(FundingSource.objects.all(), project.village_id).values_list("name", flat=True))
    assert offered == {"安吉县专项", "省级专项", "天荒坪镇自筹", "余村社会捐赠", "天荒坪片区"}
    for source in sources.values():  # the filter and the service agree, source by source
        try:
            with translation.override("zh-hans"):
                services._check_source_serves(source, project)
            accepted = True
        except DomainError:
            accepted = False
        assert accepted == (source.name in offered), source.name


def test_the_form_offers_only_eligible_sources_for_the_chosen_project(client, setting):
    client.force_login(setting["county"])
    page = client.get(reverse("funding:allocation_create"), {"project": setting["project"].pk}).content.decode()
    assert "天荒坪片区" in page and "余村社会捐赠" in page
    assert "递铺片区" not in page and "荻浦社会捐赠" not in page and "递铺街道自筹" not in page
    everything = client.get(reverse("funding:allocation_create")).content.decode()
    assert "递铺片区" in everything  # no project chosen yet: every source the user may draw on


def test_a_refusal_names_the_villages_and_the_region(setting):
    project, sources = setting["project"], setting["sources"]
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        services.allocation_create(actor=setting["county"], source=sources["for_dipu"], project=project, amount="10")
    text = str(refused.value.message) + " ".join(str(m) for ms in refused.value.field_errors.values() for m in ms)
    assert "荻浦村" in text and "余村" in text and "330523" not in text


def test_a_form_with_errors_lists_them_at_the_top_linking_to_each_field(client, setting):
    client.force_login(setting["county"])
    with translation.override("zh-hans"):
        response = client.post(reverse("funding:allocation_create"), {
            "source": setting["sources"]["for_dipu"].pk, "project": setting["project"].pk, "amount": "10",
            "allocated_on": TODAY.isoformat(),
        }, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert 'class="error-summary"' in page and 'href="#id_source"' in page
    assert page.index("error-summary") < page.index('id="id_source"')
