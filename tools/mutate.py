"""Mutation testing of the modules that hold the invariants (`make mutate`; README "Mutation testing").

mutmut plants one small change at a time into a module and runs the tests that reach the changed function. A
mutant the tests fail on is killed; one they pass on survived: either a test is missing or the change does not
alter behaviour (an equivalent mutant), which the closing note of the work says for each one.

Each module of MODULES is run on its own, with the tests that exercise it: in a scratch copy of the project
(mutants-work/<module>/), whose pyproject.toml is this one with [tool.mutmut]'s two per-module lists filled in.
Around `mutmut run` this script also
- runs the tests on SQLite, never on a developer's PostgreSQL, broker or .env;
- migrates the test database once, into a template that every pytest session copies (tests/conftest.py,
  QIANCUN_MUTATION_DB): a fresh migration costs more than most mutants' tests;
- prints the score per module.

    python tools/mutate.py                       # every module
    python tools/mutate.py core/scoping.py       # some modules
    python tools/mutate.py --report              # the scores of the last run, without running
    python tools/mutate.py --report --survivors  # and the diff of each surviving mutant
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants-work"
TEMPLATE = WORK / f"qiancun-test-template-{os.getpid()}.sqlite3"  # one per run: two runs may go side by side

# module → the tests that exercise it (globs, relative to the project). mutmut then runs each mutant against
# those of them that reach the mutated function. The access matrix, the pages and the API reach these modules
# too, through HTTP, at many times the cost; the direct tests below are the net the issue asks to measure.
MODULES = {
    "core/scoping.py": ["tests/core/test_scoping*.py", "tests/core/test_far_scoping.py", "tests/core/test_gate_units.py"],
    "core/exports.py": ["tests/core/test_exports.py", "tests/core/test_workbook.py"],
    "core/audit.py": ["tests/core/test_audit*.py", "tests/*/test_audit_rows.py"],
    "funding/services.py": ["tests/funding"],
    "projects/services.py": ["tests/projects"],
    "projects/photos.py": ["tests/projects/test_photo*.py", "tests/projects/test_jpeg_layout.py"],
    "assessment/selectors.py": ["tests/assessment"],
    "assessment/services.py": ["tests/assessment"],
}
KILLED = {1, 3, 37}  # mutmut's exit codes for a mutant the tests caught (3: pytest internal error)
SURVIVED = {0}
NOT_RUN = {None, 33, 5, 34, 2}  # not checked, no tests reach it, skipped, interrupted


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env.update(DEBUG="1", QIANCUN_ENV_FILE="", QIANCUN_MUTATION_DB=str(TEMPLATE), PYTHONDONTWRITEBYTECODE="1")
    return env


def build_template() -> None:
    WORK.mkdir(exist_ok=True)
    TEMPLATE.unlink(missing_ok=True)
    env = environment() | {"DATABASE_URL": f"sqlite:///{TEMPLATE}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def scratch(module: str) -> Path:
    return WORK / module.replace("/", "-").removesuffix(".py")


def prepare(module: str) -> Path:
    """A fresh copy of the project's files (tracked and new, not ignored) with the module's mutmut lists."""
    where = scratch(module)
    shutil.rmtree(where, ignore_errors=True)
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, where / name)
    tests = sorted({str(p.relative_to(ROOT)) for pattern in MODULES[module] for p in ROOT.glob(pattern)})
    config = (where / "pyproject.toml").read_text()
    config = re.sub(r"^only_mutate = \[\].*$", f"only_mutate = {json.dumps([module])}", config, count=1, flags=re.M)
    config = re.sub(
        r"^pytest_add_cli_args_test_selection = \[\].*$", f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        config, count=1, flags=re.M,
    )
    (where / "pyproject.toml").write_text(config)
    return where


def results() -> dict[str, dict[str, int | None]]:
    by_module = {}
    for module in MODULES:
        meta = scratch(module) / "mutants" / (module + ".meta")
        by_module[module] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    return by_module


def report(show_survivors: bool) -> int:
    print(f"\n{'module':<26}{'mutants':>8}{'killed':>8}{'survived':>9}{'timeout':>8}{'not run':>8}{'score':>8}")
    below = []
    for module, codes in results().items():
        if not codes:
            print(f"{module:<26}{'not run yet':>57}")
            continue
        counts = Counter()
        for code in codes.values():
            if code in KILLED:
                counts["killed"] += 1
            elif code in SURVIVED:
                counts["survived"] += 1
            elif code in NOT_RUN:
                counts["not run"] += 1
            else:  # timeouts and crashes: the mutant did change behaviour, but no assertion said so
                counts["timeout"] += 1
        tried = counts["killed"] + counts["survived"] + counts["timeout"]
        score = 100.0 * (counts["killed"] + counts["timeout"]) / tried if tried else 0.0
        if score < 85:
            below.append(module)
        print(
            f"{module:<26}{len(codes):>8}{counts['killed']:>8}{counts['survived']:>9}"
            f"{counts['timeout']:>8}{counts['not run']:>8}{score:>7.1f}%"
        )
        if show_survivors:
            for name, code in sorted(codes.items()):
                if code in SURVIVED or code in NOT_RUN:
                    print(f"  {'survived' if code in SURVIVED else 'not run'}: {name}")
                    diff = subprocess.run(
                        [sys.executable, "-m", "mutmut", "show", name], cwd=scratch(module), env=environment(),
                        capture_output=True, text=True,
                    ).stdout
                    print("    " + "\n    ".join(diff.rstrip().splitlines()[1:]))
    print("\nscore = (killed + timed out) / mutants tried; goal ≥ 85 % per module")
    if below:
        print("below the goal: " + ", ".join(below))
    return 1 if below else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"modules to run, of {', '.join(MODULES)} (all when none is given)")
    parser.add_argument("--report", action="store_true", help="only print the scores of the last run")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"not a module of MODULES: {', '.join(sorted(unknown))}")
    if not args.report:
        build_template()
        for module in args.modules or MODULES:
            print(f"\n=== {module}: {', '.join(MODULES[module])}", flush=True)
            command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children)]
            code = subprocess.run(command, cwd=prepare(module), env=environment()).returncode
            for stale in WORK.glob(TEMPLATE.name + ".*"):  # copies left by sessions mutmut killed on timeout
                stale.unlink()
            if code:
                return code
        TEMPLATE.unlink(missing_ok=True)
    return report(args.survivors)


if __name__ == "__main__":
    sys.exit(main())
