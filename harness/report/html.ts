// index.html: one self-contained page (inline CSS, charts as data URIs, no script). Every
// value that comes from the system or a history goes through `html`'s escaping: only
// fragments built by `html` itself are inserted raw.

import escapeHtml from 'escape-html';
import { describeStep } from '../nemesis/types.ts';
import type { ScenarioResult } from '../runner/property.ts';
import type { SuiteResult } from '../runner/suite.ts';
import type { ChartImage } from './charts.ts';
import type { FaultWindow } from './series.ts';
import type { ReportSummary, ScenarioSummary } from './summary.ts';
import type { JobTimeline } from './timeline.ts';

/** A fragment of markup that is already safe. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function fragment(v: Value): string {
  if (v instanceof Html) return v.markup;
  if (Array.isArray(v)) return v.map(fragment).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** Tagged template: interpolated values are escaped unless they are Html fragments. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += fragment(v) + strings[i + 1];
  });
  return new Html(out);
}

/** Per scenario, what the page shows beyond the summary: charts and the failure's material. */
export interface ScenarioSection {
  result: ScenarioResult;
  summary: ScenarioSummary;
  charts: ChartImage[];
  /** run the timeline charts show, with why it was chosen */
  shownRun?: { index: number; why: string; windows: FaultWindow[] };
  timelines: JobTimeline[];
  /** jobs named in evidence beyond the timelines shown */
  moreJobs: number;
}

export interface PageInput {
  result: SuiteResult;
  summary: ReportSummary;
  overview: ChartImage[];
  sections: ScenarioSection[];
  /** why no chart could be drawn */
  chartsError?: string;
}

