"""python manage.py seed_demo [--county 330523] [--seed N] [--as-of YYYY-MM-DD]"""
import time

from django.core.management.base import BaseCommand, CommandError

from sample.demo import (
    DEFAULT_COUNTY,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DEMO_SUPERUSER,
    DEMO_USERS,
    SAMPLE_MARK,
    DemoDataMissing,
    ReferenceDayRefused,
    seed_demo,
)
from sample.management.guards import add_force_argument, refuse_in_production
from sample.management.options import add_as_of_argument
from sample.people import other_accounts_line


class Command(BaseCommand):
    help = (
        "Seed a sample programme (projects, funding, assessments, demo users) on the real villages of a county "
        "loaded by import_divisions. Every figure is invented sample data, dated as of today (or --as-of). "
        "Deterministic for a seed and a reference day; a second run for the same county writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--county", default=DEFAULT_COUNTY, metavar="CODE",
            help=f"six-digit county code (default {DEFAULT_COUNTY}, 安吉县)",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        add_as_of_argument(parser)
        add_force_argument(parser)

    def handle(self, *args, county, seed, verbosity, as_of=None, force=False, **options):
        refuse_in_production(
            "seed_demo", f"it creates sample projects and demo accounts with the published password {DEMO_PASSWORD!r}",
            force=force,
        )
        started = time.monotonic()
        try:
            counts = seed_demo(county_code=county, seed=seed, as_of=as_of)
        except (DemoDataMissing, ReferenceDayRefused) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        created = counts.pop("created")
        reference_day = counts.pop("as_of")
        if created:
            self.stdout.write(self.style.SUCCESS(
                f"Seeded the sample programme of county {county}, dated as of {reference_day:%Y-%m-%d}, in {elapsed:.2f} s."
            ))
        else:
            self.stdout.write(
                self.style.WARNING(f"County {county} already has its sample programme: nothing written.")
            )
        if verbosity >= 1:
            width = max(len(key) for key in counts)
            for key, value in counts.items():
                self.stdout.write(f"  {key:<{width}} {value:>8,}")
        self.stdout.write(
            self.style.WARNING(
                f"All projects, amounts, scores and names are sample data ({SAMPLE_MARK}): not real figures. "
                "Reports and exports covering the county say so."
            )
        )
        if verbosity >= 1:
            self.stdout.write(
                f"Demo users (password {DEMO_PASSWORD!r}, for demonstrations only; "
                "accounts that existed before were left unchanged):"
            )
            for username, role, region, name in DEMO_USERS:
                self.stdout.write(f"  {username:<24} {role:<18} {region:<10} {name}")
            self.stdout.write(f"  {DEMO_SUPERUSER[0]:<24} {'superuser':<18} {'':<10} {DEMO_SUPERUSER[1]}")
            others = other_accounts_line()
            if others:
                self.stdout.write(others)

