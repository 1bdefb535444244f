import * as fs from 'fs';
import * as path from 'path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { sampleEvent } from './cloudtrail-events';
import { FakeIds } from './fake-physical-ids';
import { ENV, LAYER_METADATA, service, TAMPER_WATCH_METADATA, watchApp } from './tamper-apps';
import { LogArchive } from '../../src/archive';
import { analyseApp } from '../../src/checks/defence-analysis';
import { DefenceLayer } from '../../src/core';
import { TAMPER_METRIC_NAMESPACE, TamperWatch } from '../../src/tamper';
import { matchesEventPattern } from '../helpers/event-pattern';
import { reportingApp } from '../helpers/isolation';

const LAYERS = ['archive', 'edge', 'host', 'monitor', 'watch'];
const ORGANIZATION_TRAIL = 'cdk-defence-in-depth:tamper-watch-organization-trail';
const NO_TAMPER_WATCH = 'cdk-defence-in-depth:no-tamper-watch';
const OTHER_ENVIRONMENT = 'cdk-defence-in-depth:tamper-watch-other-environment';

type Resources = Record<string, { Type: string; Properties: any; Metadata?: any; DependsOn?: unknown }>;

const logicalIdOf = (construct: { node: { defaultChild?: unknown } } | CfnResource) => {
  const cfn = (CfnResource.isCfnResource(construct as any) ? construct : (construct as any).node.defaultChild) as CfnResource;
  return Stack.of(cfn).getLogicalId(cfn);
};

/** The warnings of a stack carrying `id` (addWarningV2 appends `[ack: id]`). */
const warningsWith = (stack: Stack, id: string) =>
  Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

