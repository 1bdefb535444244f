// A control's heartbeat. On every run it proves the control works on its own:
// - probes: a canary attack that the control, and only it, must block (its block
//   status with `x-defence-layer: <layer>`), and a benign request that must pass;
// - the control's AWS state: web ACL rules and associations, mirror sessions and
//   healthy sensors, the sensors' canary alert, logs still arriving, delivery streams;
// - its peers: each peer heartbeat's log group must hold a recent result (mutual watch).
// It writes one JSON result line and EMF metrics (Healthy, CheckPassed, PeerSilent) into
// its own log group, and never throws: a timeout, throttling or a 5xx is a failed check.
import type { CheckConfig, HeartbeatConfig, PeerConfig, ProbeCheck } from './heartbeat-config';
import { HEARTBEAT_METRICS, HEARTBEAT_NAMESPACE, RESULT_MARKER } from './heartbeat-config';
import { metricsDocument } from '../core/embedded-metrics';
import {
  CheckOutcome, deliveryStream, discoverTargets, hasEventSince, logsArriving, mirrorSessions, sensorCanary, sensorsHealthy, webAcl, webAclAssociation,
} from './handler/aws-checks';
import { judgeProbe, probe } from './handler/http-probe';

export interface CheckResult extends CheckOutcome {
  readonly name: string;
  readonly kind: string;
  readonly durationMs: number;
}

export interface PeerResult {
  readonly control: string;
  readonly heartbeat: string;
  readonly silent: boolean;
  readonly detail: string;
}

export interface HeartbeatResult {
  readonly heartbeat: typeof RESULT_MARKER;
  readonly control: string;
  readonly heartbeatName: string;
  readonly healthy: boolean;
  readonly checks: CheckResult[];
  readonly peers: PeerResult[];
  readonly durationMs: number;
}

/** One JSON object per line, unprefixed: CloudWatch extracts the metrics, filter patterns read the fields. */
function writeLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

export async function handler(): Promise<HeartbeatResult | { error: string }> {
  const started = Date.now();
  let config: HeartbeatConfig;
  try {
    config = JSON.parse(process.env.HEARTBEAT_CONFIG ?? '');
    if (!Array.isArray(config.checks) || typeof config.control !== 'string') throw new Error('checks or control missing');
  } catch (error) {
    // Without a configuration there is nothing to prove: no metric, so the heartbeat alarm (missing data) fires.
    writeLine({ heartbeat: 'error', error: `invalid HEARTBEAT_CONFIG: ${(error as Error).message}` });
    return { error: 'invalid HEARTBEAT_CONFIG' };
  }
  const deadline = started + config.deadlineMs;
  const [checks, peers] = await Promise.all([
    Promise.all(config.checks.map(check => runCheck(check, deadline))),
    Promise.all((config.peers ?? []).map(peer => watchPeer(peer, config.peerSilenceSeconds, deadline))),
  ]);
  const result: HeartbeatResult = {
    heartbeat: RESULT_MARKER,
    control: config.control,
    heartbeatName: config.heartbeat,
    healthy: checks.every(c => c.passed),
    checks,
    peers,
    durationMs: Date.now() - started,
  };
  writeLine(result);
  const dims = { Control: config.control, Heartbeat: config.heartbeat };
  writeLine(metricsDocument(HEARTBEAT_NAMESPACE, dims, {
    [HEARTBEAT_METRICS.healthy]: result.healthy ? 1 : 0,
    [HEARTBEAT_METRICS.silentPeers]: peers.filter(p => p.silent).length,
  }));
  for (const check of checks) {
    writeLine(metricsDocument(HEARTBEAT_NAMESPACE, { ...dims, Check: check.name }, { [HEARTBEAT_METRICS.checkPassed]: check.passed ? 1 : 0 }));
  }
  for (const peer of peers) {
    writeLine(metricsDocument(HEARTBEAT_NAMESPACE, { ...dims, Peer: peer.heartbeat }, { [HEARTBEAT_METRICS.peerSilent]: peer.silent ? 1 : 0 }));
  }
  return result;
}

