import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ENDPOINT, ENV, watchedWorkload } from './watched-workload';
import { LogArchive, LogDeliveryHeartbeat } from '../../src/archive';
import { analyseApp } from '../../src/checks/defence-analysis';
import { DefenceLayer } from '../../src/core';
import { EdgeFilter } from '../../src/edge';
import { DefenceWatch, Heartbeat, HeartbeatCheck } from '../../src/heartbeat';
import { HostFilter } from '../../src/host';
import { idsUnder, only, resourcesUnder } from '../helpers/construct-resources';
import { reportingApp } from '../helpers/isolation';

/** The HEARTBEAT_CONFIG of a heartbeat function, with references left as `{"Ref":...}` text. */
function heartbeatConfig(template: Template, stack: Stack, pathPrefix: string): string {
  const fn = only(resourcesUnder(template, stack, 'AWS::Lambda::Function', pathPrefix));
  return JSON.stringify(fn.Properties.Environment.Variables.HEARTBEAT_CONFIG);
}

describe('the four heartbeats, each in the layer it proves', () => {
  const w = watchedWorkload();
  const { stack } = w;
  const template = Template.fromStack(stack);

  test.each([
    ['Workload/Edge/Heartbeat/', 'edge'],
    ['Workload/Host/Heartbeat/', 'host'],
    ['Workload/Monitor/Heartbeat/', 'monitor'],
    ['Workload/LogDelivery/Heartbeat/', 'archive'],
  ])('%s: every resource is in layer %s; a scheduled function every minute, Node.js 24, 55 s, reserved concurrency', (prefix, layer) => {
    const ids = idsUnder(stack, prefix);
    expect(ids.size).toBeGreaterThanOrEqual(5);
    const resources = template.toJSON().Resources as Record<string, any>;
    for (const id of ids) expect([id, resources[id].Metadata['cdk-defence-in-depth:layer']]).toEqual([id, layer]);
    const fn = only(resourcesUnder(template, stack, 'AWS::Lambda::Function', prefix));
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 55, ReservedConcurrentExecutions: 2 });
    const rule = only(resourcesUnder(template, stack, 'AWS::Events::Rule', prefix));
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.Targets[0].RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
    // Its log group is encrypted with the layer's own key and retained.
    const group = only(resourcesUnder(template, stack, 'AWS::Logs::LogGroup', `${prefix}Logs`));
    expect(group.Properties.KmsKeyId).toBeDefined();
    expect(group.DeletionPolicy).toBe('Retain');
  });

  test('every heartbeat policy only reads (besides writing its own logs)', () => {
    const read = /^[a-z0-9-]+:(Get|List|Describe|Filter)[A-Za-z]*$/;
    for (const prefix of ['Workload/Edge/Heartbeat/', 'Workload/Host/Heartbeat/', 'Workload/Monitor/Heartbeat/', 'Workload/LogDelivery/Heartbeat/']) {
      const policy = only(resourcesUnder(template, stack, 'AWS::IAM::ManagedPolicy', prefix));
      const actions = policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action));
      expect(actions.filter((a: string) => !read.test(a)).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(policy.Properties.PolicyDocument.Statement.every((s: any) => s.Effect === 'Allow')).toBe(true);
    }
  });

  test('edge: canary and benign through the public endpoint, the web ACL rules as rendered, the ALB association, the WAF stream', () => {
    const config = heartbeatConfig(template, stack, 'Workload/Edge/Heartbeat/');
    expect(config).toContain(`"url\\":\\"${ENDPOINT}/?id=1%27%20OR%20%271%27%3D%271%27--&heartbeat=canary\\"`);
    expect(config).toContain('\\"expect\\":\\"block\\",\\"layer\\":\\"edge\\"');
    expect(config).toContain('\\"expect\\":\\"pass\\",\\"layer\\":\\"edge\\"');
    expect(config).toContain('{\\"name\\":\\"AWS-AWSManagedRulesSQLiRuleSet\\",\\"action\\":\\"none\\"}');
    expect(config).toContain('\\"kind\\":\\"web-acl-association\\"');
    expect(config).toContain('\\"kind\\":\\"delivery-stream\\"');
    // No probe goes into the VPC: the edge's function runs outside it.
    expect(only(resourcesUnder(template, stack, 'AWS::Lambda::Function', 'Workload/Edge/Heartbeat/')).Properties.VpcConfig).toBeUndefined();
  });

  test('host: inside the VPC in the web subnets, probes every host of the group on the filter port, which admits only the heartbeat\'s group', () => {
    const fn = only(resourcesUnder(template, stack, 'AWS::Lambda::Function', 'Workload/Host/Heartbeat/'));
    expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    const heartbeatSg = stack.getLogicalId(w.hostHeartbeat.securityGroup!.node.defaultChild as CfnResource);
    expect(fn.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [heartbeatSg, 'GroupId'] }]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: w.host.listenPort,
      ToPort: w.host.listenPort,
      SourceSecurityGroupId: { 'Fn::GetAtt': [heartbeatSg, 'GroupId'] },
      GroupId: { 'Fn::GetAtt': [stack.getLogicalId(w.hosts.securityGroup.node.defaultChild as CfnResource), 'GroupId'] },
    });
    const config = heartbeatConfig(template, stack, 'Workload/Host/Heartbeat/');
    expect(config).toContain(`\\"port\\":${w.host.listenPort}`);
    expect(config).toContain(stack.getLogicalId(w.hosts.autoScalingGroup.node.defaultChild as CfnResource));
    expect(config).toContain('\\"headers\\":{\\"host\\":\\"localhost\\"}');
    expect(config).toContain('\\"kind\\":\\"logs-arriving\\"');
  });

  test('monitor: mirror sessions of the mirrored group, sensors, the canary alert (sid 1990001) after a request through the endpoint, logs', () => {
    const config = heartbeatConfig(template, stack, 'Workload/Monitor/Heartbeat/');
    expect(config).toContain('\\"kind\\":\\"mirror-sessions\\"');
    expect(config).toContain(stack.getLogicalId(w.hosts.autoScalingGroup.node.defaultChild as CfnResource));
    expect(config).toContain(`\\"url\\":\\"${ENDPOINT}/.well-known/defence-in-depth/monitor-canary\\"`);
    expect(config).toContain('\\"signatureId\\":1990001');
    expect(config.match(/\\"kind\\":\\"logs-arriving\\"/g)).toHaveLength(2);
    expect(config.match(/\\"kind\\":\\"delivery-stream\\"/g)).toHaveLength(2);
  });

  test('log delivery: one freshness check per delivery path of the archive (its own included)', () => {
    const config = heartbeatConfig(template, stack, 'Workload/LogDelivery/Heartbeat/');
    expect(w.archive.deliveryPaths.map(p => p.prefix))
      .toEqual(['edge/waf/', 'host/logs/', 'monitor/flow-logs/', 'monitor/sensors/', 'watch/notifications/', 'archive/heartbeat/']);
    expect(config.match(/\\"kind\\":\\"delivery-stream\\"/g)).toHaveLength(6);
    // The notifications path is occasional: freshness only, no chatter alarm.
    expect(w.delivery.heartbeat.chatter.map(c => c.label)).toEqual(w.archive.deliveryPaths.filter(p => p.prefix !== 'watch/notifications/').map(p => `records into ${p.prefix}`));
  });
});