describe('the tamper watch of a DefendedWebService', () => {
  const { app, stack, web } = service();
  // Added after the DefenceWatch (and after everything else): it is watched too.
  const late = new logs.LogGroup(web.edge, 'LateLogs', { retention: logs.RetentionDays.ONE_YEAR });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const tamper = web.watch.tamperWatch!;
  const archive = web.logArchive as LogArchive;
  const topicId = logicalIdOf(web.watch.topic);
  const rules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Metadata?.[TAMPER_WATCH_METADATA]);
  const layerLogGroup = (layer: string) => logicalIdOf(tamper.node.findChild(`Layer-${layer}`).node.findChild('Events') as logs.LogGroup);

  test('it is the watch layer\'s, with a trail: multi-region, global service events, log file validation, write-only management events', () => {
    expect(tamper).toBeInstanceOf(TamperWatch);
    expect(DefenceLayer.of(tamper)?.layerName).toBe('watch');
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
    });
    expect(logicalIdOf(tamper.trail!)).toBe(Object.keys(template.findResources('AWS::CloudTrail::Trail'))[0]);
  });

  test('the trail delivers into the archive: its bucket, its key, under cloudtrail/', () => {
    const trail = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0].Properties;
    expect(trail.S3BucketName).toEqual(stack.resolve(archive.bucket.bucketName));
    expect(trail.S3BucketName).toEqual({ Ref: logicalIdOf(archive.bucket) });
    expect(trail.KMSKeyId).toEqual(stack.resolve(archive.encryptionKey.keyArn));
    expect(trail.KMSKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(archive.encryptionKey), 'Arn'] });
    expect(trail.S3KeyPrefix).toBe('cloudtrail');
  });

  test('one alarm per watched layer on TamperEvents in DefenceInDepth/TamperWatch/<layer>, at 1, notifying the watch topic', () => {
    expect(tamper.alarms).toHaveLength(LAYERS.length);
    for (const layer of LAYERS) {
      const alarms = template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { Namespace: `${TAMPER_METRIC_NAMESPACE}/${layer}`, MetricName: 'TamperEvents' },
      });
      expect([layer, Object.keys(alarms).length]).toEqual([layer, 1]);
      expect(Object.values(alarms)[0].Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        Statistic: 'Sum',
        AlarmActions: [{ Ref: topicId }],
      });
    }
    expect(TAMPER_METRIC_NAMESPACE).toBe('DefenceInDepth/TamperWatch');
    // The overall alarm includes them.
    const overall = JSON.stringify(resources[logicalIdOf(web.watch.overallAlarm)].Properties.AlarmRule);
    for (const alarm of tamper.alarms) expect(overall).toContain(logicalIdOf(alarm as any));
  });

  test('a metric filter per layer: every event of the layer\'s own log group counts 1 in its namespace', () => {
    for (const layer of LAYERS) {
      const filters = template.findResources('AWS::Logs::MetricFilter', { Properties: { LogGroupName: { Ref: layerLogGroup(layer) } } });
      expect([layer, Object.keys(filters).length]).toEqual([layer, 1]);
      expect(Object.values(filters)[0].Properties.MetricTransformations).toEqual([
        { MetricNamespace: `${TAMPER_METRIC_NAMESPACE}/${layer}`, MetricName: 'TamperEvents', MetricValue: '1' },
      ]);
      // Encrypted with the watch layer's key, retained.
      expect(resources[layerLogGroup(layer)]).toMatchObject({
        Properties: { KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(web.watch.encryptionKey), 'Arn'] } },
        DeletionPolicy: 'Retain',
      });
    }
    // EventBridge may write into exactly these log groups.
    const policy = Object.values(template.findResources('AWS::Logs::ResourcePolicy'))
      .map(r => JSON.stringify(r.Properties.PolicyDocument))
      .find(p => p.includes('events.amazonaws.com'));
    expect(policy).toBeDefined();
    for (const layer of LAYERS) expect(policy).toContain(`{"Fn::GetAtt":["${layerLogGroup(layer)}","Arn"]}`);
    expect(policy!.match(/Fn::GetAtt/g)).toHaveLength(LAYERS.length);
  });

  test('every rule notifies the watch topic with a message naming its layer, and writes into that layer\'s log group', () => {
    expect(rules.length).toBeGreaterThan(LAYERS.length);
    for (const [id, rule] of rules) {
      const layer = rule.Metadata[TAMPER_WATCH_METADATA].layer;
      expect(LAYERS).toContain(layer);
      expect(rule.Properties.State).toBe('ENABLED');
      const [notify, count, ...rest] = rule.Properties.Targets;
      expect(rest).toEqual([]);
      expect([id, notify.Arn]).toEqual([id, { Ref: topicId }]);
      expect(notify.InputTransformer.InputTemplate).toContain(`Tamper watch, ${layer} layer: <call> (<service>) by <who>`);
      expect(notify.InputTransformer.InputPathsMap).toMatchObject({ call: '$.detail.eventName', who: '$.detail.userIdentity.arn' });
      const countArn = JSON.stringify(count.Arn);
      expect([id, countArn.includes(`{"Ref":"${layerLogGroup(layer)}"}`)]).toEqual([id, true]);
      for (const other of LAYERS.filter(l => l !== layer)) expect(countArn).not.toContain(layerLogGroup(other));
    }
  });

  test('the topic\'s policy lets EventBridge of this account publish, and the topic\'s key lets it GenerateDataKey', () => {
    const topicPolicies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter(p => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topicId }]));
    expect(topicPolicies).toHaveLength(1);
    expect(topicPolicies[0].Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
      Condition: { StringEquals: { 'aws:SourceAccount': ENV.account } },
    }));
    const keyId = logicalIdOf(web.watch.encryptionKey);
    expect(resources[topicId].Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(resources[keyId].Properties.KeyPolicy.Statement).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: expect.arrayContaining(['kms:GenerateDataKey*']),
      Condition: { StringEquals: { 'aws:SourceAccount': ENV.account } },
    }));
  });

  test('every resource of the tamper watch belongs to the watch layer', () => {
    const own = tamper.node.findAll().filter(CfnResource.isCfnResource).map(r => logicalIdOf(r));
    expect(own.length).toBeGreaterThan(rules.length + 3 * LAYERS.length);
    expect(rules.every(([id]) => own.includes(id))).toBe(true);
    expect(own.filter(id => resources[id].Metadata?.[LAYER_METADATA] !== 'watch')).toEqual([]);
  });

  test('isolation: 0 short circuits, and the tamper watch only observes the other layers\' resources', () => {
    app.synth();
    const isolation = analyseApp(app).isolation;
    expect(isolation.shortCircuits.map(c => `${c.resource.type} ${c.resource.path} [${c.layers}]`)).toEqual([]);
    const observed = Object.values(resources).filter(r => (r.Metadata?.['cdk-defence-in-depth:observed-by'] ?? [])
      .some((o: { layer: string; reason: string }) => o.layer === 'watch' && /tamper watch/.test(o.reason)));
    expect(new Set(observed.map(r => r.Metadata[LAYER_METADATA]))).toEqual(new Set(['archive', 'edge', 'host', 'monitor']));
  });

  test('a log group added to the edge layer after everything else is watched by an edge rule', () => {
    const lateId = logicalIdOf(late);
    expect(resources[lateId].Metadata[LAYER_METADATA]).toBe('edge');
    const naming = rules.filter(([, r]) => JSON.stringify(r.Properties.EventPattern).includes(`{"Ref":"${lateId}"}`));
    // Named by its name and by its ARN: the two fields may land in two rules of the edge layer.
    expect(naming.length).toBeGreaterThan(0);
    expect(new Set(naming.map(([, r]) => `${r.Metadata[TAMPER_WATCH_METADATA].layer} ${r.Metadata[TAMPER_WATCH_METADATA].source}`))).toEqual(new Set(['edge aws.logs']));
    // ... and its deletion matches, resolved.
    const ids = new FakeIds(template.toJSON(), { ...ENV, stackName: stack.stackName });
    const event = sampleEvent('aws.logs', 'DeleteLogGroup', { value: ids.ref(lateId), ...ENV });
    expect(matchesEventPattern(ids.resolve(naming[0][1].Properties.EventPattern), event)).toBe(true);
    expect(tamper.watchedCalls.find(w => w.layer === 'edge' && w.what === 'log group')?.eventNames).toContain('DeleteLogGroup');
  });

  test('the dashboard shows every layer\'s tamper events and its tamper alarm', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody;
    const body = JSON.parse(JSON.stringify(stack.resolve(dashboard)).replace(/"Fn::Join":\["",/g, '"join":['));
    const text = JSON.stringify(body);
    expect(text).toContain('Tamper events (calls that switch a control off)');
    for (const layer of LAYERS) expect(text).toContain(`${TAMPER_METRIC_NAMESPACE}/${layer}`);
    // The alarm status widget lists each layer's tamper alarm.
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).filter(id => id.includes('TamperWatch'));
    expect(alarmIds).toHaveLength(LAYERS.length);
    for (const id of alarmIds) expect(text).toContain(`"${id}","Arn"`);
  });

  test('the report lists the watched calls per layer (report.md and report.json)', () => {
    app.synth();
    const dir = path.join(app.outdir, 'defence-in-depth');
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf-8');
    const section = md.slice(md.indexOf('## Tamper watch'), md.indexOf('## Observes edges'));
    for (const layer of LAYERS) expect(section).toMatch(new RegExp(`^\\| ${layer} \\|`, 'm'));
    expect(section).toMatch(/^\| archive \|.*key: DeleteImportedKeyMaterial, DisableKey, DisableKeyRotation, PutKeyPolicy, ScheduleKeyDeletion/m);
    expect(section).toMatch(/^\| watch \|.*trail: DeleteTrail, PutEventSelectors, PutInsightSelectors, StopLogging, UpdateTrail/m);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf-8'));
    expect(json.tamperWatch.map((t: { layer: string }) => t.layer)).toEqual(LAYERS);
    const edge = json.tamperWatch.find((t: { layer: string }) => t.layer === 'edge');
    expect(edge.calls.find((c: { what: string }) => c.what === 'web ACL association').eventNames).toEqual(['AssociateWebACL', 'DisassociateWebACL']);
    expect(edge.rules).toBe(rules.filter(([, r]) => r.Metadata[TAMPER_WATCH_METADATA].layer === 'edge').length);
  });

  test('no warning: every layer is in the tamper watch\'s account and region, and it has its own trail', () => {
    expect(warningsWith(stack, OTHER_ENVIRONMENT)).toEqual([]);
    expect(warningsWith(stack, ORGANIZATION_TRAIL)).toEqual([]);
    expect(warningsWith(stack, NO_TAMPER_WATCH)).toEqual([]);
  });
});

