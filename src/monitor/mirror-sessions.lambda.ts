// The monitor layer's mirror sessions: every network interface of every web host in the watched
// Auto Scaling groups gets a Traffic Mirroring session to the sensors' target.
// - Launch events (EventBridge, "EC2 Instance Launch Successful") mirror the new instance at once.
// - Terminate events remove the sessions this function made for the instance.
// - A scheduled reconciliation mirrors whatever is missing (an event lost, a failed call) and
//   publishes UnmirroredInterfaces, which the layer alarms on (missing data is breaching).
// Every call is idempotent (a client token per interface and target) and retried on throttling.
import { AutoScalingClient, paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';
import {
  CreateTrafficMirrorSessionCommand, DeleteTrafficMirrorSessionCommand, EC2Client, NetworkInterface,
  paginateDescribeNetworkInterfaces, paginateDescribeTrafficMirrorSessions, TrafficMirrorSession,
} from '@aws-sdk/client-ec2';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { METRIC_NAMESPACE, MirrorSessionsConfig, SESSION_TAG_INSTANCE, SESSION_TAG_TARGET } from './mirror-sessions-config';
import { emitMetrics } from '../core/embedded-metrics';

export type { MirrorSessionsConfig } from './mirror-sessions-config';
export { SESSION_TAG_INSTANCE, SESSION_TAG_TARGET } from './mirror-sessions-config';

/** How the calls are retried on throttling and transient errors (tests shorten the delay). */
export const retryPolicy = { attempts: 6, baseDelayMs: 250 };

interface AsgEvent {
  readonly 'source': string;
  readonly 'detail-type': string;
  readonly 'detail': { readonly EC2InstanceId?: string; readonly AutoScalingGroupName?: string };
}

export interface MirrorReport {
  /** Web-host interfaces seen. */
  readonly interfaces: number;
  /** Sessions created by this run. */
  readonly created: number;
  /** Sessions deleted by this run (instances gone). */
  readonly deleted: number;
  /** Interfaces still without a session to the target after this run. */
  readonly unmirrored: number;
  readonly failures: string[];
}

const ec2 = new EC2Client({});
const autoscaling = new AutoScalingClient({});

export const handler = async (event: Partial<AsgEvent>): Promise<MirrorReport> => {
  const config: MirrorSessionsConfig = JSON.parse(process.env.MIRROR_CONFIG ?? '{}');
  const instanceId = event.detail?.EC2InstanceId;
  let report: MirrorReport;
  if (event['detail-type'] === 'EC2 Instance Launch Successful' && instanceId) {
    report = await mirrorInstances(config, [instanceId]);
  } else if (event['detail-type'] === 'EC2 Instance Terminate Successful' && instanceId) {
    report = await removeInstanceSessions(config, instanceId);
  } else {
    report = await reconcile(config);
  }
  console.log(JSON.stringify({ message: 'mirror sessions', trigger: event['detail-type'] ?? 'reconcile', instanceId, ...report }));
  const values: Record<string, number> = { MirrorFailures: report.failures.length, SessionsCreated: report.created };
  // Only the reconciliation sees every interface: it alone reports the unmirrored count.
  if (!event['detail-type'] || event['detail-type'] === 'Scheduled Event') values.UnmirroredInterfaces = report.unmirrored;
  emitMetrics(METRIC_NAMESPACE, { MirrorTarget: config.targetId }, values);
  return report;
};

/** Mirrors every interface of every in-service instance of the groups, and removes sessions of instances gone. */
export async function reconcile(config: MirrorSessionsConfig): Promise<MirrorReport> {
  const instances: string[] = [];
  // No names would list every group of the account: mirror nothing rather than everything.
  if (config.groupNames.length === 0) return { interfaces: 0, created: 0, deleted: 0, unmirrored: 0, failures: [] };
  // A throttled page restarts the listing (reads only): the SDK's paginators stay in charge of the tokens.
  await withRetry(async () => {
    instances.length = 0;
    for await (const page of paginateDescribeAutoScalingGroups({ client: autoscaling }, { AutoScalingGroupNames: config.groupNames })) {
      for (const group of page.AutoScalingGroups ?? []) {
        for (const instance of group.Instances ?? []) {
          if (instance.InstanceId && !/^Terminat/.test(instance.LifecycleState ?? '')) instances.push(instance.InstanceId);
        }
      }
    }
  });
  const mirrored = await mirrorInstances(config, instances);
  // Sessions this function made for instances no longer in a group: their interfaces are gone or leaving.
  const current = new Set(instances);
  let deleted = 0;
  const failures = [...mirrored.failures];
  for (const session of await sessionsToTarget(config)) {
    const owner = tagValue(session, SESSION_TAG_INSTANCE);
    if (owner && !current.has(owner) && session.TrafficMirrorSessionId) {
      try {
        await withRetry(() => ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: session.TrafficMirrorSessionId })));
        deleted++;
      } catch (error) {
        failures.push(`delete ${session.TrafficMirrorSessionId}: ${describe(error)}`);
      }
    }
  }
  return { ...mirrored, deleted, failures };
}

