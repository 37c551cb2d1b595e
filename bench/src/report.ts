import { cpus, platform, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export type Mode = 'full' | 'quick';

/** How a measured value is judged. */
export interface Target {
  op: '<' | '<=' | '>=' | '=';
  value: number;
}

export interface Result {
  metric: string;
  /** null when the scenario failed before it could measure. */
  measured: number | null;
  unit: string;
  target: string;
  pass: boolean;
  details: Record<string, unknown>;
}

export function result(metric: string, measured: number, unit: string, target: Target, details: Record<string, unknown> = {}): Result {
  const pass =
    Number.isFinite(measured) &&
    (target.op === '<' ? measured < target.value : target.op === '<=' ? measured <= target.value : target.op === '>=' ? measured >= target.value : measured === target.value);
  return { metric, measured, unit, target: `${target.op} ${target.value}`, pass, details };
}

/** A number shown for context (e.g. the raw-SQL baseline next to a target row); nothing to pass. */
export function info(metric: string, measured: number, unit: string, details: Record<string, unknown> = {}): Result {
  return { metric, measured, unit, target: '', pass: true, details };
}

/** A scenario that threw: the report still shows it, and the run ends non-zero. */
export function failed(metric: string, err: unknown): Result {
  return { metric, measured: null, unit: '', target: '', pass: false, details: { error: err instanceof Error ? (err.stack ?? err.message) : String(err) } };
}

export interface Report {
  mode: Mode;
  date: string;
  machine: {
    cores: number;
    node: string;
    platform: string;
    totalMemGb: number;
    /** Linux's TCP congestion control: BBR on loopback stalls large answers now and then (docs/performance.md). */
    tcpCongestionControl: string | null;
  };
  results: Result[];
}

export function buildReport(mode: Mode, results: Result[]): Report {
  return {
    mode,
    date: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      node: process.version,
      platform: platform(),
      totalMemGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      tcpCongestionControl: readSetting('/proc/sys/net/ipv4/tcp_congestion_control'),
    },
    results,
  };
}

function readSetting(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

export function formatTable(report: Report): string {
  const rows = report.results.map((r) => [
    r.metric,
    r.measured === null ? 'ERROR' : `${formatNumber(r.measured)} ${r.unit}`.trim(),
    r.target ? `${r.target} ${r.unit}`.trim() : '',
    r.measured === null ? 'ERROR' : !r.target ? 'info' : r.pass ? 'pass' : 'FAIL',
  ]);
  const header = ['metric', 'measured', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
  const { machine } = report;
  return [
    `calsync bench (${report.mode}) ${report.date}  ${machine.cores} cores, ${machine.totalMemGb} GB, node ${machine.node}, ${machine.platform}${machine.tcpCongestionControl ? `, tcp ${machine.tcpCongestionControl}` : ''}`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
  ].join('\n');
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2 });
}

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** `<mode>-<date>.json` (history) and `latest-<mode>.json`; each written whole or not at all. */
/** A partial run (`--only`) is written under its own name: latest-<mode>.json stays a whole run's. */
export async function writeReport(report: Report, only?: string): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const name = only ? `${report.mode}-only-${only}` : report.mode;
  const files = [`${name}-${report.date.replace(/[:.]/g, '-')}.json`, `latest-${name}.json`].map((f) => `${RESULTS_DIR}${f}`);
  for (const file of files) {
    await writeFile(`${file}.tmp`, json);
    await rename(`${file}.tmp`, file);
  }
  return files;
}
