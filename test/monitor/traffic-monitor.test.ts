import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { LogArchive } from '../../src/archive';
import { analyseApp } from '../../src/checks/defence-analysis';
import { EdgeFilter } from '../../src/edge';
import { HostFilter } from '../../src/host';
import { MirrorDirection, MirrorRuleAction, TrafficMonitor, TrafficMonitorProps } from '../../src/monitor';
import { FLOW_LOG_FIELDS } from '../../src/monitor/web-tier-flow-logs';
import { idsUnder, only, resourcesUnder } from '../helpers/construct-resources';
import { reportingApp } from '../helpers/isolation';
import { monitorPlacement, workloadVpc } from '../helpers/workload-vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

/**
 * A workload VPC as the README recommends it: the web tier's private subnets egress through the
 * VPC's NAT gateways in 'public'; the sensors sit in isolated subnets of their own and egress
 * through the monitor's own NAT gateways in 'monitor-public'.
 */
function workload(props: Partial<TrafficMonitorProps> = {}, app: App = reportingApp()) {
  const stack = new Stack(app, 'Workload', { env: ENV });
  const vpc = workloadVpc(stack);
  const archive = new LogArchive(stack, 'Archive');
  const host = new HostFilter(stack, 'Host', { logDestination: archive });
  const hosts = host.addEc2Hosts('Web', { vpc, vpcSubnets: { subnetGroupName: 'web' } });
  const monitor = new TrafficMonitor(stack, 'Monitor', {
    ...monitorPlacement(vpc),
    logDestination: archive,
    ...props,
  });
  return { app, stack, vpc, archive, host, hosts, monitor };
}

function mirrored(props: Partial<TrafficMonitorProps> = {}, app?: App) {
  const w = workload(props, app);
  w.monitor.mirrorAutoScalingGroup(w.hosts.autoScalingGroup, { instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL) });
  return w;
}


const inMonitor = (props: object) => ({ Metadata: Match.objectLike({ 'cdk-defence-in-depth:layer': 'monitor' }), Properties: Match.objectLike(props) });

