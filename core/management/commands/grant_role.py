"""python manage.py grant_role USERNAME ROLE REGION_CODE [--password P]"""
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from core.models import Role
from core.services import user_ensure_with_role


class Command(BaseCommand):
    help = "Create the user if needed and grant a role for a region (township_official, county_staff, supervisor, api_client)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help=", ".join(Role.values))
        parser.add_argument("region_code", help="the region's division code (9 digits for a township, 6 for a county, ...)")
        parser.add_argument("--password", help="set this password (at least 12 characters)")
        parser.add_argument("--name", default="", help="display name for a new user")

    def handle(self, *args, username, role, region_code, password, name, **options):
        try:
            user, created, assignment, granted = user_ensure_with_role(
                actor=None, username=username, role=role, region_code=region_code, password=password, display_name=name
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            ("Created user %s. " % user.username if created else "")
            + ("Granted %s for %s." if granted else "%s for %s was already granted.") % (role, assignment.region)
        )
