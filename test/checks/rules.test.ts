import { App, AspectPriority, Aspects, Duration, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { IConstruct } from 'constructs';
import { ArchiveRetentionMode, LogArchive, LogDeliveryHeartbeat } from '../../src/archive';
import { DefenceInDepthChecks } from '../../src/checks';
import { DefenceLayer } from '../../src/core';
import { EdgeFilter } from '../../src/edge';
import { DefenceWatch, Heartbeat, HeartbeatCheck } from '../../src/heartbeat';
import { HostFilter } from '../../src/host';
import { TrafficMonitor } from '../../src/monitor';
import { reportingApp } from '../helpers/isolation';
import { monitorPlacement, workloadVpc } from '../helpers/workload-vpc';

// Each rule of the pack: a compliant and a non-compliant app. Rules run on the
// synthesized templates of the whole app, as in a pipeline.

function check(build: (s: Stack, app: App) => void, props = {}) {
  const app = reportingApp();
  const s = new Stack(app, 'S');
  build(s, app);
  app.synth();
  const report = new DefenceInDepthChecks(app, props).validateScope(app);
  const byRule = (rule: string) => report.violations.filter(v => v.ruleName === `DefenceInDepth-${rule}`);
  return { report, byRule };
}

/** A layer with its own delivery path and a subscribed log group: compliant with the logging rules. */
function loggedLayer(s: Stack, archive: LogArchive, name: string): DefenceLayer {
  const layer = new DefenceLayer(s, name, { layerName: name });
  const path = archive.addDeliveryPath(layer, 'Logs');
  path.addLogGroup(new logs.LogGroup(layer, 'App', { encryptionKey: path.encryptionKey }));
  return layer;
}

describe('DefenceInDepth-NoSharedDependency', () => {
  test('compliant: layers with their own resources', () => {
    const { byRule } = check(s => {
      for (const n of ['edge', 'host']) new sns.Topic(new DefenceLayer(s, n, { layerName: n }), 'T');
    });
    expect(byRule('NoSharedDependency')).toEqual([]);
  });

  test('non-compliant: a topic two layers depend on is reported on the topic, with both chains', () => {
    const { byRule } = check(s => {
      const topic = new sns.Topic(s, 'Shared');
      for (const n of ['edge', 'host']) {
        const layer = new DefenceLayer(s, n, { layerName: n });
        new sns.Topic(layer, 'T').node.addDependency(topic);
      }
    });
    const [v] = byRule('NoSharedDependency');
    expect(v.severity).toBe('error');
    expect(v.violatingResources.map(r => r.constructPath)).toEqual(['S/Shared/Resource']);
    expect(v.description).toMatch(/is a dependency of layers 'edge' and 'host'\. Layer 'edge': .*--\[DependsOn\]--> AWS::SNS::Topic Shared\w+ \(S\/Shared\/Resource\)\. Layer 'host'/);
  });
});

describe('DefenceInDepth-RemoteLoggingPerLayer', () => {
  test('compliant: each layer has its own delivery path and its log groups are subscribed', () => {
    const { byRule } = check(s => {
      const archive = new LogArchive(s, 'Archive');
      loggedLayer(s, archive, 'edge');
      loggedLayer(s, archive, 'host');
    });
    expect(byRule('RemoteLoggingPerLayer')).toEqual([]);
  });

  test('non-compliant: a layer without a delivery path, and a log group nobody ships', () => {
    const { byRule } = check(s => {
      const archive = new LogArchive(s, 'Archive');
      const edge = loggedLayer(s, archive, 'edge');
      new logs.LogGroup(edge, 'Forgotten');
      new sns.Topic(new DefenceLayer(s, 'host', { layerName: 'host' }), 'T');
    });
    const found = byRule('RemoteLoggingPerLayer').map(v => [v.violatingResources[0].constructPath, v.description]);
    expect(found).toEqual([
      ['S/edge/Forgotten/Resource', expect.stringMatching(/of layer 'edge' is not subscribed to a delivery stream of its own layer/)],
      ['S/host/T/Resource', expect.stringMatching(/Layer 'host' has no log delivery path of its own/)],
    ]);
  });
});

describe('DefenceInDepth-ImmutableArchive', () => {
  test('compliant: the LogArchive (compliance mode, 365 days)', () => {
    const { byRule } = check(s => loggedLayer(s, new LogArchive(s, 'Archive'), 'edge'));
    expect(byRule('ImmutableArchive')).toEqual([]);
  });

  test('non-compliant: a governance-mode archive, and a retention under the configured minimum', () => {
    const { byRule } = check(s => {
      loggedLayer(s, new LogArchive(s, 'Archive', { retentionMode: ArchiveRetentionMode.GOVERNANCE, allowGovernanceMode: true, retention: Duration.days(400) }), 'edge');
    }, { minimumRetentionDays: 500 });
    const [v] = byRule('ImmutableArchive');
    expect(v.violatingResources[0].constructPath).toBe('S/Archive/Archive/Bucket/Resource');
    expect(v.description).toContain('default retention mode is "GOVERNANCE", not "COMPLIANCE"');
    expect(v.description).toContain('default retention is 400 days, less than the minimum of 500 days');
  });
});

describe('DefenceInDepth-NoAdminIngressFromInternet', () => {
  const sg = (s: Stack, ingress: ec2.CfnSecurityGroup.IngressProperty[]) => {
    const layer = new DefenceLayer(s, 'host', { layerName: 'host' });
    new ec2.CfnSecurityGroup(layer, 'Sg', { groupDescription: 'web', vpcId: 'vpc-1', securityGroupIngress: ingress });
    return layer;
  };

  test('compliant: HTTPS from anywhere, SSH from a trusted network only', () => {
    const { byRule } = check(s => sg(s, [
      { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0' },
      { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '10.0.0.0/8' },
    ]));
    expect(byRule('NoAdminIngressFromInternet')).toEqual([]);
  });

  test('non-compliant: SSH from 0.0.0.0/0, all traffic from ::/0, a port range covering RDP', () => {
    const { byRule } = check(s => {
      const layer = sg(s, [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' }]);
      new ec2.CfnSecurityGroupIngress(layer, 'All', { groupId: 'sg-1', ipProtocol: '-1', cidrIpv6: '::/0' });
      new ec2.CfnSecurityGroupIngress(s, 'Range', { groupId: 'sg-1', ipProtocol: 'tcp', fromPort: 3000, toPort: 4000, cidrIp: '0.0.0.0/0' });
    });
    const found = byRule('NoAdminIngressFromInternet').map(v => v.description);
    expect(found).toEqual([
      expect.stringMatching(/S\/host\/Sg\) allows \(SecurityGroupIngress\[0\]\) ingress from 0\.0\.0\.0\/0 to administrative port\(s\) 22:/),
      expect.stringMatching(/S\/host\/All\) allows ingress from ::\/0 to administrative port\(s\) 22, 23, 2375, 2376, 3389, 5900, 5985, 5986/),
      expect.stringMatching(/S\/Range\) allows ingress from 0\.0\.0\.0\/0 to administrative port\(s\) 3389/),
    ]);
  });
});

describe('DefenceInDepth-WafNotCountOnly', () => {
  const acl = (s: Stack, defaultAction: any, rules: any[]) => new wafv2.CfnWebACL(new DefenceLayer(s, 'edge', { layerName: 'edge' }), 'Acl', {
    scope: 'REGIONAL', defaultAction, rules, visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'acl', sampledRequestsEnabled: true },
  });
  const managed = (name: string, overrideAction: any) => ({
    name,
    priority: 1,
    overrideAction,
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
  });

  test('compliant: a managed rule group that acts (OverrideAction None)', () => {
    const { byRule } = check(s => acl(s, { allow: {} }, [managed('AWSManagedRulesCommonRuleSet', { none: {} })]));
    expect(byRule('WafNotCountOnly')).toEqual([]);
  });

  test('non-compliant: allow by default with every rule group in count mode', () => {
    const { byRule } = check(s => acl(s, { allow: {} }, [managed('AWSManagedRulesCommonRuleSet', { count: {} })]));
    expect(byRule('WafNotCountOnly').map(v => v.description)).toEqual([
      expect.stringMatching(/cannot block anything: its default action allows and every rule only counts/),
      expect.stringMatching(/has rule group 'AWSManagedRulesCommonRuleSet' overridden to Count/),
    ]);
  });
});

