import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateTrafficMirrorSessionCommand, DeleteTrafficMirrorSessionCommand, DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorSessionsCommand, EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, MirrorSessionsConfig, retryPolicy, SESSION_TAG_INSTANCE, SESSION_TAG_TARGET } from '../../src/monitor/mirror-sessions.lambda';

const ec2 = mockClient(EC2Client);
const autoscaling = mockClient(AutoScalingClient);

const CONFIG: MirrorSessionsConfig = { targetId: 'tmt-0123', filterId: 'tmf-0456', sessionNumber: 1, virtualNetworkId: 4242, groupNames: ['web-hosts'] };
const launch = (id: string) => ({ 'source': 'aws.autoscaling', 'detail-type': 'EC2 Instance Launch Successful', 'detail': { EC2InstanceId: id, AutoScalingGroupName: 'web-hosts' } });
const terminate = (id: string) => ({ 'source': 'aws.autoscaling', 'detail-type': 'EC2 Instance Terminate Successful', 'detail': { EC2InstanceId: id, AutoScalingGroupName: 'web-hosts' } });
const scheduled = { 'source': 'aws.events', 'detail-type': 'Scheduled Event' };

const eni = (id: string, instance: string, type = 'interface') => ({ NetworkInterfaceId: id, InterfaceType: type as any, Attachment: { InstanceId: instance } });
const session = (id: string, eniId: string, instance?: string) => ({
  TrafficMirrorSessionId: id,
  NetworkInterfaceId: eniId,
  TrafficMirrorTargetId: CONFIG.targetId,
  Tags: [{ Key: SESSION_TAG_TARGET, Value: CONFIG.targetId }, ...(instance ? [{ Key: SESSION_TAG_INSTANCE, Value: instance }] : [])],
});
const throttled = () => Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });

let logs: string[];
beforeEach(() => {
  ec2.reset();
  autoscaling.reset();
  process.env.MIRROR_CONFIG = JSON.stringify(CONFIG);
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'mirror-sessions';
  retryPolicy.baseDelayMs = 1;
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
  ec2.on(DescribeTrafficMirrorSessionsCommand).resolves({ TrafficMirrorSessions: [] });
  ec2.on(CreateTrafficMirrorSessionCommand).resolves({ TrafficMirrorSession: { TrafficMirrorSessionId: 'tms-new' } });
});
afterEach(() => jest.restoreAllMocks());

/** The metrics the run emitted in embedded metric format. */
function metrics(): Record<string, number> {
  const emf = logs.map(l => JSON.parse(l)).find(l => l._aws);
  expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('DefenceInDepth/Monitor');
  expect(emf.MirrorTarget).toBe(CONFIG.targetId);
  return Object.fromEntries(emf._aws.CloudWatchMetrics[0].Metrics.map((m: any) => [m.Name, emf[m.Name]]));
}

