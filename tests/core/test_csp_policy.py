"""The Content-Security-Policy (config/settings.py, django-csp): strict, enforced, and no template served to
browsers needs it loosened. tests/browser/test_csp.py opens every page in Chromium under it."""
import pathlib
import re

from django.urls import reverse


def test_csp_header_is_strict_and_enforced(client):
    response = client.get(reverse("login"))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'self'"
    assert "Content-Security-Policy-Report-Only" not in response
    assert "unsafe" not in response["Content-Security-Policy"]


def test_no_template_served_to_browsers_has_inline_script_or_style():
    """The CSP refuses them anyway; this names the template. The templates of reports/pdf/ are the PDF
    reports' (WeasyPrint reads their <style>); only reports/kinds/*.py render them, never a view."""
    root = pathlib.Path(__file__).resolve().parents[2]
    inline = re.compile(r"""style=|<style|\son[a-z]+\s*=|<script(?![^>]*\bsrc=)(?![^>]*type="application/json")|javascript:""", re.I)
    found = []
    for template in sorted((root / "templates").rglob("*.html")):
        if template.relative_to(root / "templates").as_posix().startswith("reports/pdf/"):
            continue
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if inline.search(re.sub(r"\{#.*?#\}", "", line)):  # template comments are not sent
                found.append(f"{template.relative_to(root)}:{number}: {line.strip()[:120]}")
    assert not found, "inline script, handler or style:\n" + "\n".join(found)
    # ... and the exemption holds: nothing but the report builders names a PDF template.
    renderers = {path.relative_to(root).as_posix() for path in root.glob("*/**/*.py")
                 if ".venv" not in path.parts and "reports/pdf/" in path.read_text(encoding="utf-8")
                 and not path.relative_to(root).as_posix().startswith("tests/")}
    assert renderers and all(p.startswith("reports/kinds/") for p in renderers), renderers
    modules = [p for p in (*root.glob("*/*.py"), *root.glob("*/*/*.py"))
               if p.relative_to(root).parts[0] not in {"tests", "staticfiles", "mutants"} and not p.relative_to(root).parts[0].startswith(".")]
    users = [p.relative_to(root).as_posix() for p in modules if "progress_summary" in p.read_text(encoding="utf-8")]
    assert users == ["reports/kinds/progress.py"], users
