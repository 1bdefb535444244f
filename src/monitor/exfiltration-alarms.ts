import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from './mirror-sessions-config';
import { ResolvedExfiltrationOptions } from './render/resolve-monitor-options';
import { FLOW_LOG_FIELDS } from './web-tier-flow-logs';

export interface ExfiltrationAlarmsProps {
  readonly flowLogGroup: logs.ILogGroup;
  readonly sensorLogGroup: logs.ILogGroup;
  readonly options: ResolvedExfiltrationOptions;
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

const PERIOD = Duration.minutes(5);

/**
 * @internal
 * What the monitor layer alarms on:
 * - bytes the web tier sends outside (flow logs, egress, accepted, destination
 *   not internal), against a CloudWatch anomaly detection band;
 * - distinct destinations per 5 minutes (Contributor Insights on the flow
 *   logs), against a ceiling;
 * - high and medium severity sensor alerts (eve.json, priority 1 or 2).
 * Part of the monitor layer.
 */
export class ExfiltrationAlarms extends Construct {
  public readonly egressBytes: cloudwatch.Metric;
  public readonly sensorAlerts: cloudwatch.Metric;
  public readonly egressAlarm: cloudwatch.Alarm;
  public readonly destinationsAlarm: cloudwatch.Alarm;
  public readonly sensorAlertAlarm: cloudwatch.Alarm;
  public readonly insightRule: cloudwatch.CfnInsightRule;

  constructor(scope: Construct, id: string, props: ExfiltrationAlarmsProps) {
    super(scope, id);
    const o = props.options;
    const columns = FLOW_LOG_FIELDS.map(([name]) => name);

    // Outbound: the host sent it, it was let through, and it went to an address outside the internal prefixes.
    let outbound = logs.FilterPattern.spaceDelimited(...columns)
      .whereString('action', '=', 'ACCEPT')
      .whereString('flowDirection', '=', 'egress');
    for (const prefix of o.internalAddresses) outbound = outbound.whereString('dstAddr', '!=', prefix);
    const egressFilter = new logs.MetricFilter(this, 'EgressBytes', {
      logGroup: props.flowLogGroup,
      filterPattern: outbound,
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'WebTierEgressBytes',
      metricValue: '$bytes',
      defaultValue: 0,
      unit: cloudwatch.Unit.BYTES,
    });
    this.egressBytes = egressFilter.metric({ statistic: 'Sum', period: PERIOD });
    this.egressAlarm = new cloudwatch.AnomalyDetectionAlarm(this, 'EgressAlarm', {
      alarmDescription: 'The web tier sends more bytes outside than its usual band: possible exfiltration',
      metric: this.egressBytes,
      stdDevs: o.bandWidth,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // The filter reports 0 when nothing matches: missing data means the flow logs stopped.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    // Distinct outside destinations: Contributor Insights reads the same space-delimited records.
    const fields = Object.fromEntries(columns.map((name, i) => [String(i + 1), name]));
    this.insightRule = new cloudwatch.CfnInsightRule(this, 'Destinations', {
      ruleName: `${Stack.of(this).stackName}-${this.node.addr.slice(0, 8)}-egress-destinations`.slice(0, 128),
      ruleState: 'ENABLED',
      ruleBody: Stack.of(this).toJsonString({
        Schema: { Name: 'CloudWatchLogRule', Version: 1 },
        LogGroupNames: [props.flowLogGroup.logGroupName],
        LogFormat: 'CLF',
        Fields: fields,
        Contribution: {
          Keys: ['dstAddr'],
          // Contributor Insights filters cannot exclude address prefixes: the few internal peers
          // (load balancer nodes, the DNS resolver) count too, which the ceiling allows for.
          Filters: [{ Match: 'flowDirection', In: ['egress'] }, { Match: 'action', In: ['ACCEPT'] }],
        },
        AggregateOn: 'Count',
      }),
    });
    const destinations = new cloudwatch.MathExpression({
      expression: `INSIGHT_RULE_METRIC("${this.insightRule.attrRuleName}", "UniqueContributors")`,
      period: PERIOD,
      label: 'Distinct destinations of the web tier',
    });
    this.destinationsAlarm = new cloudwatch.Alarm(this, 'DestinationsAlarm', {
      alarmDescription: `The web tier talked to more than ${o.maxDestinations} distinct destinations in 5 minutes: possible exfiltration or a compromised host scanning`,
      metric: destinations,
      threshold: o.maxDestinations,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const alertFilter = new logs.MetricFilter(this, 'SensorAlerts', {
      logGroup: props.sensorLogGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.event_type', '=', 'alert'),
        logs.FilterPattern.numberValue('$.alert.severity', '<=', 2),
      ),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'SensorAlerts',
      metricValue: '1',
      defaultValue: 0,
    });
    this.sensorAlerts = alertFilter.metric({ statistic: 'Sum', period: PERIOD });
    this.sensorAlertAlarm = new cloudwatch.Alarm(this, 'SensorAlertAlarm', {
      alarmDescription: 'The sensors raised high or medium severity alerts on traffic the edge and host layers let through',
      metric: this.sensorAlerts,
      threshold: o.sensorAlertThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.alarmAction) {
      for (const alarm of [this.egressAlarm, this.destinationsAlarm, this.sensorAlertAlarm]) alarm.addAlarmAction(props.alarmAction);
    }
  }
}
