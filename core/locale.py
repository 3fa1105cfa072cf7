"""Language selection: zh-hans unless the user picked English with the switch.

Django's LocaleMiddleware would follow the browser's Accept-Language; county
offices often run English-language browsers, and the portal is Chinese first.
"""
from django.conf import settings
from django.utils import translation
from django.utils.translation import check_for_language


class LanguageCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch = response.get("Vary", "")
        if "Cookie" not in patch:
            response["Vary"] = f"{patch}, Cookie" if patch else "Cookie"
        return response
