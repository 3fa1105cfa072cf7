"""For each select_for_update line of a module, remove the lock, run the given tests on PG, report, restore."""
import os
import re
import subprocess
import sys

module, tests = sys.argv[1], sys.argv[2:]
src = open(module).read()
lines = src.split("\n")
env = dict(os.environ, DATABASE_URL=os.environ.get("LOCKS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qiancun_main"))
try:
    for i, line in enumerate(lines):
        if "select_for_update(" in line and not line.strip().startswith("#"):
            planted = line.replace(re.search(r"\.select_for_update\((of=\(\"self\",\))?\)", line).group(0), "")
            new = lines[:i] + [planted] + lines[i + 1:]
            open(module, "w").write("\n".join(new))
            r = subprocess.run([".venv/bin/python", "-m", "pytest", "-q", "-p", "no:randomly", *tests], env=env, capture_output=True, text=True)
            failed = [out.split("::")[-1].split(" ")[0] for out in r.stdout.splitlines() if out.startswith("FAILED")]
            print(f"{module}:{i+1}: {line.strip()[:90]}\n    -> {'CAUGHT by ' + ', '.join(failed) if failed else 'NOT caught'}", flush=True)
finally:
    open(module, "w").write(src)
