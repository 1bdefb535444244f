import { Duration, Lazy, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CANARY_SID } from './render/resolve-monitor-options';
import { MONITOR_CANARY_PATH } from './render/sensor-config';
import { MonitorHeartbeatOptions } from './traffic-monitor-options';
import { logEventsChatter } from '../core/log-chatter';
import { ILogDeliveryPath } from '../core/log-destination';
import { PropValidator } from '../core/validation-error';
import { Heartbeat, HeartbeatCheck } from '../heartbeat';

/** What the monitor hands its heartbeat. */
export interface MonitorHeartbeatContext {
  readonly mirroredGroupNames: string[];
  readonly mirrorTargetId: string;
  readonly sensorTargetGroupArn: string;
  readonly minSensors: number;
  readonly flowLogGroup: logs.ILogGroup;
  readonly sensorLogGroup: logs.ILogGroup;
  readonly flowLogDeliveryPath: ILogDeliveryPath;
  readonly eventDeliveryPath: ILogDeliveryPath;
}

/**
 * The monitor layer's heartbeat, outside the VPC (it only calls AWS and the
 * public endpoint): every web-host interface mirrored, enough healthy
 * sensors, the sensors' alert on the canary request, flow logs and sensor logs
 * arriving, both delivery streams. Chatter: flow log and sensor log events.
 */
export function createMonitorHeartbeat(monitor: Construct, options: MonitorHeartbeatOptions, ctx: MonitorHeartbeatContext): Heartbeat {
  const v = new PropValidator(monitor);
  if (options.canaryEndpoint !== undefined && !Token.isUnresolved(options.canaryEndpoint)) {
    v.matches('canaryEndpoint', options.canaryEndpoint, /^https?:\/\/[^\s/]+$/, 'the public endpoint as scheme and host, without a path: https://app.example.com');
  }
  v.check(options.chatterFloor === undefined || options.chatterFloor >= 0, 'chatterFloor', options.chatterFloor, '0 or more log events per 5 minutes');
  v.throwIfInvalid();

  const checks = [
    // Groups mirrored after the heartbeat is added are included: the list is read at synth.
    HeartbeatCheck.mirrorSessions({
      autoScalingGroupNames: Lazy.list({ produce: () => ctx.mirroredGroupNames }),
      mirrorTargetId: ctx.mirrorTargetId,
    }),
    HeartbeatCheck.sensorsHealthy({ targetGroupArn: ctx.sensorTargetGroupArn, minHealthy: ctx.minSensors }),
    HeartbeatCheck.sensorCanary({
      sensorLogGroup: ctx.sensorLogGroup,
      signatureId: CANARY_SID,
      url: options.canaryEndpoint ? `${options.canaryEndpoint}${MONITOR_CANARY_PATH}` : undefined,
      window: options.canaryWindow,
    }),
    HeartbeatCheck.logsArriving(ctx.flowLogGroup, Duration.minutes(15)),
    HeartbeatCheck.logsArriving(ctx.sensorLogGroup, Duration.minutes(15)),
    HeartbeatCheck.deliveryStreamFresh(ctx.flowLogDeliveryPath),
    HeartbeatCheck.deliveryStreamFresh(ctx.eventDeliveryPath),
  ];
  const floor = options.chatterFloor ?? 1;
  return new Heartbeat(monitor, 'Heartbeat', {
    checks,
    interval: options.interval,
    deliveryPath: ctx.eventDeliveryPath,
    chatter: [logEventsChatter('flow log events', ctx.flowLogGroup, floor), logEventsChatter('sensor log events', ctx.sensorLogGroup, floor)],
  });
}
