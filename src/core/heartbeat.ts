import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';

/**
 * A measure of a control's normal activity ("chatter"): log events, requests
 * inspected, records delivered. When it drops below its usual band or an
 * absolute floor, the control may have gone dark.
 */
export interface ChatterSignal {
  /** Short label for alarms and the dashboard, e.g. "WAF requests". */
  readonly label: string;
  /** The metric, with its statistic and period (for example the sum per 5 minutes). */
  readonly metric: cloudwatch.IMetric;
  /** A period below this value is an alarm, whatever the band says. At least 0. */
  readonly floor: number;
  /**
   * The constructs whose resources the metric names (a log group, a web ACL, a
   * delivery stream). The watch layer declares that it observes them, read-only.
   */
  readonly sources: IConstruct[];
}

/** A metric shown in a layer's dashboard row next to its heartbeat, e.g. requests blocked and allowed. */
export interface TrafficMetric {
  /** Short label, e.g. "blocked". */
  readonly label: string;
  /** The metric, with its statistic and period. */
  readonly metric: cloudwatch.IMetric;
  /** The constructs whose resources the metric names (observed by the watch layer). */
  readonly sources: IConstruct[];
}

/**
 * A control's heartbeat: a scheduled function of the control's own layer that
 * proves the control works on its own and reports into the layer's own log
 * group. The watch layer alarms on it; peers read its log group.
 */
export interface IHeartbeat extends IConstruct {
  /** The layer the heartbeat proves (its own layer), e.g. `edge`. */
  readonly control: string;
  /** Unique name of this heartbeat: the `Heartbeat` dimension of its metrics. */
  readonly heartbeatName: string;
  /** Where the heartbeat writes its JSON results and metrics; peers read it. */
  readonly logGroup: ILogGroup;
  /** The scheduled function. */
  readonly function: IFunction;
  /** How often it runs. */
  readonly interval: Duration;
  /** The control's chatter signals (alarmed by the watch layer). */
  readonly chatter: ChatterSignal[];
  /** Traffic metrics for the control's dashboard row. */
  readonly traffic: TrafficMetric[];
  /** Names of the heartbeat's checks (the `Check` dimension of `metricCheckPassed`). */
  readonly checkNames: string[];

  /** 1 for a run where every check passed, 0 otherwise; no data when the heartbeat does not run. */
  metricHealthy(): cloudwatch.IMetric;

  /** 1 for a run where check `name` passed, 0 otherwise. */
  metricCheckPassed(name: string): cloudwatch.IMetric;

  /** How many peers a run of this heartbeat found silent. */
  metricSilentPeers(): cloudwatch.IMetric;

  /** 1 for a run of this heartbeat that found `peer` silent, 0 otherwise. */
  metricPeerSilent(peer: IHeartbeat): cloudwatch.IMetric;

  /**
   * Also reads `peer`'s log group on every run and reports the peer silent when
   * no result of it arrived lately. Declared as a read-only observes edge.
   */
  watchPeer(peer: IHeartbeat): void;
}
