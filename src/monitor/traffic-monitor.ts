import { Annotations, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { ExfiltrationAlarms } from './exfiltration-alarms';
import { MirrorSessions } from './mirror-sessions';
import { MirrorTarget } from './mirror-target';
import { createMonitorHeartbeat } from './monitor-heartbeat';
import {
  resolveExfiltrationOptions, resolveFilterRules, resolveReconcilePeriod, resolveSensorOptions, unmirrorableReason,
} from './render/resolve-monitor-options';
import { SensorFleet } from './sensor-fleet';
import { ExfiltrationAlarmOptions, MirrorFilterRule, MirrorGroupOptions, MonitorHeartbeatOptions, SensorFleetOptions } from './traffic-monitor-options';
import { WebTierFlowLogs } from './web-tier-flow-logs';
import { DefenceLayer } from '../core/defence-layer';
import { IsolationMetadata } from '../core/isolation-metadata';
import { ILogDeliveryPath, ILogDestination } from '../core/log-destination';
import { markSubtree } from '../core/metadata-aspect';
import { acknowledgeAlarmWithoutAction, acknowledgeGuardRule } from '../core/nag-acknowledgements';
import { PropValidator } from '../core/validation-error';
import { Heartbeat } from '../heartbeat/heartbeat';

/** What the monitor layer does: everything but where it runs (see `TrafficMonitorProps`). */
export interface TrafficMonitorOptions {
  /**
   * Which packets the web hosts mirror, at most 10 rules (AWS's quota per filter).
   * @default - everything, inbound and outbound, IPv4 and IPv6 (4 rules)
   */
  readonly mirrorFilterRules?: MirrorFilterRule[];

  /**
   * Also mirror the hosts' DNS queries to the VPC resolver (Traffic Mirroring
   * leaves them out unless asked): DNS tunnelling is a common exfiltration path.
   * @default true
   */
  readonly mirrorAmazonDns?: boolean;

  /**
   * The Suricata sensors.
   * @default - two t3.medium sensors with ET Open
   */
  readonly sensors?: SensorFleetOptions;

  /**
   * The exfiltration and sensor alarms.
   * @default - anomaly band of 3 deviations on outbound bytes, 50 destinations per 5 minutes, every high or medium sensor alert
   */
  readonly exfiltration?: ExfiltrationAlarmOptions;

  /**
   * How often the mirror sessions are reconciled (whole minutes, 1 to 60).
   * @default Duration.minutes(5)
   */
  readonly reconcileEvery?: Duration;

  /**
   * Create a GuardDuty detector with Runtime Monitoring for ECS Fargate
   * (for compute Traffic Mirroring cannot see). An account has one detector
   * per region: leave this off where GuardDuty is already on (for example
   * through AWS Organizations), or the deployment fails.
   * @default false
   */
  readonly enableGuardDuty?: boolean;

  /**
   * Where the layer's alarms notify.
   * @default - no action: the alarms show on the dashboard and the heartbeats read them
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;

  /**
   * How long the layer's log groups keep events (the archive keeps them for its own retention).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Deletion protection on the mirror target's load balancer: deleting it
   * stops all mirroring at once, silently.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

export interface TrafficMonitorProps extends TrafficMonitorOptions {
  /** The workload's VPC. */
  readonly vpc: ec2.IVpc;

  /**
   * The web tier's subnets: their flows are logged, and their CIDRs are the
   * only sources the mirror target accepts (mirrored packets come from the
   * web hosts' interfaces).
   */
  readonly webSubnets: ec2.SubnetSelection;

  /**
   * The monitor layer's own subnets, for the sensors and the mirror target.
   * None of them may be a web subnet. Their egress (packages at boot, rule
   * updates, the SSM and CloudWatch endpoints) should not pass through the web
   * tier's NAT gateways: the isolation check reports a NAT gateway both layers
   * depend on. See `sensorNatSubnets`.
   */
  readonly sensorSubnets: ec2.SubnetSelection;

  /**
   * Public subnets where the layer puts NAT gateways of its own, one per
   * zone, and routes the sensor subnets' internet traffic through them (the
   * sensor subnets must then have no default route, e.g. `PRIVATE_ISOLATED`).
   * Use public subnets the web tier's NAT gateways and load balancers are not in.
   * @default - the sensor subnets keep their own routes
   */
  readonly sensorNatSubnets?: ec2.SubnetSelection;

  /**
   * Where the layer's logs go: flow logs and sensor events through two paths
   * of the layer's own (`monitor/flow-logs/`, `monitor/sensors/`), so busy
   * flow logs cannot hold up the alerts.
   */
  readonly logDestination: ILogDestination;
}

/**
 * The hidden monitoring layer ('monitor'): VPC flow logs of the web tier, VPC
 * Traffic Mirroring of every web host to a fleet of Suricata sensors, and
 * alarms on exfiltration, destinations, sensor alerts, sensor health and
 * unmirrored hosts. It watches from the side: the web hosts run nothing of it,
 * have no permission on it and can reach it only with the mirrored packets'
 * own UDP 4789, which the sensors never answer.
 *
 * Web hosts are mirrored with `mirrorAutoScalingGroup`; compute Traffic
 * Mirroring cannot see (Fargate, unsupported instance families) gets a synth
 * warning naming what covers it instead.
 */
export class TrafficMonitor extends DefenceLayer {
  /** The web tier's flow logs. */
  public readonly flowLogGroup: logs.ILogGroup;
  /** The sensors' eve.json events (alerts, anomalies, stats). */
  public readonly sensorLogGroup: logs.ILogGroup;
  /** The path of the flow logs into the archive. */
  public readonly flowLogDeliveryPath: ILogDeliveryPath;
  /** The path of the sensor and mirroring events into the archive. */
  public readonly eventDeliveryPath: ILogDeliveryPath;
  /** The mirror target's load balancer (UDP 4789). */
  public readonly mirrorLoadBalancer: elbv2.NetworkLoadBalancer;
  /** The sensors. */
  public readonly sensorGroup: autoscaling.AutoScalingGroup;
  /** The sensors' security group (inbound from the mirror target only). */
  public readonly sensorSecurityGroup: ec2.ISecurityGroup;
  /** Id of the Traffic Mirroring target. */
  public readonly mirrorTargetId: string;
  /** Id of the Traffic Mirroring filter. */
  public readonly mirrorFilterId: string;
  /** The function keeping the web hosts mirrored. */
  public readonly mirrorSessionsFunction: lambda.IFunction;
  /** Web-host interfaces left unmirrored (missing data breaching: the reconciliation stopped). */
  public readonly unmirroredAlarm: cloudwatch.IAlarm;
  /** Fewer healthy sensors than `sensors.minCapacity` (missing data breaching). */
  public readonly sensorHealthAlarm: cloudwatch.IAlarm;
  /** Outbound bytes of the web tier above their anomaly band. */
  public readonly egressAlarm: cloudwatch.IAlarm;
  /** Too many distinct destinations of the web tier. */
  public readonly destinationsAlarm: cloudwatch.IAlarm;
  /** High or medium severity sensor alerts. */
  public readonly sensorAlertAlarm: cloudwatch.IAlarm;
  /** Bytes the web tier sent outside, per 5 minutes. */
  public readonly egressBytesMetric: cloudwatch.IMetric;
  /** The GuardDuty detector, when `enableGuardDuty` is set. */
  public readonly guardDutyDetector?: guardduty.CfnDetector;
  private readonly mirroredGroupNames: string[] = [];
  private readonly sensorTargetGroupArn: string;
  private readonly minSensors: number;
  private heartbeat?: Heartbeat;

  private readonly sessions: MirrorSessions;
  private readonly guardDutyEnabled: boolean;
  private unmirroredCompute = 0;

  constructor(scope: Construct, id: string, props: TrafficMonitorProps) {
    super(scope, id, { layerName: 'monitor' });
    const v = new PropValidator(this);
    const filterRules = resolveFilterRules(v, props.mirrorFilterRules);
    const sensors = resolveSensorOptions(v, props.sensors);
    const exfiltration = resolveExfiltrationOptions(v, props.exfiltration);
    const reconcileEvery = resolveReconcilePeriod(v, props.reconcileEvery);
    const web = props.vpc.selectSubnets(props.webSubnets).subnets;
    const own = props.vpc.selectSubnets(props.sensorSubnets).subnets;
    v.checkDescribed(web.length > 0, 'webSubnets', describeSelection(props.webSubnets), 'a selection of at least one subnet of the VPC');
    v.checkDescribed(own.length > 0, 'sensorSubnets', describeSelection(props.sensorSubnets), 'a selection of at least one subnet of the VPC');
    // The same subnet object, or the same literal id for imported ones.
    const shared = own.filter(s => web.some(w => w === s || (!Token.isUnresolved(s.subnetId) && w.subnetId === s.subnetId)));
    v.check(shared.length === 0, 'sensorSubnets', shared.map(s => s.node.path), 'subnets the web tier is not in: the sensors share nothing with the web hosts');
    v.check(props.logDestination !== undefined, 'logDestination', props.logDestination, 'a log destination: every layer ships its logs out of its own reach');
    const natSubnets = props.sensorNatSubnets ? props.vpc.selectSubnets(props.sensorNatSubnets).subnets : [];
    if (props.sensorNatSubnets) {
      v.checkDescribed(natSubnets.length > 0, 'sensorNatSubnets', describeSelection(props.sensorNatSubnets), 'a selection of at least one public subnet');
      const uncovered = own.filter(s => !natSubnets.some(n => n.availabilityZone === s.availabilityZone)).map(s => s.availabilityZone);
      if (natSubnets.length > 0) v.check(uncovered.length === 0, 'sensorNatSubnets', uncovered, 'a public subnet in every zone of the sensor subnets');
    }
    v.throwIfInvalid();

    this.flowLogDeliveryPath = props.logDestination.addDeliveryPath(this, 'FlowLogDelivery', { pathName: 'flow-logs' });
    this.eventDeliveryPath = props.logDestination.addDeliveryPath(this, 'EventDelivery', { pathName: 'sensors' });
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    // The web tier, watched read-only: flow logs of its subnets, its CIDRs admitted to the mirror target.
    for (const subnet of web) {
      this.observe(subnet, { reason: 'flow-logs the web tier and admits its mirrored packets by its address range' });
    }
    const flowLogs = new WebTierFlowLogs(this, 'FlowLogs', { subnets: web, encryptionKey: this.flowLogDeliveryPath.encryptionKey, retention });
    this.flowLogGroup = flowLogs.logGroup;
    this.flowLogDeliveryPath.addLogGroup(flowLogs.logGroup);

    const sensorLogs = new logs.LogGroup(this, 'SensorLogs', {
      retention, encryptionKey: this.eventDeliveryPath.encryptionKey, removalPolicy: RemovalPolicy.RETAIN,
    });
    this.sensorLogGroup = sensorLogs;
    this.eventDeliveryPath.addLogGroup(sensorLogs);

    if (props.sensorNatSubnets) this.addSensorEgress(own, natSubnets);

    const webCidrs = web.map(s => s.ipv4CidrBlock);
    const target = new MirrorTarget(this, 'MirrorTarget', {
      vpc: props.vpc,
      sensorSubnets: { subnets: own },
      sourceCidrs: webCidrs,
      filterRules,
      mirrorAmazonDns: props.mirrorAmazonDns ?? true,
      deletionProtection: props.deletionProtection ?? true,
    });
    this.mirrorLoadBalancer = target.loadBalancer;
    this.mirrorTargetId = target.targetId;
    this.mirrorFilterId = target.filterId;

    const fleet = new SensorFleet(this, 'Sensors', {
      vpc: props.vpc,
      subnets: { subnets: own },
      options: sensors,
      homeNet: webCidrs,
      logGroup: sensorLogs,
      loadBalancerSecurityGroup: target.securityGroup,
    });
    this.sensorGroup = fleet.autoScalingGroup;
    this.sensorSecurityGroup = fleet.securityGroup;
    const targetGroup = target.addSensors(fleet.autoScalingGroup);
    this.sensorTargetGroupArn = targetGroup.targetGroupArn;
    this.minSensors = sensors.minCapacity;
    const sensorHealthAlarm = new cloudwatch.Alarm(this, 'SensorHealthAlarm', {
      alarmDescription: `Fewer than ${sensors.minCapacity} healthy sensors behind the mirror target: mirrored traffic is not inspected`,
      metric: targetGroup.metrics.healthyHostCount({ period: Duration.minutes(1), statistic: 'Minimum' }),
      threshold: sensors.minCapacity,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    if (props.alarmAction) sensorHealthAlarm.addAlarmAction(props.alarmAction);
    this.sensorHealthAlarm = sensorHealthAlarm;

    this.sessions = new MirrorSessions(this, 'MirrorSessions', {
      vpcId: props.vpc.vpcId,
      targetId: target.targetId,
      filterId: target.filterId,
      reconcileEvery,
      encryptionKey: this.eventDeliveryPath.encryptionKey,
      alarmAction: props.alarmAction,
    });
    this.mirrorSessionsFunction = this.sessions.function;
    this.unmirroredAlarm = this.sessions.unmirroredAlarm;
    this.eventDeliveryPath.addLogGroup(this.sessions.logGroup);

    const alarms = new ExfiltrationAlarms(this, 'Alarms', {
      flowLogGroup: flowLogs.logGroup, sensorLogGroup: sensorLogs, options: exfiltration, alarmAction: props.alarmAction,
    });
    this.egressAlarm = alarms.egressAlarm;
    this.destinationsAlarm = alarms.destinationsAlarm;
    this.sensorAlertAlarm = alarms.sensorAlertAlarm;
    this.egressBytesMetric = alarms.egressBytes;

    this.guardDutyEnabled = props.enableGuardDuty ?? false;
    if (this.guardDutyEnabled) {
      this.guardDutyDetector = new guardduty.CfnDetector(this, 'GuardDuty', {
        enable: true,
        findingPublishingFrequency: 'FIFTEEN_MINUTES',
        features: [{
          name: 'RUNTIME_MONITORING',
          status: 'ENABLED',
          // Fargate only: on EC2 the agent would run on the web hosts, where this layer must not be.
          additionalConfiguration: [{ name: 'ECS_FARGATE_AGENT_MANAGEMENT', status: 'ENABLED' }],
        }],
      });
      acknowledgeGuardRule(this.guardDutyDetector, 'guardduty_s3_protection_enabled_check',
        'This detector exists for Runtime Monitoring of the Fargate web tasks; S3 protection is an account-wide choice (and cost), '
        + 'usually made by the organisation\'s delegated GuardDuty administrator.');
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:monitor-guardduty-detector',
        'enableGuardDuty creates a GuardDuty detector; an account has one per region, so the deployment fails where GuardDuty is already on '
        + '(for example through AWS Organizations or Security Hub). Turn the option off there: the existing detector covers the account.');
    }

    if (!props.alarmAction) {
      for (const alarm of [sensorHealthAlarm, this.sessions.unmirroredAlarm, alarms.egressAlarm, alarms.destinationsAlarm, alarms.sensorAlertAlarm]) {
        acknowledgeAlarmWithoutAction(alarm,
          'No alarmAction was given to the TrafficMonitor: the alarm is shown on the layer dashboard and read by the heartbeats, which notify.');
      }
    }

    this.node.addValidation({
      validate: () => {
        if (this.sessions.groupCount === 0 && this.unmirroredCompute === 0) {
          Annotations.of(this).addWarningV2('cdk-defence-in-depth:monitor-nothing-mirrored',
            'The monitor layer mirrors no web hosts: call mirrorAutoScalingGroup() for each group of web hosts. Only flow logs watch the web tier.');
        }
        return [];
      },
    });
  }

  /**
   * Mirrors every instance of an Auto Scaling group of web hosts to the
   * sensors: at launch, on termination (sessions removed) and on every
   * reconciliation. The group is read (observed), never changed.
   */
  public mirrorAutoScalingGroup(group: autoscaling.IAutoScalingGroup, options: MirrorGroupOptions = {}): void {
    const v = new PropValidator(this);
    v.checkDescribed(DefenceLayer.of(group)?.layerName !== this.layerName, 'mirrorAutoScalingGroup(group)',
      `'${group.node.path}' (in the monitor layer)`, 'a group of web hosts, outside the monitor layer');
    v.throwIfInvalid();
    this.observe(group, { reason: 'mirrors the group\'s instances to the sensors; reads the group, never changes it' });
    this.sessions.addGroupName(group.autoScalingGroupName);
    this.mirroredGroupNames.push(group.autoScalingGroupName);
    markSubtree(group, IsolationMetadata.MONITORING, () => ({ layer: this.layerName, mirrored: true }));
    const why = options.instanceType ? unmirrorableReason(options.instanceType) : undefined;
    if (why) {
      Annotations.of(group).addWarningV2('cdk-defence-in-depth:monitor-unmirrorable-instance-type',
        `These web hosts cannot be mirrored: ${why}. The monitor layer still covers them with the web tier's flow logs and the exfiltration alarms; `
        + 'the UnmirroredInterfaces alarm will stay in alarm. Choose a supported type (for example t3, m5, c5, r5) to restore mirroring.');
    }
  }

  /**
   * Adds the monitor layer's heartbeat, in this layer: every web-host
   * interface has a mirror session, enough sensors are healthy, the sensors
   * alerted on the canary request (sent through `canaryEndpoint` on every
   * run), and the flow logs and sensor logs still arrive and are delivered.
   * Hand it to `DefenceWatch.watch()`.
   */
  public addHeartbeat(options: MonitorHeartbeatOptions = {}): Heartbeat {
    const v = new PropValidator(this);
    v.check(this.heartbeat === undefined, 'addHeartbeat()', 'called twice', 'one heartbeat per monitor layer');
    v.throwIfInvalid();
    this.heartbeat = createMonitorHeartbeat(this, options, {
      mirroredGroupNames: this.mirroredGroupNames,
      mirrorTargetId: this.mirrorTargetId,
      sensorTargetGroupArn: this.sensorTargetGroupArn,
      minSensors: this.minSensors,
      flowLogGroup: this.flowLogGroup,
      sensorLogGroup: this.sensorLogGroup,
      flowLogDeliveryPath: this.flowLogDeliveryPath,
      eventDeliveryPath: this.eventDeliveryPath,
    });
    return this.heartbeat;
  }

  /**
   * Records compute Traffic Mirroring cannot see, such as a Fargate service
   * (its task interfaces are managed by AWS), with a synth warning that names
   * what covers it instead: the web tier's flow logs and, with
   * `enableGuardDuty`, GuardDuty Runtime Monitoring for ECS Fargate.
   */
  public addUnmirroredCompute(compute: IConstruct, description: string): void {
    const coverage = this.guardDutyEnabled
      ? 'the web tier\'s flow logs (when it runs in webSubnets) and GuardDuty Runtime Monitoring for ECS Fargate'
      : 'the web tier\'s flow logs only (when it runs in webSubnets); set enableGuardDuty for GuardDuty Runtime Monitoring of Fargate tasks';
    Annotations.of(compute).addWarningV2('cdk-defence-in-depth:monitor-unmirrorable-compute',
      `${description}: Traffic Mirroring cannot mirror it. The monitor layer covers it with ${coverage}.`);
    this.unmirroredCompute++;
    // The report's monitoring coverage and the EveryWebHostMirrored rule read this.
    markSubtree(compute, IsolationMetadata.MONITORING, () => ({ layer: this.layerName, mirrored: false, coverage: `${description}: ${coverage}` }));
  }

  /** NAT gateways of the layer's own, and the sensor subnets' default routes through them. */
  private addSensorEgress(sensorSubnets: ec2.ISubnet[], natSubnets: ec2.ISubnet[]): void {
    const gateways = new Map<string, ec2.CfnNatGateway>();
    natSubnets.forEach((subnet, i) => {
      if (gateways.has(subnet.availabilityZone)) return;
      const eip = new ec2.CfnEIP(this, `SensorNatAddress${i}`, { domain: 'vpc' });
      gateways.set(subnet.availabilityZone, new ec2.CfnNatGateway(this, `SensorNat${i}`, { subnetId: subnet.subnetId, allocationId: eip.attrAllocationId }));
    });
    sensorSubnets.forEach((subnet, i) => new ec2.CfnRoute(this, `SensorEgress${i}`, {
      routeTableId: subnet.routeTable.routeTableId,
      destinationCidrBlock: '0.0.0.0/0',
      natGatewayId: gateways.get(subnet.availabilityZone)!.ref,
    }));
  }
}

/** A subnet selection in words, for error messages. */
function describeSelection(selection: ec2.SubnetSelection): string {
  const parts = Object.entries(selection).filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? `[${value.map(x => (typeof x === 'object' ? (x as any).node?.path ?? '?' : x)).join(', ')}]` : String(value)}`);
  return `{ ${parts.join(', ')} } (selects no subnet)`;
}
