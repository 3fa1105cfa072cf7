"""Text and fonts of a PDF through poppler's pdftotext and pdffonts (Debian's poppler-utils; .ci/run
installs it, and a missing tool fails in CI through need_service)."""
import shutil
import subprocess

from tests.conftest import need_service


def _tool(name: str) -> str:
    tool = shutil.which(name)
    need_service(name, tool is not None, "apt-get install poppler-utils")
    return tool


def pdf_text(path) -> str:
    return subprocess.run([_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True, timeout=60).stdout


def pdf_fonts(path) -> str:
    return subprocess.run([_tool("pdffonts"), str(path)], capture_output=True, text=True, timeout=60).stdout


def pdf_info(path) -> str:
    """The document's properties (title, subject, keywords, ...), as pdfinfo prints them."""
    return subprocess.run([_tool("pdfinfo"), str(path)], capture_output=True, text=True, timeout=60).stdout
