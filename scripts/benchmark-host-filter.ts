// Benchmark: the host filter's throughput against a plain proxy and stock CRS.
//
//   npx projen benchmark-host-filter                 # 7 rounds, 1 worker, 5 s per run
//   ROUNDS=9 WORKERS=2 SECONDS=10 npx projen benchmark-host-filter
//
// In one run, with the same nginx worker count for all three, it measures
//   plain:   nginx proxying to the app, no ModSecurity;
//   stock:   Debian 12's ModSecurity + OWASP CRS 3.3.4 as shipped (modsecurity.conf with the
//            engine On, crs-setup.conf, every rule file), paranoia level 1;
//   default: this library's default HostFilter config, run as deployed (tcmalloc preloaded).
// Runs are interleaved (A/B/C, B/C/A, ...) and the medians reported: throughput (wrk, loopback),
// with the filter's nginx pinned to the last CPU and wrk and the app to the first (less contention
// on a small machine; the spread is printed because a shared VM is noisy),
// p50/p99 latency, server CPU per request (nginx workers' utime+stime / requests) and ratios.
// Then it replays the GoTestWAF corpus (../shared/corpus) against stock and default: a faster
// config counts only if it blocks at least as many attacks and passes at least as many benign requests.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEBIAN_MODULE, PRELOAD_ALLOCATOR } from '../src/host/render/render-host-filter';
import { LocalHostFilter, missingRuntime } from '../src/host/runtime/local-host-filter';
import { freePort } from '../test/helpers/loopback';
import { loadGoTestWafCases, replayGoTestWaf } from '../test/host/corpus/gotestwaf';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const WORKERS = process.env.WORKERS ?? '1';
const SECONDS = Number(process.env.SECONDS ?? 5);
const CORPUS = path.resolve(__dirname, '..', '..', 'shared', 'corpus', 'gotestwaf');
const HEADERS = [
  'Host: localhost',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language: en-GB,en;q=0.5',
  'Accept-Encoding: gzip, deflate',
  'Cookie: session=4f2a9c1e7b; theme=dark',
];
const PATH = '/products?id=42&sort=price&q=red+chair';

type Config = { name: string; conf: string; env?: NodeJS.ProcessEnv };

