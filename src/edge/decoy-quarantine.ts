import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CfnIPSet } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { DecoyQuarantineFunction } from './decoy-quarantine-function';
import { QuarantineConfig } from './decoy-quarantine.lambda';
import { acknowledgeAlarmWithoutAction, acknowledgeFunctionOutsideVpc, acknowledgeWildcardResources } from '../core/nag-acknowledgements';
import { ResolvedEdgeOptions } from './render/resolve-edge-options';
import { DECOY_RULE_NAME } from './render/web-acl-rules';

/** Sets per address version: callers stay blocked one to three periods (see decoy-quarantine.lambda.ts). */
const SLOTS = 3;

/**
 * @internal
 * Blocks, for a while, the callers who touched a decoy: empty quarantine IP
 * sets the web ACL blocks, a function that fills them from the edge's WAF logs
 * as they stream to the archive, and a schedule that empties the oldest.
 * Part of the edge layer; created by `EdgeFilter`.
 */
export class DecoyQuarantine extends Construct {
  /** ARNs of the quarantine IP sets (all slots, IPv4 and IPv6). */
  public readonly ipSetArns: string[];
  /** The function: a Firehose record processor on the edge's WAF log path, and the scheduled release. */
  public readonly function: lambda.IFunction;
  /** The function's log group (encrypted with the edge's key). */
  public readonly logGroup: logs.ILogGroup;
  /** Alarm on failed quarantines or releases (a decoy caller who was not blocked afterwards, or not released). */
  public readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, options: ResolvedEdgeOptions, encryptionKey?: kms.IKey, alarmAction?: cloudwatch.IAlarmAction) {
    super(scope, id);
    const sets: CfnIPSet[] = [];
    const config: QuarantineConfig = {
      scope: options.scope,
      periodSeconds: options.quarantineSeconds,
      slots: SLOTS,
      decoyRuleName: DECOY_RULE_NAME,
      ipSets: [] as any[],
      forwardedIpHeader: options.forwardedIp?.headerName.toLowerCase(),
      forwardedIpPosition: options.forwardedIp?.position as 'FIRST' | 'LAST' | undefined,
    };
    for (let slot = 0; slot < SLOTS; slot++) {
      for (const version of [4, 6] as const) {
        const setId = `Slot${slot}V${version}`;
        // Named, so the function can address it (WAF's API wants name and id).
        const name = Names.uniqueResourceName(this, { maxLength: 100, separator: '-' }) + `-${setId}`;
        const set = new CfnIPSet(this, setId, {
          name,
          scope: options.scope,
          ipAddressVersion: `IPV${version}`,
          addresses: [],
          description: `Callers who touched a decoy path, slot ${slot}, filled and emptied by the quarantine function`,
        });
        sets.push(set);
        config.ipSets.push({ name, id: set.attrId, slot, version });
      }
    }
    this.ipSetArns = sets.map(s => s.attrArn);

    const logGroup = this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Quarantines callers who touched a decoy path: reads and updates the quarantine IP sets only',
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'Decoy quarantine: the quarantine IP sets and its own log group, nothing else',
      roles: [role],
      statements: [
        new iam.PolicyStatement({ sid: 'UpdateQuarantineSets', actions: ['wafv2:GetIPSet', 'wafv2:UpdateIPSet'], resources: this.ipSetArns }),
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:log-stream:*`],
        }),
      ],
    });
    acknowledgeWildcardResources(policy, [`${logGroup.logGroupArn}:log-stream:*`],
      'The function writes to its own log group only; Lambda names the streams itself, so the stream part is a wildcard.');

    this.function = new DecoyQuarantineFunction(this, 'Function', {
      description: 'Edge layer: quarantines callers who touched a decoy path (reads WAF logs on their way to the archive)',
      role,
      logGroup,
      timeout: Duration.seconds(60),
      memorySize: 256,
      // Never more than a few at once: Firehose calls it per batch, the schedule once per period.
      reservedConcurrentExecutions: 5,
      environment: { QUARANTINE_CONFIG: Stack.of(this).toJsonString(config) },
    });
    this.function.node.addDependency(policy);
    acknowledgeFunctionOutsideVpc(this.function, 'the WAF API');
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'Firehose calls it synchronously and keeps records it could not process in the archive error prefix; the scheduled release is retried by EventBridge and a failed run raises the QuarantineFailures alarm. A dead-letter queue would hold nothing to replay.',
    });
    new events.Rule(this, 'Release', {
      description: 'Empties the oldest decoy quarantine IP sets',
      schedule: events.Schedule.rate(Duration.seconds(options.quarantineSeconds)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2 })],
    });

    const failures = new cloudwatch.Metric({
      namespace: 'DefenceInDepth/Edge',
      metricName: 'QuarantineFailures',
      dimensionsMap: { Function: this.function.functionName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription: 'The edge layer could not quarantine a caller who touched a decoy path, or could not release old ones',
      metric: failures,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (alarmAction) {
      this.failureAlarm.addAlarmAction(alarmAction);
    } else {
      acknowledgeAlarmWithoutAction(this.failureAlarm,
        'No alarmAction was given to the EdgeFilter: the alarm is shown on the layer dashboard and read by the heartbeats, which notify.');
    }
  }
}