describe('TrafficMonitor defaults', () => {
  const { monitor, stack, vpc } = mirrored();
  const template = Template.fromStack(stack);

  test('a layer named monitor; every resource of it carries the layer', () => {
    expect(monitor.layerName).toBe('monitor');
    const ids = idsUnder(stack, 'Workload/Monitor/');
    const resources = Object.entries(template.toJSON().Resources as Record<string, any>).filter(([id]) => ids.has(id));
    expect(resources.length).toBeGreaterThan(30);
    for (const [id, r] of resources) expect([id, r.Metadata['cdk-defence-in-depth:layer']]).toEqual([id, 'monitor']);
  });

  test('flow logs of each web subnet, all traffic, one-minute aggregation, the custom format, into the layer\'s log group', () => {
    const flowLogs = template.findResources('AWS::EC2::FlowLog');
    expect(Object.keys(flowLogs)).toHaveLength(2);
    const format = FLOW_LOG_FIELDS.map(([, f]) => f.value).join(' ');
    expect(format).toContain('${flow-direction}');
    for (const f of Object.values(flowLogs) as any[]) {
      expect(f.Metadata['cdk-defence-in-depth:layer']).toBe('monitor');
      expect(f.Properties).toMatchObject({ ResourceType: 'Subnet', TrafficType: 'ALL', MaxAggregationInterval: 60, LogFormat: format, LogDestinationType: 'cloud-watch-logs' });
    }
    const webSubnetRefs = Object.values(flowLogs).map((f: any) => f.Properties.ResourceId.Ref).sort();
    expect(webSubnetRefs.every((r: string) => /^Vpcweb/.test(r))).toBe(true);
  });

  test('flow logs and sensor events go to the archive through two paths of the layer', () => {
    expect(monitor.flowLogDeliveryPath.prefix).toBe('monitor/flow-logs/');
    expect(monitor.eventDeliveryPath.prefix).toBe('monitor/sensors/');
    // Flow logs, sensor events and the mirroring function's log lines are each subscribed once.
    expect(Object.keys(resourcesUnder(template, stack, 'AWS::Logs::SubscriptionFilter', 'Workload/Monitor/'))).toHaveLength(3);
  });

  test('the mirror target: an internal NLB with a UDP 4789 listener in the sensor subnets, deletion protected', () => {
    template.hasResource('AWS::ElasticLoadBalancingV2::LoadBalancer', inMonitor({
      Type: 'network',
      Scheme: 'internal',
      Subnets: [{ Ref: Match.stringLikeRegexp('^Vpcsensors') }, { Ref: Match.stringLikeRegexp('^Vpcsensors') }],
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
      ]),
    }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 4789, Protocol: 'UDP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 4789, Protocol: 'UDP', HealthCheckProtocol: 'HTTP', HealthCheckPort: '8086', TargetType: 'instance',
    });
    template.hasResource('AWS::EC2::TrafficMirrorTarget', inMonitor({ NetworkLoadBalancerArn: { Ref: Match.stringLikeRegexp('MirrorTargetLoadBalancer') } }));
  });

  test('the filter mirrors everything both ways (IPv4 and IPv6) and the hosts\' DNS queries', () => {
    template.hasResourceProperties('AWS::EC2::TrafficMirrorFilter', { NetworkServices: ['amazon-dns'] });
    const rules = Object.values(template.findResources('AWS::EC2::TrafficMirrorFilterRule')).map((r: any) => r.Properties);
    expect(rules.map(r => `${r.TrafficDirection} ${r.RuleNumber} ${r.RuleAction} ${r.SourceCidrBlock}>${r.DestinationCidrBlock}`).sort()).toEqual([
      'egress 100 accept 0.0.0.0/0>0.0.0.0/0', 'egress 200 accept ::/0>::/0',
      'ingress 100 accept 0.0.0.0/0>0.0.0.0/0', 'ingress 200 accept ::/0>::/0',
    ]);
  });

  test('only the web tier\'s address ranges may send VXLAN to the target; the sensors accept the target only', () => {
    const sgs = template.findResources('AWS::EC2::SecurityGroup');
    const targetSg = Object.entries(sgs).find(([id]) => /MirrorTargetSecurityGroup/.test(id))![1] as any;
    const webCidrs = vpc.selectSubnets({ subnetGroupName: 'web' }).subnets.map(sn => sn.ipv4CidrBlock);
    expect(targetSg.Properties.SecurityGroupIngress).toEqual(webCidrs.map(cidr => expect.objectContaining({
      IpProtocol: 'udp', FromPort: 4789, ToPort: 4789, CidrIp: cidr,
    })));
    expect(targetSg.Properties.SecurityGroupEgress).toBeUndefined();
    const sensorSgId = Object.keys(sgs).find(id => /SensorsSecurityGroup/.test(id))!;
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties)
      .filter(p => p.GroupId?.['Fn::GetAtt']?.[0] === sensorSgId);
    expect(ingress.map(p => `${p.IpProtocol}/${p.FromPort} from ${p.SourceSecurityGroupId['Fn::GetAtt'][0]}`).sort()).toEqual([
      expect.stringMatching(/^tcp\/8086 from .*MirrorTargetSecurityGroup/), expect.stringMatching(/^udp\/4789 from .*MirrorTargetSecurityGroup/),
    ]);
    // Nothing of the web tier (the hosts' security group, SSH, any CIDR) can reach the sensors directly.
    expect(ingress.some(p => p.CidrIp !== undefined)).toBe(false);
  });

  test('sensors: Debian 12, IMDSv2, encrypted disk, in the sensor subnets, ELB health checked; user data runs Suricata from backports', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        ImageId: { Ref: Match.stringLikeRegexp('SsmParameterValueawsservicedebianrelease12latestamd64') },
        InstanceType: 't3.medium',
        MetadataOptions: Match.objectLike({ HttpTokens: 'required' }),
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
    const sensors = only(resourcesUnder(template, stack, 'AWS::AutoScaling::AutoScalingGroup', 'Workload/Monitor/Sensors/'));
    expect(sensors.Properties).toMatchObject({ MinSize: '2', MaxSize: '2', HealthCheckType: 'ELB' });
    expect(sensors.Properties.VPCZoneIdentifier.map((s: any) => s.Ref)).toEqual([expect.stringMatching(/^Vpcsensors/), expect.stringMatching(/^Vpcsensors/)]);
    const userData = JSON.stringify(stack.resolve((monitor.sensorGroup as any).launchTemplate.userData.render()));
    for (const fragment of ['bookworm-backports', 'apt-get install -y -t bookworm-backports suricata', 'suricata-update', 'suricata-update.timer',
      'OnCalendar=daily', 'defence-in-depth-suricata -T', 'sensor-health', 'policy drop', 'amazon-cloudwatch-agent', 'eve.json']) {
      expect(userData).toContain(fragment);
    }
    expect(userData).not.toMatch(/ssh/i);
  });

  test('the sensors egress through the layer\'s own NAT gateways, not the web tier\'s', () => {
    const monitorNats = Object.values(resourcesUnder(template, stack, 'AWS::EC2::NatGateway', 'Workload/Monitor/'));
    expect(Object.values(template.findResources('AWS::EC2::NatGateway'))).toHaveLength(4);
    expect(monitorNats.map(n => n.Properties.SubnetId.Ref)).toEqual([expect.stringMatching(/^Vpcmonitorpublic/), expect.stringMatching(/^Vpcmonitorpublic/)]);
    const routes = Object.values(resourcesUnder(template, stack, 'AWS::EC2::Route', 'Workload/Monitor/'));
    expect(routes.map(r => [r.Properties.RouteTableId.Ref, r.Properties.DestinationCidrBlock])).toEqual([
      [expect.stringMatching(/^Vpcsensors/), '0.0.0.0/0'], [expect.stringMatching(/^Vpcsensors/), '0.0.0.0/0'],
    ]);
  });

  test('sessions: a function on launch and terminate events of the mirrored group, and a reconciliation every 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Successful', 'EC2 Instance Terminate Successful'],
        'detail': { AutoScalingGroupName: [{ Ref: Match.stringLikeRegexp('HostWebHosts') }] },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    const fn = only(resourcesUnder(template, stack, 'AWS::Lambda::Function', 'Workload/Monitor/MirrorSessions/'));
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    const config = JSON.parse(JSON.stringify(fn.Properties.Environment.Variables.MIRROR_CONFIG));
    expect(JSON.stringify(config)).toMatch(/targetId.*MonitorMirrorTarget[0-9A-F]{8}\b.*filterId.*MirrorTargetFilter.*groupNames.*HostWebHosts/);
  });

  test('the function may create sessions only to its own target and filter, and delete only sessions it tagged', () => {
    const policy = only(resourcesUnder(template, stack, 'AWS::IAM::ManagedPolicy', 'Workload/Monitor/MirrorSessions/'));
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    const sid = (s: string) => statements.find(x => x.Sid === s);
    expect(sid('DeleteOwnSessionsOnly').Condition).toEqual({ StringEquals: { 'aws:ResourceTag/cdk-defence-in-depth:mirror-target': { Ref: expect.stringMatching(/^MonitorMirrorTarget[0-9A-F]{8}$/) } } });
    expect(sid('CreateTaggedSessions').Condition).toEqual({ StringEquals: { 'aws:RequestTag/cdk-defence-in-depth:mirror-target': { Ref: expect.stringMatching(/^MonitorMirrorTarget[0-9A-F]{8}$/) } } });
    expect(sid('MirrorInterfacesOfTheVpc').Condition.StringEquals['ec2:Vpc']).toBeDefined();
    expect(statements.flatMap(s => [].concat(s.Action))).not.toContain('ec2:ModifyTrafficMirrorSession');
  });

  test('every alarm the layer owns, with its missing-data behaviour', () => {
    const byPath = (re: RegExp) => {
      const ids = [...idsUnder(stack, 'Workload/Monitor/')].filter(id => re.test(id));
      return only(Object.fromEntries(Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) => ids.includes(id)))).Properties;
    };
    expect(byPath(/UnmirroredAlarm/)).toMatchObject({ MetricName: 'UnmirroredInterfaces', Namespace: 'DefenceInDepth/Monitor', TreatMissingData: 'breaching', Threshold: 1 });
    expect(byPath(/SensorHealthAlarm/)).toMatchObject({ MetricName: 'HealthyHostCount', ComparisonOperator: 'LessThanThreshold', Threshold: 2, TreatMissingData: 'breaching' });
    const egress = byPath(/EgressAlarm/);
    expect(egress).toMatchObject({ ComparisonOperator: 'GreaterThanUpperThreshold', TreatMissingData: 'breaching' });
    expect(JSON.stringify(egress.Metrics)).toContain('ANOMALY_DETECTION_BAND(m0, 3)');
    expect(JSON.stringify(byPath(/DestinationsAlarm/).Metrics)).toMatch(/INSIGHT_RULE_METRIC.*UniqueContributors/);
    expect(byPath(/DestinationsAlarm/)).toMatchObject({ Threshold: 50, TreatMissingData: 'notBreaching' });
    expect(byPath(/SensorAlertAlarm/)).toMatchObject({ MetricName: 'SensorAlerts', Threshold: 1 });
  });

  test('outbound bytes: accepted egress to addresses outside the internal prefixes, valued by the bytes field', () => {
    const filter = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f: any) => f.Properties)
      .find(p => p.MetricTransformations[0].MetricName === 'WebTierEgressBytes')!;
    expect(filter.MetricTransformations[0]).toMatchObject({ MetricValue: '$bytes', DefaultValue: 0, MetricNamespace: 'DefenceInDepth/Monitor' });
    const pattern: string = filter.FilterPattern;
    expect(pattern.startsWith('[interfaceId, instanceId, srcAddr, dstAddr')).toBe(true);
    for (const prefix of ['10.*', '192.168.*', '172.16.*', '172.31.*', '169.254.*']) expect(pattern).toContain(`dstAddr != "${prefix}"`);
    expect(pattern).toContain('action = "ACCEPT"');
    expect(pattern).toContain('flowDirection = "egress"');
    expect(pattern.length).toBeLessThanOrEqual(1024);
  });

  test('distinct destinations: a Contributor Insights rule over the flow log fields by position', () => {
    const rule = Object.values(template.findResources('AWS::CloudWatch::InsightRule'))[0] as any;
    const body = JSON.parse(JSON.stringify(stack.resolve(rule.Properties.RuleBody)).replace(/\{"Ref":"[^"]+"\}/g, '"LOG_GROUP"'));
    const parsed = typeof body === 'string' ? JSON.parse(body) : JSON.parse(body['Fn::Join'][1].join(''));
    expect(parsed.LogFormat).toBe('CLF');
    expect(parsed.Fields['4']).toBe('dstAddr');
    expect(parsed.Fields['14']).toBe('flowDirection');
    expect(parsed.Contribution.Keys).toEqual(['dstAddr']);
  });

  test('no GuardDuty detector unless asked', () => {
    template.resourceCountIs('AWS::GuardDuty::Detector', 0);
  });
});

