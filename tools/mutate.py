"""Mutation testing of the modules that hold the invariants (`make mutate`; README "Mutation testing").

mutmut (configured in pyproject.toml, [tool.mutmut]) copies the project to mutants/, plants one small change
at a time into the modules of `only_mutate` and runs the tests that reach the changed function. A mutant the
tests fail on is killed; one they pass on survived: either a test is missing or the change does not alter
behaviour (an equivalent mutant), which the closing note of the work says for each one.

This script adds what a Django project needs around `mutmut run` and prints the score per module:
- the tests run on SQLite and never on a developer's PostgreSQL, broker or .env;
- the test database is migrated once, into a template that every pytest session copies (tests/conftest.py,
  QIANCUN_MUTATION_DB): a fresh migration costs more than most mutants' tests.

    python tools/mutate.py                      # every module
    python tools/mutate.py "core.scoping*"      # mutants whose names match (mutmut's globs)
    python tools/mutate.py --report             # the scores of the last run, without running
    python tools/mutate.py --survivors          # and the diff of each surviving mutant
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
TEMPLATE = MUTANTS / "qiancun-test-template.sqlite3"
KILLED = {1, 3, 37}  # mutmut's exit codes for a mutant the tests caught (3: pytest internal error)
SURVIVED = {0}
NOT_RUN = {None, 33, 5, 34, 2}  # not checked, no tests reach it, skipped, interrupted


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env.update(DEBUG="1", QIANCUN_ENV_FILE="", QIANCUN_MUTATION_DB=str(TEMPLATE), PYTHONDONTWRITEBYTECODE="1")
    return env


def build_template() -> None:
    MUTANTS.mkdir(exist_ok=True)
    TEMPLATE.unlink(missing_ok=True)
    env = environment() | {"DATABASE_URL": f"sqlite:///{TEMPLATE}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    for stale in MUTANTS.glob(TEMPLATE.name + ".*"):  # copies left by sessions mutmut killed on timeout
        stale.unlink()


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return config["only_mutate"]


def results() -> dict[str, dict[str, int | None]]:
    by_module = {}
    for module in modules():
        meta = MUTANTS / (module + ".meta")
        by_module[module] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    return by_module


def report(show_survivors: bool) -> int:
    print(f"\n{'module':<26}{'mutants':>8}{'killed':>8}{'survived':>9}{'timeout':>8}{'not run':>8}{'score':>8}")
    below = []
    for module, codes in results().items():
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
                        [sys.executable, "-m", "mutmut", "show", name], cwd=ROOT, env=environment(),
                        capture_output=True, text=True,
                    ).stdout
                    print("    " + "\n    ".join(diff.rstrip().splitlines()[1:]))
    print("\nscore = (killed + timed out) / mutants tried; goal ≥ 85 % per module")
    if below:
        print("below the goal: " + ", ".join(below))
    return 1 if below else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mutants", nargs="*", help="mutant name globs (e.g. 'core.scoping*'); all when empty")
    parser.add_argument("--report", action="store_true", help="only print the scores of the last run")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if not args.report:
        build_template()
        command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children), *args.mutants]
        code = subprocess.run(command, cwd=ROOT, env=environment()).returncode
        if code:
            return code
    return report(args.survivors)


if __name__ == "__main__":
    sys.exit(main())
