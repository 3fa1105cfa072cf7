"""PDF files for the tests of plan documents, written by pypdf (the library that reads them back in
planning/documents.py)."""
import io

from django.core.files.uploadedfile import SimpleUploadedFile


def pdf_bytes(*, pages: int = 1, password: str | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_upload(name: str = "规划.pdf", content: bytes | None = None, content_type: str = "application/pdf",
               **kwargs) -> SimpleUploadedFile:
    """An upload of ``content``, or of a PDF made by pdf_bytes(**kwargs)."""
    return SimpleUploadedFile(name, pdf_bytes(**kwargs) if content is None else content, content_type=content_type)