describe('mirror sessions handler', () => {
  test('a new instance: its interface gets a tagged, idempotent session to the target with the filter', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [eni('eni-1', 'i-new')] });
    const report = await handler(launch('i-new'));
    expect(report).toMatchObject({ interfaces: 1, created: 1, unmirrored: 0, failures: [] });
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand)[0].args[0].input.Filters).toEqual([{ Name: 'attachment.instance-id', Values: ['i-new'] }]);
    const create = ec2.commandCalls(CreateTrafficMirrorSessionCommand)[0].args[0].input;
    expect(create).toMatchObject({
      NetworkInterfaceId: 'eni-1',
      TrafficMirrorTargetId: 'tmt-0123',
      TrafficMirrorFilterId: 'tmf-0456',
      SessionNumber: 1,
      VirtualNetworkId: 4242,
      ClientToken: 'eni-1-tmt-0123',
      TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: SESSION_TAG_TARGET, Value: 'tmt-0123' }, { Key: SESSION_TAG_INSTANCE, Value: 'i-new' }] }],
    });
    // A launch event reports failures, not the unmirrored count (only the reconciliation sees every interface).
    expect(metrics()).toEqual({ MirrorFailures: 0, SessionsCreated: 1 });
  });

  test('an instance with several interfaces gets a session on each (not on requester-managed ones)', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [eni('eni-a', 'i-multi'), eni('eni-b', 'i-multi'), eni('eni-efa', 'i-multi', 'efa'), eni('eni-c', 'i-multi')],
    });
    const report = await handler(launch('i-multi'));
    expect(ec2.commandCalls(CreateTrafficMirrorSessionCommand).map(c => c.args[0].input.NetworkInterfaceId)).toEqual(['eni-a', 'eni-b', 'eni-c']);
    expect(report.created).toBe(3);
  });

  test('an interface already mirrored to the target is left alone', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [eni('eni-1', 'i-1'), eni('eni-2', 'i-1')] });
    ec2.on(DescribeTrafficMirrorSessionsCommand).resolves({ TrafficMirrorSessions: [session('tms-1', 'eni-1', 'i-1')] });
    const report = await handler(launch('i-1'));
    expect(ec2.commandCalls(DescribeTrafficMirrorSessionsCommand)[0].args[0].input.Filters).toEqual([{ Name: 'traffic-mirror-target-id', Values: ['tmt-0123'] }]);
    expect(ec2.commandCalls(CreateTrafficMirrorSessionCommand).map(c => c.args[0].input.NetworkInterfaceId)).toEqual(['eni-2']);
    expect(report).toMatchObject({ interfaces: 2, created: 1 });
  });

  test('throttling is retried with backoff, with the same client token', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).rejectsOnce(throttled()).resolves({ NetworkInterfaces: [eni('eni-1', 'i-1')] });
    ec2.on(CreateTrafficMirrorSessionCommand).rejectsOnce(throttled()).rejectsOnce(throttled())
      .resolves({ TrafficMirrorSession: { TrafficMirrorSessionId: 'tms-1' } });
    const report = await handler(launch('i-1'));
    expect(report).toMatchObject({ created: 1, unmirrored: 0, failures: [] });
    const tokens = ec2.commandCalls(CreateTrafficMirrorSessionCommand).map(c => c.args[0].input.ClientToken);
    expect(tokens).toEqual(['eni-1-tmt-0123', 'eni-1-tmt-0123', 'eni-1-tmt-0123']);
  });

  test('throttling that outlasts the retries: the interface is reported unmirrored, the others still mirrored', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [eni('eni-stuck', 'i-1'), eni('eni-ok', 'i-1')] });
    ec2.on(CreateTrafficMirrorSessionCommand, { NetworkInterfaceId: 'eni-stuck' }).rejects(throttled());
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ Instances: [{ InstanceId: 'i-1', LifecycleState: 'InService' }] } as any] });
    const report = await handler(scheduled);
    expect(ec2.commandCalls(CreateTrafficMirrorSessionCommand, { NetworkInterfaceId: 'eni-stuck' })).toHaveLength(retryPolicy.attempts);
    expect(report).toMatchObject({ created: 1, unmirrored: 1 });
    expect(report.failures).toEqual([expect.stringMatching(/^eni-stuck \(i-1\): RequestLimitExceeded/)]);
    expect(metrics()).toEqual({ MirrorFailures: 1, SessionsCreated: 1, UnmirroredInterfaces: 1 });
  });

  test('an error that is not transient (unsupported instance type) is not retried and counts as unmirrored', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [eni('eni-1', 'i-m6i')] });
    ec2.on(CreateTrafficMirrorSessionCommand).rejects(Object.assign(new Error('The instance type is not supported'), { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } }));
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ Instances: [{ InstanceId: 'i-m6i', LifecycleState: 'InService' }] } as any] });
    const report = await handler(scheduled);
    expect(ec2.commandCalls(CreateTrafficMirrorSessionCommand)).toHaveLength(1);
    expect(report.unmirrored).toBe(1);
    expect(metrics().UnmirroredInterfaces).toBe(1);
  });

  test('termination removes only the sessions this function tagged for that instance', async () => {
    ec2.on(DescribeTrafficMirrorSessionsCommand).resolves({
      TrafficMirrorSessions: [session('tms-gone', 'eni-9', 'i-gone'), session('tms-other', 'eni-8', 'i-stays'), session('tms-manual', 'eni-7')],
    });
    ec2.on(DeleteTrafficMirrorSessionCommand).resolves({});
    const report = await handler(terminate('i-gone'));
    expect(ec2.commandCalls(DeleteTrafficMirrorSessionCommand).map(c => c.args[0].input.TrafficMirrorSessionId)).toEqual(['tms-gone']);
    expect(report.deleted).toBe(1);
    expect(ec2.commandCalls(CreateTrafficMirrorSessionCommand)).toHaveLength(0);
  });

  test('reconciliation walks every page of groups, interfaces and sessions; mirrors the missing; removes sessions of instances gone', async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [{ Instances: [{ InstanceId: 'i-1', LifecycleState: 'InService' }, { InstanceId: 'i-x', LifecycleState: 'Terminating' }] } as any], NextToken: 'g2' })
      .resolvesOnce({ AutoScalingGroups: [{ Instances: [{ InstanceId: 'i-2', LifecycleState: 'Pending' }] } as any] });
    ec2.on(DescribeNetworkInterfacesCommand)
      .resolvesOnce({ NetworkInterfaces: [eni('eni-1', 'i-1')], NextToken: 'n2' })
      .resolvesOnce({ NetworkInterfaces: [eni('eni-2', 'i-2')] });
    ec2.on(DescribeTrafficMirrorSessionsCommand)
      .resolvesOnce({ TrafficMirrorSessions: [session('tms-1', 'eni-1', 'i-1')], NextToken: 's2' })
      .resolvesOnce({ TrafficMirrorSessions: [session('tms-old', 'eni-old', 'i-old')] })
      .resolvesOnce({ TrafficMirrorSessions: [session('tms-1', 'eni-1', 'i-1')], NextToken: 's2' })
      .resolvesOnce({ TrafficMirrorSessions: [session('tms-old', 'eni-old', 'i-old'), session('tms-2', 'eni-2', 'i-2')] });
    ec2.on(DeleteTrafficMirrorSessionCommand).resolves({});
    const report = await handler(scheduled);
    // Two pages of groups (the paginator reuses its input object, so the calls are counted).
    expect(autoscaling.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(2);
    expect(autoscaling.commandCalls(DescribeAutoScalingGroupsCommand)[0].args[0].input.AutoScalingGroupNames).toEqual(['web-hosts']);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand)[0].args[0].input.Filters).toEqual([{ Name: 'attachment.instance-id', Values: ['i-1', 'i-2'] }]);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(2);
    expect(ec2.commandCalls(CreateTrafficMirrorSessionCommand).map(c => c.args[0].input.NetworkInterfaceId)).toEqual(['eni-2']);
    expect(ec2.commandCalls(DeleteTrafficMirrorSessionCommand).map(c => c.args[0].input.TrafficMirrorSessionId)).toEqual(['tms-old']);
    expect(report).toMatchObject({ interfaces: 2, created: 1, deleted: 1, unmirrored: 0 });
    expect(metrics()).toEqual({ MirrorFailures: 0, SessionsCreated: 1, UnmirroredInterfaces: 0 });
  });

  test('more than 200 instances are described in batches of 200 (the filter limit)', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `i-${i}`);
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ Instances: ids.map(InstanceId => ({ InstanceId, LifecycleState: 'InService' })) } as any] });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    await handler(scheduled);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand).map(c => c.args[0].input.Filters![0].Values!.length)).toEqual([200, 200, 50]);
  });

  test('no group names: nothing is described or mirrored (never every group of the account)', async () => {
    process.env.MIRROR_CONFIG = JSON.stringify({ ...CONFIG, groupNames: [] });
    const report = await handler(scheduled);
    expect(autoscaling.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(0);
    expect(report).toMatchObject({ interfaces: 0, created: 0 });
  });

  test('a failed delete is reported, not thrown', async () => {
    ec2.on(DescribeTrafficMirrorSessionsCommand).resolves({ TrafficMirrorSessions: [session('tms-gone', 'eni-9', 'i-gone')] });
    ec2.on(DeleteTrafficMirrorSessionCommand).rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
    const report = await handler(terminate('i-gone'));
    expect(report.failures).toEqual(['delete tms-gone: UnauthorizedOperation: denied']);
    expect(metrics().MirrorFailures).toBe(1);
  });
});