const CSS = `
:root { --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --unknown: #8250df; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 24px 60px; background: #fff; min-height: 100vh; }
h1 { margin: 0; font-size: 40px; letter-spacing: 1px; }
h2 { margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); font-size: 20px; }
h3 { margin: 20px 0 8px; font-size: 16px; }
h4 { margin: 14px 0 6px; font-size: 14px; }
.headline { padding: 18px 22px; border-radius: 8px; color: #fff; }
.headline.PASS { background: var(--pass); } .headline.FAIL { background: var(--fail); } .headline.INCOMPLETE { background: var(--warn); } .headline.UNKNOWN { background: var(--unknown); }
.headline p { margin: 6px 0 0; font-size: 15px; }
.headline .note { font-weight: bold; }
.headline .meta { font-size: 12px; }
/* the banner's own white, not the page's grey: grey on red or green cannot be read */
.headline .muted { color: inherit; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td:first-child { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pill { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-weight: bold; font-size: 12px; }
.pill.pass, .pill.caught { background: var(--pass); } .pill.fail, .pill.escaped { background: var(--fail); }
.pill.vacuous { background: #bc4c00; } .pill.incomplete { background: var(--warn); } .pill.unknown { background: var(--unknown); }
tr.ignored td { color: var(--muted); background: #fff8c5; }
tr.nemesis td { background: #fbefff; }
tr.snapshot td { background: #ddf4ff; }
pre, code { font: 12px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
figure { margin: 12px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12px; }
.muted { color: var(--muted); }
.warning { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 10px; border-radius: 6px; }
.scenario { margin-top: 28px; }
ul.schedule li, ul.evidence li { margin: 2px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function anchorOf(scenario: string): string {
  return `scenario-${scenario.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const pill = (verdict: string) => html`<span class="pill ${verdict}">${verdict.toUpperCase()}</span>`;

function headline(input: PageInput): Html {
  const { summary: s } = input;
  const counts = ['pass', 'fail', 'unknown', 'vacuous', 'incomplete']
    .map((v) => [v, s.scenarios.filter((x) => x.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
  const caught = s.verify ? s.verify.filter((r) => r.caughtBy !== null).length : 0;
  return html`<header class="headline ${s.verdict}">
<h1>${s.verdict}${s.shard ? ` — shard ${s.shard.index}/${s.shard.count}` : ''}</h1>
${s.shard ? html`<p class="note">shard ${s.shard.index}/${s.shard.count} of a sharded run (scenarios of the whole run: ${s.shard.scenarios.join(', ')}): this page shows only this shard's part; <code>npm run chaos -- merge</code> the N shard reports for the run's verdict.</p>` : ''}
${s.merged ? html`<p>merged from <b>${plural(s.merged.shards, 'shard')}</b>: ${s.merged.from.join(', ')}</p>` : ''}
<p>system <b>${s.system?.label ?? 'reference system'}</b>${s.system ? html` <span class="muted">(${s.system.settings})</span>` : ''} · redis config <b>${s.redisConfig?.length ? s.redisConfig.join(' ') : 'the scenarios\' own'}</b></p>
<p>seed <b>${s.seed}</b> · bugs: <b>${s.bugs.length ? s.bugs.join(', ') : 'none'}</b> · duration <b>${formatDuration(s.durationMs)}</b> · ${plural(s.scenarios.length, 'scenario')}${counts ? ` (${counts})` : ''}${s.workers !== undefined ? ` · ${plural(s.workers, 'worker')}` : ''}${s.keepers !== undefined ? ` · ${plural(s.keepers, 'keeper')}` : ''}</p>
${s.verify ? html`<p>planted bugs caught: <b>${caught}/${s.verify.length}</b></p>` : ''}
${s.verdict === 'UNKNOWN' ? html`<p class="note">UNKNOWN: no checker found a violation, but in some runs a checker could not decide; those scenarios did not pass.</p>` : ''}
${s.incomplete ? html`<p class="note">INCOMPLETE: the suite was cut short; scenarios that did not finish have no verdict.</p>` : ''}
<p class="meta">run ${s.runId} · ${s.createdAt}</p>
</header>`;
}

function latencyCell(q: ScenarioSummary['latency']): Html {
  return q ? html`${Math.round(q.p50)} / ${Math.round(q.p95)} / ${Math.round(q.p99)}` : html`<span class="muted">–</span>`;
}

function settleCell(d: ScenarioSummary['settle']): Html {
  if (!d) return html`<span class="muted">–</span>`;
  return html`${Math.round(d.minMs)} / ${Math.round(d.p50Ms)} / ${Math.round(d.p95Ms)} / ${Math.round(d.maxMs)}${d.capped ? html` <span class="muted">(${d.capped} capped)</span>` : ''}`;
}

function scenarioTable(input: PageInput): Html {
  const rows = input.summary.scenarios.map((s) => {
    const met = s.goals.filter((g) => g.metInRuns > 0).length;
    const unmet = s.goals.filter((g) => g.metInRuns === 0).map((g) => g.name);
    return html`<tr>
<td><a href="#${anchorOf(s.scenario)}">${s.scenario}</a></td>
<td>${pill(s.verdict)}</td>
<td class="num">${s.runs}${s.recordsOmitted ? html` <span class="muted">(latency, settle and stats of the ${s.runs - s.recordsOmitted} kept: every failing and unknown run, the first passing ones)</span>` : ''}</td>
<td class="num">${s.failedRuns}</td>
<td class="num">${s.unknownRuns ?? 0}</td>
<td class="num">${s.violations}</td>
<td>${met}/${s.goals.length}${unmet.length ? html` <span class="muted">never met: ${unmet.join(', ')}</span>` : ''}</td>
<td class="num">${latencyCell(s.latency)}</td>
<td class="num">${settleCell(s.settle)}</td>
<td class="num">${formatDuration(s.durationMs)}</td>
</tr>${s.error ? html`<tr><td></td><td colspan="9">error: ${s.error}</td></tr>` : ''}`;
  });
  return html`<section><h2>Scenarios</h2>
<table><thead><tr><th>scenario</th><th>verdict</th><th>runs</th><th>failing runs</th><th>unknown runs</th><th>violations</th><th>coverage goals met</th><th>latency p50 / p95 / p99 (ms)</th><th>settle min / p50 / p95 / max (ms)</th><th>time</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

function verifyTable(summary: ReportSummary): Html {
  if (!summary.verify) return html``;
  const rows = summary.verify.map((r) => html`<tr>
<td>${r.bug}</td>
<td>${r.caughtBy !== null ? pill('caught') : pill('escaped')}</td>
<td>${r.caughtBy ?? '–'}</td>
<td>${r.checker ?? '–'}</td>
<td class="num">${r.runs}</td>
<td class="num">${r.timeToDetectMs !== null ? formatDuration(r.timeToDetectMs) : '–'}</td>
<td class="num">${r.scheduleSize ?? '–'}</td>
<td>${r.replay ? html`<code>${r.replay}</code>` : '–'}</td>
</tr>`);
  return html`<section><h2>Planted bugs</h2>
<p class="muted">Each bug is switched on in the system under test; the harness must catch every one.</p>
<table><thead><tr><th>bug</th><th></th><th>caught by</th><th>checker</th><th>runs</th><th>time to detect</th><th>schedule steps</th><th>replay</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

function chart(c: ChartImage): Html {
  return html`<figure><img class="chart" src="${c.dataUri}" width="${c.width}" height="${c.height}" alt="${c.title}: ${c.alt}"><figcaption>${c.alt}</figcaption></figure>`;
}

function faultTable(windows: readonly FaultWindow[]): Html {
  if (windows.length === 0) return html`<p class="muted">No fault was injected in this run.</p>`;
  return html`<table><thead><tr><th>step</th><th>fault</th><th>target</th><th>from (ms)</th><th>to (ms)</th><th></th></tr></thead><tbody>${windows.map((w) => html`<tr>
<td class="num">#${w.stepId}</td><td>${w.fault}</td><td>${w.target}</td><td class="num">${Math.round(w.start)}</td><td class="num">${Math.round(w.end)}</td>
<td>${w.healed ? '' : 'not healed before the run ended'}${w.error ? html` <span class="muted">error: ${w.error}</span>` : ''}</td></tr>`)}</tbody></table>`;
}

function timelineTable(t: JobTimeline): Html {
  const title = html`job <code>${t.jobId}</code>${t.taskId ? html` of task <code>${t.taskId}</code>` : ''}`;
  const descriptions = [t.taskDescription !== undefined ? html`task: “${t.taskDescription}”` : '', t.jobDescription !== undefined ? html` · job: “${t.jobDescription}”` : ''];
  const rows = t.rows.map((r) => html`<tr class="${r.ignored ? 'ignored' : r.kind}">
<td class="num">${Math.round(r.t)}</td><td>${r.source}</td><td>${r.event}</td><td class="num">${r.attempt ?? ''}</td><td>${r.outcome}</td></tr>`);
  return html`<h4>${title}</h4>
<p class="muted">${descriptions}</p>
<table><thead><tr><th>t (ms)</th><th>source</th><th>event</th><th>attempt</th><th>applied / ignored</th></tr></thead><tbody>${rows}</tbody></table>
${t.omitted ? html`<p class="muted">${plural(t.omitted, 'more event')} in the history file.</p>` : ''}`;
}

function failureDetails(section: ScenarioSection): Html {
  const { result, summary } = section;
  const failure = result.failure;
  if (!failure || !summary.failure) return html``;
  const run = failure.run;
  const violations = run.verdicts.filter((v) => v.valid === false);
  const evidenceLimit = 50;
  return html`<h3>Violation</h3>
<p>Found after ${plural(result.runs, 'run')} and shrunk in ${plural(failure.numShrinks, 'step')} to this minimal schedule of ${plural(run.schedule.length, 'fault')}
(workload: ${plural(run.workload.tasks.length, 'task')}, ${plural(run.workload.tasks.reduce((n, t) => n + t.jobs.length, 0), 'job')}):</p>
${run.schedule.length ? html`<ul class="schedule">${run.schedule.map((step) => html`<li>${describeStep(step)}</li>`)}</ul>` : html`<p class="muted">(no fault at all: the violation needs none)</p>`}
<p>Replay:</p>
<pre>${summary.failure.replay}</pre>
${violations.map((v) => html`<h4>${v.checker}: ${plural(v.evidence.length, 'violation')}</h4>
<ul class="evidence">${v.evidence.slice(0, evidenceLimit).map((e) => html`<li>${e.message}${e.at !== undefined ? html` <span class="muted">at ${Math.round(e.at)} ms</span>` : ''}</li>`)}</ul>
${v.evidence.length > evidenceLimit ? html`<p class="muted">and ${v.evidence.length - evidenceLimit} more (summary.json has them all)</p>` : ''}`)}
${section.timelines.length ? html`<h3>Jobs named in the evidence</h3>
<p class="muted">Every event of each job in the failing run's history (run ${run.index}). Ignored keeper decisions are shaded yellow, fault steps purple, the final snapshot blue.</p>
${section.timelines.map(timelineTable)}
${section.moreJobs ? html`<p class="muted">${plural(section.moreJobs, 'more job')} named in the evidence; see the history file.</p>` : ''}` : ''}`;
}

/** The checkers that could not decide in the scenario's unknown runs, with their evidence. */
function undecidedDetails(s: ScenarioSummary): Html {
  const unknown = s.unknown ?? [];
  if (unknown.length === 0) return html``;
  const runs = (r: readonly number[]) => `run${r.length === 1 ? '' : 's'} ${r.join(', ')}`;
  return html`<h3>Undecided runs</h3>
<p>${plural(s.unknownRuns ?? 0, 'run')} ended with no violation found, but a checker could not decide${s.verdict === 'unknown' ? ', so the scenario did not pass' : ''}:</p>
<ul class="evidence">${unknown.map((u) => html`<li><b>${u.checker}</b> (${runs(u.runs)})<ul>${u.evidence.map((e) => html`<li>${e}</li>`)}</ul></li>`)}</ul>`;
}

/** Which fault kinds hit which parts while they had work in hand, over the scenario's runs. */
function reachLine(s: ScenarioSummary): Html | '' {
  const hit = Object.entries(s.faultsHit ?? {});
  if (hit.length === 0) return s.stats.faults > 0 ? html`<p>Faults that bit: none of ${plural(s.stats.faults, 'effective fault')} hit a part while it had work in hand.</p>` : '';
  return html`<p>Faults that bit (kind → part, steps over all runs): ${hit.map(([label, n], i) => html`${i ? ', ' : ''}${label} ${n}×`)}.</p>`;
}

function scenarioSection(section: ScenarioSection): Html {
  const { summary: s } = section;
  const unmet = s.goals.filter((g) => g.metInRuns === 0);
  return html`<section class="scenario" id="${anchorOf(s.scenario)}">
<h2>${s.scenario} ${pill(s.verdict)}</h2>
<p>${plural(s.runs, 'run')}, ${plural(s.failedRuns, 'failing run')}${s.unknownRuns ? `, ${plural(s.unknownRuns, 'unknown run')}` : ''}, ${formatDuration(s.durationMs)}${s.settle ? html`; settle after the final heal took ${formatDuration(s.settle.minMs)} to ${formatDuration(s.settle.maxMs)} (p50 ${formatDuration(s.settle.p50Ms)}, p95 ${formatDuration(s.settle.p95Ms)})${s.settle.capped ? `, ${plural(s.settle.capped, 'run')} stopped at the settle cap` : ''}` : ''}. Coverage goals: ${s.goals.length
    ? s.goals.map((g, i) => html`${i ? ', ' : ''}${g.name} <span class="${g.metInRuns ? '' : 'pill vacuous'}">${g.metInRuns}×</span>`)
    : 'none declared'}.</p>
${reachLine(s)}
${s.verdict === 'vacuous' ? html`<p><b>Vacuous:</b> ${unmet.map((g) => g.name).join(', ')} never happened, so the passing runs prove nothing about it.</p>` : ''}
${s.error ? html`<p><b>Stopped by an error:</b> ${s.error}</p>` : ''}
${failureDetails(section)}
${undecidedDetails(s)}
${s.histories.length ? html`<p>Histories of failing and undecided runs: ${s.histories.map((h, i) => html`${i ? ', ' : ''}<a href="${h}">${h}</a>`)}</p>` : ''}
${s.logs?.length ? html`<p>What the system's processes wrote in those runs (stdout and stderr): ${s.logs.map((h, i) => html`${i ? ', ' : ''}<a href="${h}">${h}</a>`)}</p>` : ''}
${section.shownRun ? html`<h3>Run ${section.shownRun.index} over time</h3>
<p class="muted">${section.shownRun.why}</p>
${section.charts.map(chart)}
${faultTable(section.shownRun.windows)}` : html`<p class="muted">No history was kept for any run of this scenario, so there is no timeline to draw.</p>`}
</section>`;
}

export function renderPage(input: PageInput): string {
  const { summary } = input;
  // failing scenarios first: they are what a reader opened the report for
  const order = (s: ScenarioSection) => ({ fail: 0, unknown: 1, vacuous: 2, incomplete: 3, pass: 4 })[s.summary.verdict];
  const sections = [...input.sections].sort((a, b) => order(a) - order(b));
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${summary.verdict} — chaos report ${summary.runId}${summary.shard ? ` (shard ${summary.shard.index}/${summary.shard.count})` : ''}</title>
<style>${new Html(CSS)}</style>
</head>
<body><main>
${headline(input)}
${scenarioTable(input)}
${verifyTable(summary)}
<section><h2>Overview</h2>
${input.chartsError !== undefined ? html`<p class="warning"><b>Charts could not be drawn:</b> ${input.chartsError}<br>
They need the packages <code>canvas</code> and <code>chartjs-node-canvas</code> (<code>npm install canvas chartjs-node-canvas</code>) and canvas's native module: <code>apt-get install -y libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev</code>, then <code>npm rebuild canvas</code>.</p>` : ''}
${input.overview.map(chart)}
</section>
${sections.map(scenarioSection)}
<p class="muted">Machine-readable: <a href="summary.json">summary.json</a> · <a href="junit.xml">junit.xml</a></p>
</main></body>
</html>
`.markup;
}
