"""The user's own account: API tokens, the password, logging out. Open to every logged-in user, API-only accounts
included (core.views.PortalAccessMixin keeps those out of the portal's other pages, not of these)."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from .selectors import tokens_of
from .services import token_revoke, tokens_revoke_all

ALL = "all"


class TokenListView(LoginRequiredMixin, TemplateView):
    template_name = "registration/tokens.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tokens"] = list(tokens_of(user=self.request.user))
        context["now"] = timezone.now()
        context["token_days"] = settings.API_TOKEN_TTL_DAYS
        return context


class TokenRevokeView(LoginRequiredMixin, View):
    """GET ?token=<id>|all: what revoking means, in plain words, and the button; POST token=…: revoke."""

    template_name = "registration/token_revoke.html"

    def _target(self, value):
        if value == ALL:
            return ALL
        token = tokens_of(user=self.request.user).filter(digest=value).first() if value else None
        if token is None:
            raise Http404(_("No such token among yours."))
        return token

    def get(self, request):
        target = self._target(request.GET.get("token", ""))
        count = len(tokens_of(user=request.user)) if target == ALL else 1
        return render(request, self.template_name, {"target": target, "all": target == ALL, "count": count})

    def post(self, request):
        target = self._target(request.POST.get("token", ""))
        if target == ALL:
            count = tokens_revoke_all(actor=request.user, user=request.user, reason="revoked by their owner")
            messages.success(request, _("%(count)d API tokens revoked.") % {"count": count})
        else:
            token_revoke(actor=request.user, token=target)
            messages.success(request, _("API token %(key)s… revoked.") % {"key": target.token_key[:8]})
        return redirect("tokens")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page (the old password, the new one twice, every AUTH_PASSWORD_VALIDATORS rule); the save
    revokes the user's API tokens (core/tokens.py). The session itself stays logged in."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("tokens")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed. Your API tokens were revoked: programs that used "
                                         "them must ask for new ones."))
        return response


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only, then LOGOUT_REDIRECT_URL), telling the browser to forget what the portal kept on
    the device: its caches and its storage, the offline queue of progress reports (IndexedDB) and the service worker
    included. A shared or lost phone keeps nothing of the programme once its user has logged out."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


token_list = TokenListView.as_view()
token_revoke_view = TokenRevokeView.as_view()
password_change = PasswordChangeView.as_view()
logout = LogoutView.as_view()