describe('tamper watch options and bad input', () => {
  test('useOrganizationTrail: no trail, and a warning naming the organization trail', () => {
    const { stack, watch } = watchApp({ watch: { tamperWatch: { useOrganizationTrail: true } } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    expect(watch.tamperWatch?.trail).toBeUndefined();
    const warnings = warningsWith(stack, ORGANIZATION_TRAIL);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].id).toBe('/Small/Watch/TamperWatch');
    expect(JSON.stringify(warnings[0].entry.data)).toMatch(/organization trail.*StopLogging/);
    // The rules are there all the same.
    expect(Object.keys(template.findResources('AWS::Events::Rule', { Metadata: { [TAMPER_WATCH_METADATA]: Match.anyValue() } })).length).toBeGreaterThan(0);
  });

  test('a small app with a log destination gets a trail into its archive and no warning', () => {
    const { stack, archive } = watchApp();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudTrail::Trail', { S3BucketName: { Ref: logicalIdOf(archive.bucket) }, S3KeyPrefix: 'cloudtrail' });
    expect(warningsWith(stack, ORGANIZATION_TRAIL)).toEqual([]);
    expect(warningsWith(stack, NO_TAMPER_WATCH)).toEqual([]);
  });

  test('a DefenceWatch without logDestination has no tamper watch, and warns', () => {
    const { stack, watch } = watchApp({ logDestination: false });
    expect(watch.tamperWatch).toBeUndefined();
    const warnings = warningsWith(stack, NO_TAMPER_WATCH);
    expect(warnings.map(w => w.id)).toEqual(['/Small/Watch']);
    Template.fromStack(stack).resourceCountIs('AWS::CloudTrail::Trail', 0);
  });

  test('a standalone TamperWatch without alarmTopic or emails: a validation error naming alarmTopic, emails', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    const archive = new LogArchive(stack, 'Archive');
    const layer = new DefenceLayer(stack, 'Layer', { layerName: 'watch' });
    expect(() => new TamperWatch(layer, 'T', { logDestination: archive })).toThrow(/alarmTopic, emails: neither given is not allowed/);
    // Without a trail destination either: both are named.
    expect(() => new TamperWatch(layer, 'U', {})).toThrow(/logDestination: undefined \(without useOrganizationTrail\)[\s\S]*alarmTopic, emails/);
    expect(() => new TamperWatch(layer, 'V', { logDestination: archive, emails: ['not-an-address'] })).toThrow(/emails\[0\]: "not-an-address" is not allowed/);
    const topic = new sns.Topic(layer, 'Mine');
    expect(() => new TamperWatch(layer, 'W', { logDestination: archive, alarmTopic: topic, emails: ['a@example.com'] })).toThrow(/emails: given with alarmTopic/);
  });

  test('a TamperWatch outside every layer throws', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    const archive = new LogArchive(stack, 'Archive');
    expect(() => new TamperWatch(stack, 'T', { logDestination: archive, emails: ['security@example.com'] }))
      .toThrow(/scope: '.*S\/T' \(outside every DefenceLayer\) is not allowed; allowed: A tamper watch must be created inside a DefenceLayer/);
  });

  test('with emails, it makes its own topic, encrypted with its own key, the emails subscribed', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    const archive = new LogArchive(stack, 'Archive');
    const layer = new DefenceLayer(stack, 'Layer', { layerName: 'guard' });
    const tw = new TamperWatch(layer, 'T', { logDestination: archive, emails: ['security@example.com'] });
    const template = Template.fromStack(stack);
    const topicId = logicalIdOf(tw.alarmTopic as sns.Topic);
    const keyId = logicalIdOf(tw.encryptionKey as any);
    expect(topicId).toMatch(/^LayerT/);
    expect(keyId).toMatch(/^LayerT/);
    template.hasResource('AWS::SNS::Topic', { Properties: { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'security@example.com', TopicArn: { Ref: topicId } });
    const keyPolicy = JSON.stringify(template.toJSON().Resources[keyId].Properties.KeyPolicy);
    expect(keyPolicy).toContain('events.amazonaws.com');
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    // Its alarms notify its own topic.
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'TamperEvents' } }))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    }
  });
});

