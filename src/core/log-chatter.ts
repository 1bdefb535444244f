import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { ChatterSignal } from './heartbeat';

// Internal (not exported from the barrel): jsii drops free functions.

/** A log group's chatter: the events CloudWatch Logs receives per 5 minutes, below `floor` an alarm. */
export function logEventsChatter(label: string, logGroup: ILogGroup, floor: number): ChatterSignal {
  return {
    label,
    metric: chatterMetric('AWS/Logs', 'IncomingLogEvents', { LogGroupName: logGroup.logGroupName }),
    floor,
    sources: [logGroup],
  };
}

/** A chatter metric: the sum per 5 minutes, the period every going-dark alarm and dashboard row reads. */
export function chatterMetric(namespace: string, metricName: string, dimensionsMap: Record<string, string>): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic: 'Sum', period: Duration.minutes(5) });
}
