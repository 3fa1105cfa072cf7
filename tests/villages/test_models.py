import pytest
from django.db import IntegrityError, transaction

from tests.factories import VillageFactory, region
from villages.models import Region, RegionLevel, Village, VillageKind, kind_for_code, next_category, short_name_for


@pytest.mark.parametrize(
    "name, expected",
    [
        ("余村村委会", "余村"),
        ("鲁家村委会", "鲁家村"),
        ("下姜村村民委员会", "下姜村"),
        ("梵村委会", "梵村"),
        ("清波门社区居委会", "清波门社区"),
        ("余村社区", "余村社区"),
        ("竹余村村民委员会", "竹余村"),
    ],
)
def test_short_name_drops_the_committee_suffix(name, expected):
    assert short_name_for(name) == expected


@pytest.mark.parametrize(
    "code, kind",
    [
        ("330523108001", VillageKind.RESIDENTS_COMMITTEE),
        ("330523108199", VillageKind.RESIDENTS_COMMITTEE),
        ("330523108204", VillageKind.VILLAGE_COMMITTEE),
        ("330523108399", VillageKind.VILLAGE_COMMITTEE),
        ("330523108400", VillageKind.OTHER),
    ],
)
def test_kind_follows_the_last_three_digits(code, kind):
    assert kind_for_code(code) == kind


def test_categories_promote_in_order():
    assert next_category("renovation") == "demonstration"
    assert next_category("boutique") == "future"
    assert next_category("future") is None


def _refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Village.objects.create(**fields)


@pytest.mark.django_db
def test_village_constraints_refuse_bad_rows():
    township = region("330523108")
    good = dict(code="330523108204", name="余村村委会", short_name="余村", township=township, kind="village_committee")
    _refused(**{**good, "code": "33052310820"})  # 11 digits
    _refused(**{**good, "code": "330523001204"})  # not below its township
    _refused(**{**good, "kind": "residents_committee"})  # kind contradicts the code
    _refused(**{**good, "category": "metropolis"})
    _refused(**{**good, "name": ""})
    _refused(**{**good, "latitude": 30.5})  # latitude without longitude
    _refused(**{**good, "latitude": 95, "longitude": 119.6})
    _refused(**{**good, "population": 100, "households": 101})
    _refused(**{**good, "area_km2": -1})
    assert not Village.objects.exists()
    Village.objects.create(**good, latitude=30.51, longitude=119.68, population=1100, households=380)
    assert Village.objects.get().short_name == "余村"


@pytest.mark.django_db
def test_region_code_must_match_level_and_parent():
    province = Region.objects.create(code="33", name="浙江省", level=RegionLevel.PROVINCE)
    city = Region.objects.create(code="3305", name="湖州市", level=RegionLevel.CITY, parent=province)
    for fields in [
        dict(code="330523", name="安吉县", level=RegionLevel.COUNTY, parent=province),  # parent skips a level
        dict(code="33052", name="安吉县", level=RegionLevel.COUNTY, parent=city),  # wrong length
        dict(code="330523", name="安吉县", level=RegionLevel.TOWNSHIP, parent=city),  # wrong level
        dict(code="340523", name="安吉县", level=RegionLevel.COUNTY, parent=city),  # not the parent's prefix
        dict(code="330523", name="", level=RegionLevel.COUNTY, parent=city),
        dict(code="34", name="安徽省", level=RegionLevel.PROVINCE, parent=province),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Region.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(code="33", name="重复", level=RegionLevel.PROVINCE)
    assert Region.objects.count() == 2


@pytest.mark.django_db
def test_within_selects_by_code_prefix():
    yucun = VillageFactory(code="330523108204", name="余村村委会")
    lujia = VillageFactory(township_code="330523001", code="330523001211", name="鲁家村委会")
    other = VillageFactory(township_code="330522001", code="330522001201")
    assert set(Village.objects.within("330523")) == {yucun, lujia}
    assert set(Village.objects.within("330523108")) == {yucun}
    assert set(Village.objects.within("3305")) == {yucun, lujia, other}
    assert set(Region.objects.within("3305").filter(level="township").values_list("code", flat=True)) == {
        "330523108", "330523001", "330522001",
    }