/** Creates the missing sessions for the instances' interfaces. */
export async function mirrorInstances(config: MirrorSessionsConfig, instanceIds: string[]): Promise<MirrorReport> {
  const failures: string[] = [];
  const interfaces: NetworkInterface[] = [];
  // The filter takes at most 200 values per call.
  for (let i = 0; i < instanceIds.length; i += 200) {
    const Filters = [{ Name: 'attachment.instance-id', Values: instanceIds.slice(i, i + 200) }];
    interfaces.push(...await withRetry(async () => {
      const batch: NetworkInterface[] = [];
      for await (const page of paginateDescribeNetworkInterfaces({ client: ec2 }, { Filters })) {
        batch.push(...(page.NetworkInterfaces ?? []).filter(n => n.InterfaceType === undefined || n.InterfaceType === 'interface'));
      }
      return batch;
    }));
  }
  const mirroredInterfaces = new Set((await sessionsToTarget(config)).map(s => s.NetworkInterfaceId));
  let created = 0;
  let unmirrored = 0;
  for (const eni of interfaces) {
    if (!eni.NetworkInterfaceId || mirroredInterfaces.has(eni.NetworkInterfaceId)) continue;
    const instanceId = eni.Attachment?.InstanceId ?? 'unknown';
    try {
      await withRetry(() => ec2.send(new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId,
        TrafficMirrorTargetId: config.targetId,
        TrafficMirrorFilterId: config.filterId,
        SessionNumber: config.sessionNumber,
        VirtualNetworkId: config.virtualNetworkId,
        Description: `cdk-defence-in-depth monitor layer: ${instanceId}`,
        // Same interface and target, same token: a retried or repeated call creates nothing new.
        ClientToken: `${eni.NetworkInterfaceId}-${config.targetId}`.slice(0, 64),
        TagSpecifications: [{
          ResourceType: 'traffic-mirror-session',
          Tags: [{ Key: SESSION_TAG_TARGET, Value: config.targetId }, { Key: SESSION_TAG_INSTANCE, Value: instanceId }],
        }],
      })));
      mirroredInterfaces.add(eni.NetworkInterfaceId);
      created++;
    } catch (error) {
      unmirrored++;
      failures.push(`${eni.NetworkInterfaceId} (${instanceId}): ${describe(error)}`);
    }
  }
  return { interfaces: interfaces.length, created, deleted: 0, unmirrored, failures };
}

/** Removes the sessions this function created for a terminated instance. */
export async function removeInstanceSessions(config: MirrorSessionsConfig, instanceId: string): Promise<MirrorReport> {
  const failures: string[] = [];
  let deleted = 0;
  for (const session of await sessionsToTarget(config)) {
    if (tagValue(session, SESSION_TAG_INSTANCE) !== instanceId || !session.TrafficMirrorSessionId) continue;
    try {
      await withRetry(() => ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: session.TrafficMirrorSessionId })));
      deleted++;
    } catch (error) {
      failures.push(`delete ${session.TrafficMirrorSessionId}: ${describe(error)}`);
    }
  }
  return { interfaces: 0, created: 0, deleted, unmirrored: 0, failures };
}

async function sessionsToTarget(config: MirrorSessionsConfig): Promise<TrafficMirrorSession[]> {
  const Filters = [{ Name: 'traffic-mirror-target-id', Values: [config.targetId] }];
  return withRetry(async () => {
    const sessions: TrafficMirrorSession[] = [];
    for await (const page of paginateDescribeTrafficMirrorSessions({ client: ec2 }, { Filters })) {
      sessions.push(...(page.TrafficMirrorSessions ?? []));
    }
    return sessions;
  });
}

const tagValue = (s: TrafficMirrorSession, key: string) => s.Tags?.find(t => t.Key === key)?.Value;

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
}

/**
 * Retries a call on throttling and transient errors with exponential backoff
 * and full jitter. The SDK retries too, but a reconciliation over many hosts
 * can outlast its budget; this keeps one throttled interface from being skipped.
 */
export async function withRetry<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error: any) {
      const retryable = isThrottlingError(error) || isTransientError(error) || isServerError(error);
      if (!retryable || attempt >= retryPolicy.attempts) throw error;
      const delay = Math.random() * retryPolicy.baseDelayMs * 2 ** (attempt - 1);
      await new Promise(resolve => setTimeout(resolve, delay));
    }
  }
}
