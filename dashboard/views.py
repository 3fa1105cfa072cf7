"""Dashboards: /dashboard/<code>/ for any region in the user's scope, its map points and its figures as XLSX."""
import io

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from core import scoping
from core.replica import replica_reads_view
from core.views import portal_view
from core.workbook import AUTO, DECIMAL1, INTEGER, MONEY, TEXT, Column, Workbook
from villages import outlines
from villages.models import Region
from villages.selectors import home_regions, sample_notice

from . import selectors
from .targets import creation_progress, plan_share, target_progress


def _region(request, code):
    return get_object_or_404(scoping.restrict(Region.objects.all(), request.user), code=code)


@replica_reads_view
@portal_view
def home(request):
    regions = home_regions(user=request.user)
    if not regions:
        return redirect("home")
    return redirect("dashboard:region", code=regions[0].code)


@replica_reads_view
@portal_view
def region_dashboard(request, code):
    if len(code) == 12:
        return redirect("villages:detail", code=code)
    region = _region(request, code)
    return _dashboard_page(request, region)


@replica_reads_view
@portal_view
def nation_dashboard(request):
    """The whole nation's figures, by province (全国): for users whose scope is the whole country, today superusers
    only (no role of the portal is held above a province); a 404 for everyone else, as a region outside one's scope.
    No map (the boundary data has no national outline), no targets panel (targets are set from the province down)
    and no export: the figures, the provinces and the lists, from the counties' summary rows."""
    if not scoping.is_unrestricted(request.user):
        raise Http404
    return _dashboard_page(request, selectors.nation())


def _dashboard_page(request, region):
    board = selectors.dashboard(user=request.user, region=region)
    charts = _charts(board)
    charts["units"] = {"wan": _("10k"), "yuan": _("yuan")}
    titles = [("category", _("Villages by category")), ("status", _("Projects by status")), ("type", _("Projects by type")),
              ("children", _("Completion by area")), ("kind", _("Money by source kind")), ("trend", _("Last 12 months"))]
    cards = [(name, title, _empty(charts[name])) for name, title in titles]
    return render(request, "dashboard/dashboard.html", {
        "board": board, "region": region, "charts": charts, "chart_cards": cards, "outline_note": _outline_note(region) if region.code else {},
        "notice": sample_notice(region.code),
        # Plan against actual comes in its own request (dashboard:targets), which the page's script puts in place.
        "targets_url": _targets_url(region.code, request) if region.code else None,
        # Above the provinces: the national figures, for a user whose scope is the whole country.
        "nation_url": reverse("dashboard:nation") if len(region.code) == 2 and scoping.is_unrestricted(request.user) else None,
    })


@replica_reads_view
@portal_view
def region_targets(request, code):
    """Plan against actual (规划目标完成情况) of a region: its targets of the year beside what was accepted, the areas
    below (behind schedule first), the in-plan share of its projects and the creation lists (创建名单). A page of its
    own, and the dashboard's panel: the dashboard's script asks for it (``X-Requested-With: fetch``) and gets the
    panel alone. Six queries at every scope, one of them the region."""
    region = _region(request, code)
    year = _year(request)
    partial = request.headers.get("X-Requested-With") == "fetch"
    context = {
        "region": region,
        "targets": target_progress(user=request.user, code=region.code, year=year),
        "plan_share": plan_share(user=request.user, code=region.code),
        "creation": creation_progress(user=request.user, code=region.code, year=year),
        "target_years": _years_around(year),
        # The year form stays where it is: on the dashboard, the dashboard (which loads the panel of that year).
        "year_action": reverse("dashboard:region", args=[region.code]) if partial else request.path,
    }
    response = render(request, "dashboard/_targets.html" if partial else "dashboard/targets.html", context)
    patch_vary_headers(response, ["X-Requested-With"])
    return response


def _targets_url(code: str, request) -> str:
    """The panel of the year the dashboard was asked for (``?year=``), if any."""
    url = reverse("dashboard:targets", args=[code])
    year = request.GET.get("year", "")
    return f"{url}?year={year}" if year.isdigit() and 2003 <= int(year) <= 2100 else url


def _year(request) -> int:
    """``?year=`` (2003-2100), or this year."""
    value = request.GET.get("year", "")
    if value.isdigit() and 2003 <= int(value) <= 2100:
        return int(value)
    return timezone.localdate().year


def _years_around(year: int) -> list[int]:
    this_year = timezone.localdate().year
    return sorted({*range(this_year - 4, this_year + 2), year}, reverse=True)


def _num(value):
    return None if value is None else float(value)


def _empty(figures) -> bool:
    """Whether a chart has nothing to draw (every value zero or missing): the page says so instead of empty axes."""
    if isinstance(figures, list):
        values = [f["value"] for f in figures]
    else:
        values = [v for key, series in figures.items() if key != "labels" for v in series]
    return not any(values)


def _map_counties(region) -> list[str]:
    """The counties whose outlines the region's map draws: every county below a province or a city; a county's
    own (a township: its county's); a county with no outline of its own: its city's, for context."""
    code = region.code
    names = outlines.county_names()
    if len(code) <= 4:
        return [c for c in names if c.startswith(code)]
    county = code[:6]
    if outlines.outlined([county]):
        return [county]
    return [c for c in names if c.startswith(code[:4])]


def _outline_note(region) -> dict:
    """Which regions of the map have no outline, or an old one (shown on the page, under the map)."""
    names = outlines.county_names()
    codes = [c for c in names if c.startswith(region.code[:6])] if len(region.code) > 4 else _map_counties(region)
    return {
        "missing": [names[c] for c in codes if c in outlines.MISSING],
        "approximate": [names[c] for c in codes if c in outlines.APPROXIMATE],
    }


