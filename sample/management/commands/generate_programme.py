"""python manage.py generate_programme --province 33 [--seed N] [--as-of YYYY-MM-DD]: a synthetic programme over the
real villages of a province, of several (--province 33,32) or of every province imported (--province all), marked as
scale-test data, then the dashboards' figures. For the whole nation the README's "The nation" gives a lighter
density (--projects-per-village 2 --reports-per-project 3) and what it measures."""
import time

from django.core.management.base import BaseCommand, CommandError

from dashboard.stats import rebuild
from sample.base import ReferenceDayRefused
from sample.management.guards import add_force_argument, refuse_in_production
from sample.management.options import add_as_of_argument
from sample.scale import SCALE_MARK, AlreadyGenerated, generate_programme
from villages.models import Region, RegionLevel


class Command(BaseCommand):
    help = ("Fill the real villages of one province, several, or all of them with a synthetic programme (about 10 "
            "projects per village by default) for benchmarks.")

    def add_arguments(self, parser):
        parser.add_argument("--province", default="33",
                            help="Province code (default 33, Zhejiang), several separated by commas (33,32), or 'all' "
                                 "for every province imported.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--projects-per-village", type=int, default=10)
        parser.add_argument("--reports-per-project", type=int, default=10)
        parser.add_argument("--if-missing", action="store_true",
                            help="Skip (and succeed for) the provinces whose data is there.")
        add_as_of_argument(parser)
        add_force_argument(parser)

    def handle(self, *args, province, seed, projects_per_village, reports_per_project, if_missing=False, as_of=None,
               force=False, **options):
        refuse_in_production("generate_programme", "it fills a province with synthetic projects and money", force=force)
        provinces = self._provinces(province)
        started = time.perf_counter()
        for code in provinces:
            if len(provinces) > 1:
                self.stdout.write(f"Province {code}:")
            try:
                result = generate_programme(
                    province=code, seed=seed, projects_per_village=projects_per_village,
                    reports_per_project=reports_per_project, today=as_of, log=self.stdout.write,
                )
            except ReferenceDayRefused as error:
                raise CommandError(str(error)) from None
            except AlreadyGenerated as error:
                if if_missing and "already" in str(error):
                    self.stdout.write(f"{error} Nothing to do.")
                    continue
                raise CommandError(str(error)) from None
            self.stdout.write(self.style.SUCCESS(
                f"Generated over {result.villages:,} villages in {result.seconds:.1f} s: "
                + ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
            ))
            self.stdout.write(self.style.WARNING(f"All of it is scale-test data ({SCALE_MARK}), not real figures."))
            count = rebuild(code)
            self.stdout.write(f"Dashboard figures rebuilt for {count:,} villages.")
        if len(provinces) > 1:
            self.stdout.write(f"{len(provinces)} provinces in {time.perf_counter() - started:.1f} s.")

    def _provinces(self, value: str) -> list[str]:
        if value.strip() == "all":
            codes = list(Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code").values_list("code", flat=True))
            if not codes:
                raise CommandError("No province is imported: run import_divisions first.")
            return codes
        codes = [code.strip() for code in value.split(",") if code.strip()]
        wrong = [code for code in codes if len(code) != 2 or not code.isdigit()]
        if wrong or not codes:
            raise CommandError(f"--province: {', '.join(wrong) or 'nothing'} is not a two-digit province code (or 'all').")
        return codes
