// Charts as PNG data URIs, drawn by Chart.js in Node (chartjs-node-canvas). Timeline charts
// shade every nemesis fault window, as Jepsen's performance plots do, so a latency spike
// or a throughput gap can be read against the fault that caused it.

import type { ChartConfiguration, Plugin, Point } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { findFaultKind } from '../nemesis/kinds/index.ts';
import type { ScenarioResult } from '../runner/property.ts';
import { statsTotals, type FaultWindow, type TimeSeries } from './series.ts';

export interface ChartImage {
  title: string;
  /** text alternative: what the chart shows, in words */
  alt: string;
  dataUri: string;
  width: number;
  height: number;
}

const WIDTH = 960;
const COLOURS = {
  runs: '#4e79a7',
  failing: '#e15759',
  unknown: '#8250df',
  goals: '#59a14f',
  applied: '#4e79a7',
  stale: '#f28e2b',
  duplicate: '#b07aa1',
  p50: '#4e79a7',
  p95: '#f28e2b',
  p99: '#e15759',
  completed: '#59a14f',
  otherTerminal: '#9c755f',
};

/** A fault kind's colour, as its module says (nemesis/kinds/: network toxics, link down, process death, pause, Redis); orange for a kind without one. */
export function faultColour(fault: string): string {
  return findFaultKind(fault)?.colour ?? '#ff7f0e';
}

function rgba(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

const renderers = new Map<string, ChartJSNodeCanvas>();

function renderer(width: number, height: number): ChartJSNodeCanvas {
  const key = `${width}x${height}`;
  let r = renderers.get(key);
  if (!r) {
    r = new ChartJSNodeCanvas({
      width,
      height,
      backgroundColour: 'white',
      chartCallback: (chart) => {
        chart.defaults.font.size = 12;
        chart.defaults.color = '#333';
      },
    });
    renderers.set(key, r);
  }
  return r;
}

async function render(config: ChartConfiguration, title: string, alt: string, height: number): Promise<ChartImage> {
  const png = await renderer(WIDTH, height).renderToBuffer(config, 'image/png');
  return { title, alt, dataUri: `data:image/png;base64,${png.toString('base64')}`, width: WIDTH, height };
}

/** Shades each fault window over the plot area and labels it; labels of overlapping windows take separate lanes. */
function faultShading(windows: readonly FaultWindow[]): Plugin {
  return {
    id: 'faultShading',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea: area } = chart;
      const x = chart.scales.x;
      if (!x || windows.length === 0) return;
      const clampX = (px: number) => Math.min(area.right, Math.max(area.left, px));
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.font = '11px sans-serif';
      ctx.textBaseline = 'top';
      const laneEnds: number[] = [];
      for (const w of windows) {
        const x0 = clampX(x.getPixelForValue(w.start / 1000));
        const x1 = Math.max(clampX(x.getPixelForValue(w.end / 1000)), x0 + 2);
        const colour = faultColour(w.fault);
        ctx.fillStyle = rgba(colour, 0.15);
        ctx.fillRect(x0, area.top, x1 - x0, area.bottom - area.top);
        ctx.strokeStyle = rgba(colour, 0.75);
        ctx.lineWidth = 1;
        for (const [px, dashed] of [[x0, false], [x1, !w.healed]] as const) {
          ctx.setLineDash(dashed ? [4, 3] : []);
          ctx.beginPath();
          ctx.moveTo(px + 0.5, area.top);
          ctx.lineTo(px + 0.5, area.bottom);
          ctx.stroke();
        }
        ctx.setLineDash([]);
        const label = `#${w.stepId} ${w.fault} ${w.target}${w.healed ? '' : ' (not healed)'}`;
        const textWidth = ctx.measureText(label).width;
        let lane = laneEnds.findIndex((end) => end < x0);
        if (lane < 0) lane = laneEnds.push(0) - 1;
        laneEnds[lane] = x0 + 3 + textWidth + 6;
        ctx.fillStyle = 'rgba(255, 255, 255, 0.75)';
        ctx.fillRect(x0 + 1, area.top + 2 + lane * 14, textWidth + 4, 13);
        ctx.fillStyle = colour;
        ctx.fillText(label, x0 + 3, area.top + 3 + lane * 14);
      }
      ctx.restore();
    },
  };
}

