"""The sample app sits on top: it may import every app, and no app or configuration module imports it (only
INSTALLED_APPS names it; tests may import it)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "sample", "node_modules", "staticfiles"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_outside_sample_and_tests_imports_sample():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIP or relative.parts[0].startswith("."):
            continue
        if any(name == "sample" or name.startswith("sample.") for name in imports_of(path)):
            offenders.append(str(relative))
    assert offenders == []

