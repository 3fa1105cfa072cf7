/* Dashboard charts (Apache ECharts, vendored) from the figures the page embeds,
   the villages' map as a scatter of their coordinates (no tile server), and
   sortable tables.

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
  function number(value) {
    return value === null || value === undefined || value === "" ? "—" : echarts.format.addCommas(value);
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
      params.forEach(function (p) { box.appendChild(line(p.color, seriesLabel(p), number(p.value))); });
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
  function bars(labels, values, horizontal) {
    var category = { type: "category", data: labels, axisLabel: { interval: 0, rotate: horizontal ? 0 : 35, fontSize: 10 } };
    var value = { type: "value" };
    return {
      tooltip: { trigger: "axis" },
      grid: { left: horizontal ? 110 : 40, right: 16, top: 16, bottom: horizontal ? 24 : 70 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign(category, { inverse: true, axisLabel: { fontSize: 10 } }) : value,
      series: [{ type: "bar", data: values }]
    };
  }
  var options = {
    category: function () {
      return { tooltip: { trigger: "item" }, series: [{ type: "pie", radius: ["35%", "65%"], data: data.category, label: { fontSize: 11 } }] };
    },
    status: function () { return bars(data.status.labels, data.status.values, true); },
    type: function () { return bars(data.type.labels, data.type.values, true); },
    kind: function () { return bars(data.kind.labels, data.kind.values, true); },
    children: function () {
      var option = bars(data.children.labels, data.children.values, false);
      option.yAxis.max = 100;
      return option;
    },
    trend: function (el) {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: [el.dataset.reports, el.dataset.disbursed], top: 0 },
        grid: { left: 44, right: 60, top: 30, bottom: 40 },
        xAxis: { type: "category", data: data.trend.labels, axisLabel: { fontSize: 10 } },
        yAxis: [{ type: "value" }, { type: "value" }],
        series: [
          { name: el.dataset.reports, type: "line", data: data.trend.reports },
          { name: el.dataset.disbursed, type: "bar", yAxisIndex: 1, data: data.trend.disbursed }
        ]
      };
    }
  };
  function start() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      make(el, options[el.dataset.chart](el));
    });
    document.querySelectorAll("[data-map]").forEach(function (el) {
      fetch(el.dataset.map, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
        make(el, {
          // A point is [longitude, latitude, completion %, code, name].
          tooltip: {
            formatter: function (p) {
              var box = node("div", "tip");
              var head = node("div", "tip-head", p.value[4]);
              head.appendChild(node("small", "tip-code", p.value[3]));
              box.appendChild(head);
              box.appendChild(line(p.color, el.dataset.label, p.value[2] === null ? "—" : p.value[2] + "%"));
              return box;
            }
          },
          grid: { left: 40, right: 16, top: 16, bottom: 30 },
          xAxis: { type: "value", scale: true, axisLabel: { fontSize: 9 } },
          yAxis: { type: "value", scale: true, axisLabel: { fontSize: 9 } },
          visualMap: { min: 0, max: 100, dimension: 2, orient: "horizontal", left: "center", bottom: 0, itemHeight: 80, inRange: { color: ["#e76f51", "#e9c46a", "#2f6b3b"] }, textStyle: { fontSize: 9 } },
          series: [{ type: "scatter", symbolSize: body.points.length > 2000 ? 2 : 6, data: body.points, large: body.points.length > 2000 }]
        });
        el.dataset.points = body.points.length;
      });
    });
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
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
