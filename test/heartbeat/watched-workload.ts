import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogArchive, LogDeliveryHeartbeat } from '../../src/archive';
import { EdgeFilter } from '../../src/edge';
import { DefenceWatch, DefenceWatchProps } from '../../src/heartbeat';
import { HostFilter } from '../../src/host';
import { TrafficMonitor } from '../../src/monitor';
import { reportingApp } from '../helpers/isolation';
import { monitorPlacement, workloadVpc } from '../helpers/workload-vpc';

export const ENV = { account: '111111111111', region: 'eu-west-1' };
export const ENDPOINT = 'https://app.example.com';

/** The four controls with their heartbeats, watched by a watch layer: what the README recommends. */
export function watchedWorkload(watchProps: DefenceWatchProps = { emails: ['security@example.com'] }, app: App = reportingApp()) {
  const stack = new Stack(app, 'Workload', { env: ENV });
  const vpc = workloadVpc(stack);
  const archive = new LogArchive(stack, 'Archive');
  const edge = new EdgeFilter(stack, 'Edge', { logDestination: archive });
  const host = new HostFilter(stack, 'Host', { logDestination: archive });
  const hosts = host.addEc2Hosts('Web', { vpc, vpcSubnets: { subnetGroupName: 'web' } });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } });
  edge.protectLoadBalancer(alb);
  const monitor = new TrafficMonitor(stack, 'Monitor', {
    ...monitorPlacement(vpc),
    logDestination: archive,
  });
  monitor.mirrorAutoScalingGroup(hosts.autoScalingGroup);
  const edgeHeartbeat = edge.addHeartbeat({ endpoint: ENDPOINT });
  const hostHeartbeat = host.addHeartbeat({ ec2Hosts: hosts });
  const monitorHeartbeat = monitor.addHeartbeat({ canaryEndpoint: ENDPOINT });
  const watch = new DefenceWatch(stack, 'Watch', { logDestination: archive, ...watchProps });
  // Last: it watches every delivery path created before it (the watch layer's included).
  const delivery = new LogDeliveryHeartbeat(stack, 'LogDelivery', { destination: archive });
  for (const hb of [edgeHeartbeat, hostHeartbeat, monitorHeartbeat, delivery.heartbeat]) watch.watch(hb);
  return { app, stack, vpc, archive, edge, host, hosts, alb, monitor, delivery, watch, edgeHeartbeat, hostHeartbeat, monitorHeartbeat };
}
