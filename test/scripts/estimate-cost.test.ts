import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ASSUMPTIONS, estimateMonthlyCost, LAYER_KEY, managementEventsPerMonth, OUTSIDE, STATED_TRAFFIC } from '../../scripts/cost/estimate';
import { HOURS_PER_MONTH, PRICES } from '../../scripts/cost/prices';
import { DefendedWebService, DefendedWebServiceProps } from '../../src';

// The cost estimate of `npm run example`: each line follows from the template and the price table.

const ENV = { account: '111111111111', region: 'eu-west-1' };

function estimate(props: Partial<DefendedWebServiceProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Service', { env: ENV });
  new DefendedWebService(stack, 'Web', {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111111111111:certificate/abc'),
    domainName: 'app.example.com',
    ...props,
  });
  const template = app.synth().getStackByName('Service').template;
  const costs = estimateMonthlyCost([{ name: 'Service', template }]);
  const layer = (name: string) => costs.find(c => c.layer === name)!;
  const item = (name: string, what: RegExp) => layer(name).items.find(i => what.test(i.what))?.usd;
  return { template, costs, layer, item };
}

describe('estimated monthly cost of the minimal EC2 service', () => {
  const { template, costs, layer, item } = estimate();

  test('a row per layer and one for the network outside every layer, each the sum of its items', () => {
    expect(costs.map(c => c.layer)).toEqual(['archive', 'edge', 'host', 'monitor', 'watch', OUTSIDE]);
    for (const c of costs) expect(c.usd).toBeCloseTo(c.items.reduce((s, i) => s + i.usd, 0), 1);
  });

  test('edge: $5 per web ACL, $1 per rule, $0.60 per million requests', () => {
    const acl = Object.values<any>(template.Resources).find(r => r.Type === 'AWS::WAFv2::WebACL');
    expect(item('edge', /^web ACL \+ (\d+) rules$/)).toBe(5 + acl.Properties.Rules.length);
    expect(item('edge', /^WAF requests/)).toBeCloseTo(STATED_TRAFFIC.requestsPerMonth / 1e6 * 0.6, 2);
  });

  test('host: two t3.small web hosts (hours, 16 GB gp3, detailed monitoring) and the load balancer', () => {
    expect(item('host', /^2 × t3.small web hosts$/)).toBeCloseTo(2 * (0.0208 * HOURS_PER_MONTH + 16 * 0.08 + 2.1), 2);
    expect(item('host', /^application load balancer$/)).toBeGreaterThan(PRICES.alb.hour * HOURS_PER_MONTH);
  });

  test('monitor: a mirror session per web host, its sensors and its own NAT gateways', () => {
    expect(item('monitor', /^2 mirror sessions$/)).toBeCloseTo(2 * 0.015 * HOURS_PER_MONTH, 2);
    expect(item('monitor', /NAT gateways/)).toBeCloseTo(2 * (0.045 * HOURS_PER_MONTH + 0.045), 2);
    expect(layer('monitor').items.some(i => /× t3\.\w+ instances/.test(i.what))).toBe(true);
  });

  test('watch and archive: alarms, dashboard, keys; the archive stores the month\'s logs', () => {
    expect(item('watch', /^dashboard$/)).toBe(3);
    expect(item('watch', /^alarms$/)).toBeGreaterThan(28 * 0.1);
    expect(item('archive', /^archive storage, first month/)).toBeGreaterThan(0);
  });
});

