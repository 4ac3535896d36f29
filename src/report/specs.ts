/**
 * The charts, as Vega-Lite specs compiled to Vega here in Node; the page only
 * carries the Vega runtime. Specs never contain data: every value comes from
 * named datasets filled in by the page (client.ts), and every string a chart
 * shows is a field reference, so a path can never be read as an expression.
 * The only expressions below are constants written here.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Config } from 'vega-lite/types_unstable/config.js';
import { vegaLiteCompile } from './vegalite.js';

export const CHART_IDS = ['chart-latency', 'chart-heat', 'chart-scatter', 'chart-dist', 'chart-history'] as const;
export type ChartId = (typeof CHART_IDS)[number];

/** Width of a full-width plot area, in CSS pixels: with its axes it fits a section in a 1024-px window (about 920 px inside). */
const WIDTH = 780;
export const SYSTEM_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

export const COLORS = {
  normal: '#8c99a6',
  outlier: '#d9480f',
  failed: '#1b1f24',
  band: '#a5c8ec',
  median: '#3b7dc4',
  p50: '#1f4e8c',
  p99: '#d9480f',
  bar: '#b7c8da',
};

const config: Config = {
  font: SYSTEM_FONT,
  background: 'white',
  padding: 4,
  view: { stroke: '#dde2e7' },
  axis: {
    labelColor: '#4a5560',
    titleColor: '#4a5560',
    titleFontWeight: 'normal',
    titleFontSize: 11,
    labelFontSize: 11,
    gridColor: '#edf0f3',
    domainColor: '#b9c1c9',
    tickColor: '#b9c1c9',
  },
  header: { labelFontSize: 12, labelColor: '#1f2933', titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', titleColor: '#4a5560', labelColor: '#4a5560' },
  title: { fontSize: 12, fontWeight: 'normal', color: '#4a5560' },
};

// Constant label expressions: they format tick values, never data strings.
const MS_LABEL =
  "datum.value >= 1000 ? format(datum.value / 1000, '~g') + ' s' : datum.value >= 1 ? format(datum.value, '~g') + ' ms' : format(datum.value * 1000, '~g') + ' µs'";
const BYTES_LABEL =
  "datum.value >= 1073741824 ? format(datum.value / 1073741824, '~g') + ' GiB' : datum.value >= 1048576 ? format(datum.value / 1048576, '~g') + ' MiB' : datum.value >= 1024 ? format(datum.value / 1024, '~g') + ' KiB' : format(datum.value, '~g') + ' B'";

/** Tick values for log scales: decades of latency, powers of 16 of bytes (ticks outside the domain are not drawn). */
const MS_TICKS = [0.001, 0.01, 0.1, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
const BYTE_TICKS = Array.from({ length: 13 }, (_, i) => 16 ** i);

const COUNT_LABEL =
  "datum.value >= 1000000 ? format(datum.value / 1000000, '~g') + 'M' : datum.value >= 1000 ? format(datum.value / 1000, '~g') + 'k' : format(datum.value, '~g')";

const TIME_X = {
  field: 't',
  type: 'temporal',
  title: 'time (UTC)',
  scale: { type: 'utc' },
  axis: { format: '%H:%M:%S', labelOverlap: true, tickCount: 10 },
} as const;

const STATUS_COLOR = {
  field: 'status',
  type: 'nominal',
  sort: ['normal', 'outlier', 'failed'],
  title: null,
  scale: { domain: ['normal', 'outlier', 'failed'], range: [COLORS.normal, COLORS.outlier, COLORS.failed] },
  legend: { orient: 'top', direction: 'horizontal' },
} as const;

const STATUS_SHAPE = {
  field: 'status',
  type: 'nominal',
  sort: ['normal', 'outlier', 'failed'],
  title: null,
  scale: { domain: ['normal', 'outlier', 'failed'], range: ['circle', 'triangle-up', 'diamond'] },
} as const;

const STATUS_SIZE = {
  field: 'status',
  type: 'ordinal',
  sort: ['normal', 'outlier', 'failed'],
  title: null,
  scale: { domain: ['normal', 'outlier', 'failed'], range: [9, 45, 55] },
} as const;

const POINT_TOOLTIP = [
  { field: 'path', type: 'nominal', title: 'file' },
  { field: 'time', type: 'nominal', title: 'start (UTC)' },
  { field: 'kind', type: 'nominal', title: 'call' },
  { field: 'ms', type: 'quantitative', title: 'latency (ms)', format: ',.4~g' },
  { field: 'base', type: 'quantitative', title: 'baseline median (ms)', format: ',.3~g' },
  { field: 'bytes', type: 'quantitative', title: 'bytes in write interval', format: ',d' },
  { field: 'status', type: 'nominal', title: 'status' },
] as const;

const FILE_HEADER = {
  labelAngle: 0,
  labelOrient: 'top',
  labelAnchor: 'start',
  labelAlign: 'left',
  labelFontWeight: 600,
  labelLimit: 1000,
  labelPadding: 4,
} as const;

/** The log-scale latency axis of the per-file latency charts. */
const LATENCY_Y = {
  type: 'quantitative',
  title: 'latency',
  scale: { type: 'log' },
  axis: { labelExpr: MS_LABEL, values: MS_TICKS, grid: true },
} as const;

/**
 * One row per file, the `files` best-ranked (the same order as the other
 * charts), each a layered chart 110 px high over a shared time axis.
 */
function fileRows(data: string, files: number, layer: unknown[]): TopLevelSpec {
  return {
    data: { name: data },
    transform: [{ filter: `datum.rank <= ${files}` }],
    facet: {
      row: { field: 'file', type: 'nominal', title: null, sort: { field: 'rank', op: 'min' }, header: FILE_HEADER },
    },
    spacing: 10,
    spec: { width: WIDTH, height: 110, layer },
    resolve: { scale: { x: 'shared', y: 'shared' } },
  } as TopLevelSpec;
}

/** Latency over time per file (top files by outliers), log scale, with the baseline band. */
export function latencySpec(files: number): TopLevelSpec {
  return fileRows('points', files, [
    {
      transform: [{ filter: 'isValid(datum.base) && isValid(datum.baseP99)' }],
      mark: { type: 'area', color: COLORS.band, opacity: 0.45, interpolate: 'step-after', aria: false },
      encoding: { x: TIME_X, y: { field: 'base', ...LATENCY_Y }, y2: { field: 'baseP99' } },
    },
    {
      transform: [{ filter: 'isValid(datum.base)' }],
      mark: { type: 'line', color: COLORS.median, strokeWidth: 1, interpolate: 'step-after', aria: false },
      encoding: { x: TIME_X, y: { field: 'base', ...LATENCY_Y } },
    },
    {
      mark: { type: 'point', filled: true, opacity: 0.8, aria: false },
      encoding: {
        x: TIME_X,
        y: { field: 'msPlot', ...LATENCY_Y },
        color: STATUS_COLOR,
        shape: STATUS_SHAPE,
        size: STATUS_SIZE,
        order: { field: 'sev', type: 'quantitative' },
        tooltip: [...POINT_TOOLTIP],
      },
    },
  ]);
}

/**
 * The heat map's colour classes: one absolute scale in every report, so a
 * healthy disk at p99 of 1 ms is never dark red because nothing else was
 * slower. client.ts puts each cell in its class by these bounds (ms).
 */
export const HEAT_CLASSES = ['< 100 µs', '100 µs – 1 ms', '1 – 10 ms', '10 – 100 ms', '100 ms – 1 s', '≥ 1 s'] as const;
export const HEAT_BOUNDS_MS = [0.1, 1, 10, 100, 1000] as const;
const HEAT_COLORS = ['#e3efdc', '#bcdcb0', '#fbe8a0', '#f9b25c', '#e0522a', '#86170a'];

/** Heat map: file × time bucket, colour = p99 latency in absolute classes; ◆ marks a bucket with a failed call. */
export function heatSpec(): TopLevelSpec {
  const y = {
    field: 'file',
    type: 'nominal',
    title: null,
    sort: { field: 'rank', op: 'min' },
    axis: { labelLimit: 290, labelFontSize: 11, ticks: false, domain: false },
  } as const;
  const tooltip = [
    { field: 'path', type: 'nominal', title: 'file' },
    { field: 'time', type: 'nominal', title: 'from (UTC)' },
    { field: 'time2', type: 'nominal', title: 'to (UTC)' },
    { field: 'calls', type: 'quantitative', title: 'sync calls', format: ',d' },
    { field: 'p99', type: 'quantitative', title: 'p99 (ms)', format: ',.3~g' },
    { field: 'max', type: 'quantitative', title: 'max (ms)', format: ',.3~g' },
    { field: 'failed', type: 'quantitative', title: 'failed calls', format: ',d' },
  ];
  return {
    data: { name: 'heat' },
    width: WIDTH - 300,
    height: { step: 16 },
    layer: [
      {
        mark: { type: 'rect', aria: false },
        encoding: {
          x: { ...TIME_X },
          x2: { field: 't2' },
          y,
          color: {
            field: 'cls',
            type: 'ordinal',
            title: 'p99 latency',
            scale: { domain: [...HEAT_CLASSES], range: HEAT_COLORS },
            legend: { orient: 'top', direction: 'horizontal', symbolType: 'square', labelLimit: 140, columns: 6, columnPadding: 14 },
          },
          tooltip,
        },
      },
      {
        transform: [{ filter: 'datum.failed > 0' }],
        mark: { type: 'point', shape: 'diamond', filled: true, color: COLORS.failed, size: 40, aria: false },
        encoding: { x: { field: 'tm', type: 'temporal', scale: { type: 'utc' } }, y, tooltip },
      },
    ],
  } as TopLevelSpec;
}

/** Latency against the bytes written since the previous sync (log–log). */
export function scatterSpec(): TopLevelSpec {
  return {
    data: { name: 'points' },
    width: WIDTH,
    height: 340,
    mark: { type: 'point', filled: true, opacity: 0.75, aria: false },
    encoding: {
      x: {
        field: 'bytesPlot',
        type: 'quantitative',
        title: 'bytes written since the previous sync (0 drawn at 1 B)',
        scale: { type: 'log', base: 2 },
        axis: { labelExpr: BYTES_LABEL, grid: true, values: BYTE_TICKS },
      },
      y: {
        field: 'msPlot',
        type: 'quantitative',
        title: 'latency',
        scale: { type: 'log' },
        axis: { labelExpr: MS_LABEL, values: MS_TICKS },
      },
      color: STATUS_COLOR,
      shape: STATUS_SHAPE,
      size: STATUS_SIZE,
      order: { field: 'sev', type: 'quantitative' },
      tooltip: [...POINT_TOOLTIP],
    },
  } as TopLevelSpec;
}

/** Latency distribution per file: histogram over log-spaced bins, with p50 and p99 marked. */
export function distributionSpec(): TopLevelSpec {
  const x = { type: 'quantitative', title: 'latency', scale: { type: 'log' }, axis: { labelExpr: MS_LABEL, values: MS_TICKS } } as const;
  return {
    data: { name: 'hist' },
    facet: { field: 'file', type: 'nominal', title: null, sort: { field: 'rank', op: 'min' }, header: { ...FILE_HEADER, labelLimit: 220 } },
    columns: 3,
    spacing: { row: 14, column: 28 },
    spec: {
      width: 200,
      height: 100,
      layer: [
        {
          transform: [{ filter: "datum.mark === 'bin'" }],
          mark: { type: 'rect', color: COLORS.bar, aria: false },
          encoding: {
            x: { field: 'lo', ...x },
            x2: { field: 'hi' },
            y: {
              field: 'n', type: 'quantitative', title: 'calls per bin (estimated)', scale: { type: 'symlog' },
              axis: { labelExpr: COUNT_LABEL, tickCount: 3, titleFontSize: 10 },
            },
            tooltip: [
              { field: 'path', type: 'nominal', title: 'file' },
              { field: 'lo', type: 'quantitative', title: 'from (ms)', format: ',.3~g' },
              { field: 'hi', type: 'quantitative', title: 'to (ms)', format: ',.3~g' },
              { field: 'n', type: 'quantitative', title: 'calls (estimated)', format: ',d' },
            ],
          },
        },
        {
          transform: [{ filter: "datum.mark !== 'bin'" }],
          mark: { type: 'rule', strokeWidth: 1.5, strokeDash: [3, 2] },
          encoding: {
            x: { field: 'lo', ...x },
            color: {
              field: 'mark',
              type: 'nominal',
              title: null,
              scale: { domain: ['p50', 'p99'], range: [COLORS.p50, COLORS.p99] },
              legend: { orient: 'top', direction: 'horizontal' },
            },
            tooltip: [
              { field: 'mark', type: 'nominal', title: 'percentile' },
              { field: 'lo', type: 'quantitative', title: 'latency (ms)', format: ',.4~g' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { x: 'shared', y: 'independent' } },
  } as TopLevelSpec;
}

/** The long-range chart: per file (top files), daily p50 and p99 over the summarized history, log scale. */
export function historySpec(files: number): TopLevelSpec {
  const y = { field: 'ms', ...LATENCY_Y } as const;
  const x = {
    field: 't',
    type: 'temporal',
    title: 'day (UTC)',
    scale: { type: 'utc' },
    axis: { format: '%Y-%m-%d', labelOverlap: true, tickCount: 8 },
  } as const;
  const color = {
    field: 'q',
    type: 'nominal',
    title: null,
    scale: { domain: ['p50', 'p99'], range: [COLORS.p50, COLORS.p99] },
    legend: { orient: 'top', direction: 'horizontal' },
  } as const;
  return fileRows('history', files, [
    { mark: { type: 'line', strokeWidth: 1.5, aria: false }, encoding: { x, y, color, detail: { field: 'q', type: 'nominal' } } },
    {
      mark: { type: 'point', filled: true, size: 28, aria: false },
      encoding: {
        x, y, color,
        tooltip: [
          { field: 'path', type: 'nominal', title: 'file' },
          { field: 'day', type: 'nominal', title: 'day (UTC)' },
          { field: 'q', type: 'nominal', title: 'percentile' },
          { field: 'ms', type: 'quantitative', title: 'latency (ms)', format: ',.4~g' },
          { field: 'calls', type: 'quantitative', title: 'sync calls that day', format: ',d' },
        ],
      },
    },
  ]);
}

/** Vega-Lite's warnings mean a spec is not what it says: fail instead of printing them. */
function strictLogger(id: string) {
  const fail = (...args: unknown[]) => {
    throw new Error(`${id}: vega-lite: ${args.join(' ')}`);
  };
  let level = 0;
  return {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return this;
    },
    error: fail,
    warn: fail,
    info: () => undefined,
    debug: () => undefined,
  } as never;
}

export interface SpecOptions {
  timeFiles: number;
}

/** Every chart, compiled to Vega, by the id of the element it is drawn in. */
export function compiledSpecs(options: SpecOptions): Record<ChartId, unknown> {
  const vl: Record<ChartId, TopLevelSpec> = {
    'chart-latency': latencySpec(options.timeFiles),
    'chart-heat': heatSpec(),
    'chart-scatter': scatterSpec(),
    'chart-dist': distributionSpec(),
    'chart-history': historySpec(options.timeFiles),
  };
  const compile = vegaLiteCompile();
  const out = {} as Record<ChartId, unknown>;
  for (const id of CHART_IDS) {
    const vega = compile(vl[id], { config, logger: strictLogger(id) }).spec as { $schema?: string };
    delete vega.$schema; // a URL the page never needs
    out[id] = vega;
  }
  return out;
}
