import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, DescribeTrafficMirrorSessionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { GetWebACLCommand, GetWebACLForResourceCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { CheckConfig, HeartbeatConfig, PeerConfig, ProbeCheck } from '../../src/heartbeat/heartbeat-config';
import { handler, HeartbeatResult } from '../../src/heartbeat/heartbeat.lambda';
import { HOST_CANARY_PATH } from '../../src/host/host-heartbeat';
import { LocalHostFilter, missingRuntime } from '../../src/host/runtime/local-host-filter';
import { freePort, startUpstream } from '../helpers/loopback';

// The heartbeat handler against real HTTP servers on 127.0.0.1 (a stand-in edge, the
// rendered host filter under nginx + ModSecurity + CRS) and mocked AWS clients.

const logs = mockClient(CloudWatchLogsClient);
const cloudwatch = mockClient(CloudWatchClient);
const firehose = mockClient(FirehoseClient);
const waf = mockClient(WAFV2Client);
const ec2 = mockClient(EC2Client);
const autoscaling = mockClient(AutoScalingClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const ecs = mockClient(ECSClient);
const mocks = [logs, cloudwatch, firehose, waf, ec2, autoscaling, elb, ecs];

let lines: any[] = [];
beforeEach(() => {
  mocks.forEach(m => m.reset());
  lines = [];
  jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  }) as any);
});
afterEach(() => jest.restoreAllMocks());

function config(checks: CheckConfig[], extra: Partial<HeartbeatConfig> = {}): HeartbeatConfig {
  return { control: 'edge', heartbeat: 'Workload-Edge-Heartbeat', checks, peers: [], peerSilenceSeconds: 300, deadlineMs: 5000, ...extra };
}

async function run(cfg: HeartbeatConfig | string): Promise<HeartbeatResult> {
  process.env.HEARTBEAT_CONFIG = typeof cfg === 'string' ? cfg : JSON.stringify(cfg);
  return await handler() as HeartbeatResult;
}

function probeCheck(expect: 'block' | 'pass', url: string, layer = 'edge', extra: Partial<ProbeCheck> = {}): ProbeCheck {
  return { kind: 'probe', name: expect === 'block' ? 'canary-blocked' : 'benign-passes', expect, layer, url, method: 'GET', headers: { host: 'localhost' }, blockStatus: 403, timeoutMs: 2000, ...extra };
}

const metricLines = (name: string) => lines.filter(l => l._aws && l[name] !== undefined);

/** A stand-in for a layer on loopback: `respond` decides each answer. */
async function server(respond: (req: http.IncomingMessage, res: http.ServerResponse) => void, body: (port: number) => Promise<void>): Promise<void> {
  const port = await freePort();
  const s = http.createServer(respond);
  await new Promise<void>(resolve => s.listen(port, '127.0.0.1', () => resolve()));
  try {
    await body(port);
  } finally {
    s.closeAllConnections();
    await new Promise(resolve => s.close(resolve));
  }
}

/** An edge that blocks the canary (`heartbeat=canary` in the query) the way `blocker` says. */
const edgeLike = (blocker: (res: http.ServerResponse) => void) => (req: http.IncomingMessage, res: http.ServerResponse) => {
  if (req.url?.includes('heartbeat=canary')) return blocker(res);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
};
const blockAs = (layer: string, status = 403) => (res: http.ServerResponse) => {
  res.writeHead(status, { 'x-defence-layer': layer });
  res.end('blocked');
};

