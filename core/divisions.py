"""The administrative levels (行政区划) and the length of a division code at each: the one definition.

Codes are the national statistical division codes in their short form per level (33, 3305, 330523, 330523108,
330523108204). Core holds this (not the villages app) because the gate (core.scoping) and the role grants
(core.models) reason about code lengths, and core imports no domain app; villages.models re-exports it.
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWNSHIP = "township", _("township")


# Length of the short code at each level; a village code has 12 digits.
CODE_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
}
VILLAGE_CODE_LENGTH = 12
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}
# The code length of the areas one level below a code of each length (a township's are villages).
_LENGTHS = sorted(CODE_LENGTH.values())
CHILD_CODE_LENGTH = dict(zip(_LENGTHS, [*_LENGTHS[1:], VILLAGE_CODE_LENGTH]))  # {2: 4, 4: 6, 6: 9, 9: 12}
PARENT_LEVEL = {
    RegionLevel.CITY: RegionLevel.PROVINCE,
    RegionLevel.COUNTY: RegionLevel.CITY,
    RegionLevel.TOWNSHIP: RegionLevel.COUNTY,
}


def ancestor_codes(code: str) -> list[str]:
    """The codes of the regions above ``code`` (a region's or a village's), widest first."""
    return [code[:n] for n in _LENGTHS if n < len(code)]


def code_prefix_q(path: str, prefix: str) -> Q:
    """``path`` (a division code) starts with the digits ``prefix``, said as a range: at least ``prefix`` and below the
    next prefix of its length (none after 99…9). For digit strings the two are the same rows; the range is what the
    code's btree index serves in code order with a row estimate that holds, where PostgreSQL under a collation other
    than C (C.UTF-8 included) reads LIKE '51%' as a filter: a page of Sichuan's 50 first villages walked 487,306
    others' first, 127 ms against 0.2 ms on the national data set (README "The nation")."""
    if not prefix:
        return Q()
    following = str(int(prefix) + 1).zfill(len(prefix))
    condition = Q(**{f"{path}__gte": prefix})
    if len(following) == len(prefix):
        condition &= Q(**{f"{path}__lt": following})
    return condition
