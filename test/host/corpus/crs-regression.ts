// Replays the OWASP CRS 3.3.4 regression tests (FTW YAML, one folder per rule
// file, one YAML per rule) against the real rendered host filter on loopback,
// the way upstream's CRS 3.3 harness (ftw + tests/regression/CRS_Tests.py) does:
//
// - each stage's request is built byte for byte as ftw builds it (request line,
//   headers in YAML order, ftw's "magic": default Content-Type, form encoding,
//   Content-Length; raw_request / encoded_request sent as given) and written to a
//   raw TCP socket, so the filter sees exactly the test's bytes (Host included);
// - after each stage a marker request (`X-CRS-Test: <id>`, as upstream's
//   `mark_and_flush_log`) is sent; the audit-log entries between two markers are
//   that stage's, and `log_contains` / `no_log_contains` are matched against
//   them rendered as ModSecurity's error-log lines (what upstream greps);
// - `status` and `expect_error` are checked on the response as ftw does.
//
// Requests only ever go to 127.0.0.1 (the filter); `dest_addr` and `port` of the
// YAML are ignored.
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { HostFilterOptions, HostFilterProfile } from '../../../src/host/host-filter-options';
import { crsRuleFiles } from '../../../src/host/render/render-host-filter';
import { resolveHostFilterOptions } from '../../../src/host/render/resolve-options';
import { LocalHostFilter } from '../../../src/host/runtime/local-host-filter';
import { freePort } from '../../helpers/loopback';

/** CRS 3.3.4's default `tx.allowed_request_content_type` (REQUEST-901), as upstream's tests run with. */
export const CRS_DEFAULT_CONTENT_TYPES = [
  'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/related', 'text/xml', 'application/xml',
  'application/soap+xml', 'application/json', 'application/cloudevents+json', 'application/cloudevents-batch+json',
];

/**
 * The filter as upstream runs the CRS 3.3 tests (coreruleset `tests/docker-compose.yml`):
 * DetectionOnly, paranoia level 4 blocking and detecting, response bodies inspected,
 * CRS's default methods and content types. Every transaction is audited so each
 * request's rule ids can be read back.
 */
export const CRS_REGRESSION_FILTER_OPTIONS: HostFilterOptions = {
  profile: HostFilterProfile.WEBSITE,
  paranoiaLevel: 4,
  detectionParanoiaLevel: 4,
  detectionOnly: true,
  inspectResponses: true,
  allowedMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
  allowedContentTypes: CRS_DEFAULT_CONTENT_TYPES,
};

/** ftw's socket timeout: no response within it is an error (what `expect_error` tests expect). */
const FTW_TIMEOUT_MS = 5_000;
/** Upstream's marker header (CRS_Tests.py). */
const MARKER_HEADER = 'X-CRS-Test';

/** Why the tests of a rule file the renderer does not load are excluded (see crsRuleFiles). */
const NOT_LOADED: Array<[RegExp, string]> = [
  [/^REQUEST-903\./, 'the filter does not load the 903.x application exclusion packs (they only ever remove checks)'],
  [/^REQUEST-910-/, 'the filter does not load 910 (IP reputation: needs a GeoIP database, off in CRS by default)'],
  [/^REQUEST-912-/, 'the filter does not load 912 (DoS protection: off in CRS by default; the ALB and WAF rate-limit)'],
  [/^RESPONSE-980-/, 'the filter does not load 980 (correlation: logging only)'],
  [/^RESPONSE-95\d-/, 'response rules are loaded only with inspectResponses: true'],
];

/**
 * Rules that only run when a CRS setting is set that HostFilterOptions does not
 * expose (the renderer never sets it): positive tests cannot pass and negative
 * ones would pass vacuously.
 */
const NEEDS_UNEXPOSED_SETTING: Record<string, string> = {
  920250: 'tx.crs_validate_utf8_encoding',
  920360: 'tx.arg_name_length',
  920370: 'tx.arg_length',
  920380: 'tx.max_num_args',
  920390: 'tx.total_arg_length',
  920400: 'tx.max_file_size',
  920410: 'tx.combined_file_sizes',
};

