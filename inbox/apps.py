from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Reminders")

    def ready(self):
        # The header's unread count is kept in the cache; a login fills it (one query then, none on the pages after).
        from django.contrib.auth.signals import user_logged_in

        from .selectors import prime_unread_count

        user_logged_in.connect(prime_unread_count, dispatch_uid="inbox.prime_unread_count")