describe('resources in another account or region', () => {
  const OTHER_ENV = { account: '222222222222', region: 'us-east-1' };

  function twoEnvironments(otherHasItsOwn: boolean) {
    const { app, stack } = watchApp();
    const remote = new Stack(app, 'Remote', { env: OTHER_ENV });
    const layer = new DefenceLayer(remote, 'Far', { layerName: 'far' });
    const group = new logs.LogGroup(layer, 'Logs', { retention: logs.RetentionDays.ONE_YEAR });
    if (otherHasItsOwn) new TamperWatch(layer, 'TamperWatch', { useOrganizationTrail: true, emails: ['security@example.com'] });
    app.synth();
    return { app, stack, remote, group };
  }

  test('without a tamper watch of their own: a warning names the layer and its stack, and no rule of this app names them', () => {
    const { stack, remote, group } = twoEnvironments(false);
    const warnings = warningsWith(stack, OTHER_ENVIRONMENT);
    expect(warnings.map(w => w.id)).toEqual(['/Small/Watch/TamperWatch']);
    expect(JSON.stringify(warnings[0].entry.data)).toContain('far (stack Remote)');
    const patterns = JSON.stringify(Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')).map(r => r.Properties.EventPattern));
    expect(patterns).not.toContain(remote.getLogicalId(group.node.defaultChild as CfnResource));
    expect(Template.fromStack(remote).findResources('AWS::Events::Rule')).toEqual({});
  });

  test('with a TamperWatch of their own: no such warning, and theirs watches them', () => {
    const { stack, remote, group } = twoEnvironments(true);
    expect(warningsWith(stack, OTHER_ENVIRONMENT)).toEqual([]);
    expect(warningsWith(remote, OTHER_ENVIRONMENT)).toEqual([]);
    const theirs = Object.values(Template.fromStack(remote).findResources('AWS::Events::Rule', { Metadata: { [TAMPER_WATCH_METADATA]: { layer: 'far' } } }));
    expect(JSON.stringify(theirs.map(r => r.Properties.EventPattern))).toContain(`{"Ref":"${remote.getLogicalId(group.node.defaultChild as CfnResource)}"}`);
  });
});
