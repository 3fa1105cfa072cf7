"""python manage.py rebuild_dashboard [PREFIX]: recompute the dashboards' summary tables
below a division code (everything by default). Run after bulk loads; the nightly task does the same."""
import time

from django.core.management.base import BaseCommand

from dashboard.stats import rebuild, rebuild_all


class Command(BaseCommand):
    help = "Recompute the dashboard summary tables below a division code (all by default)."

    def add_arguments(self, parser):
        parser.add_argument("prefix", nargs="?", default="", help="A division code: 33, 3305, 330523 ... (default: all)")

    def handle(self, *args, prefix="", **options):
        started = time.perf_counter()
        count = rebuild(prefix, analyze_after=True) if prefix else rebuild_all()  # all: a county per transaction
        self.stdout.write(self.style.SUCCESS(
            f"Dashboard figures rebuilt for {count:,} villages{' under ' + prefix if prefix else ''} "
            f"in {time.perf_counter() - started:.2f} s."
        ))