export interface CrsRegressionOptions {
  /** The corpus: `crs-v3.3.4-regression/`, one folder per rule file. */
  readonly corpusDir: string;
  /** The started filter; its audit log must record every transaction (`auditEveryRequest: true`) and it must run one worker. */
  readonly filter: LocalHostFilter;
  /** Port the filter listens on at 127.0.0.1. */
  readonly port: number;
  /** The options the filter was started with (decides which rule files it loads). */
  readonly filterOptions: HostFilterOptions;
  /** Replay only the YAML files for which this is true (quick runs). @default - all */
  readonly include?: (ruleFile: string, yamlFile: string) => boolean;
  /** Called after each test. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface CrsRuleFileCount {
  readonly replayed: number;
  readonly passed: number;
  readonly failed: number;
  readonly excluded: number;
}

export interface CrsTestFailure {
  readonly title: string;
  readonly ruleFile: string;
  readonly why: string;
}

export interface CrsExcludedTest {
  readonly title: string;
  readonly ruleFile: string;
  readonly reason: string;
}

export interface CrsRegressionResult {
  readonly corpusDir: string;
  /** Tests replayed and judged (excluded tests are not counted). */
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  /** passed / total. */
  readonly passRate: number;
  readonly perRuleFile: Record<string, CrsRuleFileCount>;
  readonly failures: CrsTestFailure[];
  readonly excluded: CrsExcludedTest[];
  /** Audit-log entries read (markers included). */
  readonly auditEntries: number;
  /** Tests with a stage whose window held more than one transaction (e.g. bytes past Content-Length read as a second request). */
  readonly multiTransactionTests: string[];
  readonly durationMs: number;
  readonly filterOptions: HostFilterOptions;
}

/** One YAML stage input, as ftw reads it. */
interface StageInput {
  readonly method?: string;
  readonly uri?: string;
  readonly version?: string;
  readonly headers?: Record<string, unknown>;
  readonly data?: string | string[];
  readonly stop_magic?: boolean;
  readonly raw_request?: string;
  readonly encoded_request?: string;
}

interface StageOutput {
  readonly status?: number | number[];
  readonly log_contains?: string;
  readonly no_log_contains?: string;
  readonly expect_error?: boolean;
}

interface CorpusTest {
  readonly title: string;
  readonly ruleFile: string;
  readonly yamlFile: string;
  readonly stages: Array<{ input: StageInput; output: StageOutput }>;
  readonly excludedBecause?: string;
  readonly parseError?: string;
}

interface Response {
  readonly status?: number;
  readonly error?: string;
}

/**
 * Replays every test of the corpus against the filter, strictly one request at a
 * time (with one nginx worker the audit log is then in request order), and
 * judges each from the audit log and the response.
 */
export async function replayCrsRegression(opts: CrsRegressionOptions): Promise<CrsRegressionResult> {
  const started = Date.now();
  const loaded = new Set(crsRuleFiles(resolveHostFilterOptions(SCOPE, opts.filterOptions)).map(f => f.replace(/\.conf$/, '')));
  const tests = loadCorpus(opts.corpusDir, loaded, opts.include);
  const toReplay = tests.filter(t => !t.excludedBecause && !t.parseError);

  // Send everything first, remembering each stage's marker and response.
  const runId = `${process.pid}-${Date.now()}`;
  await sendMarker(opts.port, `${runId}-start`);
  const sent: Array<{ test: CorpusTest; stages: Array<{ marker: string; response: Response }> }> = [];
  for (const [i, test] of toReplay.entries()) {
    const stages = [];
    for (const [s, stage] of test.stages.entries()) {
      const response = await send(opts.port, buildRequest(stage.input));
      // An abandoned request (timeout) is finalised by nginx when it sees the close: let that land before the marker.
      if (response.error) await new Promise(r => setTimeout(r, 300));
      const marker = `${runId}-${i}-${s}-${test.title}`;
      await sendMarker(opts.port, marker);
      stages.push({ marker, response });
    }
    sent.push({ test, stages });
    opts.onProgress?.(i + 1, toReplay.length);
  }

  // Then split the audit log at the markers.
  const entries = await auditLogWithMarker(opts.filter, sent.at(-1)?.stages.at(-1)?.marker ?? `${runId}-start`);
  const windows = new Map<string, AuditEntry[]>();
  let current: AuditEntry[] = [];
  for (const entry of entries) {
    const marker = markerOf(entry);
    if (marker === undefined) {
      current.push(entry);
    } else {
      windows.set(marker, current);
      current = [];
    }
  }

  const failures: CrsTestFailure[] = [];
  const perRuleFile: Record<string, { replayed: number; passed: number; failed: number; excluded: number }> = {};
  const count = (ruleFile: string) => (perRuleFile[ruleFile] ??= { replayed: 0, passed: 0, failed: 0, excluded: 0 });
  const multiTransactionTests: string[] = [];
  for (const { test, stages } of sent) {
    const why: string[] = test.stages.length === 0 ? ['the test has no stages'] : [];
    test.stages.forEach((stage, s) => {
      const { marker, response } = stages[s];
      const window = windows.get(marker);
      if (window === undefined) {
        why.push(`marker ${marker} not found in the audit log`);
        return;
      }
      if (window.length > 1) multiTransactionTests.push(test.title);
      why.push(...judge(stage.output, response, window).map(w => (test.stages.length > 1 ? `stage ${s + 1}: ${w}` : w)));
    });
    const c = count(test.ruleFile);
    c.replayed++;
    if (why.length === 0) {
      c.passed++;
    } else {
      c.failed++;
      failures.push({ title: test.title, ruleFile: test.ruleFile, why: why.join('; ') });
    }
  }
  for (const t of tests.filter(x => x.parseError)) {
    count(t.ruleFile).replayed++;
    count(t.ruleFile).failed++;
    failures.push({ title: t.title, ruleFile: t.ruleFile, why: `YAML does not parse: ${t.parseError}` });
  }
  const excluded = tests.filter(t => t.excludedBecause).map(t => ({ title: t.title, ruleFile: t.ruleFile, reason: t.excludedBecause! }));
  excluded.forEach(e => count(e.ruleFile).excluded++);

  const total = Object.values(perRuleFile).reduce((n, c) => n + c.replayed, 0);
  const passed = Object.values(perRuleFile).reduce((n, c) => n + c.passed, 0);
  return {
    corpusDir: opts.corpusDir,
    total,
    passed,
    failed: total - passed,
    passRate: total === 0 ? 0 : passed / total,
    perRuleFile: Object.fromEntries(Object.entries(perRuleFile).sort(([a], [b]) => a.localeCompare(b))),
    failures,
    excluded,
    auditEntries: entries.length,
    multiTransactionTests,
    durationMs: Date.now() - started,
    filterOptions: opts.filterOptions,
  };
}

