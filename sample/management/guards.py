"""Commands that write sample or synthetic data refuse to run on a production server unless forced."""
from django.conf import settings
from django.core.management.base import CommandError


def add_force_argument(parser) -> None:
    parser.add_argument(
        "--force", action="store_true",
        help="run even though DEBUG is off (a production server): only on a server meant for demonstrations or tests",
    )


def refuse_in_production(command: str, what: str, *, force: bool) -> None:
    """Raise CommandError when the process started with DEBUG off (settings.DEVELOPMENT_MODE) and --force is absent."""
    if force or getattr(settings, "DEVELOPMENT_MODE", False):
        return
    raise CommandError(
        f"{command} refused: DEBUG is off, so this looks like a production server, and {what}. "
        f"Run it with DEBUG=1 on a development machine, or add --force if this server is meant for it."
    )
