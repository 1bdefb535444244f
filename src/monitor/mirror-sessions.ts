import { Arn, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, MirrorSessionsConfig, SESSION_TAG_TARGET } from './mirror-sessions-config';
import { MirrorSessionsFunction } from './mirror-sessions-function';
import { acknowledgeFunctionOutsideVpc, acknowledgeWildcardResources } from '../core/nag-acknowledgements';

export interface MirrorSessionsProps {
  readonly vpcId: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly reconcileEvery: Duration;
  readonly encryptionKey?: kms.IKey;
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/** The VXLAN network id on every session: sensors can tell mirrored traffic of this layer by it. */
export const VIRTUAL_NETWORK_ID = 4242;
/** Among sessions on one interface, this one is evaluated first. */
const SESSION_NUMBER = 1;

/**
 * @internal
 * Keeps every web host mirrored: a function that creates a session when an
 * instance of a watched group launches, removes it when it terminates, and
 * reconciles on a schedule, publishing the number of unmirrored interfaces
 * (alarmed, missing data breaching). Part of the monitor layer.
 */
export class MirrorSessions extends Construct {
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  /** Web-host interfaces without a session after the last reconciliation (missing data: the reconciliation stopped). */
  public readonly unmirroredAlarm: cloudwatch.Alarm;
  private readonly groupNames: string[] = [];
  private lifecycleRule?: events.Rule;
  private readonly props: MirrorSessionsProps;

  constructor(scope: Construct, id: string, props: MirrorSessionsProps) {
    super(scope, id);
    this.props = props;
    const stack = Stack.of(this);
    const ec2Arn = (resource: string) => Arn.format({ service: 'ec2', resource, resourceName: '*' }, stack);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Monitor layer: mirrors the web hosts to the sensors (its own sessions only)',
    });
    const sessions = ec2Arn('traffic-mirror-session');
    const interfaces = ec2Arn('network-interface');
    const streams = `${this.logGroup.logGroupArn}:log-stream:*`;
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'Monitor layer mirror sessions: describe, create sessions to its own target and filter, delete the ones it tagged',
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'FindWebHostsAndSessions',
          // These Describe calls support no resource-level permissions.
          actions: ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTrafficMirrorSessions'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'MirrorInterfacesOfTheVpc',
          actions: ['ec2:CreateTrafficMirrorSession'],
          resources: [interfaces],
          conditions: { StringEquals: { 'ec2:Vpc': Arn.format({ service: 'ec2', resource: 'vpc', resourceName: props.vpcId }, stack) } },
        }),
        new iam.PolicyStatement({
          sid: 'ToTheLayersTargetAndFilter',
          actions: ['ec2:CreateTrafficMirrorSession'],
          resources: [
            Arn.format({ service: 'ec2', resource: 'traffic-mirror-target', resourceName: props.targetId }, stack),
            Arn.format({ service: 'ec2', resource: 'traffic-mirror-filter', resourceName: props.filterId }, stack),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'CreateTaggedSessions',
          actions: ['ec2:CreateTrafficMirrorSession'],
          resources: [sessions],
          conditions: { StringEquals: { [`aws:RequestTag/${SESSION_TAG_TARGET}`]: props.targetId } },
        }),
        new iam.PolicyStatement({
          sid: 'TagSessionsOnCreate',
          actions: ['ec2:CreateTags'],
          resources: [sessions],
          conditions: { StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession' } },
        }),
        new iam.PolicyStatement({
          sid: 'DeleteOwnSessionsOnly',
          actions: ['ec2:DeleteTrafficMirrorSession'],
          resources: [sessions],
          conditions: { StringEquals: { [`aws:ResourceTag/${SESSION_TAG_TARGET}`]: props.targetId } },
        }),
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn, streams],
        }),
      ],
    });
    acknowledgeWildcardResources(policy, ['*'],
      'DescribeAutoScalingGroups, DescribeNetworkInterfaces and DescribeTrafficMirrorSessions support no resource-level permissions; they only read.');
    acknowledgeWildcardResources(policy, [interfaces],
      'Web-host interfaces are created by Auto Scaling at run time; the statement is limited to interfaces of the workload VPC (ec2:Vpc condition).');
    acknowledgeWildcardResources(policy, [sessions],
      'Session ids exist only once created; creating requires the layer\'s target tag, tagging only on create, deleting only sessions carrying the layer\'s target tag.');
    acknowledgeWildcardResources(policy, [streams],
      'The function writes to its own log group only; Lambda names the streams itself, so the stream part is a wildcard.');

    const config: MirrorSessionsConfig = {
      targetId: props.targetId,
      filterId: props.filterId,
      sessionNumber: SESSION_NUMBER,
      virtualNetworkId: VIRTUAL_NETWORK_ID,
      groupNames: this.groupNames,
    };
    this.function = new MirrorSessionsFunction(this, 'Function', {
      description: 'Monitor layer: mirrors every web host to the sensors (launch, terminate, reconcile)',
      role,
      logGroup: this.logGroup,
      timeout: Duration.minutes(5),
      memorySize: 256,
      reservedConcurrentExecutions: 5,
      environment: { MIRROR_CONFIG: stack.toJsonString(config) },
    });
    this.function.node.addDependency(policy);
    acknowledgeFunctionOutsideVpc(this.function, 'the EC2 and Auto Scaling APIs');
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'EventBridge retries failed runs; whatever a lost event leaves unmirrored, the scheduled reconciliation mirrors and the UnmirroredInterfaces alarm reports. A dead-letter queue would hold nothing to replay.',
    });

    new events.Rule(this, 'Reconcile', {
      description: 'Mirrors any web host left unmirrored and reports the count',
      schedule: events.Schedule.rate(props.reconcileEvery),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2 })],
    });

    this.unmirroredAlarm = new cloudwatch.Alarm(this, 'UnmirroredAlarm', {
      alarmDescription: 'Web-host network interfaces without a mirror session to the sensors, or the reconciliation stopped reporting',
      metric: this.metric('UnmirroredInterfaces', 'Maximum'),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    if (props.alarmAction) this.unmirroredAlarm.addAlarmAction(props.alarmAction);
  }

  /** Mirrors the instances of an Auto Scaling group (by name): at launch, at termination, and on reconciliation. */
  public addGroupName(name: string): void {
    this.groupNames.push(name);
    // An event pattern needs at least one value: the rule comes with the first group.
    this.lifecycleRule ??= new events.Rule(this, 'Lifecycle', {
      description: 'Web hosts launched or terminated in a group the monitor layer mirrors',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance Launch Successful', 'EC2 Instance Terminate Successful'],
        detail: { AutoScalingGroupName: Lazy.list({ produce: () => this.groupNames }) },
      },
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 4 })],
    });
  }

  /** Number of groups mirrored. */
  public get groupCount(): number {
    return this.groupNames.length;
  }

  /** A metric the function publishes, per reconcile period. */
  public metric(name: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap: { MirrorTarget: this.props.targetId },
      statistic,
      period: this.props.reconcileEvery,
    });
  }
}
