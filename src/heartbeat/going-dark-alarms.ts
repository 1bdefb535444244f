import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { IHeartbeat } from '../core/heartbeat';
import { IsolationMetadata } from '../core/isolation-metadata';
import { markSubtree } from '../core/metadata-aspect';

export interface GoingDarkAlarmsProps {
  /** The control's heartbeat. */
  readonly heartbeat: IHeartbeat;
  /** Width of the chatter band, in standard deviations. */
  readonly bandWidth: number;
  /** Failed heartbeat runs (of `heartbeatEvaluationPeriods`) that raise the alarm. */
  readonly heartbeatDatapoints: number;
  readonly heartbeatEvaluationPeriods: number;
}

/** One chatter signal's pair of alarms: below its usual band, below its absolute floor. */
export interface ChatterAlarms {
  readonly label: string;
  readonly belowBand: cloudwatch.IAlarm;
  readonly belowFloor: cloudwatch.IAlarm;
}

/**
 * A control's going-dark alarms, in the watch layer (not in the control, so a
 * control that is switched off cannot switch its own alarms off). Missing data
 * is breaching on every one: a control that stops reporting is an alarm.
 * - the heartbeat failed, or stopped running;
 * - its peers report another heartbeat silent;
 * - per chatter signal: below the anomaly band's lower edge, and below an absolute floor.
 */
export class GoingDarkAlarms extends Construct {
  public readonly heartbeatAlarm: cloudwatch.Alarm;
  public readonly silentPeersAlarm: cloudwatch.Alarm;
  public readonly chatterAlarms: ChatterAlarms[];

  constructor(scope: Construct, id: string, props: GoingDarkAlarmsProps) {
    super(scope, id);
    const hb = props.heartbeat;
    const name = `${hb.control} heartbeat (${hb.heartbeatName})`;
    this.heartbeatAlarm = new cloudwatch.Alarm(this, 'Heartbeat', {
      alarmDescription: `The ${name} failed a check or stopped running: the ${hb.control} layer may have gone dark. Its log group holds the failed check and why.`,
      metric: hb.metricHealthy(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: props.heartbeatEvaluationPeriods,
      datapointsToAlarm: props.heartbeatDatapoints,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.silentPeersAlarm = new cloudwatch.Alarm(this, 'SilentPeers', {
      alarmDescription: `The ${name} reports a silent peer heartbeat (mutual watch), or stopped reporting. Its result lines name the peer.`,
      metric: hb.metricSilentPeers(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: props.heartbeatEvaluationPeriods,
      datapointsToAlarm: props.heartbeatDatapoints,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.chatterAlarms = hb.chatter.map((signal, i) => {
      const label = signal.label;
      const belowBand = new cloudwatch.AnomalyDetectionAlarm(this, `ChatterBand${i}`, {
        alarmDescription: `${label} of the ${hb.control} layer dropped below its usual band: the layer may be going dark.`,
        metric: signal.metric,
        stdDevs: props.bandWidth,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_LOWER_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      const belowFloor = new cloudwatch.Alarm(this, `ChatterFloor${i}`, {
        alarmDescription: `${label} of the ${hb.control} layer fell below its floor (${signal.floor} per period): the layer has gone quiet.`,
        metric: signal.metric,
        threshold: signal.floor,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      return { label, belowBand, belowFloor };
    });
    // The policy pack finds going-dark alarms by this (DefenceInDepth-GoingDarkAlarmPerControl).
    const mark = (alarm: Construct, signal: string) => markSubtree(alarm, IsolationMetadata.GOING_DARK, () => ({ control: hb.control, signal }));
    mark(this.heartbeatAlarm, 'heartbeat');
    mark(this.silentPeersAlarm, 'peers');
    this.chatterAlarms.forEach(c => { mark(c.belowBand, 'chatter'); mark(c.belowFloor, 'chatter'); });
  }

  /** Every alarm, for the layer's composite. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.heartbeatAlarm, this.silentPeersAlarm, ...this.chatterAlarms.flatMap(c => [c.belowBand, c.belowFloor])];
  }
}

