"""What every page needs for offline use: whether this answer is a copy being kept by the phone (it then shows no
one-time message, which stays for the page the user opens next), and the texts static/js/offline.js shows."""
from django.urls import reverse
from django.utils.translation import gettext as _

from projects import photos as photo_rules

from .views import PAGES_CACHE

# Sent by static/js/offline.js with each page it keeps.
KEEPING_HEADER = "X-Qiancun-Offline-Copy"


def offline(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        # The login page empties the pages kept for the last user (static/js/offline-login.js).
        return {"offline_copy": False, "offline_pages_cache": PAGES_CACHE}
    return {
        "offline_copy": request.headers.get(KEEPING_HEADER) == "1",
        "offline_config": {
            "user": request.user.pk,
            "serviceWorker": reverse("offline:service_worker"),
            "session": reverse("offline:session"),
            "pages": reverse("offline:pages"),
            "queue": reverse("offline:queue"),
            "fallback": reverse("offline:fallback"),
            "api": reverse("api:progressreport-list"),
            "pagesCache": PAGES_CACHE,
            "keepingHeader": KEEPING_HEADER,
            "maxPhotos": photo_rules.MAX_PHOTOS,
            "maxEdge": photo_rules.MAX_EDGE,
            "maxBytes": photo_rules.MAX_BYTES,
            "text": _texts(),
        },
    }


def _texts() -> dict:
    return {
        "saving": _("Saving on this phone…"),
        "sending": _("Uploading…"),
        "sent": _("Progress reported."),
        "sentMany": _("Reports uploaded from this phone: {n}."),
        "queued": _("No network: the report is kept on this phone (waiting to upload) and will be uploaded when the "
                    "network returns."),
        "refused": _("The report was not accepted: correct it and submit again."),
        "correct": _("Please correct the following"),
        "refusedSome": _("Some reports were not accepted: correct them and upload again."),
        "keyReused": _("This report was already received before it was changed here: check the project page, then "
                       "delete it from this list."),
        "loginToSend": _("Log in again to upload the reports waiting on this phone."),
        "otherUser": _("Another user is logged in: the reports waiting on this phone belong to someone else and are "
                       "not uploaded."),
        "busy": _("The server did not accept uploads just now; they will be tried again."),
        "storageFull": _("The phone's storage is full: the report could not be kept. Free some space (or remove "
                         "photos) and submit again; nothing already waiting was lost."),
        "brokenPhoto": _("The photo “{name}” cannot be read: not a JPEG, PNG or WebP image, or the file is damaged. "
                         "Remove it or choose another."),
        "tooManyPhotos": _("At most {n} photos per report."),
        "unsaved": _("The report could not be kept on this phone: {error}"),
        "logoutWaiting": _("{n} reports are waiting to upload on this phone. Logging out deletes them. Log out "
                           "anyway?"),
        "confirmDelete": _("Delete this report from the phone? It has not been uploaded."),
        "waiting": _("Waiting to upload"),
        "refusedState": _("Not accepted: correct it"),
        "photoCount": _("{n} photos"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "remove": _("Remove"),
        "keptPhotos": _("Photos kept with this report"),
        "editingQueued": _("You are changing a report waiting on this phone (not yet uploaded)."),
        "empty": _("No report is waiting on this phone."),
        "offlineNow": _("No network: uploads start when the network returns."),
        "noStorage": _("This browser cannot keep reports offline; submit when you have a network."),
    }