describe('TrafficMonitor options', () => {
  test('custom filter rules are numbered per direction in the given order, with ports and protocol', () => {
    const { stack } = mirrored({
      mirrorAmazonDns: false,
      mirrorFilterRules: [
        { direction: MirrorDirection.INBOUND, protocol: 6, destinationPorts: { from: 8080 } },
        { direction: MirrorDirection.INBOUND, action: MirrorRuleAction.REJECT, sourceCidr: '10.0.0.0/8' },
        { direction: MirrorDirection.OUTBOUND, protocol: 17, destinationPorts: { from: 53, to: 53 } },
      ],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::TrafficMirrorFilter', { NetworkServices: Match.absent() });
    template.hasResourceProperties('AWS::EC2::TrafficMirrorFilterRule', {
      TrafficDirection: 'ingress', RuleNumber: 100, Protocol: 6, DestinationPortRange: { FromPort: 8080, ToPort: 8080 }, SourceCidrBlock: '0.0.0.0/0',
    });
    template.hasResourceProperties('AWS::EC2::TrafficMirrorFilterRule', { TrafficDirection: 'ingress', RuleNumber: 200, RuleAction: 'reject', SourceCidrBlock: '10.0.0.0/8' });
    template.hasResourceProperties('AWS::EC2::TrafficMirrorFilterRule', { TrafficDirection: 'egress', RuleNumber: 100, Protocol: 17 });
  });

  test('sensor options, alarm action, reconcile period, GuardDuty with Fargate runtime monitoring only', () => {
    const action = { bind: () => ({ alarmActionArn: 'arn:aws:sns:eu-west-1:111111111111:security' }) };
    const { stack, monitor } = mirrored({
      sensors: { instanceType: new ec2.InstanceType('m5.large'), minCapacity: 3, maxCapacity: 4, ruleSources: ['oisf/trafficid'] },
      reconcileEvery: Duration.minutes(1),
      alarmAction: action,
      enableGuardDuty: true,
      exfiltration: { maxDestinations: 500, bandWidth: 4 },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 'm5.large' }) });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    const alarms = Object.values(resourcesUnder(template, stack, 'AWS::CloudWatch::Alarm', 'Workload/Monitor/'));
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:111111111111:security']);
    template.hasResourceProperties('AWS::GuardDuty::Detector', {
      Enable: true,
      Features: [{ Name: 'RUNTIME_MONITORING', Status: 'ENABLED', AdditionalConfiguration: [{ Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' }] }],
    });
    Annotations.fromStack(monitor.node.scope as Stack).hasWarning('/Workload/Monitor', Match.stringLikeRegexp('one per region'));
    const userData = JSON.stringify((monitor.node.scope as Stack).resolve((monitor.sensorGroup as any).launchTemplate.userData.render()));
    expect(userData).toContain('suricata-update enable-source oisf/trafficid');
  });

  test('an unmirrorable instance type and Fargate compute get warnings that name what covers them instead', () => {
    const { monitor, hosts, stack } = workload();
    monitor.mirrorAutoScalingGroup(hosts.autoScalingGroup, { instanceType: new ec2.InstanceType('m6i.large') });
    monitor.addUnmirroredCompute(hosts, 'The web service on Fargate');
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Workload/Host/Web/Hosts', Match.stringLikeRegexp('m6i family is not supported by Traffic Mirroring.*flow logs'));
    annotations.hasWarning('/Workload/Host/Web', Match.stringLikeRegexp('Fargate: Traffic Mirroring cannot mirror it.*flow logs.*enableGuardDuty'));
  });

  test('a supported instance type raises no mirroring warning; a monitor that mirrors nothing warns', () => {
    const { stack } = mirrored();
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cannot be mirrored|mirrors no web hosts'))).toEqual([]);
    const w = workload();
    w.app.synth();
    Annotations.fromStack(w.stack).hasWarning('/Workload/Monitor', Match.stringLikeRegexp('mirrors no web hosts'));
  });
});

describe('TrafficMonitor invalid input (one error naming the construct path, the prop, the value and what is allowed)', () => {
  const invalid = (props: Partial<TrafficMonitorProps>, message: RegExp) => expect(() => workload(props)).toThrow(message);

  test('too many filter rules', () => invalid({
    mirrorFilterRules: Array.from({ length: 11 }, () => ({ direction: MirrorDirection.INBOUND })),
  }, /Invalid configuration of 'Workload\/Monitor'[\s\S]*mirrorFilterRules: "11 rules" is not allowed; allowed: 1 to 10 rules: AWS allows 10 per traffic mirror filter/));

  test('no filter rule', () => invalid({ mirrorFilterRules: [] }, /mirrorFilterRules: "0 rules" is not allowed; allowed: 1 to 10 rules/));

  test('a bad CIDR, mixed IP versions, ports without TCP or UDP, a protocol out of range', () => invalid({
    mirrorFilterRules: [
      { direction: MirrorDirection.INBOUND, sourceCidr: '10.0.0.300/8' },
      { direction: MirrorDirection.OUTBOUND, sourceCidr: '10.0.0.0/8', destinationCidr: '::/0' },
      { direction: MirrorDirection.OUTBOUND, protocol: 1, destinationPorts: { from: 80 } },
      { direction: MirrorDirection.OUTBOUND, protocol: 256 },
      { direction: MirrorDirection.OUTBOUND, protocol: 6, sourcePorts: { from: 90, to: 80 } },
    ],
  }, /mirrorFilterRules\[0\]\.sourceCidr: "10\.0\.0\.300\/8"[\s\S]*mirrorFilterRules\[1\]: source IPv4, destination IPv6[\s\S]*mirrorFilterRules\[2\]\.destinationPorts: "ports with protocol 1"[\s\S]*mirrorFilterRules\[3\]\.protocol: 256[\s\S]*mirrorFilterRules\[4\]\.sourcePorts\.to: 80 is not allowed; allowed: a whole number from 90 to 65535/));

  test('no web subnets, no sensor subnets', () => {
    invalid({ webSubnets: { subnetGroupName: 'web', availabilityZones: ['eu-west-1z'] } },
      /webSubnets: \{ subnetGroupName: web, availabilityZones: \[eu-west-1z\] \} \(selects no subnet\) is not allowed; allowed: a selection of at least one subnet/);
  });

  test('sensors in the web tier\'s subnets', () => invalid({ sensorSubnets: { subnetGroupName: 'web' }, sensorNatSubnets: undefined },
    /sensorSubnets: \["Workload\/Vpc\/webSubnet1", "Workload\/Vpc\/webSubnet2"\] is not allowed; allowed: subnets the web tier is not in/));

  test('sensor capacity, rule sources and local rules', () => invalid({
    sensors: {
      minCapacity: 0,
      maxCapacity: 30,
      ruleSources: ['https://evil.example/rules'],
      localRules: ['alert http any any -> any any (msg:"low"; sid:100;)', 'not a rule', 'alert tcp any any -> any any (msg:"a"; sid:1000005;)',
        'alert tcp any any -> any any (msg:"b"; sid:1000005;)'],
    },
  }, /sensors\.minCapacity: 0 is not allowed[\s\S]*sensors\.maxCapacity: 30[\s\S]*sensors\.ruleSources\[0\][\s\S]*sensors\.localRules\[0\].*sid of 1,000,000 or more[\s\S]*sensors\.localRules\[1\]: "not a rule"[\s\S]*sensors\.localRules\[3\]: sid 1000005 \(also in sensors\.localRules\[2\]\)/));

  test('exfiltration options and the reconcile period', () => invalid({
    exfiltration: { bandWidth: 0.5, maxDestinations: 0, internalAddresses: ['10.0.0.0/8'], sensorAlertThreshold: 0 },
    reconcileEvery: Duration.seconds(90),
  }, /exfiltration\.bandWidth: 0\.5[\s\S]*exfiltration\.maxDestinations: 0[\s\S]*exfiltration\.sensorAlertThreshold: 0[\s\S]*exfiltration\.internalAddresses\[0\]: "10\.0\.0\.0\/8"[\s\S]*reconcileEvery: 90 seconds is not allowed; allowed: whole minutes from 1 to 60/));

  test('NAT subnets missing a zone of the sensors', () => invalid({
    // Without a context lookup, the stack's zones are dummy1a and dummy1b.
    sensorNatSubnets: { subnetGroupName: 'monitor-public', availabilityZones: ['dummy1a'] },
  }, /sensorNatSubnets: \["dummy1b"\] is not allowed; allowed: a public subnet in every zone of the sensor subnets/));

  test('mirroring a group of the monitor layer itself', () => {
    const { monitor } = workload();
    expect(() => monitor.mirrorAutoScalingGroup(monitor.sensorGroup)).toThrow(/mirrorAutoScalingGroup\(group\): 'Workload\/Monitor\/Sensors\/Sensors' \(in the monitor layer\)/);
  });
});

describe('TrafficMonitor, the policy pack and the isolation analysis', () => {
  test('cdk-nag AwsSolutions and NIST 800-53 R5: no finding on the monitor layer (by-design ones acknowledged with reasons)', () => {
    const { app, stack, monitor } = mirrored();
    app.synth();
    for (const pack of [new AwsSolutionsChecks(app), new NIST80053R5Checks(app)]) {
      const findings = pack.validateScope(stack).violations
        .filter(v => v.violatingResources.some(r => r.constructPath?.startsWith('Workload/Monitor/')))
        .map(v => `${v.ruleName} ${v.violatingResources.filter(r => r.constructPath?.startsWith('Workload/Monitor/')).map(r => r.constructPath).join(', ')}`);
      expect(findings).toEqual([]);
    }
    const acks = monitor.mirrorSessionsFunction.node.metadata.filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map(m => m.data);
    const reasons = Object.fromEntries(acks.flatMap(a => Object.entries(a as object)).map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason]));
    expect(reasons['NIST.800.53.R5-LambdaInsideVPC']).toContain('shared by two layers');
  });

  test('edge, host and monitor on one workload share nothing; the monitor observes the web subnets and the host group', () => {
    const app = reportingApp();
    const { stack, vpc, archive, hosts, monitor } = mirrored({}, app);
    const edge = new EdgeFilter(stack, 'Edge', { logDestination: archive });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true, vpcSubnets: { subnetGroupName: 'public' } });
    alb.addListener('Http', { port: 80 }).addTargets('Hosts', { port: hosts.port, targets: [hosts.autoScalingGroup] });
    edge.protectLoadBalancer(alb);
    app.synth();
    const isolation = analyseApp(app).isolation;
    expect(isolation.shortCircuits.map(c => `${c.resource.path} [${c.layers}]`)).toEqual([]);
    const observed = [...new Set(isolation.observes.filter(o => o.layer === 'monitor').map(o => o.to.type))].sort();
    expect(observed).toEqual(['AWS::AutoScaling::AutoScalingGroup', 'AWS::EC2::Subnet']);
    expect(monitor.layerName).toBe('monitor');
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'defence-in-depth', 'report.json'), 'utf8'));
    expect(report.layers.map((l: any) => l.name ?? l)).toEqual(expect.arrayContaining(['edge', 'host', 'monitor', 'archive']));
  });

  test('sensors behind the web tier\'s NAT gateways: the isolation check names the shared NAT gateway', () => {
    const app = reportingApp();
    const stack = new Stack(app, 'Workload', { env: ENV });
    const vpc = workloadVpc(stack, false);
    const archive = new LogArchive(stack, 'Archive');
    const hosts = new HostFilter(stack, 'Host', { logDestination: archive }).addEc2Hosts('Web', { vpc, vpcSubnets: { subnetGroupName: 'web' } });
    const monitor = new TrafficMonitor(stack, 'Monitor', { vpc, webSubnets: { subnetGroupName: 'web' }, sensorSubnets: { subnetGroupName: 'sensors' }, logDestination: archive });
    monitor.mirrorAutoScalingGroup(hosts.autoScalingGroup);
    app.synth();
    const circuits = analyseApp(app).isolation.shortCircuits.map(c => `${c.resource.type} [${c.layers}]`);
    expect(circuits).toContain('AWS::EC2::NatGateway [host,monitor]');
  });

  test('an imported group is mirrored by name', () => {
    const { stack, monitor } = workload();
    monitor.mirrorAutoScalingGroup(autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Legacy', 'legacy-web'));
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { AutoScalingGroupName: ['legacy-web'] } }),
    });
  });
});
