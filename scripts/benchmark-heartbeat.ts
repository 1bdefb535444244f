// Benchmark: the bundled heartbeat handler against a minimal handler, in one run.
//
//   npx projen benchmark-heartbeat            # 31 cold loads of each
//   npx projen benchmark-heartbeat -- 51      # more rounds
//
// Both are bundled here with the exact esbuild arguments projen uses for the
// heartbeat (read from .projen/tasks.json), so the only difference is the code.
// Reported: bundle size (raw and gzip, what Lambda stores) and the cold
// module-load time: a fresh `node` process per load, timing only `require` of
// the bundle, alternating which of the two goes first in each round; medians
// and their ratio. The SDK clients are not in the bundle (the Lambda runtime
// provides them); the handler loads them on first use, so the cost of loading
// the CloudWatch Logs client (every heartbeat's peers need it) is measured too.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

const root = path.resolve(__dirname, '..');
const rounds = Number(process.argv[2] ?? 31);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bench-'));

const task = JSON.parse(fs.readFileSync(path.join(root, '.projen/tasks.json'), 'utf-8')).tasks['bundle:heartbeat/heartbeat.lambda'];
const projenArgs: string[] = task.steps[0].execArgs;

function bundle(entry: string, outfile: string): void {
  const args = projenArgs.slice(1).map(a => (a.endsWith('.lambda.ts') ? entry : a.startsWith('--outfile=') ? `--outfile=${outfile}` : a));
  const r = spawnSync(path.join(root, 'node_modules/.bin/esbuild'), [...args, '--log-level=warning'], { cwd: root, encoding: 'utf-8' });
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
}

const minimalEntry = path.join(dir, 'minimal.lambda.ts');
fs.writeFileSync(minimalEntry, 'export async function handler(): Promise<{ healthy: boolean }> {\n  return { healthy: true };\n}\n');
const bundles = {
  heartbeat: path.join(dir, 'heartbeat.js'),
  minimal: path.join(dir, 'minimal.js'),
};
bundle('src/heartbeat/heartbeat.lambda.ts', bundles.heartbeat);
bundle(minimalEntry, bundles.minimal);

/** Nanoseconds to require `file` (and then `extra`, if given) in a fresh node process. */
function coldLoad(file: string, extra?: string): number {
  const code = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});${extra ? `require(${JSON.stringify(extra)});` : ''}`
    + 'process.stdout.write(String(process.hrtime.bigint()-t))';
  const r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf-8', env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') } });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout) / 1e6;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const logsClient = require.resolve('@aws-sdk/client-cloudwatch-logs', { paths: [root] });
const times = { heartbeat: [] as number[], minimal: [] as number[], heartbeatWithLogsClient: [] as number[] };
coldLoad(bundles.minimal); // warm the file system cache
coldLoad(bundles.heartbeat, logsClient);
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ['heartbeat', 'minimal'] as const : ['minimal', 'heartbeat'] as const;
  for (const name of order) times[name].push(coldLoad(bundles[name]));
  times.heartbeatWithLogsClient.push(coldLoad(bundles.heartbeat, logsClient));
}

const size = (file: string) => {
  const raw = fs.readFileSync(file);
  return { raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length };
};
const hb = size(bundles.heartbeat);
const min = size(bundles.minimal);
const ms = (x: number) => `${x.toFixed(2)} ms`;
const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`;
const m = { heartbeat: median(times.heartbeat), minimal: median(times.minimal), withLogs: median(times.heartbeatWithLogsClient) };

console.log(`Heartbeat handler vs a minimal handler (same esbuild arguments), ${rounds} cold loads each, Node ${process.version}\n`);
console.log('| | heartbeat | minimal | ratio |');
console.log('|---|---|---|---|');
console.log(`| bundle size | ${kib(hb.raw)} | ${kib(min.raw)} | ${(hb.raw / min.raw).toFixed(0)}× |`);
console.log(`| bundle size, gzip | ${kib(hb.gzip)} | ${kib(min.gzip)} | ${(hb.gzip / min.gzip).toFixed(0)}× |`);
console.log(`| cold module load (median) | ${ms(m.heartbeat)} | ${ms(m.minimal)} | ${(m.heartbeat / m.minimal).toFixed(2)}× |`);
console.log(`| cold load + CloudWatch Logs client (loaded on first use) | ${ms(m.withLogs)} | ${ms(m.minimal)} | ${(m.withLogs / m.minimal).toFixed(2)}× |`);
fs.rmSync(dir, { recursive: true, force: true });
