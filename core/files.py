"""The one way a stored file leaves the server, after the view's access check.

With MEDIA_ACCEL_REDIRECT set (production behind nginx: "/protected-media/"), the answer is an empty response whose
X-Accel-Redirect header names the file under that prefix; nginx serves it from an ``internal`` location (no client
can ask for it directly), so a gunicorn worker is free at once however slow the client. Without it (development,
tests, a server without nginx) Django streams the file itself.

Why not django-sendfile2: its development backend reads the whole file into memory (``HttpResponse(f.chunks())``),
its nginx backend announces the file's Content-Length on an empty upstream body, and it caches the backend for the
life of the process (a test cannot switch it); this is the few lines it would do for us.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header


def file_response(field_file, *, content_type: str, as_attachment: bool = False, filename: str | None = None):
    prefix = getattr(settings, "MEDIA_ACCEL_REDIRECT", "")
    if not prefix:
        try:
            handle = field_file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, content_type=content_type, as_attachment=as_attachment, filename=filename or "")
    path = Path(field_file.path).resolve()
    try:
        relative = path.relative_to(Path(settings.MEDIA_ROOT).resolve())
    except ValueError:
        raise Http404 from None  # never name a file outside MEDIA_ROOT to nginx
    if not path.is_file():
        raise Http404
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(relative.as_posix())
    disposition = content_disposition_header(as_attachment, filename or "")
    if disposition:
        response["Content-Disposition"] = disposition
    return response


def photo_response(photo, variant: str = "image"):
    """A stored photo (projects.models.PhotoFields) or its thumbnail, served after the caller's gate, cached privately."""
    file_field = photo.thumbnail if variant == "thumbnail" and photo.thumbnail else photo.image
    content_type = photo.content_type if file_field is photo.image else (
        "image/webp" if file_field.name.endswith(".webp") else "image/jpeg"
    )
    response = file_response(file_field, content_type=content_type)  # nginx sends it when MEDIA_ACCEL_REDIRECT says so
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
