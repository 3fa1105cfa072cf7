"""Reads of the core app that need care."""
from __future__ import annotations


def tokens_of(*, user):
    """The user's API tokens, newest first (only their digests and first characters are stored)."""
    from knox.models import get_token_model

    return get_token_model().objects.filter(user=user).order_by("-created")