const SCOPE = { node: { path: 'crs-regression' } } as IConstruct;

/** Reads every YAML; marks the tests that cannot be replayed against this filter, with the reason. */
function loadCorpus(corpusDir: string, loaded: Set<string>, include?: (ruleFile: string, yamlFile: string) => boolean): CorpusTest[] {
  const tests: CorpusTest[] = [];
  const ruleFiles = fs.readdirSync(corpusDir).filter(d => fs.statSync(path.join(corpusDir, d)).isDirectory()).sort();
  for (const ruleFile of ruleFiles) {
    const notLoaded = loaded.has(ruleFile) ? undefined
      : NOT_LOADED.find(([re]) => re.test(ruleFile))?.[1] ?? 'the filter does not load this rule file';
    for (const yamlFile of fs.readdirSync(path.join(corpusDir, ruleFile)).filter(f => /\.ya?ml$/.test(f)).sort()) {
      if (include && !include(ruleFile, yamlFile)) continue;
      let doc: any;
      try {
        doc = parseYaml(fs.readFileSync(path.join(corpusDir, ruleFile, yamlFile), 'utf-8'));
      } catch (e) {
        tests.push({ title: yamlFile, ruleFile, yamlFile, stages: [], parseError: (e as Error).message.split('\n')[0] });
        continue;
      }
      const ruleId = yamlFile.replace(/\.ya?ml$/, '');
      const setting = NEEDS_UNEXPOSED_SETTING[ruleId];
      const disabled = doc?.meta?.enabled === false;
      const excludedBecause = notLoaded
        ?? (disabled ? `disabled upstream (meta.enabled: false)${setting ? `; rule ${ruleId} also needs ${setting}, which HostFilterOptions does not set` : ''}`
          : setting ? `rule ${ruleId} only runs when ${setting} is set (upstream's test setup sets it); HostFilterOptions does not expose it, so the rule never runs`
            : undefined);
      for (const t of (doc?.tests ?? []) as any[]) {
        tests.push({
          title: String(t.test_title),
          ruleFile,
          yamlFile,
          excludedBecause: excludedBecause ?? (t.enabled === false ? 'disabled upstream (enabled: false on the test)' : undefined),
          stages: ((t.stages ?? []) as any[]).map(s => ({ input: s.stage?.input ?? {}, output: s.stage?.output ?? {} })),
        });
      }
    }
  }
  return tests;
}

/** Python's str() of a YAML scalar (ftw formats header values with it). */
function pyStr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  return String(v);
}

