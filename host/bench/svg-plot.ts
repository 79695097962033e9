// The picture of a `weft bench` report, as a standalone SVG any browser opens: for every run,
// committed transactions per second and latency (median and 95th percentile) over time, with the
// moments of scheduled actions (a replica stopped, restarted) as dashed lines; and, for a
// scalability run, committed tx/s against the number of peers. Hand-written SVG, no dependencies.
import type { TimelineMarker } from './driver.ts';
import type { TimelinePoint } from './stats.ts';

export interface PlotRun {
  title: string;
  timeline: readonly TimelinePoint[];
  markers: readonly TimelineMarker[];
  /** Seconds the run lasted: a last, partial second is left out (it would show as a drop). */
  elapsedSeconds?: number;
}

export interface PlotBar {
  label: string;
  value: number;
}

const WIDTH = 960;
const CHART_HEIGHT = 200;
const MARGIN = { left: 70, right: 24, top: 28, bottom: 36 };
const TITLE_HEIGHT = 30;
const GAP = 22;
/** Room above the highest value, so a line at the maximum is not drawn on the frame. */
const HEADROOM = 1.1;
/** The label suffix of the marker that ends a scheduled action (driver.ts). */
const DONE_SUFFIX = ': done';
const COLORS = { throughput: '#1f77b4', median: '#2ca02c', p95: '#ff7f0e', marker: '#d62728', bar: '#1f77b4', axis: '#444', grid: '#ddd' };
const FONT = 'font-family="sans-serif" font-size="12"';
const font = (size: number, bold = false): string => `font-family="sans-serif" font-size="${size}"${bold ? ' font-weight="bold"' : ''}`;

/** Text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const fixed = (n: number): string => (Math.round(n * 10) / 10).toString();

/** A "nice" upper bound for an axis (1, 2 or 5 × 10^k) at or above max; 1 for no data. */
export function niceCeiling(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function formatTick(value: number): string {
  if (value >= 10_000) return `${fixed(value / 1000)}k`;
  return Number.isInteger(value) ? value.toString() : value.toFixed(1);
}

interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

/** One line chart in a box at (0, top): axes, grid, ticks, series as polylines (gaps where y is NaN), markers. */
function lineChart(top: number, options: { yLabel: string; xMax: number; series: Series[]; markers: readonly TimelineMarker[] }): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const xMax = options.xMax > 0 ? options.xMax : 1;
  const yMax = niceCeiling(HEADROOM * Math.max(0, ...options.series.flatMap((s) => s.points.map(([, y]) => (Number.isFinite(y) ? y : 0)))));
  const px = (x: number): number => x0 + (x / xMax) * plotWidth;
  const py = (y: number): number => y0 + plotHeight - (y / yMax) * plotHeight;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const value = (yMax * i) / 4;
    const y = py(value);
    parts.push(`<line x1="${x0}" y1="${fixed(y)}" x2="${x0 + plotWidth}" y2="${fixed(y)}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${x0 - 6}" y="${fixed(y + 4)}" text-anchor="end" ${FONT}>${formatTick(value)}</text>`);
  }
  const xStep = niceCeiling(xMax / 8);
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    parts.push(`<line x1="${fixed(px(x))}" y1="${y0 + plotHeight}" x2="${fixed(px(x))}" y2="${y0 + plotHeight + 4}" stroke="${COLORS.axis}"/>`);
    parts.push(`<text x="${fixed(px(x))}" y="${y0 + plotHeight + 16}" text-anchor="middle" ${FONT}>${formatTick(x)}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y0}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="${COLORS.axis}"/>`);
  parts.push(`<text x="${x0 + plotWidth / 2}" y="${y0 + plotHeight + 30}" text-anchor="middle" ${FONT}>seconds</text>`);
  parts.push(`<text transform="translate(${x0 - 52} ${fixed(y0 + plotHeight / 2)}) rotate(-90)" text-anchor="middle" ${FONT}>${escapeXml(options.yLabel)}</text>`);
  // An action's start is a dashed, labelled line; its end (label "…: done") a dotted one without a label.
  for (const marker of options.markers) {
    if (!(marker.t >= 0 && marker.t <= xMax)) continue;
    const x = fixed(px(marker.t));
    const end = marker.label.endsWith(DONE_SUFFIX);
    parts.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + plotHeight}" stroke="${COLORS.marker}" stroke-dasharray="${end ? '1 3' : '4 3'}"/>`);
    if (!end) parts.push(`<text x="${x}" y="${y0 - 4}" text-anchor="middle" fill="${COLORS.marker}" ${FONT}>${escapeXml(marker.label)}</text>`);
  }
  let legendX = x0 + plotWidth;
  for (const series of [...options.series].reverse()) {
    const segments: string[][] = [[]];
    for (const [x, y] of series.points) {
      if (Number.isFinite(y)) segments[segments.length - 1]!.push(`${fixed(px(x))},${fixed(py(y))}`);
      else if (segments[segments.length - 1]!.length > 0) segments.push([]);
    }
    for (const segment of segments) {
      if (segment.length === 1) parts.push(`<circle cx="${segment[0]!.split(',')[0]}" cy="${segment[0]!.split(',')[1]}" r="2" fill="${series.color}"/>`);
      else if (segment.length > 1) parts.push(`<polyline points="${segment.join(' ')}" fill="none" stroke="${series.color}" stroke-width="1.5"/>`);
    }
    const width = 16 + series.label.length * 7;
    legendX -= width;
    parts.push(`<line x1="${legendX}" y1="${y0 + 10}" x2="${legendX + 12}" y2="${y0 + 10}" stroke="${series.color}" stroke-width="2"/>`);
    parts.push(`<text x="${legendX + 15}" y="${y0 + 14}" ${FONT}>${escapeXml(series.label)}</text>`);
  }
  return parts.join('\n');
}

