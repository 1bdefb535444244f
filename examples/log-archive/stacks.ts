import { Stack, StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DefenceLayer, DefenceWatch, EdgeFilter, ILogArchive, LogArchive, LogArchiveProps, LogDeliveryHeartbeat } from '../../src';

/** The log-archive account: the archive and nothing else. */
export class ArchiveStack extends Stack {
  public readonly archive: LogArchive;

  constructor(scope: Construct, id: string, props: StackProps & { readonly archive?: LogArchiveProps }) {
    super(scope, id, props);
    this.archive = new LogArchive(this, 'LogArchive', props.archive);
  }
}

export interface WorkloadStackProps extends StackProps {
  /** The archive: the construct itself in the same account, or `LogArchive.fromArchiveAttributes` from another. */
  readonly archive: (scope: Construct) => ILogArchive;
  /** ARN of the workload's Application Load Balancer, which the edge layer protects. */
  readonly loadBalancerArn: string;
  /** The public endpoint behind the edge, which the edge's heartbeat probes. */
  readonly endpoint: string;
  /** Who gets the going-dark alarms. */
  readonly alarmEmail: string;
}

/**
 * A workload with two layers of defence that each ship their logs into the
 * archive through their own path: the real edge layer (`EdgeFilter`, a WAFv2
 * web ACL in front of the workload's existing load balancer) and a stand-in
 * host layer (the host filter needs web hosts; see test/edge for both together).
 * The edge and the log delivery prove themselves with heartbeats, watched by
 * an independent watch layer (going-dark alarms, dashboard, alarm topic).
 */
export class WorkloadStack extends Stack {
  public readonly layers: DefenceLayer[];
  public readonly watch: DefenceWatch;

  constructor(scope: Construct, id: string, props: WorkloadStackProps) {
    super(scope, id, props);
    const archive = props.archive(this);

    const edge = new EdgeFilter(this, 'EdgeLayer', {
      logDestination: archive,
      pathRateLimits: [{ name: 'login', limit: 100, pathPrefixes: ['/login'], methods: ['POST'] }],
    });
    edge.protect('ExistingLoadBalancer', props.loadBalancerArn);

    this.layers = [edge, ...['host'].map(layerName => {
      const layer = new DefenceLayer(this, `${layerName[0].toUpperCase()}${layerName.slice(1)}Layer`, { layerName });
      const delivery = archive.addDeliveryPath(layer, 'LogDelivery');
      const logGroup = new logs.LogGroup(layer, 'Logs', {
        encryptionKey: delivery.encryptionKey,
        retention: logs.RetentionDays.ONE_MONTH,
      });
      delivery.addLogGroup(logGroup);
      return layer;
    })];

    // Heartbeats prove each control on its own; the watch layer alarms when one goes dark.
    const edgeHeartbeat = edge.addHeartbeat({ endpoint: props.endpoint });
    this.watch = new DefenceWatch(this, 'WatchLayer', { emails: [props.alarmEmail], logDestination: archive });
    // Last: it watches every delivery path created before it.
    const logDelivery = new LogDeliveryHeartbeat(this, 'LogDeliveryHeartbeat', { destination: archive });
    this.watch.watch(edgeHeartbeat);
    this.watch.watch(logDelivery.heartbeat);
  }
}
