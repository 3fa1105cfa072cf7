"""core.views.perform: the one shape of a write from a page (issue 17, item 11)."""
import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from core.exceptions import Conflict, InvalidInput, NotPermitted
from core.views import perform


class _Form(forms.Form):
    amount = forms.DecimalField()


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _texts(request):
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def test_a_success_returns_the_result_and_says_so():
    request = _request()
    outcome = perform(request, lambda: 42, success="Saved.")
    assert (outcome.done, outcome.result, outcome.error) == (True, 42, None)
    assert _texts(request) == [("success", "Saved.")]


def test_a_success_message_may_be_made_from_the_result():
    request = _request()
    perform(request, lambda: 3, success=lambda n: f"{n} opened.")
    assert _texts(request) == [("success", "3 opened.")]


def test_a_refusal_puts_field_errors_on_the_form_and_the_rest_in_a_message():
    request, form = _request(), _Form({"amount": "5"})
    assert form.is_valid()
    error = InvalidInput("Check the amount.", field_errors={"amount": "At most 3.", "voucher": "Give one."})

    def refuse():
        raise error

    outcome = perform(request, refuse, form=form, success="Saved.")
    assert (outcome.done, outcome.result, outcome.error) == (False, None, error)
    assert form.errors == {"amount": ["At most 3."], "__all__": ["Check the amount."]}
    assert _texts(request) == [("error", "Give one.")]  # a field the form does not have; no success message


def test_a_refusal_without_a_form_is_a_message():
    request = _request()

    def refuse():
        raise Conflict("Already reversed.")

    assert not perform(request, refuse, success="Reversed.").done
    assert _texts(request) == [("error", "Already reversed.")]


def test_a_refusal_of_permission_is_raised_not_shown():
    request = _request()

    def refuse():
        raise NotPermitted("allocation.create")

    with pytest.raises(NotPermitted):
        perform(request, refuse, success="Saved.")
    assert _texts(request) == []


def test_other_errors_are_not_swallowed():
    def broken():
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        perform(_request(), broken)
