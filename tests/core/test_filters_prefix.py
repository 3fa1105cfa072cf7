"""core.divisions.code_prefix_q: a code prefix said as a range selects exactly the codes that start with it."""
import pytest

from core.divisions import code_prefix_q
from tests.factories import VillageFactory
from villages.models import Village


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["33", "3305", "330523", "330523108", "330523108209", "32", "39", "3", "9", "99"])
def test_the_range_selects_the_codes_that_start_with_the_prefix(db, prefix):
    for township in ("330523108", "330523109", "330524001", "320481101", "399999999", "999999999"):
        for last in ("200", "209", "399"):
            VillageFactory(code=township + last, township_code=township)
    expected = set(Village.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    assert set(Village.objects.filter(code_prefix_q("code", prefix)).values_list("code", flat=True)) == expected
    assert len(expected) < Village.objects.count() or prefix in ("3", "9")
    assert expected  # every prefix here selects some villages (and not all: the last line checks)


def test_no_prefix_is_no_condition_and_the_last_prefix_has_no_upper_bound():
    assert not code_prefix_q("code", "")
    assert str(code_prefix_q("code", "99")) == "(AND: ('code__gte', '99'))"
    assert str(code_prefix_q("village__code", "3309")) == "(AND: ('village__code__gte', '3309'), ('village__code__lt', '3310'))"