describe('the watch layer', () => {
  const w = watchedWorkload({ emails: ['security@example.com'] });
  const { stack } = w;
  const template = Template.fromStack(stack);
  // The going-dark alarms (the tamper watch's alarms count events: no data there is the normal state).
  const alarms = resourcesUnder(template, stack, 'AWS::CloudWatch::Alarm', 'Workload/Watch/GoingDark');

  test('every going-dark alarm is in the watch layer and treats missing data as breaching', () => {
    // Per heartbeat: failed/silent heartbeat, silent peers, and two per chatter signal (band, floor).
    const expected = [w.edgeHeartbeat, w.hostHeartbeat, w.monitorHeartbeat, w.delivery.heartbeat].reduce((n, hb) => n + 2 + 2 * hb.chatter.length, 0);
    expect(expected).toBe(28);
    expect(Object.keys(alarms)).toHaveLength(expected);
    for (const [id, alarm] of Object.entries(alarms)) {
      expect([id, alarm.Properties.TreatMissingData]).toEqual([id, 'breaching']);
      expect([id, alarm.Metadata['cdk-defence-in-depth:layer']]).toEqual([id, 'watch']);
    }
  });

  test('heartbeat alarms: Healthy below 1 in 2 of 3 one-minute runs; silent peers; both by heartbeat name', () => {
    const heartbeatAlarms = Object.values(alarms).filter((a: any) => a.Properties.MetricName === 'Healthy');
    expect(heartbeatAlarms).toHaveLength(4);
    for (const a of heartbeatAlarms) {
      expect(a.Properties).toMatchObject({
        Namespace: 'DefenceInDepth/Heartbeat',
        Statistic: 'Minimum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
    }
    expect(heartbeatAlarms.map((a: any) => a.Properties.Dimensions.find((d: any) => d.Name === 'Control').Value).sort()).toEqual(['archive', 'edge', 'host', 'monitor']);
    expect(Object.values(alarms).filter((a: any) => a.Properties.MetricName === 'SilentPeers')).toHaveLength(4);
  });

  test('chatter: an anomaly-band alarm on the lower edge and an absolute floor per signal', () => {
    const band = Object.values(alarms).filter((a: any) => a.Properties.ThresholdMetricId !== undefined);
    expect(band).toHaveLength(10);
    for (const a of band) {
      expect(a.Properties.ComparisonOperator).toBe('LessThanLowerThreshold');
      expect(a.Properties.Metrics.find((m: any) => m.Expression)?.Expression).toMatch(/^ANOMALY_DETECTION_BAND\(m\d+, 3\)$/);
    }
    const floors = Object.values(alarms).filter((a: any) => a.Properties.ComparisonOperator === 'LessThanThreshold' && a.Properties.MetricName !== 'Healthy');
    expect(floors.map((a: any) => `${a.Properties.Namespace} ${a.Properties.MetricName} ${a.Properties.Threshold}`).sort()).toEqual([
      ...Array(5).fill('AWS/Firehose IncomingRecords 1'),
      'AWS/Logs IncomingLogEvents 1', 'AWS/Logs IncomingLogEvents 1', 'AWS/Logs IncomingLogEvents 1',
      'AWS/WAFV2 AllowedRequests 1', 'AWS/WAFV2 BlockedRequests 1',
    ]);
  });

  test('a composite per layer notifies the topic (alarm and OK); the overall composite covers the four and notifies nobody', () => {
    const composites = resourcesUnder(template, stack, 'AWS::CloudWatch::CompositeAlarm', 'Workload/Watch/');
    expect(Object.keys(composites)).toHaveLength(5);
    const topicRef = { Ref: stack.getLogicalId(w.watch.topic.node.defaultChild as CfnResource) };
    const layerComposites = ['edge', 'host', 'monitor', 'archive'].map(l => stack.getLogicalId(w.watch.layerAlarm(l)!.node.defaultChild as CfnResource));
    for (const id of layerComposites) {
      expect(composites[id].Properties.AlarmActions).toEqual([topicRef]);
      expect(composites[id].Properties.OKActions).toEqual([topicRef]);
    }
    const edgeRule = JSON.stringify(composites[layerComposites[0]].Properties.AlarmRule);
    expect(edgeRule.match(/ALARM\(/g)).toHaveLength(2 + 2 * 2);
    const overall = composites[stack.getLogicalId(w.watch.overallAlarm.node.defaultChild as CfnResource)];
    expect(overall.Properties.AlarmActions).toBeUndefined();
    const overallRule = JSON.stringify(overall.Properties.AlarmRule);
    for (const id of layerComposites) expect(overallRule).toContain(id);
    // The mutual-watch alarms notify on their own.
    for (const a of Object.values(alarms).filter((x: any) => x.Properties.MetricName === 'SilentPeers')) expect(a.Properties.AlarmActions).toEqual([topicRef]);
  });

  test('the topic is encrypted with the watch layer\'s own key, requires TLS, accepts CloudWatch of this account, mails the subscriber', () => {
    const keyId = stack.getLogicalId(w.watch.encryptionKey.node.defaultChild as CfnResource);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const key = template.toJSON().Resources[keyId];
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(expect.objectContaining({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Condition: { StringEquals: { 'aws:SourceAccount': ENV.account } },
    }));
    const policy = only(resourcesUnder(template, stack, 'AWS::SNS::TopicPolicy', 'Workload/Watch/'));
    expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
    ]));
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'security@example.com' });
    // Every notification is archived through the watch layer's own path, by a role that may only put into it.
    const streamRef = { 'Fn::GetAtt': [w.stack.getLogicalId(w.watch.deliveryPath!.node.findChild('Stream') as CfnResource), 'Arn'] };
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'firehose', Endpoint: streamRef, SubscriptionRoleArn: Match.anyValue() });
    const role = only(resourcesUnder(template, stack, 'AWS::IAM::ManagedPolicy', 'Workload/Watch/NotificationDeliveryPolicy'));
    expect(role.Properties.PolicyDocument.Statement).toEqual([expect.objectContaining({ Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: streamRef })]);
  });

  test('the dashboard: the isolation summary and overall alarm, then a row per layer (alarms, heartbeat checks, traffic, chatter with its band)', () => {
    const dashboard = only(resourcesUnder(template, stack, 'AWS::CloudWatch::Dashboard', 'Workload/Watch/'));
    const body = JSON.stringify(stack.resolve(dashboard.Properties.DashboardBody));
    for (const layer of ['edge', 'host', 'monitor', 'archive']) {
      for (const what of ['going dark?', 'heartbeat (1 = proven)', 'chatter against its band']) expect(body).toContain(`${layer}: ${what}`);
    }
    expect(body).toContain('edge: blocked / allowed');
    expect(body).toContain('host: blocked / allowed');
    expect(body).toContain('ANOMALY_DETECTION_BAND(c0, 3)');
    expect(body).toContain('canary-blocked');
    expect(body).toContain('## Defence in depth: isolation');
    // The summary's table lists each layer with its resources and what it observes.
    expect(body).toMatch(/\| watch \| \d+ \| archive, edge, host, monitor \| - \|/);
    expect(body).toMatch(/\| edge \| \d+ \| archive, host, monitor \| - \|/);
    expect(body).toContain('Report-only mode');
  });

  test('isolation: the five layers share nothing; the watch layer and the heartbeats only observe, read-only', () => {
    w.app.synth();
    const isolation = analyseApp(w.app).isolation;
    expect(isolation.shortCircuits.map(c => `${c.resource.type} ${c.resource.path} [${c.layers}]`)).toEqual([]);
    const pairs = (layer: string) => [...new Set(isolation.observes.filter(o => o.layer === layer)
      .map(o => `${o.to.type} ${o.to.layer ?? '-'}`))].sort();
    // Mutual watch: each heartbeat reads the other three heartbeats' log groups.
    for (const layer of ['edge', 'host', 'monitor', 'archive']) {
      const peerGroups = isolation.observes.filter(o => o.layer === layer && o.to.type === 'AWS::Logs::LogGroup' && /Heartbeat/.test(o.to.path));
      expect([layer, new Set(peerGroups.map(o => o.to.layer)).size]).toEqual([layer, 3]);
    }
    expect(pairs('archive')).toContain('AWS::KinesisFirehose::DeliveryStream edge');
    expect(pairs('edge')).toContain('AWS::ElasticLoadBalancingV2::LoadBalancer -');
    expect(isolation.observes.filter(o => o.layer === 'watch').length).toBeGreaterThan(0);
  });
});

