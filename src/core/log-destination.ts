import { Duration, Size } from 'aws-cdk-lib';
import { ApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { IRole } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { IFilterPattern, ILogGroup } from 'aws-cdk-lib/aws-logs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';

/** What a layer asks for when it requests its own delivery path into a log destination. */
export interface LogDeliveryOptions {
  /**
   * The path's name inside the layer's prefix: objects land under
   * `<layerName>/<pathName>/`. Lowercase letters, digits and hyphens.
   * @default 'logs'
   */
  readonly pathName?: string;

  /**
   * The path carries AWS WAF logs: the stream is named `aws-waf-logs-...`
   * (WAF only delivers to streams with that prefix) and compresses records
   * with GZIP (WAF sends them uncompressed).
   * @default false
   */
  readonly carriesWafLogs?: boolean;

  /**
   * How long the stream buffers records before writing an object.
   * From 0 to 900 seconds.
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How much the stream buffers before writing an object. From 1 to 128 MiB.
   * @default Size.mebibytes(5)
   */
  readonly bufferingSize?: Size;

  /**
   * Records flow all the time (access logs, heartbeat results): the log
   * delivery heartbeat alarms when they drop below their usual band. Set
   * `false` for a path that carries occasional events (alarm notifications).
   * @default true
   */
  readonly steady?: boolean;

}

/** Options for subscribing a log group to a delivery path. */
export interface LogSubscriptionOptions {
  /**
   * Which events of the log group to deliver.
   * @default - every event
   */
  readonly filterPattern?: IFilterPattern;
}

/**
 * One layer's own path into a log destination. Nothing in it is shared with
 * another layer: its stream, roles and key belong to the layer's subtree.
 */
export interface ILogDeliveryPath extends IConstruct {
  /** The layer this path belongs to. */
  readonly layerName: string;
  /** The object key prefix the path writes under, e.g. `edge/waf/`. */
  readonly prefix: string;
  /** Whether records flow all the time (see `LogDeliveryOptions.steady`). */
  readonly steady: boolean;
  /** ARN of the delivery stream. */
  readonly deliveryStreamArn: string;
  /** Name of the delivery stream. */
  readonly deliveryStreamName: string;
  /**
   * The layer's own key: it encrypts the stream at rest, and the layer's log
   * groups should use it too (CloudWatch Logs may use it).
   */
  readonly encryptionKey: IKey;
  /** The role the stream writes with: `PutObject` under `prefix` only, no read. */
  readonly deliveryRole: IRole;

  /** Delivers every (or every matching) event of `logGroup` through this path. */
  addLogGroup(logGroup: ILogGroup, options?: LogSubscriptionOptions): void;

  /**
   * Passes each batch of records through `fn` before writing it (at most one
   * per path). The function must hand every record back unchanged with result
   * `Ok`: it reads, it does not filter. The path's role may invoke it, and it
   * must belong to the path's layer. The edge's decoy quarantine reads its WAF logs this way.
   */
  addRecordProcessor(fn: IFunction): void;
}

/** Where a CloudTrail trail delivers its log files in a log destination. */
export interface CloudTrailDelivery {
  /** The bucket. */
  readonly bucket: IBucket;
  /** The object key prefix (the trail's `S3KeyPrefix`), of the destination's own choosing. */
  readonly objectKeyPrefix: string;
  /** The key (ARN or alias ARN) the trail encrypts its log files with: the only one the destination accepts. */
  readonly encryptionKeyArn: string;
}

/**
 * Somewhere a layer's logs end up, out of the layer's reach. Implemented by
 * `LogArchive` and by archives imported from another stack or account.
 */
export interface ILogDestination {
  /** Every delivery path created through this destination so far, in order. */
  readonly deliveryPaths: ILogDeliveryPath[];

  /**
   * Creates a new delivery path for the layer that encloses `scope`, as a child
   * of `scope` (so it belongs to that layer).
   *
   * @throws if `scope` is outside every `DefenceLayer`, or the options are invalid.
   */
  addDeliveryPath(scope: Construct, id: string, options?: LogDeliveryOptions): ILogDeliveryPath;

  /**
   * Turns on access logs of an Application Load Balancer that belongs to a
   * layer, delivered by Elastic Load Balancing into the destination under
   * `<layerName>/alb/`.
   *
   * @throws if the destination has no access-log bucket or the load balancer is outside every layer.
   */
  enableAlbAccessLogs(loadBalancer: ApplicationLoadBalancer): void;

  /**
   * Where a CloudTrail trail of this account (or of a trusted account) delivers
   * into the destination: its own prefix, outside every layer's, with the
   * destination's key.
   */
  cloudTrailDelivery(): CloudTrailDelivery;
}