/** Runs one check within the run's deadline; whatever goes wrong is a failed check with the reason. */
export async function runCheck(check: CheckConfig, deadline: number): Promise<CheckResult> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckOutcome>(resolve => {
    timer = setTimeout(() => resolve({ passed: false, detail: 'did not finish before the run\'s deadline' }), Math.max(0, deadline - started));
  });
  let outcome: CheckOutcome;
  try {
    outcome = await Promise.race([evaluate(check, deadline), late]);
  } catch (error) {
    outcome = { passed: false, detail: describeFailure(error) };
  } finally {
    clearTimeout(timer);
  }
  return { name: check.name, kind: check.kind, ...outcome, durationMs: Date.now() - started };
}

function evaluate(check: CheckConfig, deadline: number): Promise<CheckOutcome> {
  switch (check.kind) {
    case 'probe': return probeCheck(check);
    case 'logs-arriving': return logsArriving(check, deadline);
    case 'delivery-stream': return deliveryStream(check);
    case 'web-acl': return webAcl(check);
    case 'web-acl-association': return webAclAssociation(check);
    case 'mirror-sessions': return mirrorSessions(check);
    case 'sensors-healthy': return sensorsHealthy(check);
    case 'sensor-canary': return sensorCanaryCheck(check, deadline);
    default: return Promise.resolve({ passed: false, detail: `unknown check kind '${(check as any).kind}'` });
  }
}

async function probeCheck(check: ProbeCheck): Promise<CheckOutcome> {
  let urls: string[];
  if (check.targets) {
    const addresses = await discoverTargets(check.targets);
    if (addresses.length === 0) return { passed: false, detail: 'no running web host or task found to probe' };
    urls = addresses.map(a => `http://${a.includes(':') ? `[${a}]` : a}:${check.targets!.port}${check.targets!.path}`);
  } else {
    urls = [check.url ?? ''];
  }
  const answers = await Promise.all(urls.map(url => probe({
    url, method: check.method, headers: check.headers, body: check.body, timeoutMs: check.timeoutMs,
  })));
  const failures = answers.map(a => judgeProbe(check.expect, check.layer, check.blockStatus, a)).filter((f): f is string => f !== undefined);
  if (failures.length > 0) return { passed: false, detail: failures.join('; ') };
  const what = check.expect === 'block' ? `blocked by ${check.layer} (${check.blockStatus})` : `passed (${[...new Set(answers.map(a => a.status))].join(', ')})`;
  return { passed: true, detail: `${answers.length} target(s): ${what}` };
}

async function sensorCanaryCheck(check: Parameters<typeof sensorCanary>[0], deadline: number): Promise<CheckOutcome> {
  // The canary request only has to cross a mirrored interface; whatever the answer, the sensors judge it.
  if (check.url) await probe({ url: check.url, method: 'GET', headers: {}, timeoutMs: check.timeoutMs });
  return sensorCanary(check, deadline);
}

/** A peer is silent when its log group holds no result of it within the silence period. */
async function watchPeer(peer: PeerConfig, silenceSeconds: number, deadline: number): Promise<PeerResult> {
  const pattern = `{ $.heartbeat = "${RESULT_MARKER}" && $.heartbeatName = "${peer.heartbeat}" }`;
  try {
    const found = await hasEventSince(peer.logGroupName, Date.now() - silenceSeconds * 1000, deadline, pattern);
    if (found === 'deadline') return { ...peerId(peer), silent: false, detail: 'could not read the peer\'s log group in time' };
    return found
      ? { ...peerId(peer), silent: false, detail: `a result in the last ${silenceSeconds} s` }
      : { ...peerId(peer), silent: true, detail: `no result in the last ${silenceSeconds} s: the ${peer.control} heartbeat went silent` };
  } catch (error) {
    return { ...peerId(peer), silent: false, detail: `could not read the peer's log group: ${describeFailure(error)}` };
  }
}

function peerId(peer: PeerConfig) {
  return { control: peer.control, heartbeat: peer.heartbeat };
}

/** A sentence for a failed call: throttled, AWS-side error, denied, or the error's own message. */
export function describeFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  const name = e?.name ?? 'Error';
  const message = e?.message ?? String(error);
  const status = e?.$metadata?.httpStatusCode;
  if (/Throttl|TooManyRequests|RequestLimitExceeded|Rate exceeded/i.test(`${name} ${message}`) || e?.$retryable?.throttling) {
    return `throttled by AWS after retries (${name}): ${message}`;
  }
  if (status !== undefined && status >= 500) return `AWS answered ${status} after retries (${name}): ${message}`;
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) return `access denied (${name}): ${message}`;
  return `${name}: ${message}`;
}
