"""The maintenance figures of villages and areas: on-time inspections, condition, open and overdue faults."""
import datetime
from decimal import Decimal

import pytest

from maintenance.selectors import maintenance_figures, village_maintenance
from tests.factories import AssetFactory, DoneInspectionFactory, FaultFactory, InspectionFactory, VillageFactory

TODAY = datetime.date(2026, 6, 15)
YEAR = {"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 12, 31), "today": TODAY}


@pytest.mark.django_db
def test_a_villages_figures_count_what_they_say():
    yucun = VillageFactory(code="330523108204")
    other = VillageFactory(code="330523108205")
    station = AssetFactory(village=yucun)
    road = AssetFactory(village=yucun, kind="road", unit="km")
    AssetFactory(village=yucun, status="retired", retired_on=datetime.date(2025, 1, 1))  # not counted
    DoneInspectionFactory(asset=station, due_on=datetime.date(2026, 3, 1), done_on=datetime.date(2026, 2, 27), condition=4)  # on time
    DoneInspectionFactory(asset=station, due_on=datetime.date(2026, 4, 1), done_on=datetime.date(2026, 4, 9), condition=2)  # late
    InspectionFactory(asset=station, due_on=datetime.date(2026, 6, 1))  # overdue
    InspectionFactory(asset=road, due_on=datetime.date(2026, 6, 20))  # not due yet: not expected
    DoneInspectionFactory(asset=road, due_on=datetime.date(2026, 5, 5), scheduled=False, condition=3)  # extra: done, not expected
    DoneInspectionFactory(asset=road, due_on=datetime.date(2025, 12, 1), condition=5)  # last year
    FaultFactory(asset=station, reported_on=datetime.date(2026, 6, 1), deadline=datetime.date(2026, 6, 8))  # open, overdue
    FaultFactory(asset=road, reported_on=datetime.date(2026, 6, 10), deadline=datetime.date(2026, 7, 10))  # open
    FaultFactory(asset=road, reported_on=datetime.date(2025, 6, 10), deadline=datetime.date(2025, 7, 10), status="verified",
                 repaired_on=datetime.date(2025, 7, 1), verified_on=datetime.date(2025, 7, 2))
    AssetFactory(village=other)

    figures = village_maintenance(yucun.code, **YEAR)
    assert figures.assets == 2 and figures.assets_by_kind == {"sewage_station": 1, "road": 1}
    assert (figures.inspections_expected, figures.inspections_on_time, figures.inspections_done) == (3, 1, 3)
    assert figures.on_time_rate == Decimal("33.3")
    assert figures.mean_condition == Decimal("3.00")
    assert figures.overdue_inspections == 1
    assert (figures.faults_reported, figures.open_faults, figures.overdue_faults) == (2, 2, 1)

    by_township = maintenance_figures(prefix="330523", group_length=9, **YEAR)
    assert set(by_township) == {"330523108"}
    assert by_township["330523108"].assets == 3
    assert village_maintenance(other.code, **YEAR).on_time_rate is None