/** Writes each bar's value (or a custom label) above it, so small bars beside large ones stay readable. */
function barValueLabels(labelOf: (datasetIndex: number, index: number, value: number) => string): Plugin {
  return {
    id: 'barValueLabels',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea: area } = chart;
      ctx.save();
      ctx.font = '11px sans-serif';
      ctx.fillStyle = '#333';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      chart.data.datasets.forEach((ds, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        meta.data.forEach((el, i) => {
          const value = Number(ds.data[i] ?? 0);
          const { x, y } = el.getProps(['x', 'y'], true) as { x: number; y: number };
          const top = Number.isFinite(y) ? Math.min(y, area.bottom) : area.bottom;
          ctx.fillText(labelOf(di, i, value), x, top - 2);
        });
      });
      ctx.restore();
    },
  };
}

/** (1) Runs, failing runs, unknown (undecided) runs and coverage goals met, per scenario. */
export function runsChart(scenarios: readonly ScenarioResult[]): Promise<ChartImage> {
  const goalsMet = scenarios.map((s) => s.goals.filter((g) => g.metInRuns > 0).length);
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: scenarios.map((s) => s.scenario),
      datasets: [
        { label: 'runs', data: scenarios.map((s) => s.runs), backgroundColor: COLOURS.runs },
        { label: 'failing runs', data: scenarios.map((s) => s.failedRuns), backgroundColor: COLOURS.failing },
        { label: 'unknown runs', data: scenarios.map((s) => s.unknownRuns ?? 0), backgroundColor: COLOURS.unknown },
        { label: 'coverage goals met', data: goalsMet, backgroundColor: COLOURS.goals },
      ],
    },
    options: {
      plugins: { title: { display: true, text: 'Runs, failing and unknown runs, coverage goals met per scenario' }, legend: { position: 'bottom' } },
      scales: { y: { beginAtZero: true, grace: '12%', title: { display: true, text: 'count' } } },
    },
    plugins: [barValueLabels((di, i, v) => (di === 3 ? `${v}/${scenarios[i].goals.length}` : String(v)))],
  };
  const alt = scenarios.map((s, i) => `${s.scenario}: ${s.runs} runs, ${s.failedRuns} failing, ${s.unknownRuns ?? 0} unknown, ${goalsMet[i]}/${s.goals.length} goals met`).join('; ');
  return render(config, 'Runs per scenario', alt, 320);
}

/** (3) Transitions applied, stale events ignored and duplicate executions, per scenario (log scale). */
export function eventsChart(scenarios: readonly ScenarioResult[]): Promise<ChartImage> {
  const totals = scenarios.map((s) => statsTotals(s.records));
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: scenarios.map((s) => s.scenario),
      datasets: [
        { label: 'transitions applied', data: totals.map((t) => t.transitionsApplied), backgroundColor: COLOURS.applied },
        { label: 'stale events ignored', data: totals.map((t) => t.staleIgnored), backgroundColor: COLOURS.stale },
        { label: 'duplicate executions', data: totals.map((t) => t.duplicateExecutions), backgroundColor: COLOURS.duplicate },
      ],
    },
    options: {
      plugins: { title: { display: true, text: 'Transitions applied, stale events ignored, duplicate executions (all runs)' }, legend: { position: 'bottom' } },
      layout: { padding: { top: 22 } },
      scales: { y: { type: 'logarithmic', min: 0.5, ticks: { callback: (v) => (Number.isInteger(Number(v)) ? Number(v).toLocaleString('en') : '') }, title: { display: true, text: 'count (log scale)' } } },
    },
    plugins: [barValueLabels((_di, _i, v) => String(v))],
  };
  const alt = scenarios.map((s, i) => `${s.scenario}: ${totals[i].transitionsApplied} applied, ${totals[i].staleIgnored} stale ignored, ${totals[i].duplicateExecutions} duplicate executions`).join('; ');
  return render(config, 'Keeper events per scenario', alt, 320);
}

const seconds = (ms: number) => ms / 1000;

function timeAxis(series: TimeSeries) {
  return { type: 'linear' as const, min: 0, max: seconds(series.spanMs), title: { display: true, text: 'seconds since run start (shaded: fault windows)' } };
}

