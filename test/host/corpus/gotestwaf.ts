// Replays the GoTestWAF test cases (github.com/wallarm/gotestwaf, testcases/) against
// a filter on loopback, building each request the way GoTestWAF's encoders
// (internal/payload/encoder) and placeholders (internal/payload/placeholder) do.
// Used by test/host/gotestwaf.test.ts, scripts/replay-gotestwaf.ts and the benchmark
// (which replays the same cases against a stock CRS configuration).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { parseDocument, visit } from 'yaml';

/** True-positive sets should be blocked; the false-positive set (`false-pos/`) should pass. */
export type GoTestWafKind = 'true-positive' | 'false-positive';

/** A placeholder as written in a test case file: a name, or a one-key map of name to config (RawRequest, GraphQL). */
export interface GoTestWafPlaceholder {
  readonly name: string;
  readonly config?: Record<string, unknown>;
}

/** One request GoTestWAF would send: one payload × encoder × placeholder of one test case file. */
export interface GoTestWafCase {
  /** Folder of the test set: owasp, owasp-api, community, false-pos. */
  readonly set: string;
  /** Test case file name without extension, e.g. sql-injection. */
  readonly class: string;
  readonly kind: GoTestWafKind;
  readonly payload: string;
  readonly encoder: string;
  readonly placeholder: GoTestWafPlaceholder;
}

/** Combinations left out, with why. */
export interface GoTestWafExclusion {
  readonly set: string;
  readonly class: string;
  readonly reason: string;
  /** Requests (payload × encoder × placeholder) left out. */
  readonly count: number;
}

export interface GoTestWafCases {
  readonly cases: GoTestWafCase[];
  readonly excluded: GoTestWafExclusion[];
}

/** A request ready to send: target relative to the server, headers besides Host. */
export interface GoTestWafRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

// ---------------------------------------------------------------- encoders

/** Go's url.QueryEscape: unreserved bytes kept, space as +, everything else %XX (upper case). */
export function goQueryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf-8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** GoTestWAF's JSUnicode: every UTF-16 code unit as \uXXXX (lower-case hex). */
function jsUnicode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += '\\u' + s.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}

/** GoTestWAF's XMLEntity: Go's xml.Encoder.Encode of a string, i.e. `<string>` + escaped text + `</string>`. */
function xmlEntity(s: string): string {
  const escapes: Record<string, string> = {
    '"': '&#34;', '\'': '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;',
  };
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const inXmlRange = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    out += escapes[ch] ?? (inXmlRange ? ch : '\uFFFD');
  }
  return `<string>${out}</string>`;
}

const base64 = (s: string) => Buffer.from(s, 'utf-8').toString('base64');

/** The encoders of GoTestWAF (internal/payload/encoder), by the name used in test case files. */
export const GOTESTWAF_ENCODERS: Readonly<Record<string, (payload: string) => string>> = {
  Plain: s => s,
  URL: goQueryEscape,
  Base64: base64,
  Base64Flat: s => base64(s).replace(/=/g, ''),
  JSUnicode: jsUnicode,
  XMLEntity: xmlEntity,
};

// ---------------------------------------------------------------- placeholders

/** GoTestWAF's RandomHex(Seed): 5 random bytes, hex; a fresh parameter/header name per request. */
const randomName = () => crypto.randomBytes(5).toString('hex');

/** Go's http.CanonicalMIMEHeaderKey, for header names GoTestWAF adds with Header.Add. */
function canonicalHeader(name: string): string {
  return name.split('-').map(w => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('-');
}

const SOAP_ENVELOPE = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"',
  '\txmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
  '\t<soapenv:Header>',
  '\t\t<ns1:RequestHeader soapenv:actor="http://schemas.xmlsoap.org/soap/actor/next"',
  '               soapenv:mustUnderstand="0" xmlns:ns1="https://www.google.com/apis/ads/publisher/v202002">',
  '\t\t</ns1:RequestHeader>',
  '\t</soapenv:Header>',
  '\t<soapenv:Body>',
  '\t\t<getAdUnitsByStatement xmlns="https://www.google.com/apis/ads/publisher/v202002">',
  '\t\t\t<filterStatement>',
  '\t\t\t\t<{name}>{payload}</{name}>',
  '\t\t\t</filterStatement>',
  '\t\t</getAdUnitsByStatement>',
  '\t</soapenv:Body>',
  '</soapenv:Envelope>',
].join('\n');

