"""Print the demo logins (what `make run` shows before serving)."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from sample.demo import DEMO_KEEPER, DEMO_PASSWORD, DEMO_SUPERUSER, DEMO_USERS
from sample.people import other_accounts_line


class Command(BaseCommand):
    help = "List the demo users that exist in this database, with their roles and the demo password."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/",
                            help="Where the server listens (`make run` passes http://$(HOST):$(PORT)/).")

    def handle(self, *args, **options):
        existing = set(
            get_user_model().objects.filter(username__in=[u for u, *_ in DEMO_USERS] + [DEMO_SUPERUSER[0], DEMO_KEEPER[0]])
            .values_list("username", flat=True)
        )
        if not existing:
            self.stdout.write("No demo users in this database (run `python manage.py seed_demo`).")
            return
        self.stdout.write("")
        self.stdout.write(f"Qiancun is starting at {options['url']}  (sample data, 示例数据)")
        self.stdout.write(f"Demo logins, all with the password {DEMO_PASSWORD}:")
        for username, role, region, name in [*DEMO_USERS, (DEMO_SUPERUSER[0], "superuser", "", DEMO_SUPERUSER[1])]:
            if username in existing:
                self.stdout.write(f"  {username:<24} {role:<18} {region:<10} {name}")
        if DEMO_KEEPER[0] in existing:  # no role: a keeper with a portal account sees the villages of their assets
            self.stdout.write(f"  {DEMO_KEEPER[0]:<24} {'keeper':<18} {DEMO_KEEPER[2]:<10} {DEMO_KEEPER[1]}")
        others = other_accounts_line()
        if others:
            self.stdout.write(others)
        self.stdout.write("")
