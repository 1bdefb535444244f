// The heartbeat's checks that read AWS. Each SDK client is loaded on first use
// (the runtime provides them), so a heartbeat loads only the clients its checks need.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type {
  DeliveryStreamCheck, LogsArrivingCheck, MirrorSessionsCheck, ProbeTargets,
  SensorCanaryCheck, SensorsHealthyCheck, WebAclAssociationCheck, WebAclCheck,
} from '../heartbeat-config';

/** What a check found: passed or not, and a sentence saying why. */
export interface CheckOutcome {
  readonly passed: boolean;
  readonly detail: string;
}

/** Retries of throttled and transient calls (the SDK's standard mode); per-call socket timeout. */
const CLIENT_CONFIG = { maxAttempts: 3, requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } };
const clients = new Map<string, unknown>();

// Each SDK module is loaded on first use, by a literal require: esbuild leaves the runtime's
// SDK out of the bundle, and a heartbeat loads only what its checks need.
/* eslint-disable @typescript-eslint/no-require-imports, import/no-extraneous-dependencies -- the Lambda runtime provides the SDK */
const logsSdk = (): typeof import('@aws-sdk/client-cloudwatch-logs') => require('@aws-sdk/client-cloudwatch-logs');
const cloudwatchSdk = (): typeof import('@aws-sdk/client-cloudwatch') => require('@aws-sdk/client-cloudwatch');
const firehoseSdk = (): typeof import('@aws-sdk/client-firehose') => require('@aws-sdk/client-firehose');
const wafSdk = (): typeof import('@aws-sdk/client-wafv2') => require('@aws-sdk/client-wafv2');
const ec2Sdk = (): typeof import('@aws-sdk/client-ec2') => require('@aws-sdk/client-ec2');
const elbSdk = (): typeof import('@aws-sdk/client-elastic-load-balancing-v2') => require('@aws-sdk/client-elastic-load-balancing-v2');
const autoscalingSdk = (): typeof import('@aws-sdk/client-auto-scaling') => require('@aws-sdk/client-auto-scaling');
const ecsSdk = (): typeof import('@aws-sdk/client-ecs') => require('@aws-sdk/client-ecs');
/* eslint-enable @typescript-eslint/no-require-imports, import/no-extraneous-dependencies */

function logsClient(): CloudWatchLogsClient {
  const { CloudWatchLogsClient: Client } = logsSdk();
  return cached('logs', () => new Client(CLIENT_CONFIG));
}

function cached<T>(key: string, create: () => T): T {
  if (!clients.has(key)) clients.set(key, create());
  return clients.get(key) as T;
}

/** Forgets the clients (tests replace the SDK between cases). */
export function resetClients(): void {
  clients.clear();
}

/**
 * Whether `logGroupName` has an event (matching `filterPattern`) since `startTime`.
 * FilterLogEvents may return empty pages while it is still searching, so pages
 * are followed until an event, the end, or the deadline.
 */
export async function hasEventSince(logGroupName: string, startTime: number, deadline: number, filterPattern?: string): Promise<boolean | 'deadline'> {
  const { FilterLogEventsCommand } = logsSdk();
  const logs = logsClient();
  let nextToken: string | undefined;
  do {
    if (Date.now() > deadline) return 'deadline';
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName, startTime, filterPattern, limit: 1, nextToken }));
    if ((page.events ?? []).length > 0) return true;
    nextToken = page.nextToken;
  } while (nextToken);
  return false;
}

export async function logsArriving(check: LogsArrivingCheck, deadline: number): Promise<CheckOutcome> {
  const found = await hasEventSince(check.logGroupName, Date.now() - check.maxSilenceSeconds * 1000, deadline, check.filterPattern);
  if (found === 'deadline') return { passed: false, detail: `${check.logGroupName}: the search for recent events did not finish in time` };
  return found
    ? { passed: true, detail: `${check.logGroupName}: events in the last ${check.maxSilenceSeconds} s` }
    : { passed: false, detail: `${check.logGroupName}: no event in the last ${check.maxSilenceSeconds} s: the layer's logs stopped arriving` };
}