/** Python's urllib.parse.quote_plus: only letters, digits and `_.-~` stay; space becomes `+`. */
function quotePlus(s: string): string {
  return [...Buffer.from(s, 'utf-8')].map(b => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9_.\-~]/.test(c)) return c;
    return c === ' ' ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Python's urllib.parse.unquote_plus, for parse_qsl. */
function unquotePlus(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s.replace(/\+/g, ' ');
  }
}

/**
 * The request bytes, as ftw builds them: `METHOD URI VERSION`, the headers in
 * order, and the data. Unless `stop_magic`, data gets a default form Content-Type,
 * is form-encoded when it is not already (parse_qsl drops blank values, as there)
 * and gets a Content-Length (here its byte length; ftw counts characters, which
 * differs only for non-ASCII data).
 */
export function buildRequest(input: StageInput): Buffer {
  if (input.encoded_request !== undefined && input.encoded_request !== null) return Buffer.from(input.encoded_request, 'base64');
  if (input.raw_request !== undefined && input.raw_request !== null) return rawRequestBytes(input.raw_request);
  const magic = input.stop_magic !== true;
  const headers = new Map<string, string>(Object.entries(input.headers ?? {}).map(([k, v]) => [k, pyStr(v)]));
  let data = Array.isArray(input.data) ? input.data.map(pyStr).join('\r\n') : input.data === undefined || input.data === null ? '' : pyStr(input.data);
  if (data !== '' && magic) {
    // ftw looks these headers up case-sensitively.
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/x-www-form-urlencoded');
    if (headers.get('Content-Type') === 'application/x-www-form-urlencoded' && !/%[0-9A-Fa-f]{2}/.test(data)) {
      const pairs = data.split('&').map(nv => nv.split(/=(.*)/s, 2)).filter(nv => nv.length === 2 && nv[1] !== '');
      if (pairs.length > 0) data = pairs.map(([k, v]) => `${quotePlus(unquotePlus(k))}=${quotePlus(unquotePlus(v))}`).join('&');
    }
    if (!headers.has('Content-Length')) headers.set('Content-Length', String(Buffer.byteLength(data, 'utf-8')));
  }
  const head = `${input.method ?? 'GET'} ${input.uri ?? '/'} ${input.version ?? 'HTTP/1.1'}\r\n`
    + [...headers].map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  return Buffer.from(head + data, 'utf-8');
}

/**
 * ftw's bytes for a `raw_request`: `raw.encode('utf-8').decode('unicode_escape')`,
 * then encoded as UTF-8 again. So a non-ASCII character is sent double-encoded
 * (`\xac` goes out as C3 82 C2 AC): 944200-0FP relies on it. Exact bytes go in
 * `encoded_request`.
 */
function rawRequestBytes(raw: string): Buffer {
  const latin1 = Buffer.from(raw, 'utf-8').toString('latin1');
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', ['\n']: '' };
  const unescaped = latin1.replace(/\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|[0-7]{1,3}|[\\'"abfnrtv\n])/g, (_m, e: string) => {
    if (e[0] === 'x' || e[0] === 'u') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return simple[e] ?? e;
  });
  return Buffer.from(unescaped, 'utf-8');
}

/** upstream's `mark_and_flush_log` request. */
function sendMarker(port: number, marker: string): Promise<Response> {
  return send(port, Buffer.from(`GET / HTTP/1.0\r\nHost: localhost\r\nUser-Agent: CRS\r\nAccept: */*\r\n${MARKER_HEADER}: ${marker}\r\n\r\n`));
}

/**
 * Writes the bytes to a fresh connection to 127.0.0.1 and reads one response.
 * Errors as ftw's do: nothing within 5 s, connection failure or closed without
 * data, a status line that is not `VERSION CODE REASON` or a header line without
 * a colon (an HTTP/0.9 answer, for instance).
 */
function send(port: number, request: Buffer): Promise<Response> {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let done = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (r: Response) => {
      if (done) return;
      done = true;
      clearTimeout(first);
      clearTimeout(idle);
      socket.destroy();
      resolve(r);
    };
    const first = setTimeout(() => finish(buf.length === 0 ? { error: `no response within ${FTW_TIMEOUT_MS / 1000} s` } : parseResponse(buf)), FTW_TIMEOUT_MS);
    socket.on('connect', () => socket.write(request));
    socket.on('error', e => finish(buf.length === 0 ? { error: `connection failed: ${e.message}` } : parseResponse(buf)));
    socket.on('end', () => finish(buf.length === 0 ? { error: 'connection closed without a response' } : parseResponse(buf)));
    socket.on('data', d => {
      buf = Buffer.concat([buf, d]);
      if (responseComplete(buf, request)) {
        finish(parseResponse(buf));
      } else {
        // A response without a length that is not closed: take what came (ftw reads what is ready).
        clearTimeout(idle);
        idle = setTimeout(() => finish(parseResponse(buf)), 1_000);
      }
    });
  });
}

