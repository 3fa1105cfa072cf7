/* Dashboard charts (Apache ECharts, vendored) from the figures the page embeds,
   the map (county outlines from dashboard:outline, coloured by a chosen figure
   with drill-down by click above a county; within a county its villages'
   points inside its outline; no tile server), sortable tables, and the
   plan-against-actual panel (dashboard:targets), asked for once the page is shown.

   Numbers read as on the pages (core/templatetags/figures.py): thousands
   separators, money from 10,000 up in 万 on the axes.

   Tooltips are built as elements whose text is set with textContent: names come
   from data (a village's name is typed by people) and are never parsed as HTML.
   ECharts' own tooltip markup is not used either: it carries style="" attributes,
   which the Content-Security-Policy (no inline styles) refuses. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var palette = ["#2f6b3b", "#5b9a4a", "#a7c957", "#e9c46a", "#f4a261", "#e76f51", "#6c8ead", "#8d6e63", "#9e9e9e"];
  var charts = [];
  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }
  var units = data.units || { wan: "万", yuan: "元" };
  function number(value) {
    return value === null || value === undefined || value === "" ? "—" : echarts.format.addCommas(value);
  }
  // Two decimals, thousands separators: the template filter "money".
  function grouped(value, places) {
    return echarts.format.addCommas(Number(value).toFixed(places));
  }
  // An axis label: 0, 5,000, 2万, 1,500万 (short enough not to overlap on a phone).
  function axisMoney(value) {
    if (Math.abs(value) >= 10000) return echarts.format.addCommas(+(value / 10000).toFixed(2)) + units.wan;
    return echarts.format.addCommas(value);
  }
  // A money figure in a tooltip: the template filter "money_unit" (万元 from 100,000 yuan).
  function money(value) {
    if (value === null || value === undefined) return "—";
    if (Math.abs(value) >= 100000) return grouped(value / 10000, 2) + " " + units.wan + units.yuan;
    return grouped(value, 2) + " " + units.yuan;
  }
  // One line of a tooltip: the series' colour (set through the CSSOM, which the CSP allows), a label, a value.
  function line(color, label, value) {
    var row = node("div", "tip-row");
    var dot = node("span", "tip-dot");
    if (typeof color === "string") dot.style.backgroundColor = color;
    row.appendChild(dot);
    if (label) row.appendChild(node("span", "tip-label", label));
    row.appendChild(node("strong", "tip-value", value));
    return row;
  }
  // ECharts names a series without a name "series\0<n>": such a name is not shown.
  function seriesLabel(p) {
    return p.seriesName && p.seriesName.indexOf("series\u0000") !== 0 ? p.seriesName : "";
  }
  // The tooltip of every chart but the map: axis charts get the category as a heading and a line per
  // series; the pie a line with the slice's name, count and share.
  function tooltip(params) {
    var box = node("div", "tip");
    if (Array.isArray(params)) {
      if (params.length) box.appendChild(node("div", "tip-head", params[0].axisValueLabel));
      params.forEach(function (p) {
        var format = (p.data && p.data.money) || p.seriesId === "money" ? money : number;
        box.appendChild(line(p.color, seriesLabel(p), format(p.value)));
      });
    } else {
      box.appendChild(line(params.color, params.name, number(params.value) + (params.percent != null ? " (" + params.percent + "%)" : "")));
    }
    return box;
  }
  function make(el, option) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.color = palette;
    option.animation = false;
    if (option.tooltip) {
      option.tooltip.renderMode = "html";
      option.tooltip.className = "chart-tip";
      option.tooltip.confine = true;
      option.tooltip.formatter = option.tooltip.formatter || tooltip;
    }
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }
  // Bars; labels never overlap (hideOverlap) and the grid holds the labels (containLabel), so nothing is clipped.
  function bars(labels, values, horizontal, format) {
    var category = { type: "category", data: labels, axisLabel: { interval: horizontal ? 0 : "auto", rotate: horizontal ? 0 : 35, fontSize: 10, hideOverlap: true } };
    // Counts (no format given) step by whole numbers: no "0.3 projects" ticks.
    var value = { type: "value", splitNumber: 3, minInterval: format ? 0 : 1, axisLabel: { fontSize: 10, hideOverlap: true, formatter: format || number } };
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: horizontal ? 24 : 12, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign(category, { inverse: true, axisLabel: { fontSize: 10, width: 96, overflow: "truncate" } }) : value,
      series: [{ type: "bar", data: values, id: format === axisMoney ? "money" : undefined }]
    };
  }
  var options = {
    category: function () {
      return { tooltip: { trigger: "item" }, series: [{ type: "pie", radius: ["35%", "65%"], data: data.category, label: { fontSize: 11 } }] };
    },
    status: function () { return bars(data.status.labels, data.status.values, true); },
    type: function () { return bars(data.type.labels, data.type.values, true); },
    kind: function () { return bars(data.kind.labels, data.kind.values, true, axisMoney); },
    children: function () {
      var option = bars(data.children.labels, data.children.values, false, function (v) { return v + "%"; });
      option.yAxis.max = 100;
      option.yAxis.interval = 25;
      return option;
    },
    trend: function (el) {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: [el.dataset.reports, el.dataset.disbursed], top: 0 },
        grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.trend.labels, axisLabel: { fontSize: 10, hideOverlap: true, formatter: function (v) { return v.slice(2); } } },
        yAxis: [
          { type: "value", splitNumber: 3, minInterval: 1, axisLabel: { fontSize: 10, hideOverlap: true, formatter: number } },
          { type: "value", splitNumber: 3, splitLine: { show: false }, axisLabel: { fontSize: 10, hideOverlap: true, formatter: axisMoney } }
        ],
        series: [
          { name: el.dataset.reports, type: "line", data: data.trend.reports },
          { name: el.dataset.disbursed, type: "bar", yAxisIndex: 1, data: data.trend.disbursed, id: "money" }
        ]
      };
    }
  };
  // The page says "no data" over an empty map instead of empty axes.
  function emptyNote(el) {
    return { type: "text", left: "center", top: "middle", silent: true, style: { text: el.dataset.empty, fill: "#5b6b5a", fontSize: 14 } };
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
  }
  var RAMP = ["#e76f51", "#e9c46a", "#a7c957", "#2f6b3b"];
  var legendBox = { orient: "horizontal", left: "center", bottom: 0, itemWidth: 10, itemHeight: 120, calculable: false, textStyle: { fontSize: 10 } };
  // Above a county: its counties' outlines coloured by the figure chosen in [data-map-figure]; a click opens an area.
  function choropleth(el, body, mapName) {
    var select = document.querySelector("[data-map-figure]");
    var labels = {};
    body.geo.features.forEach(function (f) { labels[f.properties.name] = f.properties.label; });
    var chart = make(el, {});
    function draw() {
      var figure = select ? select.value : "completion";
      var option = select ? select.options[select.selectedIndex] : null;
      var unit = option ? option.dataset.unit : "%";
      var title = option ? option.textContent.trim() : el.dataset.label;
      var values = body.areas.map(function (a) { return { name: a.code, value: a[figure], label: a.name }; })
        .filter(function (a) { return a.value !== null && a.value !== undefined; });
      var max = figure === "overdue" ? Math.max(1, Math.max.apply(null, values.map(function (a) { return a.value; }).concat([0]))) : 100;
      chart.setOption({
        tooltip: {
          renderMode: "html", className: "chart-tip", confine: true,
          formatter: function (p) {
            var box = node("div", "tip");
            box.appendChild(node("div", "tip-head", labels[p.name] || p.name));
            box.appendChild(line(p.color, title, p.value === undefined || isNaN(p.value) ? "—" : number(p.value) + unit));
            return box;
          }
        },
        visualMap: Object.assign({ min: 0, max: max, text: [number(max) + unit, "0" + unit], inRange: { color: figure === "overdue" ? RAMP.slice().reverse() : RAMP }, formatter: function (v) { return number(Math.round(v)) + unit; } }, legendBox),
        graphic: values.length ? [] : [emptyNote(el)],
        series: [{
          type: "map", map: mapName, top: 8, bottom: 40, left: 4, right: 4, selectedMode: false,
          itemStyle: { areaColor: "#eceff1", borderColor: "#ffffff", borderWidth: 1 },
          emphasis: { label: { show: true }, itemStyle: { areaColor: "#6c8ead" } },
          label: { show: body.geo.features.length <= 20, fontSize: 10, color: "#1f2933", formatter: function (p) { return labels[p.name] || ""; } },
          labelLayout: { hideOverlap: true },
          data: values
        }]
      }, { replaceMerge: ["series", "graphic"] });
    }
    draw();
    if (select) select.addEventListener("change", draw);
    chart.on("click", function (p) {
      if (p.name && labels[p.name]) window.location.href = el.dataset.drill.replace("000000", p.name);
    });
    el.dataset.areas = body.areas.length;
  }
  // A county or a township: its county's outline and the villages' points inside, coloured by completion.
  function villagePoints(el, body, mapName) {
    getJSON(el.dataset.map).then(function (points) {
      var chart = make(el, {
        // A point is [longitude, latitude, completion %, code, name].
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            if (!Array.isArray(p.value)) return node("div", "tip", p.name);
            var box = node("div", "tip");
            var head = node("div", "tip-head", p.value[4]);
            head.appendChild(node("small", "tip-code", p.value[3]));
            box.appendChild(head);
            box.appendChild(line(p.color, el.dataset.label, p.value[2] === null ? "—" : p.value[2] + "%"));
            return box;
          }
        },
        geo: {
          map: mapName, top: 8, bottom: 40, left: 4, right: 4, roam: false, silent: true,
          itemStyle: { areaColor: "#f1f5ee", borderColor: "#7a8f73", borderWidth: 1 },
          label: { show: body.geo.features.length > 1, fontSize: 10, color: "#5b6b5a", formatter: function (p) {
            var f = body.geo.features.filter(function (x) { return x.properties.name === p.name; })[0];
            return f ? f.properties.label : "";
          } }
        },
        visualMap: Object.assign({ min: 0, max: 100, text: ["100%", "0%"], dimension: 2, seriesIndex: 0, inRange: { color: RAMP }, formatter: function (v) { return Math.round(v) + "%"; } }, legendBox),
        graphic: points.points.length ? [] : [emptyNote(el)],
        series: [{
          type: "scatter", coordinateSystem: "geo", symbolSize: points.points.length > 2000 ? 3 : 8,
          large: points.points.length > 2000, data: points.points, itemStyle: { borderColor: "#ffffff", borderWidth: 0.5 }
        }]
      });
      chart.on("click", function (p) {
        if (Array.isArray(p.value)) window.location.href = el.dataset.drill.replace("000000", p.value[3]);
      });
      el.dataset.points = points.points.length;
    });
  }
  function drawMap(el) {
    getJSON(el.dataset.outline).then(function (body) {
      var mapName = "qiancun-" + el.dataset.outline;
      echarts.registerMap(mapName, body.geo);
      el.dataset.outlines = body.geo.features.length;
      if (body.drill) choropleth(el, body, mapName); else villagePoints(el, body, mapName);
    });
  }
  function drawChart(el) {
    make(el, options[el.dataset.chart](el));
  }
  // Each chart and the map is drawn when it comes near the screen, each in a task of its own: a phone draws
  // what is in view first and stays responsive (drawing all six charts and the map at once blocked a slow phone's
  // main thread for about a second: Lighthouse, make bench). Without IntersectionObserver, all at once.
  function whenNear(el, draw) {
    if (!("IntersectionObserver" in window)) { draw(el); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        seen.disconnect();
        el.dataset.near = "1";
        setTimeout(function () { draw(el); }, 0);
      });
    }, { rootMargin: "200px 0px" });
    seen.observe(el);
  }
  function start() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (el) { whenNear(el, drawChart); });
    document.querySelectorAll("[data-outline]").forEach(function (el) { whenNear(el, drawMap); });
    // A tooltip shown before the window changed size (a phone turned) would stay where it was: hide it.
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.dispatchAction({ type: "hideTip" }); c.resize(); }); });
  }
  // Sortable tables: click a header to sort by that column (numbers by data-value).
  document.querySelectorAll("table.sortable th[data-sort]").forEach(function (th, index) {
    th.tabIndex = 0;
    th.addEventListener("click", function () {
      var body = th.closest("table").tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = th.dataset.sort === "num";
      var dir = th.dataset.dir === "asc" ? -1 : 1;
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      rows.sort(function (a, b) {
        var x = a.cells[index], y = b.cells[index];
        if (!x || !y) return 0;
        var vx = numeric ? parseFloat(x.dataset.value) : x.textContent.trim();
        var vy = numeric ? parseFloat(y.dataset.value) : y.textContent.trim();
        return (vx > vy ? 1 : vx < vy ? -1 : 0) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  // Plan against actual comes in its own request (dashboard:targets): the page shows without waiting for it, and the
  // panel replaces the link it holds. Without the script, or if the request fails, the link opens the panel's page.
  document.querySelectorAll("[data-panel]").forEach(function (section) {
    fetch(section.dataset.panel, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
      .then(function (html) {
        var panel = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html").body;
        section.replaceChildren.apply(section, Array.prototype.slice.call(panel.childNodes));
        if (location.hash === "#" + section.id) section.scrollIntoView();
      })
      .catch(function () { /* the link stays */ })
      .then(function () { section.removeAttribute("aria-busy"); });
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
