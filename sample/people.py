"""The demo accounts of the sample programme: who they are, and creating the missing ones.

``DEMO_USERS`` are the named accounts a demonstration starts from. Besides them, the seed gives a county the
accounts its writes need, so that every write is made by an account that holds, in RoleAssignment, the role the
access gate asks for (``county_accounts``): an official ``township_<code>`` for each township without one in
DEMO_USERS, a clerk ``county_<code>`` for a county other than 安吉县, and a supervisor of the province
(``supervisor_zhejiang``) and of the city (``supervisor_huzhou`` for 湖州市), who record the funding sources their
level administers (``funding_source.manage`` is theirs for their own region exactly). All share the demo password.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Q

from core.models import Role
from villages.models import Region, RegionLevel

DEMO_PASSWORD = "qiancun-demo-2024"
# (username, role, region code, display name): seed_demo grants each its role.
DEMO_USERS = [
    ("county_anji", "county_staff", "330523", "王建华"),
    ("township_tianhuangping", "township_official", "330523108", "潘立新"),
    ("township_dipu", "township_official", "330523001", "沈丽萍"),
    ("supervisor_huzhou", "supervisor", "3305", "徐国平"),
    ("api_client", "api_client", "33", "省乡村数据平台"),
]
DEMO_SUPERUSER = ("admin", "系统管理员")

# Supervisors named after their office rather than their code.
OFFICE_ACCOUNTS = {"33": ("supervisor_zhejiang", "省农业农村厅")}
# Display names of the generated officials and clerks, chosen by the region's code.
COMMON_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "徐强", "孙丽")
USERNAME_PREFIX = {Role.TOWNSHIP_OFFICIAL: "township_", Role.COUNTY_STAFF: "county_", Role.SUPERVISOR: "supervisor_"}


def demo_account(role: str, region: Region) -> tuple[str, str]:
    """(username, display name) of the demo account that holds ``role`` for exactly ``region``."""
    for username, held, code, name in DEMO_USERS:
        if held == role and code == region.code:
            return username, name
    if role == Role.SUPERVISOR:
        office = "农业农村厅" if region.level == RegionLevel.PROVINCE else "农业农村局"
        return OFFICE_ACCOUNTS.get(region.code, (f"supervisor_{region.code}", f"{region.name}{office}"))
    return f"{USERNAME_PREFIX[role]}{region.code}", COMMON_NAMES[int(region.code) % len(COMMON_NAMES)]


def county_accounts(county: Region) -> list[tuple[str, str, str, str]]:
    """(username, role, region code, display name) of the accounts, besides DEMO_USERS, that write the county's
    sample programme: its clerk, the supervisors of its city and province, an official of each of its townships."""
    wanted = [(Role.COUNTY_STAFF, county), (Role.SUPERVISOR, county.parent), (Role.SUPERVISOR, county.parent.parent)]
    townships = Region.objects.filter(parent=county, level=RegionLevel.TOWNSHIP).order_by("code")
    wanted += [(Role.TOWNSHIP_OFFICIAL, township) for township in townships]
    accounts = []
    for role, region in wanted:
        username, name = demo_account(role, region)
        account = (username, str(role), region.code, name)
        if account not in DEMO_USERS:
            accounts.append(account)
    return accounts


# --- Users --------------------------------------------------------------------------


def _seed_users(county: Region) -> dict:
    """Create the demo users and the county's accounts that are missing (never touching existing accounts), grant
    each its role, and return them all by username, read back from the database with the roles they now hold."""
    User = get_user_model()
    accounts = DEMO_USERS + county_accounts(county)
    wanted = [(username, name) for username, _role, _region, name in accounts] + [DEMO_SUPERUSER]
    existing = set(User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", flat=True))
    missing = [(username, name) for username, name in wanted if username not in existing]
    if missing:
        # One hash for all: PBKDF2 costs most of a second a call, and the demo
        # password is published anyway (identical hashes reveal nothing more).
        hashed = make_password(DEMO_PASSWORD)
        for username, name in missing:
            is_admin = username == DEMO_SUPERUSER[0]
            user = User(username=username, first_name=name, is_staff=is_admin, is_superuser=is_admin)
            user.password = hashed
            user.save()
    _grant_roles(accounts)
    return {user.username: user for user in User.objects.filter(username__in=[u for u, _ in wanted])}


def _grant_roles(accounts: list[tuple[str, str, str, str]]) -> None:
    """Give each account its role, through the audited service (a grant that exists is kept). The seed grants as
    the command line does (``grant_role``): the audit rows name no actor."""
    from core.services import role_grant

    users = {user.username: user for user in get_user_model().objects.filter(username__in=[u for u, *_ in accounts])}
    present = set(Region.objects.filter(code__in=[code for _u, _r, code, _n in accounts]).values_list("code", flat=True))
    for username, role, region_code, _name in accounts:
        if username in users and region_code in present:
            role_grant(actor=None, user=users[username], role=role, region_code=region_code)


GENERATED_USERNAME = r"^(township|county|supervisor)_[0-9]+$"


def other_accounts_line() -> str:
    """One line on the demo accounts of this database besides DEMO_USERS and the superuser (empty if none)."""
    others = sorted(
        get_user_model().objects.filter(
            Q(username__regex=GENERATED_USERNAME) | Q(username__in=[u for u, _n in OFFICE_ACCOUNTS.values()])
        ).values_list("username", flat=True)
    )
    if not others:
        return ""
    townships = [u for u in others if u.startswith("township_")]
    rest = [u for u in others if not u.startswith("township_")]
    parts = ([f"township_<code> (official of each other township, {len(townships)} accounts)"] if townships else []) + rest
    return f"  Also: {', '.join(parts)}; same password."
