import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LogArchive } from './log-archive';
import { DefenceLayer } from '../core/defence-layer';
import { ChatterSignal } from '../core/heartbeat';
import { chatterMetric } from '../core/log-chatter';
import { ILogDeliveryPath, ILogDestination } from '../core/log-destination';
import { PropValidator } from '../core/validation-error';
import { Heartbeat, HeartbeatCheck } from '../heartbeat';

export interface LogDeliveryHeartbeatProps {
  /** The archive whose delivery paths are watched (a `LogArchive` or one imported from another account). */
  readonly destination: ILogDestination;
  /**
   * The layer's name: log delivery is the archive's control, so by default it
   * is the `archive` layer (one layer with the `LogArchive`, even in another stack).
   * @default LogArchive.LAYER_NAME
   */
  readonly layerName?: string;
  /** How often it runs. @default Duration.minutes(1) */
  readonly interval?: Duration;
  /** The oldest record of a stream may wait this long, from 60 to 3,600 seconds. @default Duration.minutes(15) */
  readonly maxFreshness?: Duration;
  /** Records per 5 minutes below which a stream's chatter is an alarm. @default 1 */
  readonly chatterFloor?: number;
}

/**
 * The log delivery control's heartbeat, in the workload's account: every
 * delivery path created through the archive (each layer's own stream) is
 * ACTIVE, delivers within `maxFreshness`, and had no failed delivery to the
 * archive in the last 15 minutes. Chatter: each steady stream's incoming records.
 * Its own results go to the archive through a path of its own.
 *
 * Create it after the layers (their paths must exist); a path created later
 * is a synth error.
 */
export class LogDeliveryHeartbeat extends DefenceLayer {
  /** The heartbeat (hand it to `DefenceWatch.watch()`). */
  public readonly heartbeat: Heartbeat;
  /** The heartbeat's own path into the archive. */
  public readonly deliveryPath: ILogDeliveryPath;

  constructor(scope: Construct, id: string, props: LogDeliveryHeartbeatProps) {
    super(scope, id, { layerName: props.layerName ?? LogArchive.LAYER_NAME });
    const v = new PropValidator(this);
    v.check(props.chatterFloor === undefined || props.chatterFloor >= 0, 'chatterFloor', props.chatterFloor, '0 or more records per 5 minutes');
    v.throwIfInvalid();
    this.deliveryPath = props.destination.addDeliveryPath(this, 'HeartbeatLogs', { pathName: 'heartbeat' });
    const paths = props.destination.deliveryPaths;
    const floor = props.chatterFloor ?? 1;
    // Occasional paths (alarm notifications) have no chatter to watch, only their freshness.
    const chatter: ChatterSignal[] = paths.filter(path => path.steady).map(path => ({
      label: `records into ${path.prefix}`,
      metric: chatterMetric('AWS/Firehose', 'IncomingRecords', { DeliveryStreamName: path.deliveryStreamName }),
      floor,
      sources: [path],
    }));
    this.heartbeat = new Heartbeat(this, 'Heartbeat', {
      checks: paths.map(path => HeartbeatCheck.deliveryStreamFresh(path, props.maxFreshness)),
      interval: props.interval,
      deliveryPath: this.deliveryPath,
      chatter,
    });
    this.node.addValidation({
      validate: () => props.destination.deliveryPaths.filter(p => !paths.includes(p)).map(p =>
        `${this.node.path}: the delivery path '${p.node.path}' (${p.prefix}) was created after the LogDeliveryHeartbeat, which does not watch it: `
        + 'create the LogDeliveryHeartbeat after every layer that delivers to the archive'),
    });
  }
}