function faultAlt(windows: readonly FaultWindow[]): string {
  if (windows.length === 0) return 'no fault windows';
  return `fault windows: ${windows.map((w) => `#${w.stepId} ${w.fault} on ${w.target} ${seconds(w.start).toFixed(2)}–${seconds(w.end).toFixed(2)} s`).join(', ')}`;
}

/** (2a) Job latency p50/p95/p99 per time window of one run, fault windows shaded. */
export function latencyChart(scenario: string, runIndex: number, series: TimeSeries, windows: readonly FaultWindow[]): Promise<ChartImage> {
  const mid = (i: number) => seconds(series.starts[i] + series.windowMs / 2);
  // NaN leaves a gap: a window in which no job finished has no latency
  const points = (pick: 'p50' | 'p95' | 'p99'): Point[] => series.latency.map((q, i) => ({ x: mid(i), y: q ? q[pick] : Number.NaN }));
  const values = series.latency.flatMap((q) => (q ? [q.p50, q.p99] : []));
  const positive = values.filter((v) => v > 0);
  const logScale = positive.length === values.length && positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 30;
  const line = (label: 'p50' | 'p95' | 'p99') => ({
    label, data: points(label), borderColor: COLOURS[label], backgroundColor: COLOURS[label], pointRadius: 2.5, borderWidth: 1.5, spanGaps: false,
  });
  const config: ChartConfiguration = {
    type: 'line',
    data: { datasets: [line('p50'), line('p95'), line('p99')] },
    options: {
      plugins: {
        title: { display: true, text: `${scenario} — run ${runIndex}: job latency by completion time (${series.windowMs} ms windows)` },
        legend: { position: 'bottom' },
      },
      scales: {
        x: timeAxis(series),
        y: logScale
          ? { type: 'logarithmic', title: { display: true, text: 'latency, ms (log scale)' } }
          : { type: 'linear', beginAtZero: true, grace: '25%', title: { display: true, text: 'latency, ms' } },
      },
    },
    plugins: [faultShading(windows)],
  };
  const samples = series.latency.reduce((n, q) => n + (q?.samples ?? 0), 0);
  return render(config, `Latency — ${scenario}, run ${runIndex}`, `latency quantiles of ${samples} jobs over ${series.latency.length} windows; ${faultAlt(windows)}`, 300);
}

/** (2b) Completed (and failed or cancelled) jobs per second of one run, fault windows shaded. */
export function throughputChart(scenario: string, runIndex: number, series: TimeSeries, windows: readonly FaultWindow[]): Promise<ChartImage> {
  const mid = (i: number) => seconds(series.starts[i] + series.windowMs / 2);
  const config: ChartConfiguration = {
    type: 'line',
    data: {
      datasets: [
        {
          label: 'completed jobs / s', data: series.completedPerSec.map((y, i) => ({ x: mid(i), y })),
          borderColor: COLOURS.completed, backgroundColor: rgba(COLOURS.completed, 0.25), fill: 'origin', pointRadius: 1.5, borderWidth: 1.5,
        },
        {
          label: 'failed or cancelled jobs / s', data: series.failedOrCancelledPerSec.map((y, i) => ({ x: mid(i), y })),
          borderColor: COLOURS.otherTerminal, backgroundColor: COLOURS.otherTerminal, borderDash: [5, 3], pointRadius: 1.5, borderWidth: 1.5,
        },
      ],
    },
    options: {
      plugins: {
        title: { display: true, text: `${scenario} — run ${runIndex}: jobs reaching a terminal state per second (${series.windowMs} ms windows)` },
        legend: { position: 'bottom' },
      },
      scales: { x: timeAxis(series), y: { type: 'linear', beginAtZero: true, grace: '25%', title: { display: true, text: 'jobs / s' } } },
    },
    plugins: [faultShading(windows)],
  };
  const total = series.completedPerSec.reduce((n, r) => n + (r * series.windowMs) / 1000, 0);
  return render(config, `Throughput — ${scenario}, run ${runIndex}`, `${Math.round(total)} jobs completed over ${seconds(series.spanMs).toFixed(1)} s; ${faultAlt(windows)}`, 300);
}