describe('probes against local servers', () => {
  test('an enforcing edge: the canary is blocked with its header, the benign request passes; Healthy 1', async () => {
    await server(edgeLike(blockAs('edge')), async port => {
      const result = await run(config([
        probeCheck('block', `http://127.0.0.1:${port}${HOST_CANARY_PATH}`),
        probeCheck('pass', `http://127.0.0.1:${port}/`),
      ]));
      expect(result.checks.map(c => [c.name, c.passed])).toEqual([['canary-blocked', true], ['benign-passes', true]]);
      expect(result.healthy).toBe(true);
      expect(metricLines('Healthy')).toEqual([expect.objectContaining({ Healthy: 1, Control: 'edge', Heartbeat: 'Workload-Edge-Heartbeat' })]);
      expect(metricLines('CheckPassed').map(l => [l.Check, l.CheckPassed])).toEqual([['canary-blocked', 1], ['benign-passes', 1]]);
      // The result line is one JSON object that peers find by its fields.
      expect(lines).toContainEqual(expect.objectContaining({ heartbeat: 'result', heartbeatName: 'Workload-Edge-Heartbeat', healthy: true }));
    });
  });

  test('an edge in count mode lets the canary through: failed, and says why', async () => {
    await server(edgeLike(res => { res.writeHead(200); res.end('app'); }), async port => {
      const result = await run(config([probeCheck('block', `http://127.0.0.1:${port}/?heartbeat=canary`)]));
      expect(result.healthy).toBe(false);
      expect(result.checks[0].detail).toMatch(/not blocked \(status 200, no 'x-defence-layer' header\): the edge layer let the canary through/);
      expect(metricLines('Healthy')[0].Healthy).toBe(0);
      expect(metricLines('CheckPassed')[0]).toMatchObject({ Check: 'canary-blocked', CheckPassed: 0 });
    });
  });

  test('the wrong layer\'s block fails the heartbeat: the host blocked what the edge should have', async () => {
    await server(edgeLike(blockAs('host')), async port => {
      const result = await run(config([probeCheck('block', `http://127.0.0.1:${port}/?heartbeat=canary`)]));
      expect(result.checks[0]).toMatchObject({ passed: false, detail: expect.stringMatching(/blocked by the 'host' layer, not by 'edge'/) });
    });
  });

  test('the right header with another status fails; a benign request blocked (false positive) or a 5xx fails', async () => {
    await server((req, res) => {
      if (req.url?.includes('canary')) return blockAs('edge', 429)(res);
      if (req.url === '/blocked') return blockAs('edge')(res);
      res.writeHead(502);
      res.end();
    }, async port => {
      const result = await run(config([
        probeCheck('block', `http://127.0.0.1:${port}/?heartbeat=canary`),
        { ...probeCheck('pass', `http://127.0.0.1:${port}/blocked`), name: 'benign-blocked' },
        { ...probeCheck('pass', `http://127.0.0.1:${port}/`), name: 'benign-5xx' },
      ]));
      expect(result.checks.map(c => c.detail)).toEqual([
        expect.stringMatching(/answered 429 with 'x-defence-layer: edge', expected status 403/),
        expect.stringMatching(/a benign request was blocked by the 'edge' layer \(status 403\)/),
        expect.stringMatching(/the service answered 502 to a benign request/),
      ]);
      expect(result.checks.every(c => !c.passed)).toBe(true);
    });
  });

  test('faults: no answer in time, a malformed response, a refused connection: failed checks, the run completes', async () => {
    const sockets: net.Socket[] = [];
    const silentPort = await freePort();
    const silent = net.createServer(socket => { sockets.push(socket); /* accepts and never answers */ });
    await new Promise<void>(resolve => silent.listen(silentPort, '127.0.0.1', () => resolve()));
    const garbagePort = await freePort();
    const garbage = net.createServer(socket => { sockets.push(socket); socket.end('this is not HTTP\r\n\r\n'); });
    await new Promise<void>(resolve => garbage.listen(garbagePort, '127.0.0.1', () => resolve()));
    const refusedPort = await freePort();
    try {
      const started = Date.now();
      const result = await run(config([
        { ...probeCheck('block', `http://127.0.0.1:${silentPort}/`), name: 'silent', timeoutMs: 300 },
        { ...probeCheck('block', `http://127.0.0.1:${garbagePort}/`), name: 'garbage' },
        { ...probeCheck('pass', `http://127.0.0.1:${refusedPort}/`), name: 'refused' },
      ]));
      expect(result.checks.map(c => [c.name, c.passed])).toEqual([['silent', false], ['garbage', false], ['refused', false]]);
      expect(result.checks[0].detail).toMatch(/no answer \(no answer within 300 ms\)/);
      expect(result.checks[1].detail).toMatch(/no answer \(HPE_INVALID_CONSTANT|Parse Error|Expected HTTP/);
      expect(result.checks[2].detail).toMatch(/ECONNREFUSED/);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      sockets.forEach(socket => socket.destroy());
      await new Promise(resolve => silent.close(resolve));
      await new Promise(resolve => garbage.close(resolve));
    }
  });

  test('an invalid configuration is reported, never thrown; an unknown check kind fails', async () => {
    await expect(run('{not json')).resolves.toEqual({ error: 'invalid HEARTBEAT_CONFIG' });
    expect(lines[0]).toMatchObject({ heartbeat: 'error' });
    expect(metricLines('Healthy')).toEqual([]);
    const result = await run(config([{ kind: 'teleport', name: 'x' } as any]));
    expect(result.checks[0]).toMatchObject({ passed: false, detail: "unknown check kind 'teleport'" });
  });

  test('a check that outlives the run\'s deadline fails on time', async () => {
    logs.on(FilterLogEventsCommand).callsFake(() => new Promise(() => { /* never answers */ }));
    const started = Date.now();
    const result = await run(config([{ kind: 'logs-arriving', name: 'logs', logGroupName: 'g', maxSilenceSeconds: 900 }], { deadlineMs: 300 }));
    expect(result.checks[0]).toMatchObject({ passed: false, detail: 'did not finish before the run\'s deadline' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

const missing = missingRuntime();
if (missing) {
  test('the host filter runtime is installed', () => { throw new Error(missing); });
}
(missing ? describe.skip : describe)('the rendered host filter on loopback', () => {
  async function withFilter(detectionOnly: boolean, body: (port: number) => Promise<void>) {
    const [appPort, port] = [await freePort(), await freePort()];
    const upstream = await startUpstream(appPort);
    const filter = new LocalHostFilter({
      options: { detectionOnly }, dir: fs.mkdtempSync(path.join(os.tmpdir(), 'hb-')), listen: `127.0.0.1:${port}`, upstream: `http://127.0.0.1:${appPort}`,
    });
    try {
      await filter.start();
      await body(port);
    } finally {
      await filter.stop();
      await new Promise(resolve => upstream.close(resolve));
    }
  }

  /** The host heartbeat as deployed: targets found through Auto Scaling and EC2 (mocked) at 127.0.0.1. */
  function hostChecks(port: number): CheckConfig[] {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [{ Instances: [{ InstanceId: 'i-1', LifecycleState: 'InService' }, { InstanceId: 'i-2', LifecycleState: 'Terminating' }] } as any],
    });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1', PrivateIpAddress: '127.0.0.1', State: { Name: 'running' } }] }] });
    const targets = { autoScalingGroupNames: ['web'], port, path: HOST_CANARY_PATH, maxTargets: 10 };
    return [
      { kind: 'probe', name: 'canary-blocked', expect: 'block', layer: 'host', targets, method: 'GET', headers: { host: 'localhost' }, blockStatus: 403, timeoutMs: 3000 },
      { kind: 'probe', name: 'benign-passes', expect: 'pass', layer: 'host', targets: { ...targets, path: '/' }, method: 'GET', headers: { host: 'localhost' }, blockStatus: 403, timeoutMs: 3000 },
    ];
  }

  test('enforcing: the canary is blocked by the host layer itself, the benign request passes', async () => {
    await withFilter(false, async port => {
      const result = await run(config(hostChecks(port), { control: 'host' }));
      expect(result.checks.map(c => [c.name, c.passed, c.detail])).toEqual([
        ['canary-blocked', true, '1 target(s): blocked by host (403)'],
        ['benign-passes', true, '1 target(s): passed (200)'],
      ]);
      // Only the in-service instance was probed.
      expect(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.InstanceIds).toEqual(['i-1']);
    });
  });

  test('DetectionOnly: the canary reaches the app, so the host heartbeat fails', async () => {
    await withFilter(true, async port => {
      const result = await run(config(hostChecks(port), { control: 'host' }));
      expect(result.healthy).toBe(false);
      expect(result.checks[0]).toMatchObject({ passed: false, detail: expect.stringMatching(/not blocked \(status 200, no 'x-defence-layer' header\): the host layer let the canary through/) });
      expect(result.checks[1].passed).toBe(true);
    });
  });
});

describe('AWS checks (mocked SDK)', () => {
  test('host targets from a Fargate service: running tasks by private address; none found fails', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { lastStatus: 'RUNNING', attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '127.0.0.1' }] }] },
        { lastStatus: 'STOPPED', attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.0.9' }] }] },
      ],
    });
    await server(edgeLike(blockAs('host')), async port => {
      const targets = { ecsService: { cluster: 'c', service: 's' }, port, path: '/?heartbeat=canary', maxTargets: 10 };
      const result = await run(config([{ ...probeCheck('block', '', 'host'), url: undefined, targets }], { control: 'host' }));
      expect(result.checks[0]).toMatchObject({ passed: true, detail: '1 target(s): blocked by host (403)' });
      expect(ecs.commandCalls(ListTasksCommand)[0].args[0].input).toMatchObject({ cluster: 'c', serviceName: 's', desiredStatus: 'RUNNING' });
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const none = await run(config([{ ...probeCheck('block', '', 'host'), url: undefined, targets: { ecsService: { cluster: 'c', service: 's' }, port: 1, path: '/', maxTargets: 1 } }]));
    expect(none.checks[0]).toMatchObject({ passed: false, detail: 'no running web host or task found to probe' });
  });

  test('logs arriving: follows empty pages to an event; none in the window fails; the window is maxSilence', async () => {
    logs.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [], nextToken: 'more' })
      .resolvesOnce({ events: [{ message: 'x' }] })
      .resolves({ events: [] });
    const before = Date.now();
    const ok = await run(config([{ kind: 'logs-arriving', name: 'logs', logGroupName: 'host-logs', maxSilenceSeconds: 900 }]));
    expect(ok.checks[0].passed).toBe(true);
    const calls = logs.commandCalls(FilterLogEventsCommand).map(c => c.args[0].input);
    expect(calls[1]).toMatchObject({ logGroupName: 'host-logs', nextToken: 'more', limit: 1 });
    expect(calls[0].startTime).toBeGreaterThanOrEqual(before - 900_000);
    expect(calls[0].startTime).toBeLessThanOrEqual(Date.now() - 899_000);
    const silent = await run(config([{ kind: 'logs-arriving', name: 'logs', logGroupName: 'host-logs', maxSilenceSeconds: 900 }]));
    expect(silent.checks[0]).toMatchObject({ passed: false, detail: 'host-logs: no event in the last 900 s: the layer\'s logs stopped arriving' });
  });

  test('fault injection: throttling and a 5xx after the SDK\'s retries are failed checks with the reason', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    const unavailable = Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } });
    logs.on(FilterLogEventsCommand).rejects(throttled);
    elb.on(DescribeTargetHealthCommand).rejects(unavailable);
    const result = await run(config([
      { kind: 'logs-arriving', name: 'logs', logGroupName: 'g', maxSilenceSeconds: 900 },
      { kind: 'sensors-healthy', name: 'sensors', targetGroupArn: 'tg', minHealthy: 1 },
    ]));
    expect(result.checks.map(c => c.detail)).toEqual([
      'throttled by AWS after retries (ThrottlingException): Rate exceeded',
      'AWS answered 503 after retries (ServiceUnavailableException): Service Unavailable',
    ]);
    expect(metricLines('Healthy')[0].Healthy).toBe(0);
  });

  test('delivery stream: ACTIVE and fresh passes; not ACTIVE, stale or failing deliveries fail', async () => {
    const metrics = (freshness: number, success: number) => ({
      MetricDataResults: [{ Id: 'freshness', Values: [freshness] }, { Id: 'incoming', Values: [120] }, { Id: 'success', Values: [success] }],
    });
    const check: CheckConfig = { kind: 'delivery-stream', name: 'delivery', streamName: 'edge-waf', maxFreshnessSeconds: 900 };
    firehose.on(DescribeDeliveryStreamCommand).resolves({ DeliveryStreamDescription: { DeliveryStreamStatus: 'ACTIVE' } as any });
    cloudwatch.on(GetMetricDataCommand).resolves(metrics(310, 1));
    expect((await run(config([check]))).checks[0]).toMatchObject({ passed: true, detail: 'edge-waf: ACTIVE, 120 records in 15 min, oldest waited 310 s' });
    cloudwatch.on(GetMetricDataCommand).resolves(metrics(2400, 1));
    expect((await run(config([check]))).checks[0].detail).toBe('edge-waf: the oldest record waited 2400 s for delivery (allowed 900 s)');
    cloudwatch.on(GetMetricDataCommand).resolves(metrics(100, 0.75));
    expect((await run(config([check]))).checks[0].detail).toBe('edge-waf: 25 % of the deliveries to the archive failed in the last 15 minutes');
    firehose.on(DescribeDeliveryStreamCommand).resolves({ DeliveryStreamDescription: { DeliveryStreamStatus: 'DELETING' } as any });
    expect((await run(config([check]))).checks[0]).toMatchObject({ passed: false, detail: 'edge-waf: status DELETING, not ACTIVE' });
    // A malformed (empty) answer is not a pass.
    firehose.on(DescribeDeliveryStreamCommand).resolves({} as any);
    expect((await run(config([check]))).checks[0]).toMatchObject({ passed: false, detail: 'edge-waf: status unknown, not ACTIVE' });
  });

  const webAclCheck: CheckConfig = {
    kind: 'web-acl',
    name: 'web-acl',
    webAclName: 'edge',
    webAclId: 'id-1',
    webAclArn: 'arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/edge/id-1',
    scope: 'REGIONAL',
    defaultAction: 'allow',
    rules: [{ name: 'DenyList', action: 'block' }, { name: 'AWS-AWSManagedRulesSQLiRuleSet', action: 'none' }],
  };
  const acl = (rules: any[], defaultAction: any = { Allow: {} }) => ({ WebACL: { Name: 'edge', Id: 'id-1', ARN: 'x', DefaultAction: defaultAction, VisibilityConfig: {} as any, Rules: rules } });
  const intact = [
    { Name: 'DenyList', Priority: 0, Action: { Block: {} }, Statement: {}, VisibilityConfig: {} },
    { Name: 'AWS-AWSManagedRulesSQLiRuleSet', Priority: 1, OverrideAction: { None: {} }, Statement: {}, VisibilityConfig: {} },
  ];

  test('web ACL: the deployed rules pass; a rule set to count, a group overridden to count, a removed rule, a new allow rule, a block-all default all fail', async () => {
    waf.on(GetWebACLCommand).resolves(acl(intact) as any);
    const ok = await run(config([webAclCheck]));
    expect(ok.checks[0]).toMatchObject({ passed: true });
    expect(waf.commandCalls(GetWebACLCommand)[0].args[0].input).toEqual({ Name: 'edge', Id: 'id-1', Scope: 'REGIONAL' });

    waf.on(GetWebACLCommand).resolves(acl([
      { ...intact[0], Action: { Count: {} } },
      { ...intact[1], OverrideAction: { Count: {} } },
      { Name: 'LetMeIn', Priority: -1, Action: { Allow: {} }, Statement: {}, VisibilityConfig: {} },
    ], { Block: {} }) as any);
    const tampered = await run(config([webAclCheck]));
    expect(tampered.checks[0].passed).toBe(false);
    expect(tampered.checks[0].detail).toBe("web ACL edge: rule DenyList is 'count', expected 'block'; rule AWS-AWSManagedRulesSQLiRuleSet is 'count', expected 'none'; "
      + "an unexpected rule LetMeIn allows requests; the default action is 'block', expected 'allow'");

    waf.on(GetWebACLCommand).resolves(acl([intact[0]]) as any);
    expect((await run(config([webAclCheck]))).checks[0].detail).toBe('web ACL edge: rule AWS-AWSManagedRulesSQLiRuleSet was removed');
    waf.on(GetWebACLCommand).resolves({} as any);
    expect((await run(config([webAclCheck]))).checks[0]).toMatchObject({ passed: false, detail: 'web ACL edge: not found' });
  });

  test('web ACL association: still associated passes; detached or another web ACL fails', async () => {
    const check: CheckConfig = { kind: 'web-acl-association', name: 'assoc', webAclArn: 'arn:acl', resourceArn: 'arn:alb' };
    waf.on(GetWebACLForResourceCommand).resolves({ WebACL: { ARN: 'arn:acl' } as any });
    expect((await run(config([check]))).checks[0].passed).toBe(true);
    waf.on(GetWebACLForResourceCommand).resolves({});
    expect((await run(config([check]))).checks[0].detail).toBe('arn:alb is no longer protected by any web ACL: the edge was detached');
    waf.on(GetWebACLForResourceCommand).resolves({ WebACL: { ARN: 'arn:other' } as any });
    expect((await run(config([check]))).checks[0].detail).toBe('arn:alb is protected by another web ACL (arn:other)');
  });

  test('mirror sessions: every interface mirrored passes; an interface without a session fails (EFA interfaces ignored)', async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ Instances: [{ InstanceId: 'i-1', LifecycleState: 'InService' }] } as any] });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-1', InterfaceType: 'interface' }, { NetworkInterfaceId: 'eni-2', InterfaceType: 'interface' }, { NetworkInterfaceId: 'eni-3', InterfaceType: 'efa' },
      ],
    });
    ec2.on(DescribeTrafficMirrorSessionsCommand).resolves({ TrafficMirrorSessions: [{ NetworkInterfaceId: 'eni-1' }, { NetworkInterfaceId: 'eni-2' }] });
    const check: CheckConfig = { kind: 'mirror-sessions', name: 'mirrored', autoScalingGroupNames: ['web'], targetId: 'tmt-1' };
    expect((await run(config([check]))).checks[0]).toMatchObject({ passed: true, detail: '2 interface(s) of 1 web host(s), all mirrored to tmt-1' });
    expect(ec2.commandCalls(DescribeTrafficMirrorSessionsCommand)[0].args[0].input.Filters).toEqual([{ Name: 'traffic-mirror-target-id', Values: ['tmt-1'] }]);
    ec2.on(DescribeTrafficMirrorSessionsCommand).resolves({ TrafficMirrorSessions: [{ NetworkInterfaceId: 'eni-1' }] });
    expect((await run(config([check]))).checks[0]).toMatchObject({ passed: false, detail: '1 of 2 web-host interface(s) have no mirror session to tmt-1: eni-2' });
  });

  test('sensors: enough healthy passes; too few fails with the states; an empty answer is zero healthy', async () => {
    const check: CheckConfig = { kind: 'sensors-healthy', name: 'sensors', targetGroupArn: 'tg', minHealthy: 2 };
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'healthy' } }] });
    expect((await run(config([check]))).checks[0].passed).toBe(true);
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'unhealthy' } }] });
    expect((await run(config([check]))).checks[0].detail).toBe('1 healthy sensor(s) of 2, at least 2 needed (1 healthy, 1 unhealthy)');
    elb.on(DescribeTargetHealthCommand).resolves({});
    expect((await run(config([check]))).checks[0].detail).toBe('0 healthy sensor(s) of 0, at least 2 needed (no targets)');
  });

  test('sensor canary: the request goes to the endpoint first, then the sensors\' alert is looked for by its sid', async () => {
    const seen: string[] = [];
    await server((req, res) => { seen.push(req.url ?? ''); res.writeHead(404); res.end(); }, async port => {
      const check: CheckConfig = {
        kind: 'sensor-canary',
        name: 'canary',
        url: `http://127.0.0.1:${port}/.well-known/defence-in-depth/monitor-canary`,
        logGroupName: 'sensor-logs',
        signatureId: 1990001,
        windowSeconds: 300,
        timeoutMs: 1000,
      };
      logs.on(FilterLogEventsCommand).resolves({ events: [{ message: '{"event_type":"alert"}' }] });
      expect((await run(config([check]))).checks[0].passed).toBe(true);
      expect(seen).toEqual(['/.well-known/defence-in-depth/monitor-canary']);
      expect(logs.commandCalls(FilterLogEventsCommand)[0].args[0].input).toMatchObject({
        logGroupName: 'sensor-logs', filterPattern: '{ $.event_type = "alert" && $.alert.signature_id = 1990001 }',
      });
      logs.on(FilterLogEventsCommand).resolves({ events: [] });
      expect((await run(config([check]))).checks[0].detail).toMatch(/no canary alert \(sid 1990001\) from the sensors in the last 300 s/);
    });
  });

  test('mutual watch: a peer with a recent result is not silent; a peer without one is, and SilentPeers counts it', async () => {
    const peers: PeerConfig[] = [
      { control: 'host', heartbeat: 'Workload-Host-Heartbeat', logGroupName: 'host-hb' },
      { control: 'monitor', heartbeat: 'Workload-Monitor-Heartbeat', logGroupName: 'monitor-hb' },
    ];
    logs.on(FilterLogEventsCommand, { logGroupName: 'host-hb' }).resolves({ events: [{ message: '{}' }] });
    logs.on(FilterLogEventsCommand, { logGroupName: 'monitor-hb' }).resolves({ events: [] });
    const result = await run(config([], { peers }));
    expect(result.peers.map(p => [p.control, p.silent])).toEqual([['host', false], ['monitor', true]]);
    expect(result.peers[1].detail).toBe('no result in the last 300 s: the monitor heartbeat went silent');
    expect(logs.commandCalls(FilterLogEventsCommand)[0].args[0].input.filterPattern)
      .toBe('{ $.heartbeat = "result" && $.heartbeatName = "Workload-Host-Heartbeat" }');
    expect(metricLines('SilentPeers')[0]).toMatchObject({ SilentPeers: 1, Healthy: 1 });
    expect(metricLines('PeerSilent').map(l => [l.Peer, l.PeerSilent])).toEqual([['Workload-Host-Heartbeat', 0], ['Workload-Monitor-Heartbeat', 1]]);
    // The peer's own failures are its own: a silent peer does not fail this control.
    expect(result.healthy).toBe(true);
  });

  test('a peer whose log group cannot be read is reported, not counted silent (the watch layer alarms on the reader)', async () => {
    logs.on(FilterLogEventsCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const result = await run(config([], { peers: [{ control: 'host', heartbeat: 'h', logGroupName: 'g' }] }));
    expect(result.peers[0]).toMatchObject({ silent: false, detail: expect.stringMatching(/could not read the peer's log group: access denied/) });
  });
});
