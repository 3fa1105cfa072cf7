"""The one way a report file leaves the server: for a job the caller can see (the gate), when it has a file."""
from django.http import FileResponse, Http404

from .models import ReportJob


def download_name(job: ReportJob) -> str:
    period = f"-{job.period}" if job.period else ""
    return f"{job.region.name}-{job.get_kind_display()}{period}.{job.format}"


def file_response(job: ReportJob) -> FileResponse:
    if not job.downloadable:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=download_name(job), content_type=job.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
