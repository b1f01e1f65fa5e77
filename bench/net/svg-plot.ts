/**
 * A small self-contained SVG line-plot writer for bench:net (no plotting dependency): axes
 * with ticks and grid, a linear or log10 x axis, a linear y axis, step or straight lines,
 * and a legend.
 */

export interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
  readonly dash?: string;
  /** Draw as a staircase (for empirical CDFs): the value holds until the next point. */
  readonly isStep?: boolean;
}

export interface PlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xScale?: 'linear' | 'log';
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { left: 64, right: 190, top: 40, bottom: 52 };

export function linePlotSvg(options: PlotOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 440;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const isLog = options.xScale === 'log';
  const allX = options.series.flatMap((s) => s.points.map(([x]) => x)).filter((x) => !isLog || x > 0);
  const [xMin, xMax] = options.xRange ?? [isLog ? Math.min(...allX) : 0, Math.max(...allX)];
  const [yMin, yMax] = options.yRange ?? [0, 1];
  const tx = isLog ? (x: number) => Math.log10(Math.max(x, xMin)) : (x: number) => x;
  const [txMin, txMax] = [tx(xMin), tx(xMax)];
  const px = (x: number): number => MARGIN.left + ((tx(Math.min(x, xMax)) - txMin) / (txMax - txMin || 1)) * plotWidth;
  const py = (y: number): number => MARGIN.top + plotHeight - ((y - yMin) / (yMax - yMin || 1)) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="22" text-anchor="middle" font-size="15">${escape(options.title)}</text>`,
  ];
  for (const x of isLog ? logTicks(xMin, xMax) : niceTicks(xMin, xMax)) {
    const at = fixed(px(x));
    parts.push(`<line x1="${at}" y1="${MARGIN.top}" x2="${at}" y2="${MARGIN.top + plotHeight}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${at}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(x)}</text>`);
  }
  for (const y of niceTicks(yMin, yMax)) {
    const at = fixed(py(y));
    parts.push(`<line x1="${MARGIN.left}" y1="${at}" x2="${MARGIN.left + plotWidth}" y2="${at}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${at + 4}" text-anchor="end">${formatTick(y)}</text>`);
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escape(options.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`,
  );
  options.series.forEach((series, index) => {
    const coordinates = drawnPoints(series).map(([x, y]) => `${fixed(px(x))},${fixed(py(y))}`);
    const dash = series.dash ? ` stroke-dasharray="${series.dash}"` : '';
    parts.push(
      `<polyline fill="none" stroke="${series.color}" stroke-width="1.8"${dash} points="${coordinates.join(' ')}"/>`,
    );
    const legendY = MARGIN.top + 10 + index * 18;
    const legendX = MARGIN.left + plotWidth + 14;
    parts.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 26}" y2="${legendY}" stroke="${series.color}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${legendX + 32}" y="${legendY + 4}">${escape(series.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function drawnPoints(series: Series): readonly (readonly [number, number])[] {
  if (!series.isStep) return series.points;
  const drawn: (readonly [number, number])[] = [];
  let previousY: number | null = null;
  for (const [x, y] of series.points) {
    if (previousY !== null) drawn.push([x, previousY]);
    drawn.push([x, y]);
    previousY = y;
  }
  return drawn;
}

/** About six round ticks (1, 2 or 5 × 10^k apart) covering [min, max]. */
function niceTicks(min: number, max: number): number[] {
  const span = max - min || 1;
  const rough = span / 6;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? magnitude * 10;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step / 1e6; tick += step)
    ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

/** 1, 2, 5 × 10^k within [min, max]. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let power = Math.floor(Math.log10(min)); power <= Math.ceil(Math.log10(max)); power++) {
    for (const m of [1, 2, 5]) {
      const tick = m * 10 ** power;
      if (tick >= min * 0.999 && tick <= max * 1.001) ticks.push(Number(tick.toPrecision(12)));
    }
  }
  return ticks;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

function fixed(value: number): number {
  return Math.round(value * 10) / 10;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
