// The edge layer's decoy quarantine. WAF can block a decoy request and label it, but a rate-based rule
// acts only on requests that match its scope-down, so WAF alone cannot block the caller's *next*
// requests. This function does: it reads the edge's WAF logs as Firehose passes them to the archive
// (records go back unchanged), puts every caller whose request the decoy rule terminated into a
// quarantine IP set the web ACL blocks, and empties old sets on a schedule.
//
// Slots: SLOTS sets per address version; during period k (k = floor(now / PERIOD)) callers go into
// slot k % SLOTS and the scheduled run empties slot (k + 1) % SLOTS, which holds callers from period
// k - 2. So a caller stays blocked at least one period and at most three, with no state but the sets.
import { isIP } from 'net';
import { GetIPSetCommand, UpdateIPSetCommand, WAFOptimisticLockException, WAFV2Client } from '@aws-sdk/client-wafv2';
import { emitMetrics } from '../core/embedded-metrics';

export interface QuarantineIpSet {
  readonly name: string;
  readonly id: string;
  readonly slot: number;
  readonly version: 4 | 6;
}

export interface QuarantineConfig {
  readonly scope: string;
  readonly periodSeconds: number;
  readonly slots: number;
  readonly decoyRuleName: string;
  readonly ipSets: QuarantineIpSet[];
  /** The header holding the client IP behind a proxy, lowercase; absent: the connection's address. */
  readonly forwardedIpHeader?: string;
  readonly forwardedIpPosition?: 'FIRST' | 'LAST';
}

interface FirehoseRecord { readonly recordId: string; readonly data: string }
interface FirehoseEvent { readonly records: FirehoseRecord[] }
interface ScheduledEvent { readonly 'source'?: string; readonly 'detail-type'?: string; readonly 'time'?: string }

const METRIC_NAMESPACE = 'DefenceInDepth/Edge';
const MAX_ADDRESSES = 10_000;
const client = new WAFV2Client({});

function config(): QuarantineConfig {
  return JSON.parse(process.env.QUARANTINE_CONFIG ?? '{}');
}

export async function handler(event: FirehoseEvent | ScheduledEvent): Promise<unknown> {
  const cfg = config();
  if ('records' in event && Array.isArray(event.records)) {
    const callers = decoyCallers(event.records, cfg);
    await quarantine(callers, cfg, Date.now());
    // Every record goes on to the archive as it came.
    return { records: event.records.map(r => ({ recordId: r.recordId, result: 'Ok', data: r.data })) };
  }
  const time = (event as ScheduledEvent).time;
  await release(cfg, time ? Date.parse(time) : Date.now());
  return { released: true };
}

/** The client addresses of the requests the decoy rule terminated, from WAF log records. */
export function decoyCallers(records: FirehoseRecord[], cfg: QuarantineConfig): string[] {
  const callers = new Set<string>();
  for (const record of records) {
    const text = Buffer.from(record.data, 'base64').toString('utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let entry: any;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // not a WAF log line: nothing to quarantine, and the record still goes to the archive
      }
      if (entry?.terminatingRuleId !== cfg.decoyRuleName) continue;
      const ip = clientIp(entry.httpRequest, cfg);
      if (ip) callers.add(ip);
    }
  }
  return [...callers];
}

function clientIp(request: any, cfg: QuarantineConfig): string | undefined {
  let candidate: string | undefined = request?.clientIp;
  if (cfg.forwardedIpHeader) {
    const header = (request?.headers ?? []).find((h: any) => String(h?.name).toLowerCase() === cfg.forwardedIpHeader);
    const parts = String(header?.value ?? '').split(',').map(p => p.trim()).filter(Boolean);
    candidate = cfg.forwardedIpPosition === 'LAST' ? parts[parts.length - 1] : parts[0];
  }
  return candidate && isIP(candidate) ? candidate : undefined;
}

/** The slot callers go into at `now`. */
export function activeSlot(cfg: QuarantineConfig, now: number): number {
  return Math.floor(now / 1000 / cfg.periodSeconds) % cfg.slots;
}

async function quarantine(callers: string[], cfg: QuarantineConfig, now: number): Promise<void> {
  if (callers.length === 0) return;
  const slot = activeSlot(cfg, now);
  for (const version of [4, 6] as const) {
    const cidrs = callers.filter(ip => isIP(ip) === version).map(ip => `${ip}/${version === 4 ? 32 : 128}`);
    const set = cfg.ipSets.find(s => s.slot === slot && s.version === version);
    if (cidrs.length === 0 || !set) continue;
    try {
      await update(set, cfg.scope, current => [...new Set([...current, ...cidrs])].slice(0, MAX_ADDRESSES));
      console.log(JSON.stringify({ message: 'quarantined', set: set.name, callers: cidrs }));
      metric('CallersQuarantined', cidrs.length);
    } catch (error) {
      // The decoy request itself was blocked; the follow-up block failed. Say so loudly (the metric has an alarm).
      console.error(JSON.stringify({ message: 'quarantine failed', set: set.name, callers: cidrs, error: String(error) }));
      metric('QuarantineFailures', 1);
    }
  }
}

async function release(cfg: QuarantineConfig, now: number): Promise<void> {
  const expiring = (activeSlot(cfg, now) + 1) % cfg.slots;
  let failures = 0;
  for (const set of cfg.ipSets.filter(s => s.slot === expiring)) {
    try {
      await update(set, cfg.scope, () => []);
      console.log(JSON.stringify({ message: 'released', set: set.name }));
    } catch (error) {
      console.error(JSON.stringify({ message: 'release failed', set: set.name, error: String(error) }));
      failures++;
    }
  }
  if (failures) {
    metric('QuarantineFailures', failures);
    throw new Error(`could not empty ${failures} quarantine set(s)`);
  }
}

/** Read-modify-write of an IP set, retried when another writer got there first. */
async function update(set: QuarantineIpSet, scope: string, change: (current: string[]) => string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const got = await client.send(new GetIPSetCommand({ Name: set.name, Id: set.id, Scope: scope as any }));
    const current = got.IPSet?.Addresses ?? [];
    const next = change(current);
    if (next.length === current.length && next.every(a => current.includes(a))) return;
    try {
      await client.send(new UpdateIPSetCommand({ Name: set.name, Id: set.id, Scope: scope as any, Addresses: next, LockToken: got.LockToken }));
      return;
    } catch (error) {
      if (!(error instanceof WAFOptimisticLockException) || attempt >= 5) throw error;
    }
  }
}

/** A CloudWatch metric of the function (embedded metric format). */
function metric(name: string, value: number): void {
  emitMetrics(METRIC_NAMESPACE, { Function: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'decoy-quarantine' }, { [name]: value });
}
