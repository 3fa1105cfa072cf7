// The dashboard's ECharts (static/js/dashboard.js): the same API under the global `echarts`, with only the chart
// types and components the dashboard draws. Adding a chart type there means adding it here and rebuilding
// (npm ci && npm run build, in tools/echarts/).
import * as echarts from "echarts/core";
import { BarChart, LineChart, MapChart, PieChart, ScatterChart } from "echarts/charts";
import {
  GeoComponent, GraphicComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart, LineChart, MapChart, PieChart, ScatterChart,
  GeoComponent, GraphicComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent,
  CanvasRenderer,
]);
window.echarts = echarts;