function nginxConf(dir: string, port: number, appPort: number, modsecurity: string): string {
  return `load_module ${DEBIAN_MODULE};
${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes ${WORKERS};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  upstream app { server 127.0.0.1:${appPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    ${modsecurity}
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
}

/** Debian's stock ModSecurity + CRS, as shipped, with the engine switched on (it ships DetectionOnly). */
function stockRules(dir: string): string {
  const modsec = fs.readFileSync('/etc/nginx/modsecurity.conf', 'utf-8')
    .replace(/^SecRuleEngine DetectionOnly/m, 'SecRuleEngine On')
    .replace(/^SecAuditLog .*/m, `SecAuditLog ${dir}/audit.log`)
    .replace(/^SecUnicodeMapFile unicode.mapping/m, 'SecUnicodeMapFile /etc/nginx/unicode.mapping');
  fs.writeFileSync(path.join(dir, 'modsecurity.conf'), modsec);
  // libmodsecurity3 3.0.9 has no IncludeOptional: the package's load file, written out.
  fs.writeFileSync(path.join(dir, 'main.conf'), [
    `Include ${dir}/modsecurity.conf`,
    'Include /etc/modsecurity/crs/crs-setup.conf',
    'Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf',
    'Include /usr/share/modsecurity-crs/rules/*.conf',
    'Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf',
  ].join('\n') + '\n');
  return `modsecurity on; modsecurity_rules_file ${dir}/main.conf;`;
}

const CPUS = os.cpus().length;
/** `taskset -c <cpu>` when there is more than one CPU: the filter gets a CPU of its own. */
const pin = (cpu: 'first' | 'last') => (CPUS > 1 ? ['taskset', '-c', String(cpu === 'first' ? 0 : CPUS - 1)] : []);

async function startNginx(conf: string, cpu: 'first' | 'last' = 'last', env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const [cmd, ...args] = [...pin(cpu), '/usr/sbin/nginx', '-c', conf];
  const child = spawn(cmd, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  await new Promise(r => setTimeout(r, 700));
  if (child.exitCode !== null) throw new Error(`nginx -c ${conf} exited with ${child.exitCode}`);
  return child;
}

async function stopNginx(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise(r => child.once('exit', r));
  child.kill('SIGQUIT');
  await exited;
}

/** CPU seconds (user + system) of the master's worker processes. */
function workerCpu(masterPid: number): number {
  const children = fs.readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf-8').trim().split(/\s+/).filter(Boolean);
  const ticks = children.reduce((sum, pid) => {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf-8').split(') ')[1].split(' ');
    return sum + Number(fields[11]) + Number(fields[12]);
  }, 0);
  return ticks / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf-8' }).stdout.trim() || 100);
}

function toMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

interface Sample { rps: number; p50: number; p99: number; cpuMsPerRequest: number; non2xx: number }

async function measure(port: number, master: ChildProcess): Promise<Sample> {
  const args = ['-t1', '-c8', `-d${SECONDS}s`, '--latency', ...HEADERS.flatMap(h => ['-H', h]), `http://127.0.0.1:${port}${PATH}`];
  spawnSync('wrk', ['-t1', '-c8', '-d1s', ...HEADERS.flatMap(h => ['-H', h]), `http://127.0.0.1:${port}${PATH}`]); // warm-up
  const cpu0 = workerCpu(master.pid!);
  const [cmd, ...rest] = [...pin('first'), 'wrk', ...args];
  const out = spawnSync(cmd, rest, { encoding: 'utf-8' }).stdout;
  const cpu1 = workerCpu(master.pid!);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: toMs(/ 50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: toMs(/ 99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    cpuMsPerRequest: requests > 0 ? ((cpu1 - cpu0) * 1000) / requests : NaN,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const missing = missingRuntime();
  if (missing) throw new Error(missing);
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is missing: apt-get install -y wrk');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-host-'));
  const appPort = await freePort();
  // The app: nginx answering 200 from memory, so that it is never the bottleneck.
  fs.mkdirSync(path.join(base, 'app'));
  fs.writeFileSync(path.join(base, 'app', 'nginx.conf'), nginxConf(path.join(base, 'app'), appPort, 0, '')
    .replace(/upstream app \{[^}]*\}/, '').replace(/location \/ \{[^}]*\}/, 'location / { return 200 "ok\\n"; }'));
  const app = await startNginx(path.join(base, 'app', 'nginx.conf'), 'first');

  const configs: Config[] = [];
  for (const name of ['plain', 'stock', 'default']) {
    const dir = path.join(base, name);
    fs.mkdirSync(dir);
    const port = await freePort();
    let directives = '';
    if (name === 'stock') directives = stockRules(dir);
    if (name === 'default') {
      LocalHostFilter.render({ dir: path.join(dir, 'filter'), listen: `127.0.0.1:${port}`, upstream: `http://127.0.0.1:${appPort}` });
      directives = `modsecurity on; modsecurity_rules_file ${dir}/filter/main.conf;`;
    }
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, port, appPort, directives));
    // The library's config runs as it is deployed (tcmalloc preloaded); plain and stock as Debian ships them.
    configs.push({ name, conf: path.join(dir, 'nginx.conf'), env: name === 'default' ? { LD_PRELOAD: PRELOAD_ALLOCATOR } : {} });
    (configs[configs.length - 1] as any).port = port;
  }

  const samples: Record<string, Sample[]> = { plain: [], stock: [], default: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = configs.map((_, i) => configs[(i + round) % configs.length]);
      for (const c of order) {
        const nginx = await startNginx(c.conf, 'last', c.env);
        try {
          samples[c.name].push(await measure((c as any).port, nginx));
        } finally {
          await stopNginx(nginx);
        }
      }
    }
  } finally {
    await stopNginx(app);
  }

  const row = (name: string) => {
    const s = samples[name];
    return {
      rps: median(s.map(x => x.rps)),
      p50: median(s.map(x => x.p50)),
      p99: median(s.map(x => x.p99)),
      cpu: median(s.map(x => x.cpuMsPerRequest)),
      non2xx: Math.max(...s.map(x => x.non2xx)),
    };
  };
  const [plain, stock, dflt] = ['plain', 'stock', 'default'].map(row);
  console.log(`host filter benchmark: ${ROUNDS} interleaved rounds, ${WORKERS} worker(s), ${SECONDS} s each, wrk -t1 -c8, ${os.cpus().length} CPUs, GET ${PATH}\n`);
  console.log('config    req/s (median)   p50 ms   p99 ms   CPU ms/request   non-2xx');
  for (const [name, r] of [['plain', plain], ['stock', stock], ['default', dflt]] as const) {
    console.log(`${name.padEnd(8)}  ${r.rps.toFixed(0).padStart(14)}  ${r.p50.toFixed(2).padStart(7)}  ${r.p99.toFixed(2).padStart(7)}  ${r.cpu.toFixed(3).padStart(15)}  ${String(r.non2xx).padStart(8)}`);
  }
  console.log(`\ndefault / stock throughput: ${(dflt.rps / stock.rps).toFixed(2)}x   CPU per request: ${(dflt.cpu / stock.cpu).toFixed(2)}x`);
  console.log(`default / plain throughput: ${(dflt.rps / plain.rps).toFixed(3)}x`);
  console.log('per-round req/s: ' + ['plain', 'stock', 'default'].map(n => `${n} ${samples[n].map(x => x.rps.toFixed(0)).join('/')}`).join('; '));
  console.log('per-round CPU ms/request: ' + ['stock', 'default'].map(n => `${n} ${samples[n].map(x => x.cpuMsPerRequest.toFixed(2)).join('/')}`).join('; '));

  if (!fs.existsSync(CORPUS)) {
    console.log(`\ndetection: skipped, the GoTestWAF corpus is not at ${CORPUS}`);
    return;
  }
  console.log('\ndetection on the GoTestWAF corpus (same configs):');
  const { cases } = loadGoTestWafCases(CORPUS);
  for (const c of configs.filter(x => x.name !== 'plain')) {
    const appServer = await startNginx(path.join(base, 'app', 'nginx.conf'), 'first');
    const nginx = await startNginx(c.conf, 'last', c.env);
    try {
      const r = await replayGoTestWaf(`http://127.0.0.1:${(c as any).port}`, cases);
      console.log(`${c.name.padEnd(8)} true positives blocked ${r.truePositives.blocked}/${r.truePositives.total} (${(100 * r.truePositives.blocked / r.truePositives.total).toFixed(1)} %), `
        + `benign passed ${r.falsePositives.passed}/${r.falsePositives.total} (${(100 * r.falsePositives.passed / r.falsePositives.total).toFixed(1)} %)`);
    } finally {
      await stopNginx(nginx);
      await stopNginx(appServer);
    }
  }
}

main().catch(e => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
