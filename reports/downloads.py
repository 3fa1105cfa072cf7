"""The one way a report file leaves the server: for a job the caller can see (the gate), when it has a file."""
from django.http import Http404

from core.files import file_response as stored_file_response

from .models import ReportJob


def download_name(job: ReportJob) -> str:
    period = f"-{job.period}" if job.period else ""
    return f"{job.area_name}-{job.get_kind_display()}{period}.{job.format}"


def file_response(job: ReportJob):
    if not job.downloadable:
        raise Http404
    response = stored_file_response(job.file, content_type=job.content_type, as_attachment=True, filename=download_name(job))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