describe('policy packs', () => {
  test('cdk-nag AwsSolutions and NIST 800-53 R5: no finding on the heartbeats or the watch layer', () => {
    const w = watchedWorkload();
    w.app.synth();
    const mine = (p?: string) => p !== undefined && (/^Workload\/(Edge|Host|Monitor|LogDelivery)\/Heartbeat\//.test(p) || p.startsWith('Workload/Watch/') || p.startsWith('Workload/LogDelivery/'));
    for (const pack of [new AwsSolutionsChecks(w.app), new NIST80053R5Checks(w.app)]) {
      const findings = pack.validateScope(w.stack).violations
        .filter(v => v.violatingResources.some(r => mine(r.constructPath)))
        .map(v => `${v.ruleName} ${v.violatingResources.filter(r => mine(r.constructPath)).map(r => r.constructPath).join(', ')}`);
      expect(findings).toEqual([]);
    }
  });
});

describe('options and invalid input', () => {
  test('a Slack channel gets the alarms through AWS Chatbot, with a deny-all guardrail', () => {
    const w = watchedWorkload({ slack: { workspaceId: 'T0123ABCD', channelId: 'C0123456789' } });
    const template = Template.fromStack(w.stack);
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123456789',
      SnsTopicArns: [{ Ref: w.stack.getLogicalId(w.watch.topic.node.defaultChild as CfnResource) }],
      GuardrailPolicies: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AWSDenyAll']] }],
    });
  });

  test('the watch layer\'s props are validated, all problems at once', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    expect(() => new DefenceWatch(stack, 'Watch', {
      bandWidth: 0, heartbeatEvaluationPeriods: 3, heartbeatDatapointsToAlarm: 4, emails: ['not-an-email'], slack: { workspaceId: 'lower', channelId: 'C1' },
    })).toThrow(/Invalid configuration of 'S\/Watch'[\s\S]*bandWidth: 0 is not allowed; allowed: from 1 to 10[\s\S]*heartbeatDatapointsToAlarm: 4[\s\S]*emails\[0\][\s\S]*slack\.workspaceId/);
  });

  test('emails: [] without slack tells nobody: an error; no emails at all: a warning to subscribe to the topic', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    expect(() => new DefenceWatch(stack, 'Empty', { emails: [] }))
      .toThrow(/emails: \[\] \(and no slack\) is not allowed; allowed: at least one address, or a Slack channel: with neither, nobody would ever be told/);
    const slackOnly = new DefenceWatch(stack, 'SlackOnly', { emails: [], slack: { workspaceId: 'T0123ABCD', channelId: 'C0123456789' } });
    const unsubscribed = new DefenceWatch(stack, 'Unsubscribed');
    // Read from the constructs: a watch layer that watches nothing cannot synthesize.
    const warnings = (w: DefenceWatch) => w.node.metadata.filter(m => m.type === 'aws:cdk:warning').map(m => String(m.data));
    expect(warnings(unsubscribed)).toEqual(expect.arrayContaining([expect.stringMatching(/alarm topic has no subscriber/)]));
    expect(warnings(slackOnly).filter(m => /no subscriber/.test(m))).toEqual([]);
  });

  test('a watch layer that watches nothing fails the synth; a heartbeat is watched once, and never one of the watch layer', () => {
    const app = reportingApp();
    const stack = new Stack(app, 'S', { env: ENV });
    new DefenceWatch(stack, 'Watch');
    expect(() => app.synth()).toThrow(/the watch layer watches no heartbeat/);

    const w = watchedWorkload();
    expect(() => w.watch.watch(w.edgeHeartbeat)).toThrow(/watch\(heartbeat\): 'Workload\/Edge\/Heartbeat' \(watched already\)/);
    expect(() => new Heartbeat(w.watch, 'Own', { checks: [HeartbeatCheck.benignPasses({ url: ENDPOINT })] }))
      .not.toThrow();
    const own = w.watch.node.findChild('Own') as Heartbeat;
    expect(() => w.watch.watch(own)).toThrow(/a heartbeat inside the control layer it proves, not in the watch layer/);
  });

  test('heartbeat props: outside a layer, interval, host probes without a VPC, bad URLs and names', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    expect(() => new Heartbeat(stack, 'Loose', { checks: [HeartbeatCheck.benignPasses({ url: ENDPOINT })] }))
      .toThrow(/A Heartbeat must be created inside a DefenceLayer/);
    const layer = new DefenceLayer(stack, 'Custom', { layerName: 'custom' });
    expect(() => new Heartbeat(layer, 'Slow', { checks: [HeartbeatCheck.benignPasses({ url: ENDPOINT })], interval: Duration.seconds(90) }))
      .toThrow(/interval: 1\.5 minutes is not allowed; allowed: a whole number from 1 to 60 minutes/);
    expect(() => new Heartbeat(layer, 'None', { checks: [] })).toThrow(/checks: 0 is not allowed; allowed: at least one check/);
    expect(() => new Heartbeat(layer, 'Url', { checks: [HeartbeatCheck.canaryBlocked({ url: 'ftp://x', name: 'Bad Name', blockStatus: 200, timeout: Duration.seconds(60) })] }))
      .toThrow(/name: "Bad Name"[\s\S]*url: "ftp:\/\/x"[\s\S]*blockStatus: 200[\s\S]*timeout: 60/);
    expect(() => new Heartbeat(layer, 'Both', { checks: [HeartbeatCheck.canaryBlocked({})] })).toThrow(/url, hosts: no url and no hosts is not allowed; allowed: exactly one of url and hosts/);
    expect(() => new Heartbeat(layer, 'Dup', { checks: [HeartbeatCheck.benignPasses({ url: ENDPOINT }), HeartbeatCheck.benignPasses({ url: ENDPOINT })] }))
      .toThrow(/checks: "benign-passes" is not allowed; allowed: checks with distinct names/);
  });

  test('layer heartbeats: endpoint with a path, a host heartbeat without hosts, twice', () => {
    const app = reportingApp();
    const stack = new Stack(app, 'S', { env: ENV });
    const archive = new LogArchive(stack, 'Archive');
    const edge = new EdgeFilter(stack, 'Edge', { logDestination: archive });
    expect(() => edge.addHeartbeat({ endpoint: 'https://app.example.com/shop' })).toThrow(/endpoint: "https:\/\/app.example.com\/shop" is not allowed; allowed: the public endpoint as scheme and host, without a path/);
    edge.addHeartbeat({ endpoint: ENDPOINT });
    expect(() => edge.addHeartbeat({ endpoint: ENDPOINT })).toThrow(/addHeartbeat\(\): "called twice" is not allowed; allowed: one heartbeat per edge/);
    const host = new HostFilter(stack, 'Host', { logDestination: archive });
    expect(() => host.addHeartbeat({})).toThrow(/ec2Hosts, fargateService: neither is not allowed[\s\S]*vpc: undefined/);
  });

  test('a delivery path created after the LogDeliveryHeartbeat fails the synth, naming it', () => {
    const app = reportingApp();
    const stack = new Stack(app, 'S', { env: ENV });
    const archive = new LogArchive(stack, 'Archive');
    new LogDeliveryHeartbeat(stack, 'LogDelivery', { destination: archive });
    new HostFilter(stack, 'Host', { logDestination: archive });
    expect(() => app.synth()).toThrow(/the delivery path 'S\/Host\/LogDelivery' \(host\/logs\/\) was created after the LogDeliveryHeartbeat/);
  });

  test('the isolation summary says so in enforce mode', () => {
    const w = watchedWorkload(undefined, new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'did-')) }));
    const body = JSON.stringify(w.stack.resolve(only(resourcesUnder(Template.fromStack(w.stack), w.stack, 'AWS::CloudWatch::Dashboard', 'Workload/Watch/')).Properties.DashboardBody));
    expect(body).toContain('**enforce** mode');
    expect(body).toContain('**no short circuit**');
  });
});

test('observe edges declared by the watch name real sources (a heartbeat from a layer without chatter adds none)', () => {
  const app = reportingApp();
  const stack = new Stack(app, 'S', { env: ENV });
  const layer = new DefenceLayer(stack, 'Custom', { layerName: 'custom' });
  const hb = new Heartbeat(layer, 'Heartbeat', { checks: [HeartbeatCheck.benignPasses({ url: ENDPOINT })] });
  const watch = new DefenceWatch(stack, 'Watch');
  const alarms = watch.watch(hb);
  expect(alarms.chatterAlarms).toEqual([]);
  expect(Match).toBeDefined();
  app.synth();
  expect(analyseApp(app).isolation.shortCircuits).toEqual([]);
});
