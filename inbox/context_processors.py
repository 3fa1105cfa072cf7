"""The header's 消息 (n): the signed-in user's unread messages, from the cache (no query on most pages)."""


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {"inbox_unread": 0}
    from .selectors import unread_count

    # A callable: the template calls it when it shows the badge (pages without the header pay nothing).
    return {"inbox_unread": lambda: unread_count(user)}
