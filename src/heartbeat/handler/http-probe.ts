import * as http from 'http';
import * as https from 'https';
import { BLOCK_HEADER, PROBE_USER_AGENT } from '../heartbeat-config';

/** What a probe saw: an answer (status, the block header's value) or why there was none. */
export interface ProbeAnswer {
  readonly target: string;
  readonly status?: number;
  /** The value of the block header, when a layer answered with its block. */
  readonly blockedBy?: string;
  readonly error?: string;
  readonly durationMs: number;
}

export interface ProbeRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
}

/** Reads at most this much of a body: the verdict needs the status and headers only. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Sends one request and never throws: timeouts, refused connections, TLS
 * failures and malformed responses come back as `error`. Redirects are not
 * followed (a redirect is an answer, not a block).
 */
export function probe(req: ProbeRequest): Promise<ProbeAnswer> {
  const started = Date.now();
  return new Promise(resolve => {
    let settled = false;
    const done = (answer: Omit<ProbeAnswer, 'durationMs' | 'target'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ target: req.url, ...answer, durationMs: Date.now() - started });
    };
    let url: URL;
    try {
      url = new URL(req.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
    } catch (error) {
      done({ error: `invalid URL: ${(error as Error).message}` });
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: req.method,
      headers: { 'user-agent': PROBE_USER_AGENT, 'accept': '*/*', ...req.headers },
      agent: false,
    }, res => {
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) res.destroy();
      });
      const finish = () => {
        const header = res.headers[BLOCK_HEADER];
        done({ status: res.statusCode, blockedBy: Array.isArray(header) ? header.join(',') : header });
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    request.on('error', error => {
      done({ error: describeError(error) });
      request.destroy();
    });
    if (req.body !== undefined) request.write(req.body);
    request.end();
  });
}

function describeError(error: NodeJS.ErrnoException): string {
  const code = error.code && !error.message.includes(error.code) ? `${error.code}: ` : '';
  return `${code}${error.message}`;
}

/**
 * Why an answer does not prove what the probe expects, or undefined when it does.
 * - `block`: the expected layer answered with its block status and its header.
 * - `pass`: no layer blocked, and the service answered (not 5xx).
 */
export function judgeProbe(expect: 'block' | 'pass', layer: string, blockStatus: number, answer: ProbeAnswer): string | undefined {
  const where = answer.target;
  if (answer.error !== undefined) return `${where}: no answer (${answer.error})`;
  const status = answer.status;
  if (expect === 'block') {
    if (answer.blockedBy === layer) {
      return status === blockStatus ? undefined
        : `${where}: answered ${status} with '${BLOCK_HEADER}: ${layer}', expected status ${blockStatus}`;
    }
    if (answer.blockedBy !== undefined) {
      return `${where}: blocked by the '${answer.blockedBy}' layer, not by '${layer}': the ${layer} layer let the canary through `
        + '(count-only or DetectionOnly, detached) or the probe did not reach it';
    }
    return `${where}: not blocked (status ${status}, no '${BLOCK_HEADER}' header): the ${layer} layer let the canary through `
      + '(count-only or DetectionOnly, detached, or bypassed)';
  }
  if (answer.blockedBy !== undefined) return `${where}: a benign request was blocked by the '${answer.blockedBy}' layer (status ${status})`;
  if (status === undefined || status >= 500) return `${where}: the service answered ${status ?? 'nothing'} to a benign request`;
  return undefined;
}