export async function deliveryStream(check: DeliveryStreamCheck): Promise<CheckOutcome> {
  const { FirehoseClient, DescribeDeliveryStreamCommand } = firehoseSdk();
  const { CloudWatchClient, GetMetricDataCommand } = cloudwatchSdk();
  const firehose = cached('firehose', () => new FirehoseClient(CLIENT_CONFIG));
  const cloudwatch = cached('cloudwatch', () => new CloudWatchClient(CLIENT_CONFIG));
  const described = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: check.streamName }));
  const status = described.DeliveryStreamDescription?.DeliveryStreamStatus;
  if (status !== 'ACTIVE') return { passed: false, detail: `${check.streamName}: status ${status ?? 'unknown'}, not ACTIVE` };

  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const start = new Date(end.getTime() - 15 * 60_000);
  const metric = (id: string, name: string, stat: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/Firehose', MetricName: name, Dimensions: [{ Name: 'DeliveryStreamName', Value: check.streamName }] },
      Period: 900,
      Stat: stat,
    },
  });
  const data = await cloudwatch.send(new GetMetricDataCommand({
    StartTime: start,
    EndTime: end,
    MetricDataQueries: [
      metric('freshness', 'DeliveryToS3.DataFreshness', 'Maximum'),
      metric('incoming', 'IncomingRecords', 'Sum'),
      metric('success', 'DeliveryToS3.Success', 'Average'),
    ],
  }));
  const value = (id: string) => data.MetricDataResults?.find(r => r.Id === id)?.Values?.[0];
  const freshness = value('freshness');
  const incoming = value('incoming') ?? 0;
  const success = value('success');
  if (freshness !== undefined && freshness > check.maxFreshnessSeconds) {
    return { passed: false, detail: `${check.streamName}: the oldest record waited ${freshness} s for delivery (allowed ${check.maxFreshnessSeconds} s)` };
  }
  if (success !== undefined && success < 1) {
    return { passed: false, detail: `${check.streamName}: ${Math.round((1 - success) * 100)} % of the deliveries to the archive failed in the last 15 minutes` };
  }
  return { passed: true, detail: `${check.streamName}: ACTIVE, ${incoming} records in 15 min, oldest waited ${freshness ?? 0} s` };
}

export async function webAcl(check: WebAclCheck): Promise<CheckOutcome> {
  const { WAFV2Client, GetWebACLCommand } = wafSdk();
  const waf = cached('wafv2', () => new WAFV2Client(CLIENT_CONFIG));
  const got = await waf.send(new GetWebACLCommand({ Name: check.webAclName, Id: check.webAclId, Scope: check.scope }));
  const acl = got.WebACL;
  if (!acl) return { passed: false, detail: `web ACL ${check.webAclName}: not found` };
  const problems: string[] = [];
  const actual = new Map((acl.Rules ?? []).map(rule => [rule.Name ?? '', ruleAction(rule)]));
  for (const expected of check.rules) {
    const action = actual.get(expected.name);
    if (action === undefined) problems.push(`rule ${expected.name} was removed`);
    else if (action !== expected.action) problems.push(`rule ${expected.name} is '${action}', expected '${expected.action}'`);
  }
  const known = new Set(check.rules.map(r => r.name));
  for (const [name, action] of actual) {
    if (!known.has(name) && action === 'allow') problems.push(`an unexpected rule ${name} allows requests`);
  }
  const defaultAction = acl.DefaultAction?.Block ? 'block' : acl.DefaultAction?.Allow ? 'allow' : 'unknown';
  if (defaultAction !== check.defaultAction) problems.push(`the default action is '${defaultAction}', expected '${check.defaultAction}'`);
  return problems.length === 0
    ? { passed: true, detail: `web ACL ${check.webAclName}: ${check.rules.length} rules and the default action as deployed` }
    : { passed: false, detail: `web ACL ${check.webAclName}: ${problems.join('; ')}` };
}

export async function webAclAssociation(check: WebAclAssociationCheck): Promise<CheckOutcome> {
  const { WAFV2Client, GetWebACLForResourceCommand } = wafSdk();
  const waf = cached('wafv2', () => new WAFV2Client(CLIENT_CONFIG));
  const associated = await waf.send(new GetWebACLForResourceCommand({ ResourceArn: check.resourceArn }));
  const arn = associated.WebACL?.ARN;
  if (arn === check.webAclArn) return { passed: true, detail: `${check.resourceArn} is protected by the web ACL` };
  return {
    passed: false,
    detail: `${check.resourceArn} is ${arn ? `protected by another web ACL (${arn})` : 'no longer protected by any web ACL: the edge was detached'}`,
  };
}

function ruleAction(rule: { Action?: object; OverrideAction?: object }): string {
  const action: Record<string, unknown> = { ...rule.Action ?? rule.OverrideAction };
  const key = Object.keys(action).find(k => action[k] !== undefined);
  return key ? key.toLowerCase() : 'unknown';
}

export async function mirrorSessions(check: MirrorSessionsCheck): Promise<CheckOutcome> {
  const { EC2Client, paginateDescribeNetworkInterfaces, paginateDescribeTrafficMirrorSessions } = ec2Sdk();
  const ec2 = cached('ec2', () => new EC2Client(CLIENT_CONFIG));
  const instances = await inServiceInstances(check.autoScalingGroupNames);
  if (instances.length === 0) return { passed: true, detail: 'no web host in service: nothing to mirror' };
  const interfaces: string[] = [];
  for (let i = 0; i < instances.length; i += 200) {
    const pages = paginateDescribeNetworkInterfaces({ client: ec2 }, {
      Filters: [{ Name: 'attachment.instance-id', Values: instances.slice(i, i + 200) }],
    });
    for await (const page of pages) {
      for (const eni of page.NetworkInterfaces ?? []) {
        if (eni.NetworkInterfaceId && (eni.InterfaceType ?? 'interface') === 'interface') interfaces.push(eni.NetworkInterfaceId);
      }
    }
  }
  const mirrored = new Set<string>();
  const sessions = paginateDescribeTrafficMirrorSessions({ client: ec2 }, {
    Filters: [{ Name: 'traffic-mirror-target-id', Values: [check.targetId] }],
  });
  for await (const page of sessions) {
    for (const s of page.TrafficMirrorSessions ?? []) if (s.NetworkInterfaceId) mirrored.add(s.NetworkInterfaceId);
  }
  const missing = interfaces.filter(id => !mirrored.has(id));
  return missing.length === 0
    ? { passed: true, detail: `${interfaces.length} interface(s) of ${instances.length} web host(s), all mirrored to ${check.targetId}` }
    : { passed: false, detail: `${missing.length} of ${interfaces.length} web-host interface(s) have no mirror session to ${check.targetId}: ${missing.slice(0, 10).join(', ')}` };
}

