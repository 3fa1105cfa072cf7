"""`make run PORT=...`: the URL printed before serving is the one the server listens on; the install is quiet."""
import io
import subprocess
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command

from sample.demo import DEMO_USERS
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_logins_prints_the_url_it_is_given():
    UserFactory(username=DEMO_USERS[0][0])
    out = io.StringIO()
    call_command("demo_logins", "--url", "http://127.0.0.1:8801/", stdout=out)
    assert "http://127.0.0.1:8801/" in out.getvalue()
    assert ":8000" not in out.getvalue()


def test_make_run_passes_host_and_port_to_the_printed_url():
    dry = subprocess.run(["make", "-n", "run", "PORT=8801", "HOST=0.0.0.0"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "demo_logins --url http://0.0.0.0:8801/" in dry
    assert "runserver 0.0.0.0:8801" in dry


def test_the_licence_is_an_spdx_string():
    """A TOML table as project.license makes setuptools>=77 print a deprecation warning on every install."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(project["project"]["license"], str)
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])


def test_readme_mentions_port():
    assert "make run PORT=" in (ROOT / "README.md").read_text()
