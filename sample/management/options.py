"""The reference day of the commands that write sample or synthetic data: ``--as-of YYYY-MM-DD``."""
import argparse
import datetime


def reference_day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day as YYYY-MM-DD") from None


def add_as_of_argument(parser) -> None:
    parser.add_argument(
        "--as-of", type=reference_day, default=None, metavar="YYYY-MM-DD", dest="as_of",
        help="the reference day the data is dated as of (default today; not after today): projects, progress reports, "
             "money and assessment rounds are dated relative to it. A fixed day gives reproducible runs.",
    )
