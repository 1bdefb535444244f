import { ArnFormat, Duration, Lazy, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { HeartbeatCheck } from './heartbeat-check';
import { CheckConfig, HEARTBEAT_METRICS, HEARTBEAT_NAMESPACE, HeartbeatConfig, PeerConfig } from './heartbeat-config';
import { HeartbeatFunction } from './heartbeat-function';
import { DefenceLayer } from '../core/defence-layer';
import { ChatterSignal, IHeartbeat, TrafficMetric } from '../core/heartbeat';
import { IsolationMetadata } from '../core/isolation-metadata';
import { layerKey } from '../core/key-policy';
import { ILogDeliveryPath } from '../core/log-destination';
import { allowCloudWatchLogsToUse } from '../core/log-group-key';
import { markSubtree } from '../core/metadata-aspect';
import { acknowledgeFunctionOutsideVpc, acknowledgeWildcardResources } from '../core/nag-acknowledgements';
import { PropValidator } from '../core/validation-error';

/** The function's timeout: every run ends well before the next one (at most one per minute). */
const FUNCTION_TIMEOUT = Duration.seconds(55);
/** The run reports before this, leaving time to write the results. */
const RUN_DEADLINE_MS = 45_000;

export interface HeartbeatProps {
  /** What the heartbeat proves on every run. At least one. */
  readonly checks: HeartbeatCheck[];

  /**
   * How often it runs: whole minutes, from 1 to 60.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;

  /**
   * The layer's own path into the log archive: the heartbeat's log group is
   * delivered through it and encrypted with its key.
   * @default - not delivered; encrypted with `encryptionKey`
   */
  readonly deliveryPath?: ILogDeliveryPath;

  /**
   * Key of the heartbeat's log group when there is no `deliveryPath`.
   * @default - a new key of the heartbeat's own
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The VPC to run in. Needed when a check probes web hosts directly (`hosts`);
   * the function then gets a security group of its own (`securityGroup`).
   * @default - outside any VPC
   */
  readonly vpc?: ec2.IVpc;

  /** Subnets of `vpc` for the function. @default - private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * A peer without a result for this long is reported silent: whole minutes,
   * at least twice the interval.
   * @default - three intervals, at least 5 minutes
   */
  readonly peerSilence?: Duration;

  /** The control's chatter signals, alarmed by the watch layer. @default - none */
  readonly chatter?: ChatterSignal[];

  /** Traffic metrics for the control's dashboard row. @default - none */
  readonly traffic?: TrafficMetric[];

  /** Retention of the heartbeat's log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A control's heartbeat: a scheduled function in the control's own layer that
 * proves, on every run, that the control works on its own (a canary attack
 * it must block itself, a benign request it must let pass, its AWS state, its
 * logs), reads its peers' results, and writes one JSON result line and EMF
 * metrics (`DefenceInDepth/Heartbeat`: `Healthy`, `CheckPassed`, `PeerSilent`,
 * `SilentPeers`) into its own log group. The watch layer alarms on them.
 *
 * Create it inside the layer it proves (`EdgeFilter.addHeartbeat` and the
 * other layers' `addHeartbeat` do).
 */
export class Heartbeat extends Construct implements IHeartbeat {
  public readonly control: string;
  public readonly heartbeatName: string;
  public readonly logGroup: logs.ILogGroup;
  public readonly function: lambda.IFunction;
  public readonly interval: Duration;
  public readonly chatter: ChatterSignal[];
  public readonly traffic: TrafficMetric[];
  /** The function's security group, when it runs in a VPC. */
  public readonly securityGroup?: ec2.ISecurityGroup;
  /** Names of the checks, in order (the `Check` dimension of `CheckPassed`). */
  public readonly checkNames: string[] = [];
  private readonly checks: CheckConfig[] = [];
  private wildcardAcknowledged = false;
  private readonly peers: PeerConfig[] = [];
  private readonly peerNames = new Set<string>();
  private readonly policy: iam.ManagedPolicy;
  private readonly layer: DefenceLayer;

  constructor(scope: Construct, id: string, props: HeartbeatProps) {
    super(scope, id);
    const layer = DefenceLayer.requireOf(this, 'A Heartbeat') as DefenceLayer;
    this.layer = layer;
    this.control = layer.layerName;
    this.heartbeatName = Names.uniqueResourceName(this, { maxLength: 120, separator: '-' });
    this.interval = props.interval ?? Duration.minutes(1);
    const intervalMinutes = this.interval.toSeconds() / 60;
    const silenceMinutes = props.peerSilence ? props.peerSilence.toSeconds() / 60 : Math.max(5, 3 * intervalMinutes);

    const v = new PropValidator(this);
    v.check(props.checks.length > 0, 'checks', props.checks.length, 'at least one check');
    v.integerInRange('interval', intervalMinutes, 1, 60, 'minutes');
    v.integerInRange('peerSilence', silenceMinutes, Math.max(2, 2 * intervalMinutes), 1440, 'minutes');
    v.checkDescribed(props.vpcSubnets === undefined || props.vpc !== undefined, 'vpcSubnets', 'set without vpc', 'vpcSubnets together with vpc');
    v.throwIfInvalid();

    const given = props.deliveryPath?.encryptionKey ?? props.encryptionKey;
    const ownKey = given ? undefined : layerKey(this, 'Key', `Heartbeat of the ${this.control} layer: encrypts its log group`);
    if (ownKey) allowCloudWatchLogsToUse(ownKey);
    const key = given ?? ownKey!;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup = logGroup;
    props.deliveryPath?.addLogGroup(logGroup, { filterPattern: logs.FilterPattern.exists('$.heartbeat') });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Heartbeat of the ${this.control} layer: reads, never changes`,
    });
    const streams = `${logGroup.logGroupArn}:log-stream:*`;
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Heartbeat of the ${this.control} layer: describe and read only`,
      roles: [role],
      statements: [new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn, streams] })],
    });
    acknowledgeWildcardResources(this.policy, [streams],
      'The function writes to its own log group only; Lambda names the streams itself, so the stream part is a wildcard.');
    if (props.vpc) {
      this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `Heartbeat of the ${this.control} layer: probes the web hosts, calls AWS APIs`,
        allowAllOutbound: true,
      });
    }
    const config = (): HeartbeatConfig => ({
      control: this.control,
      heartbeat: this.heartbeatName,
      checks: this.checks,
      peers: this.peers,
      peerSilenceSeconds: silenceMinutes * 60,
      deadlineMs: RUN_DEADLINE_MS,
    });
    const fn = new HeartbeatFunction(this, 'Function', {
      description: `Heartbeat of the ${this.control} layer: proves it blocks on its own, watches its peers`,
      role,
      logGroup,
      timeout: FUNCTION_TIMEOUT,
      memorySize: 256,
      // Reserved: a flood of other functions in the account cannot starve the heartbeat.
      reservedConcurrentExecutions: 2,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? (props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }) : undefined,
      securityGroups: this.securityGroup ? [this.securityGroup] : undefined,
      environment: { HEARTBEAT_CONFIG: Lazy.string({ produce: () => Stack.of(this).toJsonString(config()) }) },
    });
    fn.node.addDependency(this.policy);
    this.function = fn;
    if (!props.vpc) acknowledgeFunctionOutsideVpc(fn, 'public endpoints and AWS read APIs');
    Validations.of(fn).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'A heartbeat run that fails is not replayed: the next run a minute later proves the control again, and a run that never reports is an alarm (missing data is breaching).',
    });

    new events.Rule(this, 'Schedule', {
      description: `Runs the ${this.control} layer's heartbeat`,
      schedule: events.Schedule.rate(this.interval),
      // A late run proves nothing about now: no retries, no old events.
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    this.chatter = [...props.chatter ?? []];
    this.traffic = [...props.traffic ?? []];
    for (const check of props.checks) this.addCheck(check);
    // The policy pack finds heartbeats by this (DefenceInDepth-HeartbeatPerControl).
    markSubtree(this, IsolationMetadata.ROLE, () => 'heartbeat');
  }

  /** Adds a check (its read-only statements join the heartbeat's policy). */
  public addCheck(check: HeartbeatCheck): void {
    const bound = check._bind(this);
    const config = bound.config.kind === 'probe' && bound.config.layer === '' ? { ...bound.config, layer: this.control } : bound.config;
    const v = new PropValidator(this);
    v.check(!this.checkNames.includes(config.name), 'checks', config.name, 'checks with distinct names (give `name`)');
    v.checkDescribed(bound.reachesHosts === undefined || this.securityGroup !== undefined, 'vpc', 'undefined (a check probes web hosts directly)',
      'the VPC of the web hosts: the function must run inside it to reach them');
    v.throwIfInvalid();
    this.checks.push(config);
    this.checkNames.push(config.name);
    bound.statements.forEach((statement, j) => {
      const json = statement.toStatementJson();
      this.policy.addStatements(new iam.PolicyStatement({
        actions: statement.actions,
        resources: statement.resources,
        conditions: statement.conditions,
        sid: `${json.Sid ?? 'Read'}${this.checks.length}x${j}`,
      }));
      const resources: string[] = [].concat(json.Resource ?? []);
      const scoped = resources.filter(r => r !== '*' && JSON.stringify(Stack.of(this).resolve(r)).includes('*'));
      if (scoped.length > 0) {
        acknowledgeWildcardResources(this.policy, scoped,
          'A read-only statement scoped to one parent (the tasks of one cluster, the streams of one log group): the names under it are known only at run time.');
      }
      if (resources.includes('*') && !this.wildcardAcknowledged) {
        this.wildcardAcknowledged = true;
        acknowledgeWildcardResources(this.policy, ['*'],
          'Describe and read calls without resource-level permissions (Auto Scaling and EC2 describes, target health, CloudWatch GetMetricData, '
          + 'ECS ListTasks limited by an ecs:cluster condition); the heartbeat never changes anything.');
      }
    });
    for (const o of bound.observes) this.observeIfOther(o.target, o.reason);
  }

  public metricHealthy(): cloudwatch.IMetric {
    return this.metric(HEARTBEAT_METRICS.healthy, {}, 'Minimum');
  }

  public metricPeerSilent(peer: IHeartbeat): cloudwatch.IMetric {
    return this.metric(HEARTBEAT_METRICS.peerSilent, { Peer: peer.heartbeatName }, 'Maximum');
  }

  /** 1 for a run where check `name` passed, 0 otherwise. */
  public metricCheckPassed(name: string): cloudwatch.IMetric {
    return this.metric(HEARTBEAT_METRICS.checkPassed, { Check: name }, 'Minimum');
  }

  /** How many peers this heartbeat found silent on a run. */
  public metricSilentPeers(): cloudwatch.IMetric {
    return this.metric(HEARTBEAT_METRICS.silentPeers, {}, 'Maximum');
  }

  public watchPeer(peer: IHeartbeat): void {
    if (peer.heartbeatName === this.heartbeatName || this.peerNames.has(peer.heartbeatName)) return;
    this.peerNames.add(peer.heartbeatName);
    this.peers.push({ control: peer.control, heartbeat: peer.heartbeatName, logGroupName: peer.logGroup.logGroupName });
    this.policy.addStatements(new iam.PolicyStatement({
      sid: `ReadPeer${this.peers.length}`,
      actions: ['logs:FilterLogEvents'],
      resources: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: peer.logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }));
    this.observeIfOther(peer.logGroup, `the ${this.control} heartbeat reads the ${peer.control} heartbeat's results (mutual watch)`);
  }

  private metric(name: string, extra: Record<string, string>, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: HEARTBEAT_NAMESPACE,
      metricName: name,
      dimensionsMap: { Control: this.control, Heartbeat: this.heartbeatName, ...extra },
      statistic,
      period: Duration.minutes(Math.max(1, this.interval.toMinutes())),
    });
  }

  private observeIfOther(target: IConstruct, reason: string): void {
    if (DefenceLayer.of(target)?.layerName !== this.control) this.layer.observe(target, { reason });
  }
}