test('on Fargate: tasks priced by vCPU and memory, GuardDuty Runtime Monitoring per vCPU, no mirror sessions', () => {
  const { item, layer } = estimate({
    fargate: { appImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'), cpu: 1024, memoryLimitMiB: 2048, desiredCount: 3 },
    monitor: { enableGuardDuty: true },
  });
  expect(item('host', /^3 Fargate tasks \(1 vCPU, 2 GiB\)$/)).toBeCloseTo(3 * HOURS_PER_MONTH * (0.04048 + 2 * 0.004445), 2);
  expect(item('monitor', /^GuardDuty$/)).toBeCloseTo(3 * 1.5, 2);
  expect(layer('monitor').items.some(i => /mirror sessions/.test(i.what))).toBe(false);
});

test('more traffic costs more, in the layers that see it', () => {
  const app = new App();
  const stack = new Stack(app, 'Service', { env: ENV });
  new DefendedWebService(stack, 'Web', { allowHttpOnlyForDemo: true });
  const template = app.synth().getStackByName('Service').template;
  const low = estimateMonthlyCost([{ name: 'S', template }], { requestsPerMonth: 1e6, kibPerRequest: 20 });
  const high = estimateMonthlyCost([{ name: 'S', template }], { requestsPerMonth: 1e8, kibPerRequest: 20 });
  const usd = (rows: typeof low, layer: string) => rows.find(r => r.layer === layer)!.usd;
  expect(usd(high, 'edge') - usd(low, 'edge')).toBeCloseTo(99 * 0.6 + 0.029 * (99e6 * 1.5) / (1024 * 1024), 0);
  expect(usd(high, 'host')).toBeGreaterThan(usd(low, 'host'));
  expect(usd(high, 'watch')).toBe(usd(low, 'watch'));
});

describe('tamper watch: a CloudTrail trail and EventBridge rules on its API calls (synthetic template)', () => {
  // A template of only what the lines depend on: the archive bucket, heartbeats, and the watch's trail, rules and log group,
  // shaped like the TamperWatch's (a write-only multi-region trail into the archive; rules targeting the alarm topic and a log group).
  const at = (layer: string, role?: string) => ({ [LAYER_KEY]: layer, ...(role ? { 'cdk-defence-in-depth:role': role } : {}) });
  const base = (heartbeats: number): Record<string, any> => ({
    Archive: {
      Type: 'AWS::S3::Bucket',
      Metadata: at('archive'),
      Properties: { ObjectLockEnabled: true, BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } },
    },
    ...Object.fromEntries(['edge', 'host', 'monitor', 'archive'].slice(0, heartbeats).map(layer =>
      [`${layer}Heartbeat`, { Type: 'AWS::Lambda::Function', Metadata: at(layer, 'heartbeat'), Properties: { MemorySize: 256 } }])),
    Schedule: { Type: 'AWS::Events::Rule', Metadata: at('edge'), Properties: { ScheduleExpression: 'rate(1 minute)' } },
  });
  const callsOn = (source: string, names: string[]) => ({ 'source': [source], 'detail-type': ['AWS API Call via CloudTrail'], 'detail': { eventName: names } });
  const watch = (trail: Record<string, unknown> = {}): Record<string, any> => ({
    Trail: {
      Type: 'AWS::CloudTrail::Trail',
      Metadata: at('watch'),
      Properties: {
        IsLogging: true,
        IsMultiRegionTrail: true,
        EnableLogFileValidation: true,
        IncludeGlobalServiceEvents: true,
        S3BucketName: { Ref: 'Archive' },
        KMSKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abc',
        EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
        ...trail,
      },
    },
    TamperEvents: { Type: 'AWS::Logs::LogGroup', Metadata: at('watch'), Properties: { RetentionInDays: 365 } },
    WafCalls: {
      Type: 'AWS::Events::Rule',
      Metadata: at('watch'),
      Properties: {
        EventPattern: callsOn('aws.wafv2', ['UpdateWebACL', 'DeleteWebACL']),
        Targets: [
          { Id: 'Notify', Arn: { Ref: 'AlarmTopic' } },
          { Id: 'Count', Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:log-group:', { Ref: 'TamperEvents' }]] } },
        ],
      },
    },
    LogsCalls: {
      Type: 'AWS::Events::Rule',
      Metadata: at('watch'),
      Properties: {
        EventPattern: JSON.stringify(callsOn('aws.logs', ['DeleteLogGroup', 'DeleteSubscriptionFilter'])),
        Targets: [{ Id: 'Count', Arn: { 'Fn::GetAtt': ['TamperEvents', 'Arn'] } }],
      },
    },
  });
  const ALL = { EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }] };
  const run = (resources: Record<string, any>, assumptions = {}) => {
    const costs = estimateMonthlyCost([{ name: 'S', template: { Resources: resources } }], STATED_TRAFFIC, assumptions);
    const layer = (name: string) => costs.find(c => c.layer === name);
    const item = (name: string, what: RegExp) => layer(name)?.items.find(i => what.test(i.what));
    const total = costs.reduce((sum, c) => sum + c.usd, 0);
    return { costs, layer, item, total };
  };
  const GIB = 1024 * 1024;
  const allEvents = 4 * ASSUMPTIONS.runsPerMonth * ASSUMPTIONS.managementReadsPerHeartbeatRun + ASSUMPTIONS.otherManagementReadsPerMonth
    + ASSUMPTIONS.managementWritesPerMonth;
  const writes = ASSUMPTIONS.managementWritesPerMonth;
  const trailStorage = ((writes * ASSUMPTIONS.trailStoredKibPerEvent) / GIB) * PRICES.s3StandardGbMonth;
  const tamperLogs = ((ASSUMPTIONS.tamperEventsPerMonth * ASSUMPTIONS.tamperEventKib) / GIB) * (0.5 + 0.03);

  test('management events: 4 heartbeats × 43,800 runs × 9 reads + 200,000 other reads + 100,000 writes ≈ 1.88 M a month; 0.1 M writes', () => {
    expect(managementEventsPerMonth(4)).toBe(1_876_800);
    expect(managementEventsPerMonth(4, 'All')).toBe(allEvents);
    expect(managementEventsPerMonth(4, 'WriteOnly')).toBe(100_000);
    expect(managementEventsPerMonth(4, 'ReadOnly')).toBe(1_776_800);
    expect(PRICES.cloudTrail.managementEventsAdditionalCopyPer100k).toBe(2);
    expect(PRICES.cloudTrail.managementEventsFirstCopyPer100k).toBe(0);
    expect(PRICES.eventBridge.awsServiceEventsPerMillion).toBe(0);
    expect(PRICES.eventBridge.ruleMonth).toBe(0);
  });

  test('the write-only trail is a $0 line (first copy) naming its events and the second-copy amount; the notes explain both amounts', () => {
    const { item, layer } = run({ ...base(4), ...watch() });
    expect(item('watch', /^CloudTrail/)).toEqual({ what: 'CloudTrail write management events, first copy (0.10 M a month; $2.00 if the account already has a trail)', usd: 0 });
    const notes = layer('watch')!.notes.join('\n');
    expect(notes).toMatch(/organization trail counts\), this trail is a second copy at \$2\.00 per 100,000 events: \$2\.00 a month at 0\.10 M events \(assumed: 100,000 writes;/);
    expect(notes).toMatch(/a trail of all management events would record 1\.88 M a month, \$37\.54 as a second copy/);
  });

  test('a trail of all management events: 1.88 M a month, $37.54 as a second copy', () => {
    const { item, layer } = run({ ...base(4), ...watch(ALL) });
    expect(item('watch', /^CloudTrail/)).toEqual({ what: 'CloudTrail management events, first copy (1.88 M a month; $37.54 if the account already has a trail)', usd: 0 });
    expect(layer('watch')!.notes.join('\n')).toMatch(/\(assumed: 4 heartbeats × 43,800 runs × 9 reads \+ 200,000 other reads \+ 100,000 writes;/);
  });

  test('the two rules on CloudTrail API calls are one $0 line; schedules get none', () => {
    const { item, layer } = run({ ...base(4), ...watch() });
    expect(item('watch', /EventBridge rule/)).toEqual({ what: '2 EventBridge rules on CloudTrail API calls (AWS service events: free)', usd: 0 });
    expect(layer('edge')!.items.some(i => /EventBridge/.test(i.what))).toBe(false);
  });

  test('the total grows only by the trail\'s log files in the archive and the tamper log group', () => {
    // At the stated volumes both are well under a cent: scaled up here so that rounding to cents cannot hide either.
    const more = { managementWritesPerMonth: 100_000_000, tamperEventsPerMonth: 1_000_000 };
    const storage = ((100_000_000 * ASSUMPTIONS.trailStoredKibPerEvent) / GIB) * PRICES.s3StandardGbMonth; // $0.55
    const tamper = ((1_000_000 * ASSUMPTIONS.tamperEventKib) / GIB) * (PRICES.cloudwatch.logsIngestGb + PRICES.cloudwatch.logsStoreGbMonth); // $1.52
    const without = run(base(4), more);
    const withWatch = run({ ...base(4), ...watch() }, more);
    // Differences of sums rounded to cents: within a cent.
    expect(Math.abs(withWatch.total - without.total - (storage + tamper))).toBeLessThanOrEqual(0.011);
    expect(Math.abs(withWatch.layer('archive')!.usd - without.layer('archive')!.usd - storage)).toBeLessThanOrEqual(0.011);
    expect(withWatch.item('watch', /^tamper events in CloudWatch Logs \(~1,000,000 a month in all/)!.usd).toBeCloseTo(tamper, 2);
    for (const name of ['edge', 'host', 'monitor']) expect(withWatch.layer(name)).toEqual(without.layer(name));
    // At the stated volumes: the same lines, well under a cent (0.02 GB of trail log files, 3 MB of tamper events).
    const stated = run({ ...base(4), ...watch() });
    expect(trailStorage).toBeLessThan(0.001);
    expect(stated.item('watch', /^tamper events in CloudWatch Logs \(~1,000 a month in all/)!.usd).toBeCloseTo(tamperLogs, 2);
  });

  test('the tamper events are shared among the log groups they go to (a group per layer)', () => {
    const more = { tamperEventsPerMonth: 1_000_000 };
    const one = run({ ...base(4), ...watch() }, more);
    const resources: Record<string, any> = { ...base(4), ...watch(), EdgeTamperEvents: { Type: 'AWS::Logs::LogGroup', Metadata: at('watch'), Properties: {} } };
    resources.LogsCalls.Properties.Targets = [{ Id: 'Count', Arn: { 'Fn::GetAtt': ['EdgeTamperEvents', 'Arn'] } }];
    const two = run(resources, more);
    expect(two.item('watch', /^tamper events/)!.usd).toBeCloseTo(one.item('watch', /^tamper events/)!.usd, 2);
  });

  test('the events, and the second copy, follow the number of heartbeats', () => {
    const two = run({ ...base(2), ...watch(ALL) });
    const fewer = 2 * ASSUMPTIONS.runsPerMonth * ASSUMPTIONS.managementReadsPerHeartbeatRun + ASSUMPTIONS.otherManagementReadsPerMonth + writes;
    expect(fewer).toBeLessThan(allEvents);
    expect(two.item('watch', /^CloudTrail/)!.what)
      .toBe(`CloudTrail management events, first copy (${(fewer / 1e6).toFixed(2)} M a month; $${(fewer / 5e4).toFixed(2)} if the account already has a trail)`);
    // A write-only trail does not see the heartbeats' reads.
    expect(run({ ...base(2), ...watch() }).item('watch', /^CloudTrail/)!.what).toMatch(/\(0\.10 M a month; \$2\.00 /);
  });

  test('assumed a second copy: the trail costs $2.00 per 100,000 events, and nothing else changes', () => {
    for (const [trail, events] of [[{}, writes], [ALL, allEvents]] as const) {
      const first = run({ ...base(4), ...watch(trail) });
      const second = run({ ...base(4), ...watch(trail) }, { trailIsAdditionalCopy: true });
      const usd = (events / 1e5) * 2;
      expect(second.item('watch', /^CloudTrail .*management events, second copy \(\d+\.\d\d M a month\)$/)!.usd).toBeCloseTo(usd, 2);
      expect(Math.abs(second.total - first.total - usd)).toBeLessThanOrEqual(0.011);
      expect(second.layer('watch')!.notes.join('\n')).toMatch(/priced as a second copy/);
    }
  });

  test('without an archive bucket the trail\'s log files are priced in its own layer; delivery to CloudWatch Logs is priced too', () => {
    const { Archive, ...noArchive } = base(4);
    const { item } = run({ ...noArchive, ...watch({ ...ALL, CloudWatchLogsLogGroupArn: 'arn:aws:logs:eu-west-1:111111111111:log-group:trail:*' }) });
    expect(Archive.Type).toBe('AWS::S3::Bucket');
    expect(item('watch', /^trail log files in S3/)!.usd).toBeCloseTo(((allEvents * ASSUMPTIONS.trailStoredKibPerEvent) / GIB) * PRICES.s3StandardGbMonth, 2);
    expect(item('watch', /^trail in CloudWatch Logs \(3\.6 GB\)$/)!.usd).toBeCloseTo(((allEvents * ASSUMPTIONS.trailRecordKib) / GIB) * 0.5, 2);
  });

  test('data events and Insights are named in the notes as not estimated; a rule on custom events too', () => {
    const { layer } = run({
      ...base(4),
      ...watch({ EventSelectors: [{ IncludeManagementEvents: true, DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }], InsightSelectors: [{ InsightType: 'ApiCallRateInsight' }] }),
      Custom: { Type: 'AWS::Events::Rule', Metadata: at('watch'), Properties: { EventPattern: { source: ['my.app'] } } },
    });
    const notes = layer('watch')!.notes.join('\n');
    expect(notes).toMatch(/data events selected, not estimated \(\$0\.10 per 100,000\)/);
    expect(notes).toMatch(/Insights selected, not estimated/);
    expect(notes).toMatch(/EventBridge rule Custom: .*\$1\.00 per million/);
  });

  test('the alarm on a layer\'s TamperEvents metric is priced as an alarm, its metric filter as a metric', () => {
    const without = run({ ...base(4), ...watch() });
    const counter = {
      TamperAlarm: { Type: 'AWS::CloudWatch::Alarm', Metadata: at('watch'), Properties: { MetricName: 'TamperEvents', Namespace: 'DefenceInDepth/TamperWatch/edge', Threshold: 1 } },
      TamperCount: {
        Type: 'AWS::Logs::MetricFilter',
        Metadata: at('watch'),
        Properties: { LogGroupName: { Ref: 'TamperEvents' }, FilterPattern: '', MetricTransformations: [{ MetricName: 'TamperEvents', MetricNamespace: 'DefenceInDepth/TamperWatch/edge', MetricValue: '1' }] },
      },
    };
    const { item, total } = run({ ...base(4), ...watch(), ...counter });
    expect(item('watch', /^alarms$/)!.usd).toBe(0.1);
    expect(item('watch', /^metrics \(metric filters\)$/)!.usd).toBe(0.3);
    expect(Math.abs(total - without.total - 0.4)).toBeLessThanOrEqual(0.011);
  });

  test('advanced event selectors are read too; a trail of data events only has no management-event line', () => {
    const advanced = (readOnly: string[]) => ({
      EventSelectors: undefined,
      AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: readOnly }] }],
    });
    expect(run({ ...base(4), ...watch(advanced(['false'])) }).item('watch', /^CloudTrail/)!.what).toMatch(/^CloudTrail write management events, first copy \(0\.10 M/);
    expect(run({ ...base(4), ...watch(advanced(['true'])) }).item('watch', /^CloudTrail/)!.what).toMatch(/^CloudTrail read-only management events, first copy \(1\.78 M/);
    const dataOnly = run({ ...base(4), ...watch({ EventSelectors: [{ IncludeManagementEvents: false, DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }] }) });
    expect(dataOnly.item('watch', /^CloudTrail/)).toEqual({ what: 'CloudTrail trail without management events', usd: 0 });
    expect(dataOnly.layer('watch')!.notes.join('\n')).toMatch(/data events selected, not estimated/);
  });

  test('a metric filter with a dimension from the event is priced as a metric per layer', () => {
    const { item, layer } = run({
      ...base(4),
      ...watch(),
      TamperCount: {
        Type: 'AWS::Logs::MetricFilter',
        Metadata: at('watch'),
        Properties: { LogGroupName: { Ref: 'TamperEvents' }, FilterPattern: '{ $.layer = * }', MetricTransformations: [{ MetricName: 'TamperEvents', MetricNamespace: 'X', MetricValue: '1', Dimensions: [{ Key: 'Layer', Value: '$.layer' }] }] },
      },
    });
    const layers = ['archive', 'edge', 'host', 'monitor', 'watch'].length; // the layers of this template
    expect(item('watch', /^metrics \(metric filters\)$/)!.usd).toBeCloseTo(layers * 0.3, 2);
    expect(layer('watch')!.notes.join('\n')).toMatch(/priced as 5 metrics, one per layer/);
  });
});
