"""The demo accounts of the sample programme: who they are, and creating the missing ones."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from villages.models import Region

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


# --- Users --------------------------------------------------------------------------


def _seed_users() -> dict:
    """Create the demo users that are missing; never touch existing accounts."""
    User = get_user_model()
    wanted = [(username, name) for username, _role, _region, name in DEMO_USERS] + [DEMO_SUPERUSER]
    users = {user.username: user for user in User.objects.filter(username__in=[u for u, _ in wanted])}
    missing = [(username, name) for username, name in wanted if username not in users]
    if missing:
        # One hash for all: PBKDF2 costs most of a second a call, and the demo
        # password is published anyway (identical hashes reveal nothing more).
        hashed = make_password(DEMO_PASSWORD)
        for username, name in missing:
            is_admin = username == DEMO_SUPERUSER[0]
            user = User(username=username, first_name=name, is_staff=is_admin, is_superuser=is_admin)
            user.password = hashed
            user.save()
            users[username] = user
    _grant_demo_roles(users)
    return users


def _grant_demo_roles(users: dict) -> None:
    """Give each demo user its role, through the audited service (a grant that exists is kept)."""
    from core.services import role_grant

    present = set(Region.objects.filter(code__in=[code for _u, _r, code, _n in DEMO_USERS]).values_list("code", flat=True))
    for username, role, region_code, _name in DEMO_USERS:
        if username in users and region_code in present:
            role_grant(actor=None, user=users[username], role=role, region_code=region_code)
