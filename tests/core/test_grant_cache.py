"""core.scoping keeps a user's role grants on the user object, read once from RoleAssignment. That cache is
core's own: a module that set it could let an account act under a role it does not hold (and the audit rows
would name that account). No module outside core/ names it, tests included."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = "_qiancun_grants"
SKIP = {".venv", "node_modules", "staticfiles", "mutants-work", "core"}  # mutants-work: make mutate's scratch copies


def naming_the_cache(root: Path, *, besides: Path | None = None) -> list[str]:
    """The .py files under ``root``, outside core/ and hidden or third-party folders, that name the cache."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in SKIP or any(part.startswith(".") for part in relative.parts) or path == besides:
            continue
        if CACHE in path.read_text(encoding="utf-8"):
            found.append(str(relative))
    return found


def test_only_core_names_the_grant_cache():
    assert (ROOT / "core" / "scoping.py").read_text(encoding="utf-8").count(CACHE) >= 1  # it is still called that
    assert naming_the_cache(ROOT, besides=Path(__file__).resolve()) == []


def test_a_module_setting_the_cache_is_found(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "scoping.py").write_text(f"user.{CACHE} = ()\n", encoding="utf-8")
    (tmp_path / "sample").mkdir()
    (tmp_path / "sample" / "base.py").write_text(f"clone.{CACHE} = tuple(held)\n", encoding="utf-8")
    assert naming_the_cache(tmp_path) == ["sample/base.py"]