def _charts(board) -> dict:
    """The figures each chart draws, JSON-ready (the page embeds them with json_script)."""
    return {
        "category": [{"name": label, "value": n} for _c, label, n in board.by_category],
        "status": {"labels": [label for _s, label, _n in board.by_status], "values": [n for *_x, n in board.by_status]},
        "type": {"labels": [label for _t, label, _n in board.by_type], "values": [n for *_x, n in board.by_type]},
        "kind": {"labels": [label for _k, label, _a in board.by_kind], "values": [_num(a) for *_x, a in board.by_kind]},
        "children": {"labels": [c.name for c in board.children], "values": [_num(c.completion) for c in board.children]},
        "trend": {
            "labels": [m["month"].strftime("%Y-%m") for m in board.trend],
            "reports": [m["reports"] for m in board.trend],
            "disbursed": [_num(m["disbursed"]) for m in board.trend],
        },
    }


@replica_reads_view
@portal_view
def map_points(request, code):
    region = _region(request, code)
    response = JsonResponse({"points": selectors.map_points(user=request.user, region=region)})
    response["Cache-Control"] = "private, max-age=300"
    return response


@replica_reads_view
@portal_view
def outline(request, code):
    """The outlines the region's map draws (compressed GeoJSON, each county named by its code) and, below a
    province or a city, each county's figures for the colours. At most one query."""
    region = _region(request, code)
    counties = _map_counties(region)
    names = outlines.county_names()
    areas = []
    if len(region.code) <= 4:
        for c in selectors.county_figures(user=request.user, region=region):
            areas.append({
                "code": c.code, "name": names.get(c.code, c.code), "villages": c.villages,
                "completion": _num(c.completion), "overdue": c.overdue_projects,
                "execution": None if c.execution_rate is None else round(float(c.execution_rate) * 100, 1),
            })
    response = JsonResponse({
        "geo": outlines.feature_collection(counties),
        "areas": areas,
        "drill": len(region.code) <= 4,
        "missing": [names[c] for c in counties if c in outlines.MISSING],
    })
    response["Cache-Control"] = "private, max-age=300"
    return response


@replica_reads_view
@portal_view
def export(request, code):
    """Every chart's figures, one sheet each."""
    region = _region(request, code)
    board = selectors.dashboard(user=request.user, region=region)
    out = io.BytesIO()
    book = Workbook(out, constant_memory=False, notice=sample_notice(region.code))

    def sheet(title, columns, rows):
        ws = book.add_sheet(title, [Column(str(name), style, width) for name, style, width in columns])
        ws.header()
        for row in rows:
            ws.append(row)
        ws.close()

    t = board.totals
    sheet(_("Summary"), [(_("figure"), TEXT, 30), (_("value"), AUTO, 18)], [
        (_("villages"), t.villages), (_("projects"), t.projects), (_("completion (%)"), t.completion),
        (_("overdue projects"), t.overdue_projects), (_("villages with no report in 30 days"), t.stale_villages),
        (_("budget"), t.budget), (_("allocated"), t.allocated), (_("disbursed"), t.disbursed),
        (_("execution rate"), t.execution_rate), (_("leverage ratio"), t.leverage_ratio),
        (_("open follow-ups"), board.open_follow_ups),
    ])
    sheet(_("Villages by category"), [(_("category"), TEXT, 16), (_("villages"), INTEGER, 10)],
          [(label, n) for _c, label, n in board.by_category])
    sheet(_("Projects by status"), [(_("status"), TEXT, 16), (_("projects"), INTEGER, 10)],
          [(label, n) for _s, label, n in board.by_status])
    sheet(_("Projects by type"), [(_("project type"), TEXT, 16), (_("projects"), INTEGER, 10)],
          [(label, n) for _t, label, n in board.by_type])
    sheet(_("Money by source kind"), [(_("kind"), TEXT, 20), (_("allocated"), MONEY, 18)],
          [(label, amount) for _k, label, amount in board.by_kind])
    sheet(_("Monthly trend"), [(_("month"), TEXT, 10), (_("progress reports"), INTEGER, 12), (_("disbursed"), MONEY, 18)],
          [(m["month"].strftime("%Y-%m"), m["reports"], m["disbursed"]) for m in board.trend])
    sheet(_("Areas below"), [(_("code"), TEXT, 14), (_("name"), TEXT, 16), (_("villages"), INTEGER, 9), (_("projects"), INTEGER, 9),
                             (_("completion (%)"), DECIMAL1, 11), (_("overdue projects"), INTEGER, 10), (_("budget"), MONEY, 16),
                             (_("allocated"), MONEY, 16), (_("disbursed"), MONEY, 16), (_("execution rate"), AUTO, 11)],
          [(c.code, c.name, c.villages, c.projects, c.completion, c.overdue_projects, c.budget, c.allocated, c.disbursed,
            c.execution_rate) for c in board.children])
    sheet(_("Ranking"), [(_("rank"), AUTO, 6), (_("village"), TEXT, 14), (_("code"), TEXT, 14), (_("total score"), DECIMAL1, 9),
                         (_("grade"), TEXT, 8)],
          [(i, a.village.short_name, a.village_id, a.total_score, a.get_grade_display()) for i, a in enumerate(board.top, 1)]
          + [("↓", a.village.short_name, a.village_id, a.total_score, a.get_grade_display()) for a in board.bottom])
    book.close()
    response = HttpResponse(out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{region.code}-{timezone.localdate():%Y%m%d}.xlsx"'
    return response
