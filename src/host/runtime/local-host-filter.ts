import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { HostFilterOptions } from '../host-filter-options';
import { DEBIAN_CRS_RULES, DEBIAN_MODULE, DEBIAN_PACKAGES, FilterLayout, PRELOAD_ALLOCATOR, renderHostFilter } from '../render/render-host-filter';
import { resolveHostFilterOptions } from '../render/resolve-options';

/** What the local runtime needs from this machine: Debian 12's packages. */
export const APT_INSTALL = `apt-get install -y ${DEBIAN_PACKAGES.join(' ')}`;
const NGINX = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';

export interface LocalHostFilterProps {
  /** The filter's props, as for the HostFilter construct. */
  readonly options?: HostFilterOptions;
  /** Directory to render into (created). */
  readonly dir: string;
  /** Listen address, `host:port`; only loopback is allowed. */
  readonly listen: string;
  /** The application, `http://127.0.0.1:port`. */
  readonly upstream: string;
  /** nginx worker processes. @default '1' */
  readonly workers?: string;
  /** Audit every transaction (corpus replays read the matched rule ids from the audit log). @default false */
  readonly auditEveryRequest?: boolean;
}

/** Why this machine cannot run the filter (missing packages), or undefined. */
export function missingRuntime(): string | undefined {
  const missing = [[NGINX, 'nginx'], [DEBIAN_MODULE, 'libnginx-mod-http-modsecurity'], [`${DEBIAN_CRS_RULES}/REQUEST-901-INITIALIZATION.conf`, 'modsecurity-crs']]
    .filter(([file]) => !fs.existsSync(file)).map(([, pkg]) => pkg);
  if (!allocatorInstalled()) missing.push('libtcmalloc-minimal4');
  return missing.length === 0 ? undefined : `missing Debian package(s) ${missing.join(', ')}: run \`${APT_INSTALL}\` (Debian 12)`;
}

/**
 * The host filter on this machine: the same rendered files as on EC2 and in the
 * sidecar, run by this machine's nginx + ModSecurity + CRS on loopback. Used by
 * the CLI (`host-filter serve`), the tests and the benchmark.
 */
export class LocalHostFilter {
  /** Renders the files into `props.dir` and derives the CRS rules; returns the file names. */
  public static render(props: LocalHostFilterProps): string[] {
    const { listenAddress, listenPort, appHost, appPort } = parseEndpoints(props.listen, props.upstream);
    const scope = { node: { path: 'host-filter props' } } as IConstruct;
    const options = resolveHostFilterOptions(scope, { ...props.options, listenPort, appPort });
    const dir = path.resolve(props.dir);
    const layout: FilterLayout = {
      configDir: dir,
      logDir: path.join(dir, 'logs'),
      runDir: path.join(dir, 'run'),
      listenAddress,
      appHost,
      user: process.getuid?.() === 0 ? 'root' : undefined,
      foreground: true,
      workers: props.workers ?? '1',
      modulePath: DEBIAN_MODULE,
      auditEveryRequest: props.auditEveryRequest,
    };
    fs.mkdirSync(layout.logDir, { recursive: true });
    fs.mkdirSync(layout.runDir, { recursive: true });
    const files = renderHostFilter(options, layout);
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), content, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
    }
    const prepared = spawnSync('sh', [path.join(dir, 'prepare-crs.sh')], { encoding: 'utf-8' });
    if (prepared.status !== 0) throw new Error(`prepare-crs.sh failed: ${prepared.stderr.trim()}`);
    return Object.keys(files);
  }

  /** `nginx -t` on the rendered files: the error, or undefined when they load. */
  public static test(dir: string): string | undefined {
    const r = spawnSync(NGINX, ['-t', '-q', '-c', path.join(path.resolve(dir), 'nginx.conf')], { encoding: 'utf-8' });
    return r.status === 0 ? undefined : (r.stderr || r.stdout).trim();
  }

  private process?: ChildProcess;
  private stderr = '';

  constructor(private readonly props: LocalHostFilterProps) {}

  /** The rendered files' directory. */
  public get dir(): string {
    return path.resolve(this.props.dir);
  }

  /** Renders, checks the files load (`nginx -t`), starts nginx and waits until it accepts connections. */
  public async start(): Promise<void> {
    const missing = missingRuntime();
    if (missing) throw new Error(missing);
    LocalHostFilter.render(this.props);
    const invalid = LocalHostFilter.test(this.dir);
    if (invalid) throw new Error(`the rendered filter does not load (fails closed, nothing is served):\n${invalid}`);
    // The same process environment as on hosts and in the sidecar: nginx with tcmalloc preloaded.
    const child = spawn(NGINX, ['-c', path.join(this.dir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LD_PRELOAD: PRELOAD_ALLOCATOR },
    });
    this.process = child;
    child.stderr!.on('data', d => { this.stderr += d; });
    const { listenAddress, listenPort } = parseEndpoints(this.props.listen, this.props.upstream);
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(listenAddress, listenPort))) {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${this.stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${this.props.listen} within 15 s: ${this.stderr.trim()}`);
      await new Promise(r => setTimeout(r, 50));
    }
  }

  /** Stops nginx (and its workers) and waits for it to exit. */
  public async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise(resolve => child.once('exit', resolve));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Waits for the audit log entry of a request (nginx writes it after the
   * response is sent) and returns it; undefined if none comes within `timeoutMs`.
   */
  public async auditEntry(requestId: string, timeoutMs = 3000): Promise<any | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entry = this.auditLog().find(e => e.transaction?.unique_id === requestId);
      if (entry || Date.now() > deadline) return entry;
      await new Promise(r => setTimeout(r, 25));
    }
  }

  /** The JSON audit log entries written so far. */
  public auditLog(): any[] {
    const file = path.join(this.dir, 'logs', 'modsec_audit.json');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf-8').split('\n').filter(Boolean).map(l => JSON.parse(l));
  }
}

/** Whether the preloaded allocator is installed (any architecture's multiarch directory). */
function allocatorInstalled(): boolean {
  const lib = '/usr/lib';
  return fs.existsSync(lib) && fs.readdirSync(lib).some(d => d.endsWith('-linux-gnu') && fs.existsSync(path.join(lib, d, PRELOAD_ALLOCATOR)));
}

/** Parses `--listen` and `--upstream`; both must be on loopback. */
export function parseEndpoints(listen: string, upstream: string) {
  const l = /^(127\.0\.0\.1|localhost):(\d{1,5})$/.exec(listen);
  const u = /^http:\/\/(127\.0\.0\.1|localhost):(\d{1,5})\/?$/.exec(upstream);
  const problems: string[] = [];
  if (!l) problems.push(`listen: ${JSON.stringify(listen)} is not allowed; allowed: 127.0.0.1:PORT (loopback only)`);
  if (!u) problems.push(`upstream: ${JSON.stringify(upstream)} is not allowed; allowed: http://127.0.0.1:PORT (loopback only)`);
  if (problems.length > 0) throw new Error(`Invalid configuration of 'host-filter':\n  - ${problems.join('\n  - ')}`);
  return { listenAddress: '127.0.0.1', listenPort: Number(l![2]), appHost: '127.0.0.1', appPort: Number(u![2]) };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
