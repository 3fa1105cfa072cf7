"""Schemathesis against the live schema, with all its checks: the API never answers 5xx.

Runs the `st` command-line tool against pytest-django's live server (a county staff token, a
small programme of real-looking data). The test fails on any server error; the other checks'
findings are printed with the run's summary (see the closing notes of the API issue).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.models import Role
from projects.models import ProjectStatus
from tests.conftest import need_service
from tests.factories import (
    AllocationFactory,
    DisbursementFactory,
    FundingSourceFactory,
    ProgressReportFactory,
    ProjectFactory,
    VillageFactory,
    api_token,
    user_with,
)

pytestmark = pytest.mark.django_db(transaction=True)
ARTIFACTS = Path(os.environ.get("QIANCUN_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def _st() -> str | None:
    candidate = Path(sys.executable).with_name("st")
    return str(candidate) if candidate.exists() else shutil.which("st")


def test_no_server_errors_under_schemathesis(live_server, monkeypatch):
    st = _st()
    need_service("schemathesis", st is not None, "the schemathesis package is not installed")
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "100000/min"})
    for i in range(3):
        village = VillageFactory(code=f"330523108{200 + i:03d}")
        project = ProjectFactory(village=village, status=[ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.UNDER_CONSTRUCTION][i],
                                 actual_start="2024-03-05" if i == 2 else None)
        if i == 2:
            ProgressReportFactory(project=project)
            DisbursementFactory(allocation=AllocationFactory(project=project, source=FundingSourceFactory()))
    county = user_with("anji", (Role.COUNTY_STAFF, "330523"))
    token = api_token(county)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [
        st, "run", f"{live_server.url}/api/schema/", "--url", live_server.url,
        "-H", f"Authorization: Token {token}", "--checks", "all", "--phases", "examples,coverage,fuzzing",
        "--max-examples", os.environ.get("QIANCUN_SCHEMATHESIS_EXAMPLES", "8"), "--workers", "1",
        "--seed", "20261123", "--no-color",
        # DELETE /auth/token/ revokes the token of the request: fuzzing it would log schemathesis out for the rest of
        # the run. It is tested in tests/api/test_tokens.py.
        "--exclude-operation-id", "auth_token_revoke",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ARTIFACTS)
    output = run.stdout + run.stderr
    (ARTIFACTS / "schemathesis.txt").write_text(output)
    summary = output[output.rfind("SUMMARY"):] if "SUMMARY" in output else output[-3000:]
    print(summary)
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) >= 30, summary
    assert "ST101" not in output, summary  # "Server error"
    assert not re.search(r"\[5\d\d\]", output), summary
