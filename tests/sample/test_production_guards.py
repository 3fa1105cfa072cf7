"""Commands that write sample data refuse to run on a production server (DEBUG off at start-up) unless forced:
seed_demo creates accounts with a published password, generate_programme fills a province with synthetic
projects. Both ask settings.DEVELOPMENT_MODE (what the process started with), not the run-time DEBUG."""
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from projects.models import Project
from tests.factories import VillageFactory
from tests.sample.test_seed_demo import ANJI_VILLAGES, COUNTY, load_villages

ROOT = Path(__file__).resolve().parents[2]
CLEAN_PREFIXES = ("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CACHE_URL", "API_DOCS_PUBLIC")


@pytest.fixture
def production(settings):
    settings.DEVELOPMENT_MODE = False


@pytest.mark.django_db
def test_seed_demo_refuses_in_production_and_writes_nothing(production):
    load_villages(ANJI_VILLAGES)
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", county=COUNTY, verbosity=0)
    assert not Project.objects.exists() and not get_user_model().objects.exists()


@pytest.mark.django_db
def test_seed_demo_runs_in_production_when_forced(production):
    load_villages(ANJI_VILLAGES)
    out = StringIO()
    call_command("seed_demo", "--county", COUNTY, "--force", stdout=out)
    assert Project.objects.within(COUNTY).exists() and get_user_model().objects.filter(username="county_anji").exists()


@pytest.mark.django_db
def test_generate_programme_refuses_in_production_unless_forced(production):
    VillageFactory(code="330523108204")
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_programme", "--province", "33", "--projects-per-village", "2", verbosity=0)
    assert not Project.objects.exists()
    call_command("generate_programme", "--province", "33", "--projects-per-village", "2", "--force", verbosity=0)
    assert Project.objects.filter(village_id="330523108204").exists()


@pytest.mark.parametrize("command", [["seed_demo"], ["generate_programme", "--province", "33"]])
def test_refused_by_a_process_started_with_debug_off(command, tmp_path):
    """The real thing: a fresh process with production settings (DEBUG=0) refuses before touching the database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN_PREFIXES)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", SECRET_KEY="guard-" + "k" * 60, ALLOWED_HOSTS="example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'never-created.sqlite3'}", CELERY_BROKER_URL="redis://127.0.0.1:1/0",
    )
    result = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "DEBUG is off" in result.stderr and "--force" in result.stderr, result.stderr
    assert not (tmp_path / "never-created.sqlite3").exists() or (tmp_path / "never-created.sqlite3").stat().st_size == 0
