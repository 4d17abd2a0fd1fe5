// index.html: the self-contained page (charts inline) a reader opens first (../html.ts renders it).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioResult } from '../../runner/property.ts';
import type { ChartImage } from '../charts.ts';
import { renderPage, type ScenarioSection } from '../html.ts';
import { faultWindows, representativeRun, timeSeries } from '../series.ts';
import type { ReportSummary } from '../summary.ts';
import { jobsNamedIn, jobTimeline } from '../timeline.ts';
import { FileReporter, type OpenReport } from './directory.ts';

/** How many job timelines a failure section shows; the rest are in the history file. */
const MAX_TIMELINES = 12;

type Charts = typeof import('../charts.ts');

/** The first line of an error, without the install paths a module-not-found message carries. */
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/ imported from \S+$/, '');

/**
 * Draws charts until one fails, then draws no more: a machine whose canvas native module is
 * missing still gets summary.json, junit.xml and a page that says why its charts are absent.
 * The chart renderer (../charts.ts: chartjs-node-canvas over canvas) is loaded at the first chart,
 * never before: a run without an html report, or a package installed without canvas, does not load it.
 */
class ChartDrawer {
  error: string | undefined;
  private charts: Promise<Charts> | undefined;

  async draw(render: (charts: Charts) => Promise<ChartImage>): Promise<ChartImage[]> {
    if (this.error !== undefined) return [];
    let charts: Charts;
    try {
      charts = await (this.charts ??= import('../charts.ts'));
    } catch (err) {
      this.error = `the chart renderer (canvas, chartjs-node-canvas) did not load: ${firstLine(err)}`;
      return [];
    }
    try {
      return [await render(charts)];
    } catch (err) {
      this.error = firstLine(err);
      return [];
    }
  }
}

async function scenarioSection(result: ScenarioResult, summary: ReportSummary['scenarios'][number], charts: ChartDrawer): Promise<ScenarioSection> {
  const run = representativeRun(result);
  const section: ScenarioSection = { result, summary, charts: [], timelines: [], moreJobs: 0 };
  if (run) {
    const windows = faultWindows(run.history);
    const series = timeSeries(run);
    const why = run === result.failure?.run
      ? 'The shrunk counterexample: the smallest failing run fast-check found.'
      : run.outcome === 'fail' ? 'A failing run (no shrunk counterexample was kept).'
        : run.outcome === 'unknown' ? 'An undecided run: no checker found a violation, but one could not decide.'
          : 'The passing run the harness kept as representative.';
    section.shownRun = { index: run.index, why, windows };
    section.charts = [
      ...(await charts.draw((c) => c.latencyChart(result.scenario, run.index, series, windows))),
      ...(await charts.draw((c) => c.throughputChart(result.scenario, run.index, series, windows))),
    ];
  }
  const failing = result.failure?.run;
  if (failing?.history) {
    const jobs = jobsNamedIn(failing.verdicts);
    section.timelines = jobs.slice(0, MAX_TIMELINES).map((jobId) => jobTimeline(failing.history!, jobId));
    section.moreJobs = Math.max(0, jobs.length - MAX_TIMELINES);
  }
  return section;
}

/** Writes index.html; a chart that could not be drawn sets report.chartsError (the page says why). */
export async function writeHtmlFile(report: OpenReport): Promise<void> {
  const { result, summary } = report;
  const charts = new ChartDrawer();
  const overview = result.scenarios.length
    ? [...(await charts.draw((c) => c.runsChart(result.scenarios))), ...(await charts.draw((c) => c.eventsChart(result.scenarios)))]
    : [];
  const sections: ScenarioSection[] = [];
  for (const [i, s] of result.scenarios.entries()) sections.push(await scenarioSection(s, summary.scenarios[i], charts));
  const path = join(report.dir, 'index.html');
  await writeFile(path, renderPage({ result, summary, overview, sections, chartsError: charts.error }));
  report.files.push(path);
  if (charts.error !== undefined) report.chartsError = charts.error;
}

export class HtmlReporter extends FileReporter {
  write(report: OpenReport): Promise<void> {
    return writeHtmlFile(report);
  }
}
