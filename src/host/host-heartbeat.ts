import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HostHeartbeatOptions } from './host-filter-options';
import { TrafficMetric } from '../core/heartbeat';
import { logEventsChatter } from '../core/log-chatter';
import { ILogDeliveryPath } from '../core/log-destination';
import { PropValidator } from '../core/validation-error';
import { Heartbeat, HeartbeatCheck } from '../heartbeat';

/** The host's canary: a SQL injection in the query, blocked by CRS at paranoia level 1. */
export const HOST_CANARY_PATH = '/?id=1%27%20OR%20%271%27%3D%271%27--&heartbeat=canary';

/** What the host filter hands its heartbeat. */
export interface HostHeartbeatContext {
  readonly listenPort: number;
  readonly logGroup: logs.LogGroup;
  readonly deliveryPath?: ILogDeliveryPath;
}

/**
 * The host layer's heartbeat: inside the VPC, straight to every web host's
 * filter port (bypassing the edge), a canary attack the host filter itself
 * must block and a benign request that must pass; the layer's logs arriving
 * and its delivery stream. Chatter: the layer's log events; traffic: the
 * filter's blocks and passes (metric filters on its access log).
 */
export function createHostHeartbeat(filter: Construct, options: HostHeartbeatOptions, ctx: HostHeartbeatContext): Heartbeat {
  const v = new PropValidator(filter);
  v.checkDescribed(options.ec2Hosts !== undefined || options.fargateService !== undefined, 'ec2Hosts, fargateService', 'neither',
    'the web hosts to probe: ec2Hosts (from addEc2Hosts), fargateService (with the sidecar), or both');
  const vpc = options.vpc ?? options.ec2Hosts?.vpc;
  v.checkDescribed(vpc !== undefined, 'vpc', 'undefined', 'the VPC of the Fargate service (the EC2 hosts bring their own)');
  v.check(options.chatterFloor === undefined || options.chatterFloor >= 0, 'chatterFloor', options.chatterFloor, '0 or more log events per 5 minutes');
  v.matches('hostHeader', options.hostHeader, /^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'a host name, optionally with a port');
  v.throwIfInvalid();

  const hosts = {
    autoScalingGroups: options.ec2Hosts ? [options.ec2Hosts.autoScalingGroup] : undefined,
    fargateService: options.fargateService,
    port: ctx.listenPort,
    maxTargets: options.maxHosts,
  };
  const headers = { host: options.hostHeader ?? 'localhost' };
  const checks = [
    HeartbeatCheck.canaryBlocked({ hosts, path: options.canaryPath ?? HOST_CANARY_PATH, headers }),
    HeartbeatCheck.benignPasses({ hosts, path: options.benignPath ?? '/', headers }),
    HeartbeatCheck.logsArriving(ctx.logGroup, Duration.minutes(15)),
  ];
  if (ctx.deliveryPath) checks.push(HeartbeatCheck.deliveryStreamFresh(ctx.deliveryPath));

  // Blocks are 4xx answers no upstream gave (the filter's own); passes are what the app answered.
  const namespace = `DefenceInDepth/Host/${Stack.of(filter).stackName}`;
  const count = (id: string, metricName: string, pattern: string) => new logs.MetricFilter(filter, id, {
    logGroup: ctx.logGroup,
    metricNamespace: namespace,
    metricName,
    filterPattern: logs.FilterPattern.literal(pattern),
    metricValue: '1',
    defaultValue: 0,
  }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
  const blocked = count('BlockedRequests', 'BlockedRequests', '{ $.layer = "host" && $.upstream_status = "" && $.status >= 400 && $.status < 500 }');
  const passed = count('PassedRequests', 'PassedRequests', '{ $.layer = "host" && $.upstream_status != "" }');
  const traffic: TrafficMetric[] = [
    { label: 'blocked', metric: blocked, sources: [ctx.logGroup] },
    { label: 'passed to the app', metric: passed, sources: [ctx.logGroup] },
  ];
  const chatter = [logEventsChatter('host log events', ctx.logGroup, options.chatterFloor ?? 1)];

  const heartbeat = new Heartbeat(filter, 'Heartbeat', {
    checks,
    interval: options.interval,
    deliveryPath: ctx.deliveryPath,
    vpc,
    vpcSubnets: options.vpcSubnets ?? options.ec2Hosts?.vpcSubnets,
    chatter,
    traffic,
  });
  // Only the heartbeat, and only the filter's port: the app port stays local to each host.
  const port = ec2.Port.tcp(ctx.listenPort);
  options.ec2Hosts?.securityGroup.addIngressRule(heartbeat.securityGroup!, port, 'Host layer heartbeat: probes the filter');
  options.fargateService?.connections.allowFrom(heartbeat.securityGroup!, port, 'Host layer heartbeat: probes the filter');
  return heartbeat;
}
