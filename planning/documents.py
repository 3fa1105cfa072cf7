"""The plan document: an approved plan's PDF, checked by its content (not its name or declared type) before it is
stored, as photos are: at most MAX_DOCUMENT_BYTES, a PDF that pypdf can read, not encrypted, with at least a page."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import MAX_DOCUMENT_BYTES


class DocumentRejected(ValueError):
    pass


@dataclass
class CheckedDocument:
    upload: object
    size: int
    pages: int


def check(upload) -> CheckedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    size = getattr(upload, "size", None) or 0
    if size <= 0:
        raise DocumentRejected(_("The file is empty."))
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentRejected(
            _("The file is %(size)s MB; a plan document may be at most %(limit)s MB.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_DOCUMENT_BYTES // 1024 // 1024}
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" not in head:
        raise DocumentRejected(_("The file is not a PDF document (its content is not PDF, whatever its name)."))
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise DocumentRejected(_("The PDF is password-protected; upload it without a password."))
        pages = len(reader.pages)
    except DocumentRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError, AssertionError, IndexError):
        raise DocumentRejected(_("The PDF is damaged and cannot be read.")) from None
    finally:
        upload.seek(0)
    if pages < 1:
        raise DocumentRejected(_("The PDF has no pages."))
    return CheckedDocument(upload=upload, size=size, pages=pages)
