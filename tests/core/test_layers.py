"""Apps import one way (issue 17): the layers contract of pyproject.toml ([tool.importlinter]), checked by
import-linter over every import statement of the project, those inside functions included."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--no-cache"], cwd=where, capture_output=True, text=True, env={"PYTHONPATH": str(where), "PATH": ""})


def _copy_of_the_project(tmp_path: Path) -> Path:
    for package in ("config", "core", "villages", "projects", "assessment", "funding", "maintenance", "planning", "oversight", "inbox", "imports", "dashboard", "reports", "bulletins", "disclosure", "offline", "portal", "sample"):
        if (ROOT / package).is_dir():
            shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "data", "*.json"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_project_keeps_its_layers():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    "module, planted, message",
    [
        ("projects/services.py", "from dashboard.stats import rebuild", "projects is not allowed to import dashboard"),
        ("core/scoping.py", "    from villages.models import Village", "core is not allowed to import villages"),
        ("villages/selectors.py", "import portal.views", "villages is not allowed to import portal"),
        ("assessment/services.py", "from funding.models import Allocation", "assessment is not allowed to import funding"),
        ("projects/services.py", "from maintenance.models import Asset", "projects is not allowed to import maintenance"),
        ("maintenance/services.py", "    from dashboard.stats import rebuild", "maintenance is not allowed to import dashboard"),
        ("maintenance/selectors.py", "from funding.models import Allocation", "maintenance is not allowed to import funding"),
        ("maintenance/services.py", "from assessment.models import Score", "maintenance is not allowed to import assessment"),
    ],
)
def test_an_import_back_up_the_layers_is_refused(tmp_path, module, planted, message):
    copy = _copy_of_the_project(tmp_path)
    source = copy / module
    body = source.read_text()
    if planted.startswith("    "):  # inside a function: imports made late count as much as the others
        planted = "\n\ndef _planted():\n" + planted + "\n"
    source.write_text(body + "\n" + planted + "\n")
    result = _lint(copy)
    assert result.returncode == 1
    assert message in result.stdout
