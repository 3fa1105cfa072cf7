"""python manage.py generate_programme --province 33 [--seed N] [--as-of YYYY-MM-DD]: a synthetic programme at
province scale over the real villages (scale-test data, marked as such), then the dashboards' figures."""
from django.core.management.base import BaseCommand, CommandError

from dashboard.stats import rebuild
from sample.base import ReferenceDayRefused
from sample.management.guards import add_force_argument, refuse_in_production
from sample.management.options import add_as_of_argument
from sample.scale import SCALE_MARK, AlreadyGenerated, generate_programme


class Command(BaseCommand):
    help = "Fill a province's real villages with a synthetic programme (about 10 projects per village) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--province", default="33", help="Province code (default 33, Zhejiang).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--projects-per-village", type=int, default=10)
        parser.add_argument("--reports-per-project", type=int, default=10)
        parser.add_argument("--if-missing", action="store_true", help="Do nothing (and succeed) when the data is there.")
        add_as_of_argument(parser)
        add_force_argument(parser)

    def handle(self, *args, province, seed, projects_per_village, reports_per_project, if_missing=False, as_of=None,
               force=False, **options):
        refuse_in_production("generate_programme", "it fills a province with synthetic projects and money", force=force)
        try:
            result = generate_programme(
                province=province, seed=seed, projects_per_village=projects_per_village,
                reports_per_project=reports_per_project, today=as_of, log=self.stdout.write,
            )
        except ReferenceDayRefused as error:
            raise CommandError(str(error)) from None
        except AlreadyGenerated as error:
            if if_missing and "already" in str(error):
                self.stdout.write(f"{error} Nothing to do.")
                return
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Generated over {result.villages:,} villages in {result.seconds:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
        ))
        self.stdout.write(self.style.WARNING(f"All of it is scale-test data ({SCALE_MARK}), not real figures."))
        count = rebuild(province)
        self.stdout.write(f"Dashboard figures rebuilt for {count:,} villages.")
