import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { ChatterSignal } from './heartbeat';

// Internal (not exported from the barrel): jsii drops free functions.

/** A log group's chatter: the events CloudWatch Logs receives per 5 minutes, below `floor` an alarm. */
export function logEventsChatter(label: string, logGroup: ILogGroup, floor: number): ChatterSignal {
  return {
    label,
    metric: new cloudwatch.Metric({
      namespace: 'AWS/Logs',
      metricName: 'IncomingLogEvents',
      dimensionsMap: { LogGroupName: logGroup.logGroupName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    }),
    floor,
    sources: [logGroup],
  };
}