const PAYLOAD_MARK = '{{payload}}';

type Build = (base: string, payload: string, config: Record<string, unknown> | undefined) => GoTestWafRequest;

const body = (method: string, target: string, content: string, headers: Record<string, string> = {}): GoTestWafRequest =>
  ({ method, path: target, headers, body: Buffer.from(content, 'utf-8') });

/** `base` without trailing slashes (GoTestWAF trims them before appending). */
const trimSlashes = (base: string) => base.replace(/\/+$/, '');

/**
 * The placeholders of GoTestWAF (internal/payload/placeholder), by name. `base` is
 * the target URL's path and query ('' for the root), as GoTestWAF appends to the URL string.
 */
const PLACEHOLDERS: Readonly<Record<string, Build>> = {
  URLPath: (base, p) => ({ method: 'GET', path: trimSlashes(base) + '/' + p, headers: {} }),
  URLParam: (base, p) => {
    const [pathPart, query] = splitQuery(base);
    const prefix = query !== undefined ? `${base}&` : (trimSlashes(pathPart) ? `${trimSlashes(pathPart)}?` : '/?');
    return { method: 'GET', path: `${prefix}${randomName()}=${p}`, headers: {} };
  },
  HTMLForm: (base, p) => body('POST', base || '/', `${randomName()}=${p}`, { 'Content-Type': 'application/x-www-form-urlencoded' }),
  HTMLMultipartForm: (base, p) => {
    // Go's mime/multipart writer: a 60-hex-digit boundary, CRLF line ends, one form field.
    const boundary = crypto.randomBytes(30).toString('hex');
    const content = `--${boundary}\r\nContent-Disposition: form-data; name="${randomName()}"\r\n\r\n${p}\r\n--${boundary}--\r\n`;
    return body('POST', base || '/', content, { 'Content-Type': `multipart/form-data; boundary=${boundary}` });
  },
  JSONRequest: (base, p) => body('POST', base || '/', `{"test":true, "${randomName()}": "${jsUnicode(p)}"}`, { 'Content-Type': 'application/json' }),
  Header: (base, p) => ({ method: 'GET', path: base || '/', headers: { [canonicalHeader(`X-${randomName()}`)]: p } }),
  UserAgent: (base, p) => ({ method: 'GET', path: base || '/', headers: { 'User-Agent': p } }),
  XMLBody: (base, p) => body('POST', base || '/', p, { 'Content-Type': 'text/xml' }),
  SOAPBody: (base, p) => {
    const name = `ab${randomName()}`;
    const content = SOAP_ENVELOPE.replace(/\{name\}/g, name).replace('{payload}', xmlEntity(p));
    return body('POST', base || '/', content, { 'SOAPAction': '"http://schemas.xmlsoap.org/soap/actor/next"', 'Content-Type': 'text/xml' });
  },
  // GoTestWAF sends GraphQL cases to the endpoint it finds (/graphql first); POST bodies go without a Content-Type.
  GraphQL: (_base, p, config) => {
    const method = String(config?.method ?? '');
    if (method === 'GET') return { method, path: `/graphql?query=${goQueryEscape(p)}`, headers: {} };
    if (method === 'POST') return body(method, '/graphql', p);
    throw new Error(`GraphQL placeholder: method ${JSON.stringify(method)} is not GET or POST`);
  },
  RawRequest: (base, p, config) => {
    if (typeof config?.method !== 'string') throw new Error('RawRequest placeholder: no method');
    const rawPath = typeof config.path === 'string' && config.path ? config.path : '/';
    const target = (base.endsWith('/') ? base : base + '/') + rawPath.replace(/^\//, '');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((config.headers ?? {}) as Record<string, unknown>)) headers[k] = String(v).split(PAYLOAD_MARK).join(p);
    const content = typeof config.body === 'string' ? config.body.split(PAYLOAD_MARK).join(p) : '';
    return { method: config.method, path: target.split(PAYLOAD_MARK).join(p), headers, body: content ? Buffer.from(content, 'utf-8') : undefined };
  },
};

/** Placeholders GoTestWAF knows but that cannot be replayed over HTTP/1.1 against the filter. */
const UNREPLAYABLE: Readonly<Record<string, string>> = {
  gRPC: 'gRPC placeholder: GoTestWAF sends these over a gRPC (HTTP/2) channel to --grpcPort, and only if a gRPC service answers; '
    + 'the filter serves HTTP/1.1 in front of a plain HTTP application',
};

function splitQuery(base: string): [string, string | undefined] {
  const i = base.indexOf('?');
  return i < 0 ? [base, undefined] : [base.slice(0, i), base.slice(i + 1)];
}

/**
 * The request GoTestWAF would send for `c` against a target whose path and query is `basePath`
 * ('' for the root): the encoder applied to the payload, then the placeholder.
 */
export function buildGoTestWafRequest(c: GoTestWafCase, basePath = ''): GoTestWafRequest {
  const encode = GOTESTWAF_ENCODERS[c.encoder];
  const build = PLACEHOLDERS[c.placeholder.name];
  if (!encode || !build) throw new Error(`unsupported encoder ${c.encoder} or placeholder ${c.placeholder.name}`);
  return build(basePath, encode(c.payload), c.placeholder.config);
}

// ---------------------------------------------------------------- loading

interface TestCaseFile {
  payload: string[];
  encoder: string[];
  placeholder: GoTestWafPlaceholder[];
}

/** Parses one test case file as GoTestWAF's go-yaml would. */
function parseTestCaseFile(file: string): TestCaseFile {
  const text = fs.readFileSync(file, 'utf-8');
  const doc = parseDocument(text);
  // go-yaml (after libyaml) reads \' in a double-quoted scalar as ', the yaml package reports it and keeps the backslash.
  const quoteEscapes = doc.errors.filter(e => e.code === 'BAD_DQ_ESCAPE' && text.startsWith('\\\'', e.pos[0]));
  const others = doc.errors.filter(e => !quoteEscapes.includes(e));
  if (others.length > 0) throw new Error(`${file}: ${others.map(e => e.message).join('; ')}`);
  visit(doc, {
    Scalar(_key, node) {
      const range = node.range;
      if (node.type !== 'QUOTE_DOUBLE' || !range || typeof node.value !== 'string') return;
      if (quoteEscapes.some(e => e.pos[0] >= range[0] && e.pos[0] < range[1])) node.value = node.value.replace(/\\'/g, '\'');
    },
  });
  const js = doc.toJS() as Record<string, unknown> | null;
  const list = (key: string): unknown[] => {
    const v = js?.[key];
    if (!Array.isArray(v) || v.length === 0) throw new Error(`${file}: no ${key} list`);
    return v;
  };
  const placeholder = list('placeholder').map((p): GoTestWafPlaceholder => {
    if (typeof p === 'string') return { name: p };
    const entries = p && typeof p === 'object' ? Object.entries(p as Record<string, unknown>) : [];
    if (entries.length !== 1) throw new Error(`${file}: placeholder ${JSON.stringify(p)} is neither a name nor {name: config}`);
    return { name: entries[0][0], config: (entries[0][1] ?? {}) as Record<string, unknown> };
  });
  return { payload: list('payload').map(String), encoder: list('encoder').map(String), placeholder };
}

/**
 * Every payload × encoder × placeholder of the GoTestWAF test cases under `corpusDir`
 * (the `gotestwaf/` folder, or the corpus root that holds it), with its set, class and
 * kind; combinations with an encoder or placeholder that cannot be replayed are counted
 * in `excluded` with the reason.
 */
export function loadGoTestWafCases(corpusDir: string): GoTestWafCases {
  const root = fs.existsSync(path.join(corpusDir, 'gotestwaf')) ? path.join(corpusDir, 'gotestwaf') : corpusDir;
  const sets = fs.readdirSync(root).filter(d => fs.statSync(path.join(root, d)).isDirectory()).sort();
  if (sets.length === 0) throw new Error(`no GoTestWAF test sets in ${root}`);
  const cases: GoTestWafCase[] = [];
  const excluded = new Map<string, { set: string; class: string; reason: string; count: number }>();
  for (const set of sets) {
    const kind: GoTestWafKind = set === 'false-pos' ? 'false-positive' : 'true-positive';
    for (const file of fs.readdirSync(path.join(root, set)).filter(f => /\.ya?ml$/.test(f)).sort()) {
      const cls = file.replace(/\.ya?ml$/, '');
      const tc = parseTestCaseFile(path.join(root, set, file));
      for (const encoder of tc.encoder) {
        for (const placeholder of tc.placeholder) {
          const reason = !GOTESTWAF_ENCODERS[encoder] ? `encoder ${encoder} is not implemented by GoTestWAF's encoder package`
            : UNREPLAYABLE[placeholder.name] ?? (!PLACEHOLDERS[placeholder.name] ? `placeholder ${placeholder.name} is unknown` : undefined);
          if (reason) {
            const key = `${set}/${cls}/${reason}`;
            const e = excluded.get(key) ?? { set, class: cls, reason, count: 0 };
            e.count += tc.payload.length;
            excluded.set(key, e);
            continue;
          }
          for (const payload of tc.payload) cases.push({ set, class: cls, kind, payload, encoder, placeholder });
        }
      }
    }
  }
  return { cases, excluded: [...excluded.values()] };
}

// ---------------------------------------------------------------- replaying

export interface ReplayOptions {
  /** Requests in flight. @default 8 */
  readonly concurrency?: number;
  /** Per-request timeout. @default 30000 */
  readonly timeoutMs?: number;
  /** Host header. Numeric hosts trip CRS rule 920350. @default 'localhost' */
  readonly hostHeader?: string;
}

/** Counts for a group of cases. `rate` is the block rate of true positives, the pass rate of false positives. */
export interface GoTestWafTally {
  /** Cases in the group, answered or not. */
  readonly total: number;
  readonly blocked: number;
  readonly passed: number;
  /** Not answered (connection error, timeout, or a request Node refuses to send). */
  readonly errors: number;
  /** blocked (TP) or passed (FP) / answered; null when none was answered. */
  readonly rate: number | null;
}

export interface GoTestWafGroup extends GoTestWafTally {
  readonly set: string;
  readonly class: string;
  readonly kind: GoTestWafKind;
}

export interface GoTestWafPlaceholderGroup extends GoTestWafTally {
  readonly placeholder: string;
  readonly kind: GoTestWafKind;
}

/** A case whose outcome is the wrong one (TP passed, FP blocked), or that errored. */
export interface GoTestWafNotable {
  readonly set: string;
  readonly class: string;
  readonly encoder: string;
  readonly placeholder: string;
  readonly payload: string;
  readonly status?: number;
  readonly error?: string;
}

export interface GoTestWafResult {
  readonly baseUrl: string;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly cases: number;
  /** Cases that got an HTTP answer. */
  readonly answered: number;
  readonly errors: number;
  /** All true-positive cases; `rate` is the block rate over those answered. */
  readonly truePositives: GoTestWafTally;
  /** All false-positive cases; `rate` is the pass rate over those answered. */
  readonly falsePositives: GoTestWafTally;
  readonly perSet: GoTestWafGroup[];
  readonly perClass: GoTestWafGroup[];
  readonly perPlaceholder: GoTestWafPlaceholderGroup[];
  /** Answers by status code ('error' for no answer). */
  readonly statuses: Record<string, number>;
  /** 403s carrying `x-defence-layer` (the library's filter); a stock configuration answers a plain 403. */
  readonly blocksWithLayerHeader: number;
  readonly missedTruePositives: GoTestWafNotable[];
  readonly blockedFalsePositives: GoTestWafNotable[];
  readonly errorCases: GoTestWafNotable[];
}

type Outcome = { status: number; layer: boolean } | { error: string };

/** Go's net/http client headers (GoTestWAF's default client), besides Host and Content-Length. */
const GO_CLIENT_HEADERS: Readonly<Record<string, string>> = { 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'gzip' };

/**
 * Sends every case to `baseUrl` (loopback only), `concurrency` at a time over
 * keep-alive connections, and counts 403 as blocked, any other answer as passed,
 * and no answer as an error (reported apart, in neither rate).
 */
export async function replayGoTestWaf(baseUrl: string, cases: readonly GoTestWafCase[], options: ReplayOptions = {}): Promise<GoTestWafResult> {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
    throw new Error(`replayGoTestWaf sends attack payloads: only http://127.0.0.1:PORT (loopback) is allowed, not ${baseUrl}`);
  }
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const basePath = (url.pathname === '/' ? '' : url.pathname) + url.search;
  const target = { host: '127.0.0.1', port: Number(url.port || 80), hostHeader: options.hostHeader ?? 'localhost', timeoutMs: options.timeoutMs ?? 30_000 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const outcomes: Outcome[] = new Array(cases.length);
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      outcomes[i] = await sendCase(cases[i], basePath, target, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return summarise(baseUrl, cases, outcomes, Date.now() - started, concurrency);
}

interface Target { host: string; port: number; hostHeader: string; timeoutMs: number }

async function sendCase(c: GoTestWafCase, basePath: string, target: Target, agent: http.Agent): Promise<Outcome> {
  let request: GoTestWafRequest;
  try {
    request = buildGoTestWafRequest(c, basePath);
  } catch (e) {
    return { error: `not built: ${(e as Error).message}` };
  }
  const first = await send(request, target, agent);
  // A keep-alive connection the server closed as it was reused: try once more on a new one.
  if ('error' in first && first.retry) return send(request, target, agent);
  return first;
}

function send(r: GoTestWafRequest, target: Target, agent: http.Agent): Promise<Outcome & { retry?: boolean }> {
  return new Promise(resolve => {
    const headers: Record<string, string | number> = { ...GO_CLIENT_HEADERS, ...r.headers, Host: target.hostHeader };
    if (r.body) headers['Content-Length'] = r.body.length;
    let req: http.ClientRequest;
    try {
      req = http.request({ host: target.host, port: target.port, method: r.method, path: r.path, headers, agent });
    } catch (e) {
      // Node refuses some targets and header values (e.g. control characters) that Go would send or also refuse.
      resolve({ error: `not sent: ${(e as Error).message}` });
      return;
    }
    let reused = false;
    req.on('socket', s => { reused = s.bytesWritten > 0; });
    req.setTimeout(target.timeoutMs, () => req.destroy(new Error(`timeout after ${target.timeoutMs} ms`)));
    req.on('response', res => {
      res.resume();
      const done = () => resolve({ status: res.statusCode ?? 0, layer: res.headers['x-defence-layer'] !== undefined });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', e => {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      resolve({ error: `${code ? code + ': ' : ''}${e.message}`, retry: reused && ['ECONNRESET', 'EPIPE'].includes(code) });
    });
    req.end(r.body);
  });
}

function tally(outcomes: Outcome[], kind: GoTestWafKind): GoTestWafTally {
  let blocked = 0; let passed = 0; let errors = 0;
  for (const o of outcomes) {
    if ('error' in o) errors++;
    else if (o.status === 403) blocked++;
    else passed++;
  }
  const answered = blocked + passed;
  const good = kind === 'true-positive' ? blocked : passed;
  return { total: outcomes.length, blocked, passed, errors, rate: answered === 0 ? null : good / answered };
}

interface Group { first: GoTestWafCase; outcomes: Outcome[] }

function groupBy(cases: readonly GoTestWafCase[], outcomes: Outcome[], key: (c: GoTestWafCase) => string): Map<string, Group> {
  const groups = new Map<string, Group>();
  cases.forEach((c, i) => {
    const k = key(c);
    const g = groups.get(k) ?? { first: c, outcomes: [] };
    g.outcomes.push(outcomes[i]);
    groups.set(k, g);
  });
  return groups;
}

const MAX_PAYLOAD_SHOWN = 200;

function summarise(baseUrl: string, cases: readonly GoTestWafCase[], outcomes: Outcome[], durationMs: number, concurrency: number): GoTestWafResult {
  const ofKind = (kind: GoTestWafKind) => outcomes.filter((_, i) => cases[i].kind === kind);
  const statuses: Record<string, number> = {};
  let blocksWithLayerHeader = 0;
  const missedTruePositives: GoTestWafNotable[] = [];
  const blockedFalsePositives: GoTestWafNotable[] = [];
  const errorCases: GoTestWafNotable[] = [];
  cases.forEach((c, i) => {
    const o = outcomes[i];
    const key = 'error' in o ? 'error' : String(o.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    const payload = c.payload.length > MAX_PAYLOAD_SHOWN ? `${c.payload.slice(0, MAX_PAYLOAD_SHOWN)}... (${c.payload.length} chars)` : c.payload;
    const notable = { set: c.set, class: c.class, encoder: c.encoder, placeholder: c.placeholder.name, payload };
    if ('error' in o) {
      errorCases.push({ ...notable, error: o.error });
      return;
    }
    if (o.status === 403 && o.layer) blocksWithLayerHeader++;
    if (c.kind === 'true-positive' && o.status !== 403) missedTruePositives.push({ ...notable, status: o.status });
    if (c.kind === 'false-positive' && o.status === 403) blockedFalsePositives.push({ ...notable, status: o.status });
  });
  const groups = (key: (c: GoTestWafCase) => string) => [...groupBy(cases, outcomes, key).values()]
    .map(g => ({ set: g.first.set, class: g.first.class, kind: g.first.kind, ...tally(g.outcomes, g.first.kind) }));
  const perPlaceholder = [...groupBy(cases, outcomes, c => `${c.kind}/${c.placeholder.name}`).values()]
    .map(g => ({ placeholder: g.first.placeholder.name, kind: g.first.kind, ...tally(g.outcomes, g.first.kind) }));
  const errors = outcomes.filter(o => 'error' in o).length;
  return {
    baseUrl,
    durationMs,
    concurrency,
    cases: cases.length,
    answered: cases.length - errors,
    errors,
    truePositives: tally(ofKind('true-positive'), 'true-positive'),
    falsePositives: tally(ofKind('false-positive'), 'false-positive'),
    perSet: groups(c => c.set).map(g => ({ ...g, class: '*' })),
    perClass: groups(c => `${c.set}/${c.class}`),
    perPlaceholder,
    statuses,
    blocksWithLayerHeader,
    missedTruePositives,
    blockedFalsePositives,
    errorCases,
  };
}

// ---------------------------------------------------------------- formatting

const pct = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);

function table(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A readable table of one replay: per class and set, then the totals. `rate` is TP block rate / FP pass rate. */
export function formatGoTestWafTable(result: GoTestWafResult, title?: string): string {
  const row = (g: GoTestWafGroup) => [g.set, g.class, g.kind === 'true-positive' ? 'TP' : 'FP',
    String(g.total), String(g.blocked), String(g.passed), String(g.errors), pct(g.rate)];
  const rows = [...result.perClass.map(row), ...result.perSet.map(row)];
  const statuses = Object.entries(result.statuses).map(([s, n]) => `${s}: ${n}`).join(', ');
  const tp = result.truePositives;
  const fp = result.falsePositives;
  return [
    `${title ?? 'GoTestWAF replay'}: ${result.baseUrl}, ${result.cases} cases, ${result.answered} answered, ${result.errors} errors, `
      + `${(result.durationMs / 1000).toFixed(1)} s at concurrency ${result.concurrency}`,
    table(['set', 'class', 'kind', 'cases', 'blocked', 'passed', 'errors', 'rate'], rows, 3),
    `true-positive block rate: ${pct(tp.rate)} (${tp.blocked}/${tp.blocked + tp.passed})`
      + `; false-positive pass rate: ${pct(fp.rate)} (${fp.passed}/${fp.blocked + fp.passed})`,
    `statuses: ${statuses}; 403s with x-defence-layer: ${result.blocksWithLayerHeader}`,
  ].join('\n');
}

/** Several replays side by side: per class the rate of each run (TP block rate, FP pass rate), then the totals. */
export function formatGoTestWafMatrix(runs: ReadonlyArray<{ label: string; result: GoTestWafResult }>): string {
  if (runs.length === 0) return '(no runs)';
  const keys = runs[0].result.perClass.map(g => `${g.set}/${g.class}`);
  const rateOf = (r: GoTestWafResult, key: string) => pct(r.perClass.find(g => `${g.set}/${g.class}` === key)?.rate ?? null);
  const rows = keys.map(key => {
    const g = runs[0].result.perClass.find(x => `${x.set}/${x.class}` === key)!;
    return [key, g.kind === 'true-positive' ? 'TP' : 'FP', String(g.total), ...runs.map(r => rateOf(r.result, key))];
  });
  const first = runs[0].result;
  rows.push(['ALL true positives (block rate)', 'TP', String(first.truePositives.total), ...runs.map(r => pct(r.result.truePositives.rate))]);
  rows.push(['ALL false positives (pass rate)', 'FP', String(first.falsePositives.total), ...runs.map(r => pct(r.result.falsePositives.rate))]);
  rows.push(['errors (no answer)', '', '', ...runs.map(r => String(r.result.errors))]);
  return table(['class', 'kind', 'cases', ...runs.map(r => r.label)], rows, 2);
}

// ---------------------------------------------------------------- loopback helpers

/** An application on loopback that reads each request and answers 200: what passes the filter reaches it. */
export async function startOkUpstream(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
