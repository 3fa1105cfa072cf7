"""What every part of the sample programme shares: its fixed points, small helpers and the actors.

Randomness comes only from ``random.Random`` seeded by the caller, and dates only from the reference day (the
``Timeline``, by default the day the sample is loaded), so a run on a fresh database with the same seed and the same
reference day writes the same rows.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from core.models import Role
from projects.models import ProjectStatus
from villages.models import Region

from .people import DEMO_USERS, county_accounts

# --- Fixed points -------------------------------------------------------------

DEFAULT_COUNTY = "330523"  # 安吉县
DEFAULT_SEED = 2003  # the year the programme started
SAMPLE_MARK = "示例数据"

# Villages named in the programme's own materials: always given projects when present.
FEATURED_VILLAGES = ("330523108204", "330523001211")  # 余村, 鲁家村

FOLLOW_UP_DAYS = 90
# The annual round of a year is finalised in the spring of the next (on this day, or the next working day).
ROUND_FINALISED = (4, 20)
# The earliest reference day: the sample's famous villages joined by 2011 (demo.FAMOUS_JOINED), and its rounds and
# fiscal years (the two years before the reference day) fall well inside the programme (2003-).
EARLIEST_REFERENCE_DAY = date(2012, 1, 1)


# --- The timeline ------------------------------------------------------------------


def round_finalised_on(year: int) -> date:
    """The day the annual round of ``year`` is finalised: in the spring of the next year, on a working day."""
    day = date(year + 1, *ROUND_FINALISED)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Round:
    year: int
    finalised_on: date
    latest: bool  # the latest round: its follow-ups have gone as far as the reference day allows


@dataclass(frozen=True)
class Timeline:
    """Every date of the sample programme is counted from ``today``, the reference day (by default the day the sample
    is loaded, ``timezone.localdate()``): the projects' moves and reports, the ledger, the assessment rounds. Nothing
    is dated after it but what is meant to lie ahead: planned starts and ends, the follow-ups' due dates.

    - Rounds: the latest finalised annual round is the previous year's, finalised in the spring of the reference
      day's year (``round_finalised_on``); before that spring it is the year before's. The round before it is a
      year older, and its follow-ups are closed.
    - Fiscal years: from the older round's year to the reference day's year (three, or four before the spring)."""

    today: date

    @property
    def round_year(self) -> int:
        """The year of the latest annual round finalised by the reference day."""
        year = self.today.year - 1
        return year if round_finalised_on(year) <= self.today else year - 1

    @property
    def rounds(self) -> tuple[Round, Round]:
        latest = self.round_year
        return (Round(latest - 1, round_finalised_on(latest - 1), False), Round(latest, round_finalised_on(latest), True))

    @property
    def fiscal_years(self) -> tuple[int, ...]:
        return tuple(range(self.round_year - 1, self.today.year + 1))

    def stamp(self, day: date, at: time) -> datetime:
        """A moment of ``day`` for a row's timestamp; on the reference day itself its first moment, which the clock
        has passed whenever the sample is loaded (the reference day is never later than the clock's day)."""
        return datetime.combine(day, at if day < self.today else time(0, 0), tzinfo=_TZ)


class ReferenceDayRefused(Exception):
    """The reference day is later than the clock's day (the services refuse dates in the future) or too early."""


def timeline(today: date) -> Timeline:
    """The timeline of a reference day, refused when the day is in the future or before EARLIEST_REFERENCE_DAY."""
    if today > timezone.localdate():
        raise ReferenceDayRefused(
            f"The reference day {today:%Y-%m-%d} is in the future (today is {timezone.localdate():%Y-%m-%d}): "
            "the sample's reports and payments would be dated after today, which the portal refuses."
        )
    if today < EARLIEST_REFERENCE_DAY:
        raise ReferenceDayRefused(f"The reference day cannot be before {EARLIEST_REFERENCE_DAY:%Y-%m-%d}.")
    return Timeline(today)


class DemoDataMissing(Exception):
    """The county or its villages are not in the database."""

FUNDABLE_STATUSES = {
    ProjectStatus.APPROVED, ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.SUSPENDED,
    ProjectStatus.COMPLETED, ProjectStatus.ACCEPTED,
}

SURNAMES = "王李张陈刘杨黄吴周徐孙胡朱高林何郭马罗潘沈钱蒋俞汪叶金方施章程邵"
GIVEN_NAME_CHARS = "建国华明伟军平林春海志强丽芳红英文忠良新荣勇洪云峰杰敏静燕霞德福根水法宝祥"


def source_mark(county_code: str) -> str:
    """The start of every sample funding source's note, naming the county it was seeded for."""
    return f"{SAMPLE_MARK}［{county_code}］"


SCHEME_SUFFIX = "年度村庄整治考核"


def scheme_name(county: Region, year: int) -> str:
    return f"{county.name}{year}{SCHEME_SUFFIX}"


# --- Helpers ----------------------------------------------------------------------

_TZ = ZoneInfo(settings.TIME_ZONE)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _at(day: date, rng: random.Random) -> datetime:
    """A working-hours moment of a day, in the portal's time zone."""
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 10, 20, 30, 40, 50))), tzinfo=_TZ)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=_TZ)


def _person(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_NAME_CHARS) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(SURNAMES) + given


def _yuan(amount, step: int = 1000) -> Decimal:
    """Round down to a whole step of yuan (at least one step)."""
    steps = (Decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_DOWN)
    return max(steps, Decimal(1)) * step


def _weighted_sample(rng: random.Random, weights: dict, k: int) -> list:
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        keys = list(pool)
        pick = rng.choices(keys, weights=[pool[key] for key in keys])[0]
        chosen.append(pick)
        del pool[pick]
    return chosen


def _backdate(model, objs, **fields) -> None:
    """Write auto_now(_add) timestamps set to the sample timeline (bulk_create stamps the clock).

    Only for the few hundred rows whose times a dashboard shows (projects,
    sources, schemes, follow-ups): bulk_update is the slowest part of the seed.
    Ledger entries, reports and assessments keep the clock's time; their own
    dates (allocated_on, paid_on, report_date, finalised_at) carry the timeline."""
    if objs:
        model.objects.bulk_update(objs, list(fields), batch_size=500)


class _Actors:
    """Who does what, through the services and their access gate: for each write, the demo account that holds, in
    RoleAssignment, the role the gate asks for (people.county_accounts).

    The county's clerk (county_anji for 安吉县) enters village facts, approves, accepts and funds projects from every
    source and runs the assessment rounds; each township's official enters its projects and their progress; the
    province's and the city's supervisors record the funding sources their level administers. The audit rows name
    them, and no write needs the superuser. Only the role grants themselves name no actor, as those of the
    ``grant_role`` command do: granting roles is no role's action in core.scoping.PERMISSIONS."""

    def __init__(self, users: dict, county: Region):
        self.county_code = county.code
        self.by_grant = {
            (role, code): users[username]
            for username, role, code, _name in DEMO_USERS + county_accounts(county)
            if username in users
        }
        self.county = self.by_grant[(Role.COUNTY_STAFF, county.code)]

    def township(self, township_code: str):
        """The official of the township, who enters its projects and reports their progress."""
        return self.by_grant[(Role.TOWNSHIP_OFFICIAL, township_code)]

    def for_region(self, region_code: str):
        """Who records a funding source administered by the region (the county, its city or its province)."""
        if region_code == self.county_code:
            return self.county
        return self.by_grant[(Role.SUPERVISOR, region_code)]