describe('DefenceInDepth-HeartbeatPerControl and DefenceInDepth-GoingDarkAlarmPerControl', () => {
  /** An edge (web ACL) and the archive, with or without the heartbeats and the watch. */
  function controls(s: Stack, wired: { heartbeats: boolean; watched: boolean }) {
    const archive = new LogArchive(s, 'Archive');
    const edge = new EdgeFilter(s, 'Edge', { logDestination: archive });
    if (!wired.heartbeats) return { archive, edge };
    const edgeHeartbeat = edge.addHeartbeat({ endpoint: 'https://app.example.com' });
    const watch = wired.watched ? new DefenceWatch(s, 'Watch', { logDestination: archive }) : undefined;
    const delivery = new LogDeliveryHeartbeat(s, 'LogDelivery', { destination: archive });
    watch?.watch(edgeHeartbeat);
    watch?.watch(delivery.heartbeat);
    return { archive, edge, edgeHeartbeat, watch, delivery };
  }
  const messages = (byRule: (r: string) => any[], rule: string) => byRule(rule).map(v => v.description.replace(/^.*?: /, '')).sort();

  test('compliant: every control (edge, archive) has a scheduled heartbeat with a canary, and breaching alarms in the watch layer', () => {
    const { byRule } = check(s => controls(s, { heartbeats: true, watched: true }));
    expect(byRule('HeartbeatPerControl')).toEqual([]);
    expect(byRule('GoingDarkAlarmPerControl')).toEqual([]);
  });

  test('non-compliant: no heartbeat and no alarm for either control', () => {
    const { byRule } = check(s => controls(s, { heartbeats: false, watched: false }));
    expect(byRule('HeartbeatPerControl').map(v => v.description)).toEqual([
      expect.stringMatching(/The log delivery layer 'archive' has no heartbeat: nothing proves it still works/),
      expect.stringMatching(/The edge layer 'edge' has no heartbeat/),
    ]);
    expect(byRule('GoingDarkAlarmPerControl')).toHaveLength(4);
  });

  test('non-compliant: an alarm that ignores missing data, an alarm in the layer it watches, a host heartbeat without a canary', () => {
    const { byRule } = check(s => {
      const { edgeHeartbeat, watch } = controls(s, { heartbeats: true, watched: true });
      const alarms = watch!.node.children.filter(c => c.node.id.startsWith('GoingDark1-edge'))[0] as any;
      (alarms.heartbeatAlarm.node.defaultChild as any).treatMissingData = 'notBreaching';
      // The edge's own copy of a chatter alarm: in the layer it watches.
      const own = new cloudwatch.Alarm(edgeHeartbeat!, 'OwnAlarm', {
        metric: edgeHeartbeat!.chatter[0].metric, threshold: 1, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      (own.node.defaultChild as any).addMetadata('cdk-defence-in-depth:going-dark', { control: 'edge', signal: 'chatter' });
      // A host layer whose heartbeat sends no canary.
      const layer = new DefenceLayer(s, 'HostLayer', { layerName: 'host' });
      const marker = new logs.LogGroup(layer, 'Marker');
      (marker.node.defaultChild as any).addMetadata('cdk-defence-in-depth:host-filter', { ruleEngine: 'On', layer: 'host' });
      new Heartbeat(layer, 'Heartbeat', { checks: [HeartbeatCheck.logsArriving(marker)] });
    });
    expect(messages(byRule, 'HeartbeatPerControl')).toEqual([expect.stringMatching(/sends no canary that 'host' itself must block/)]);
    const darkFindings = byRule('GoingDarkAlarmPerControl').map(v => v.description);
    expect(darkFindings).toEqual(expect.arrayContaining([
      expect.stringMatching(/treats missing data as 'notBreaching': a silent edge layer would look fine/),
      expect.stringMatching(/belongs to the 'edge' layer it watches: whoever silences the layer can silence its alarm/),
      expect.stringMatching(/The host layer 'host' has no going-dark alarm on its heartbeat/),
      expect.stringMatching(/The host layer 'host' has no going-dark alarm on its chatter/),
    ]));
    expect(darkFindings).toHaveLength(4);
  });
});

describe('DefenceInDepth-TamperWatchPerControl', () => {
  function controls(s: Stack, tamper: 'own trail' | 'organization trail' | 'none') {
    const archive = new LogArchive(s, 'Archive');
    const edge = new EdgeFilter(s, 'Edge', { logDestination: archive });
    const edgeHeartbeat = edge.addHeartbeat({ endpoint: 'https://app.example.com' });
    const watch = new DefenceWatch(s, 'Watch', tamper === 'own trail' ? { logDestination: archive }
      : { tamperWatch: tamper === 'organization trail' ? { useOrganizationTrail: true } : undefined });
    const delivery = new LogDeliveryHeartbeat(s, 'LogDelivery', { destination: archive });
    watch.watch(edgeHeartbeat);
    watch.watch(delivery.heartbeat);
  }

  test('compliant: the tamper watch matches calls on the edge and the archive (own trail, or an organization trail)', () => {
    expect(check(s => controls(s, 'own trail')).byRule('TamperWatchPerControl')).toEqual([]);
    expect(check(s => controls(s, 'organization trail')).byRule('TamperWatchPerControl')).toEqual([]);
  });

  test('non-compliant: a watch layer without a tamper watch; a tamper rule switched off', () => {
    expect(check(s => controls(s, 'none')).byRule('TamperWatchPerControl').map(v => v.description)).toEqual([
      expect.stringMatching(/No tamper watch matches calls on the log delivery layer 'archive'/),
      expect.stringMatching(/No tamper watch matches calls on the edge layer 'edge': switching it off would be seen only by the silence afterwards/),
    ]);
    const { byRule } = check(s => {
      controls(s, 'own trail');
      // Every edge rule disabled after the fact (the rules are made at synth: disable them in an aspect that runs after).
      Aspects.of(s).add({
        visit: (node: IConstruct) => {
          if (node instanceof events.CfnRule && JSON.stringify(node.getMetadata('cdk-defence-in-depth:tamper-watch') ?? {}).includes('"layer":"edge"')) {
            node.state = 'DISABLED';
          }
        },
      }, { priority: AspectPriority.READONLY });
    });
    expect(byRule('TamperWatchPerControl').map(v => v.description)).toEqual([expect.stringMatching(/the edge layer 'edge'/)]);
  });
});

describe('DefenceInDepth-EveryWebHostMirrored', () => {
  /** Web hosts of the host layer and, optionally, a monitor layer that mirrors them or not. */
  function webTier(s: Stack, monitor: 'none' | 'mirrors' | 'forgets') {
    const archive = new LogArchive(s, 'Archive');
    const vpc = workloadVpc(s);
    const host = new HostFilter(s, 'Host', { logDestination: archive });
    const hosts = host.addEc2Hosts('Hosts', { vpc, vpcSubnets: { subnetGroupName: 'web' } });
    if (monitor === 'none') return;
    const traffic = new TrafficMonitor(s, 'Monitor', { ...monitorPlacement(vpc), logDestination: archive });
    if (monitor === 'mirrors') traffic.mirrorAutoScalingGroup(hosts.autoScalingGroup);
  }

  test('compliant: the monitor mirrors the web hosts', () => {
    expect(check(s => webTier(s, 'mirrors')).byRule('EveryWebHostMirrored')).toEqual([]);
  });

  test('non-compliant: a monitor layer that does not mirror the web hosts (found on the group, counted against the host layer)', () => {
    const findings = check(s => webTier(s, 'forgets')).byRule('EveryWebHostMirrored');
    expect(findings.map(v => v.description)).toEqual([
      expect.stringMatching(/AWS::AutoScaling::AutoScalingGroup \w+ \(S\/Host\/Hosts\/Hosts\/ASG\) runs web hosts that no monitor layer mirrors or declares/),
    ]);
  });

  test('not applicable without a monitor layer', () => {
    expect(check(s => webTier(s, 'none')).byRule('EveryWebHostMirrored')).toEqual([]);
  });
});

describe('the pack', () => {
  test('runs as a policy-validation plugin: app.synth() fails on a finding, with the rule name', () => {
    const app = reportingApp();
    const s = new Stack(app, 'S');
    new s3.Bucket(new DefenceLayer(s, 'edge', { layerName: 'edge' }), 'B');
    Validations.of(app).addPlugins(new DefenceInDepthChecks(app));
    expect(() => app.synth()).toThrow(/Layer 'edge' has no log delivery path of its own[\s\S]*Acknowledge with 'DefenceInDepthChecks::DefenceInDepth-RemoteLoggingPerLayer'/);
  });

  test('as a plugin, findings on resources of nested stacks are reported with their top-level stack', () => {
    const app = reportingApp();
    const nested = new NestedStack(new Stack(app, 'S'), 'Nested');
    new sns.Topic(new DefenceLayer(nested, 'edge', { layerName: 'edge' }), 'T');
    Validations.of(app).addPlugins(new DefenceInDepthChecks(app));
    expect(() => app.synth()).toThrow(/Layer 'edge' has no log delivery path of its own[\s\S]*S\/Nested\/edge\/T\/Resource/);
  });

  test('a finding acknowledged with a reason on the layer is not reported', () => {
    const { byRule } = check(s => {
      const layer = new DefenceLayer(s, 'edge', { layerName: 'edge' });
      new sns.Topic(layer, 'T');
      Validations.of(layer).acknowledge({ id: 'DefenceInDepth-RemoteLoggingPerLayer', reason: 'logs of this layer ship through the platform team\'s pipeline' });
    });
    expect(byRule('RemoteLoggingPerLayer')).toEqual([]);
  });

  test('the id the CDK suggests (DefenceInDepthChecks::<rule>) acknowledges too, at synth', () => {
    const app = reportingApp();
    const layer = new DefenceLayer(new Stack(app, 'S'), 'edge', { layerName: 'edge' });
    new sns.Topic(layer, 'T');
    Validations.of(layer).acknowledge({ id: 'DefenceInDepthChecks::DefenceInDepth-RemoteLoggingPerLayer', reason: 'shipped by the platform pipeline' });
    Validations.of(app).addPlugins(new DefenceInDepthChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(new DefenceInDepthChecks(app).validateScope(app).violations).toEqual([]);
  });

  test('validateScope reports only the findings inside the scope', () => {
    const app = reportingApp();
    for (const n of ['one', 'two']) new sns.Topic(new DefenceLayer(new Stack(app, n), 'L', { layerName: n }), 'T');
    app.synth();
    const pack = new DefenceInDepthChecks(app);
    expect(pack.validateScope(app).violations.map(v => v.violatingResources[0].constructPath)).toEqual(['one/L/T/Resource', 'two/L/T/Resource']);
    expect(pack.validateScope(app.node.findChild('two')).violations.map(v => v.violatingResources[0].constructPath)).toEqual(['two/L/T/Resource']);
  });

  test('bad props are refused with the construct path, the prop, the value and the range', () => {
    expect(() => new DefenceInDepthChecks(new App(), { minimumRetentionDays: 0, adminPorts: [70000] }))
      .toThrow(/Invalid configuration of 'DefenceInDepthChecks':\n  - minimumRetentionDays: 0 days is not allowed; allowed: a whole number from 1 to 36500 days\n  - adminPorts\[0\]: 70000 is not allowed; allowed: a whole number from 0 to 65535/);
  });

  test('before synth, the pack says to synthesize first', () => {
    const app = new App();
    new sns.Topic(new Stack(app, 'S'), 'T');
    expect(() => new DefenceInDepthChecks(app).validateScope(app)).toThrow(/synthesize the app before analysing it/);
  });
});