/** True when the buffer holds a whole response (by Content-Length or chunked framing). */
function responseComplete(buf: Buffer, request: Buffer): boolean {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(/^\S+ (\d{3})/.exec(head)?.[1]);
  const body = buf.subarray(end + 4);
  if (/^HEAD /.test(request.subarray(0, 5).toString('latin1')) || status === 204 || status === 304 || (status >= 100 && status < 200)) return true;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body.includes('0\r\n\r\n');
  return false;
}

function parseResponse(buf: Buffer): Response {
  const lines = buf.toString('latin1').split('\r\n');
  const statusLine = lines[0].split(' ');
  if (statusLine.length < 3 || !/^\d+$/.test(statusLine[1])) return { error: `not an HTTP response line: ${JSON.stringify(lines[0].slice(0, 60))}` };
  for (const line of lines.slice(1)) {
    if (line === '') break;
    if (!line.includes(':')) return { error: `not a response header: ${JSON.stringify(line.slice(0, 60))}` };
  }
  return { status: Number(statusLine[1]) };
}

type AuditEntry = any;

/** The audit log, once the last marker is in it (nginx writes it after answering). */
async function auditLogWithMarker(filter: LocalHostFilter, lastMarker: string): Promise<AuditEntry[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const entries = filter.auditLog();
    if (entries.length > 0 && markerOf(entries[entries.length - 1]) === lastMarker) return entries;
    if (entries.some(e => markerOf(e) === lastMarker) || Date.now() > deadline) return entries;
    await new Promise(r => setTimeout(r, 100));
  }
}

/** The marker header's value, when the entry is one of our marker requests. */
function markerOf(entry: AuditEntry): string | undefined {
  const headers = entry?.transaction?.request?.headers ?? {};
  const key = Object.keys(headers).find(k => k.toLowerCase() === MARKER_HEADER.toLowerCase());
  return key === undefined ? undefined : String(headers[key]);
}

/** The entry's rule messages as ModSecurity writes them to the error log (what upstream's log_contains greps). */
function errorLogLines(entry: AuditEntry): string[] {
  const t = entry?.transaction ?? {};
  return ((t.messages ?? []) as any[]).map(m => {
    const d = m.details ?? {};
    const tags = ((d.tags ?? []) as string[]).map(tag => `[tag "${tag}"] `).join('');
    return `ModSecurity: Warning. ${d.match ?? ''} [file "${d.file ?? ''}"] [line "${d.lineNumber ?? ''}"] [id "${d.ruleId ?? ''}"] `
      + `[rev "${d.rev ?? ''}"] [msg "${m.message ?? ''}"] [data "${d.data ?? ''}"] [severity "${d.severity ?? ''}"] [ver "${d.ver ?? ''}"] `
      + `[maturity "${d.maturity ?? ''}"] [accuracy "${d.accuracy ?? ''}"] ${tags}[hostname "${t.host_ip ?? ''}"] `
      + `[uri "${t.request?.uri ?? ''}"] [unique_id "${t.unique_id ?? ''}"] [ref "${d.reference ?? ''}"]`;
  });
}

/** Rule ids the entries recorded, for the failure messages. */
function ruleIds(entries: AuditEntry[]): string[] {
  return [...new Set(entries.flatMap(e => ((e?.transaction?.messages ?? []) as any[]).map(m => String(m.details?.ruleId ?? '?'))))].sort();
}