function barChart(top: number, yLabel: string, bars: readonly PlotBar[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const yMax = niceCeiling(HEADROOM * Math.max(0, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0))));
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const value = (yMax * i) / 4;
    const y = y0 + plotHeight - (value / yMax) * plotHeight;
    parts.push(`<line x1="${x0}" y1="${fixed(y)}" x2="${x0 + plotWidth}" y2="${fixed(y)}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${x0 - 6}" y="${fixed(y + 4)}" text-anchor="end" ${FONT}>${formatTick(value)}</text>`);
  }
  const slot = plotWidth / Math.max(1, bars.length);
  bars.forEach((bar, i) => {
    const value = Number.isFinite(bar.value) ? bar.value : 0;
    const height = (value / yMax) * plotHeight;
    const x = x0 + i * slot + slot * 0.25;
    parts.push(`<rect x="${fixed(x)}" y="${fixed(y0 + plotHeight - height)}" width="${fixed(slot * 0.5)}" height="${fixed(height)}" fill="${COLORS.bar}"/>`);
    parts.push(`<text x="${fixed(x + slot * 0.25)}" y="${fixed(y0 + plotHeight - height - 4)}" text-anchor="middle" ${FONT}>${Number.isFinite(bar.value) ? Math.round(bar.value) : 'n/a'}</text>`);
    parts.push(`<text x="${fixed(x + slot * 0.25)}" y="${y0 + plotHeight + 16}" text-anchor="middle" ${FONT}>${escapeXml(bar.label)}</text>`);
  });
  parts.push(`<rect x="${x0}" y="${y0}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="${COLORS.axis}"/>`);
  parts.push(`<text transform="translate(${x0 - 52} ${fixed(y0 + plotHeight / 2)}) rotate(-90)" text-anchor="middle" ${FONT}>${escapeXml(yLabel)}</text>`);
  return parts.join('\n');
}

/** The whole picture: a throughput and a latency chart per run, then the bars if any. */
export function renderBenchSvg(title: string, runs: readonly PlotRun[], bars?: { title: string; yLabel: string; bars: readonly PlotBar[] }): string {
  const parts: string[] = [];
  let top = 0;
  parts.push(`<text x="${MARGIN.left}" y="20" ${font(16, true)}>${escapeXml(title)}</text>`);
  top += TITLE_HEIGHT;
  for (const plotted of runs) {
    const elapsed = plotted.elapsedSeconds;
    const run = elapsed === undefined ? plotted : { ...plotted, timeline: plotted.timeline.filter((p) => p.t + 1 <= elapsed) };
    const xMax = Math.max(1, ...run.timeline.map((p) => p.t + 1), ...run.markers.map((m) => m.t));
    parts.push(`<text x="${MARGIN.left}" y="${top + 16}" ${font(14, true)}>${escapeXml(run.title)}</text>`);
    top += 8;
    parts.push(lineChart(top, { yLabel: 'committed tx/s', xMax, markers: run.markers, series: [{ label: 'committed tx/s', color: COLORS.throughput, points: run.timeline.map((p) => [p.t + 0.5, p.committedPerSecond]) }] }));
    top += CHART_HEIGHT;
    parts.push(
      lineChart(top, {
        yLabel: 'latency (ms)',
        xMax,
        markers: run.markers,
        series: [
          { label: 'median', color: COLORS.median, points: run.timeline.map((p) => [p.t + 0.5, p.latencyMedianMs]) },
          { label: 'p95', color: COLORS.p95, points: run.timeline.map((p) => [p.t + 0.5, p.latencyP95Ms]) },
        ],
      }),
    );
    top += CHART_HEIGHT + GAP;
  }
  if (bars !== undefined && bars.bars.length > 0) {
    parts.push(`<text x="${MARGIN.left}" y="${top + 16}" ${font(14, true)}>${escapeXml(bars.title)}</text>`);
    top += 8;
    parts.push(barChart(top, bars.yLabel, bars.bars));
    top += CHART_HEIGHT + GAP;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}">`,
    `<rect width="${WIDTH}" height="${top}" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