export async function sensorsHealthy(check: SensorsHealthyCheck): Promise<CheckOutcome> {
  const { ElasticLoadBalancingV2Client, DescribeTargetHealthCommand } = elbSdk();
  const elb = cached('elbv2', () => new ElasticLoadBalancingV2Client(CLIENT_CONFIG));
  const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: check.targetGroupArn }));
  const states = (health.TargetHealthDescriptions ?? []).map(d => d.TargetHealth?.State ?? 'unknown');
  const healthy = states.filter(s => s === 'healthy').length;
  return healthy >= check.minHealthy
    ? { passed: true, detail: `${healthy} healthy sensor(s) of ${states.length}` }
    : { passed: false, detail: `${healthy} healthy sensor(s) of ${states.length}, at least ${check.minHealthy} needed (${summarize(states)})` };
}

function summarize(states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'no targets';
}

export async function sensorCanary(check: SensorCanaryCheck, deadline: number): Promise<CheckOutcome> {
  const pattern = `{ $.event_type = "alert" && $.alert.signature_id = ${check.signatureId} }`;
  const found = await hasEventSince(check.logGroupName, Date.now() - check.windowSeconds * 1000, deadline, pattern);
  if (found === 'deadline') return { passed: false, detail: 'the search for the canary alert did not finish in time' };
  return found
    ? { passed: true, detail: `the sensors alerted on the canary (sid ${check.signatureId}) in the last ${check.windowSeconds} s` }
    : { passed: false, detail: `no canary alert (sid ${check.signatureId}) from the sensors in the last ${check.windowSeconds} s: mirroring, the sensors or their log shipping stopped` };
}

async function inServiceInstances(groupNames: string[]): Promise<string[]> {
  if (groupNames.length === 0) return [];
  const { AutoScalingClient, paginateDescribeAutoScalingGroups } = autoscalingSdk();
  const autoscaling = cached('autoscaling', () => new AutoScalingClient(CLIENT_CONFIG));
  const ids: string[] = [];
  for await (const page of paginateDescribeAutoScalingGroups({ client: autoscaling }, { AutoScalingGroupNames: groupNames })) {
    for (const group of page.AutoScalingGroups ?? []) {
      for (const instance of group.Instances ?? []) {
        if (instance.InstanceId && instance.LifecycleState === 'InService') ids.push(instance.InstanceId);
      }
    }
  }
  return ids;
}

/** The private addresses of the probe's targets: running web hosts of the groups, running tasks of the service. */
export async function discoverTargets(targets: ProbeTargets): Promise<string[]> {
  const addresses: string[] = [];
  const instanceIds = await inServiceInstances(targets.autoScalingGroupNames ?? []);
  if (instanceIds.length > 0) {
    const { EC2Client, paginateDescribeInstances } = ec2Sdk();
    const ec2 = cached('ec2', () => new EC2Client(CLIENT_CONFIG));
    for (let i = 0; i < instanceIds.length; i += 100) {
      for await (const page of paginateDescribeInstances({ client: ec2 }, { InstanceIds: instanceIds.slice(i, i + 100) })) {
        for (const r of page.Reservations ?? []) {
          for (const instance of r.Instances ?? []) {
            if (instance.PrivateIpAddress && instance.State?.Name === 'running') addresses.push(instance.PrivateIpAddress);
          }
        }
      }
    }
  }
  if (targets.ecsService) {
    const { ECSClient, paginateListTasks, DescribeTasksCommand } = ecsSdk();
    const ecs = cached('ecs', () => new ECSClient(CLIENT_CONFIG));
    const { cluster, service } = targets.ecsService;
    const arns: string[] = [];
    for await (const page of paginateListTasks({ client: ecs }, { cluster, serviceName: service, desiredStatus: 'RUNNING' })) {
      arns.push(...(page.taskArns ?? []));
    }
    for (let i = 0; i < arns.length; i += 100) {
      const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
      for (const task of described.tasks ?? []) {
        if (task.lastStatus !== 'RUNNING') continue;
        const eni = (task.attachments ?? []).find(a => a.type === 'ElasticNetworkInterface');
        const address = eni?.details?.find(d => d.name === 'privateIPv4Address')?.value;
        if (address) addresses.push(address);
      }
    }
  }
  return [...new Set(addresses)].sort().slice(0, targets.maxTargets);
}