/** What is wrong with the stage's outcome (empty when it passes), checked as ftw's run_stage does. */
function judge(output: StageOutput, response: Response, window: AuditEntry[]): string[] {
  const why: string[] = [];
  if ([output.status, output.log_contains, output.no_log_contains, output.expect_error].every(c => c === undefined || c === null || c === false)) {
    return ['the stage output has no check (ftw rejects it)'];
  }
  if (output.expect_error) {
    if (!response.error) why.push(`expected an error, got HTTP ${response.status}`);
  } else if (response.error) {
    return [`request failed: ${response.error}`];
  }
  const lines = window.flatMap(errorLogLines);
  const logged = () => `logged: ${ruleIds(window).join(', ') || 'no rule'}${window.length === 0 ? ' (no transaction in the audit log)' : ''}`;
  if (output.log_contains !== undefined && output.log_contains !== null) {
    const re = new RegExp(String(output.log_contains));
    if (!lines.some(l => re.test(l))) why.push(`log_contains /${output.log_contains}/ not found; ${logged()}`);
  }
  if (output.no_log_contains !== undefined && output.no_log_contains !== null) {
    const re = new RegExp(String(output.no_log_contains));
    if (lines.some(l => re.test(l))) why.push(`no_log_contains /${output.no_log_contains}/ found; ${logged()}`);
  }
  if (output.status !== undefined && output.status !== null) {
    const expected = Array.isArray(output.status) ? output.status : [output.status];
    if (response.status === undefined || !expected.includes(response.status)) {
      why.push(`status ${response.status ?? response.error} not in [${expected.join(', ')}]`);
    }
  }
  return why;
}

/** The filter and the application behind it, on loopback. */
export interface CrsRegressionTarget {
  readonly filter: LocalHostFilter;
  /** The filter's port on 127.0.0.1. */
  readonly port: number;
  readonly filterOptions: HostFilterOptions;
  /** Stops nginx and the application (safe to call twice). */
  stop(): Promise<void>;
}

/**
 * Starts an application answering 200 to everything (like upstream's backend)
 * and the filter in front of it, rendered into `dir`, with upstream's test setup.
 * One nginx worker: the audit log is then in request order.
 */
export async function startCrsRegressionTarget(
  dir: string, filterOptions: HostFilterOptions = CRS_REGRESSION_FILTER_OPTIONS,
): Promise<CrsRegressionTarget> {
  // Lenient parsing, and a plain 200 even for what Node cannot parse: the app must not answer for the filter.
  const app = http.createServer({ insecureHTTPParser: true }, (req, res) => {
    req.on('error', () => undefined);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'));
  });
  app.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n');
  });
  await new Promise<void>((resolve, reject) => {
    app.once('error', reject);
    app.listen(0, '127.0.0.1', () => resolve());
  });
  const appPort = (app.address() as net.AddressInfo).port;
  const stopApp = () => new Promise<void>(resolve => {
    app.closeAllConnections();
    app.close(() => resolve());
  });
  let filter: LocalHostFilter | undefined;
  try {
    const port = await freePort();
    filter = new LocalHostFilter({
      options: filterOptions, dir, listen: `127.0.0.1:${port}`, upstream: `http://127.0.0.1:${appPort}`, workers: '1', auditEveryRequest: true,
    });
    await filter.start();
    const started = filter;
    let stopped = false;
    return {
      filter: started,
      port,
      filterOptions,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        try {
          await started.stop();
        } finally {
          await stopApp();
        }
      },
    };
  } catch (e) {
    await filter?.stop();
    await stopApp();
    throw e;
  }
}

/** A plain-text report: totals, per rule file, exclusions and failures. */
export function formatCrsRegressionSummary(r: CrsRegressionResult, maxFailures = Infinity): string {
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
  const lines = [
    `OWASP CRS 3.3.4 regression tests against the host filter: ${r.passed}/${r.total} passed (${pct(r.passRate)}), `
      + `${r.failed} failed, ${r.excluded.length} excluded (not counted), in ${(r.durationMs / 1000).toFixed(1)} s`,
    '',
    `${'rule file'.padEnd(48)} ${'passed'.padStart(7)} ${'failed'.padStart(7)} ${'excl.'.padStart(6)} ${'rate'.padStart(7)}`,
  ];
  for (const [file, c] of Object.entries(r.perRuleFile)) {
    lines.push(`${file.padEnd(48)} ${String(c.passed).padStart(7)} ${String(c.failed).padStart(7)} ${String(c.excluded).padStart(6)} `
      + `${(c.replayed === 0 ? '-' : pct(c.passed / c.replayed)).padStart(7)}`);
  }
  lines.push('', `Excluded (${r.excluded.length}):`);
  const byReason = new Map<string, string[]>();
  r.excluded.forEach(e => byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e.title]));
  byReason.forEach((titles, reason) => lines.push(`  ${titles.join(', ')}: ${reason}`));
  lines.push('', `Failures (${r.failures.length}):`);
  r.failures.slice(0, maxFailures).forEach(f => lines.push(`  ${f.title}: ${f.why}`));
  if (r.failures.length > maxFailures) lines.push(`  ... and ${r.failures.length - maxFailures} more`);
  return lines.join('\n');
}
