"""python manage.py import_divisions [FILE ...] [--province CODE]"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from villages.services import LEVELS, DivisionImportError, import_divisions

LABELS = {
    "province": "provinces", "city": "cities", "county": "counties", "township": "townships", "village": "villages",
}


class Command(BaseCommand):
    help = (
        "Create or update regions and villages from the statistical division codes (china-division CSV files). "
        "Without FILE, loads the Zhejiang data shipped in villages/data/divisions. The whole run is one "
        "transaction: any bad row stops it and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="*", type=Path, metavar="FILE",
            help="provinces/cities/areas/streets/villages .csv or .csv.gz files, in any order (the level is "
            "told by the header), or folders holding them",
        )
        parser.add_argument(
            "--province", metavar="CODE",
            help="import only rows whose code starts with this prefix (e.g. 33), and the regions above it",
        )

    def handle(self, *args, files, province, verbosity, **options):
        try:
            result = import_divisions(
                paths=files or None, province=province, stdout=self.stdout if verbosity >= 2 else None
            )
        except DivisionImportError as exc:
            raise CommandError(str(exc)) from exc

        show_skipped = any(c.skipped for c in result.counts.values())
        header = f"{'level':<10} {'created':>9} {'updated':>9} {'unchanged':>9}" + (
            f" {'skipped':>9}" if show_skipped else ""
        )
        if verbosity >= 1:
            self.stdout.write(header)
            for spec in LEVELS:
                c = result[spec.key]
                line = f"{LABELS[spec.key]:<10} {c.created:>9,} {c.updated:>9,} {c.unchanged:>9,}"
                self.stdout.write(line + (f" {c.skipped:>9,}" if show_skipped else ""))
        scope = f" (codes under {result.province})" if result.province else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(result.files)} file(s){scope} in {result.elapsed:.2f} s: "
                f"{result.created:,} created, {result.updated:,} updated, {result.unchanged:,} unchanged."
            )
        )
        if verbosity >= 2:
            self.stdout.write("Files: " + ", ".join(str(path) for path in result.files))
