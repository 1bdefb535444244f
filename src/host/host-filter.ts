import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FilteredEc2Hosts, FilteredEc2HostsProps } from './filtered-ec2-hosts';
import { FilteredFargateService, FilteredFargateServiceProps } from './filtered-fargate-service';
import { HostFilterOptions, HostHeartbeatOptions } from './host-filter-options';
import { addHostFilterSidecar } from './host-filter-sidecar';
import { createHostHeartbeat, HOST_CANARY_PATH } from './host-heartbeat';
import { DefenceLayer } from '../core/defence-layer';
import { IsolationMetadata } from '../core/isolation-metadata';
import { ILogDeliveryPath, ILogDestination } from '../core/log-destination';
import { markSubtree } from '../core/metadata-aspect';
import { PropValidator } from '../core/validation-error';
import { Heartbeat } from '../heartbeat/heartbeat';
import { hostLayout, renderHostFilter } from './render/render-host-filter';
import { resolveHostFilterOptions, ResolvedHostFilterOptions } from './render/resolve-options';

export interface HostFilterProps extends HostFilterOptions {
  /**
   * Where the host layer ships its logs: a delivery path of its own is created
   * inside the layer, and the layer's log group is subscribed to it.
   * @default - logs stay in the layer's log group (DefenceInDepth-RemoteLoggingPerLayer fails)
   */
  readonly logDestination?: ILogDestination;
  /** Retention of the layer's log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Name of the layer. @default 'host' */
  readonly layerName?: string;
}


/** Options of `HostFilter.addSidecar`. */
export interface HostFilterSidecarProps {
  /** The application's container: it must listen on the filter's `appPort` and publish no port of its own. */
  readonly appContainer: ecs.ContainerDefinition;
  /** Hard memory limit of the filter container. @default - none (shares the task's memory) */
  readonly memoryLimitMiB?: number;
}

/**
 * The host layer: a ModSecurity + OWASP CRS filter (nginx, Debian 12 packages)
 * in front of the application on the web host itself, rendered from typed
 * props. The same files run on EC2 hosts (`addEc2Hosts`), in a Fargate sidecar
 * (`addSidecar`) and locally (`npx cdk-defence-in-depth host-filter serve`).
 *
 * It enforces (`SecRuleEngine On`) unless `detectionOnly` is set, answers a
 * block with 403 and the header `x-defence-layer: host`, writes a JSON audit
 * log, and fails closed: files that do not load keep nginx down.
 */
export class HostFilter extends DefenceLayer {
  /** The heartbeat's default canary attack: a SQL injection in the query string. */
  public static readonly CANARY_PATH = HOST_CANARY_PATH;
  /** The rendered files for a Debian host or the sidecar image (name → content). */
  public readonly files: Record<string, string>;
  /** The layer's log group: access log, audit log and error log of every host. */
  public readonly logGroup: logs.LogGroup;
  /** The layer's own path into the log archive, when `logDestination` is given. */
  public readonly deliveryPath?: ILogDeliveryPath;
  /** Port the filter listens on: the only one the load balancer may reach. */
  public readonly listenPort: number;
  /** Port of the application on localhost. */
  public readonly appPort: number;
  /** Health-check path (goes through the filter). */
  public readonly healthCheckPath: string;
  /** Whether the filter only logs (`detectionOnly`). */
  public readonly detectionOnly: boolean;
  private readonly resolved: ResolvedHostFilterOptions;
  private heartbeat?: Heartbeat;

  constructor(scope: Construct, id: string, props: HostFilterProps = {}) {
    super(scope, id, { layerName: props.layerName ?? 'host' });
    this.resolved = resolveHostFilterOptions(this, props);
    this.files = renderHostFilter(this.resolved, hostLayout());
    this.listenPort = this.resolved.listenPort;
    this.appPort = this.resolved.appPort;
    this.healthCheckPath = this.resolved.healthCheckPath;
    this.detectionOnly = this.resolved.detectionOnly;
    if (this.detectionOnly) {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:host-filter-detection-only',
        'The host filter only logs (detectionOnly: true): attacks that pass the edge reach the application. DefenceInDepth-HostFilterEnforcing fails.');
    }

    if (props.logDestination) this.deliveryPath = props.logDestination.addDeliveryPath(this, 'LogDelivery');
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.deliveryPath?.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.deliveryPath?.addLogGroup(this.logGroup);
  }

  /** Debian 12 web hosts in an Auto Scaling group, each running the filter in front of the app. */
  public addEc2Hosts(id: string, props: FilteredEc2HostsProps): FilteredEc2Hosts {
    const hosts = new FilteredEc2Hosts(this, id, props, this);
    this.markFilter(hosts);
    return hosts;
  }

  /**
   * A Fargate service whose tasks run the filter as a sidecar in front of the
   * app container (`addSidecar`), with ECS Exec as the only admin path. Its
   * image is built from `debian:bookworm-slim` (Docker is needed at deploy time).
   */
  public addFargateService(id: string, props: FilteredFargateServiceProps): FilteredFargateService {
    const runtime = {
      listenPort: this.listenPort,
      appPort: this.appPort,
      logGroup: this.logGroup,
      logKey: this.deliveryPath?.encryptionKey,
      addSidecar: (task: ecs.FargateTaskDefinition, appContainer: ecs.ContainerDefinition, memoryLimitMiB: number) =>
        this.addSidecar(task, { appContainer, memoryLimitMiB }),
    };
    const service = new FilteredFargateService(this, id, props, runtime);
    this.markFilter(service);
    return service;
  }

  /**
   * Adds the filter as a sidecar container to a Fargate task: the app container
   * is reached only through it. Its image is built from `debian:bookworm-slim`
   * with the same packages and files (Docker is needed at deploy time).
   */
  public addSidecar(taskDefinition: ecs.FargateTaskDefinition, props: HostFilterSidecarProps): ecs.ContainerDefinition {
    const container = addHostFilterSidecar(this, taskDefinition, props);
    this.markFilter(taskDefinition);
    return container;
  }

  /**
   * Adds the host layer's heartbeat, in this layer: inside the VPC, straight
   * to every web host's filter port (bypassing the edge), a canary attack the
   * host filter itself must block (403 with `x-defence-layer: host`) and a
   * benign request that must pass; a filter in DetectionOnly, or a host
   * without its filter, fails it. Also checks that the layer's logs arrive.
   * Hand it to `DefenceWatch.watch()`.
   */
  public addHeartbeat(options: HostHeartbeatOptions): Heartbeat {
    const v = new PropValidator(this);
    v.check(this.heartbeat === undefined, 'addHeartbeat()', 'called twice', 'one heartbeat per host layer (give it ec2Hosts and fargateService together)');
    v.throwIfInvalid();
    this.heartbeat = createHostHeartbeat(this, options, { listenPort: this.listenPort, logGroup: this.logGroup, deliveryPath: this.deliveryPath });
    return this.heartbeat;
  }

  /** @internal The files for a layout: `systemd` hosts or the `container` sidecar. */
  public _render(kind: 'systemd' | 'container'): Record<string, string> {
    return renderHostFilter(this.resolved, hostLayout(kind));
  }

  /** Records where the filter runs and its engine mode, for the policy pack. */
  private markFilter(scope: Construct): void {
    const entry = { ruleEngine: this.detectionOnly ? 'DetectionOnly' : 'On', layer: this.layerName };
    markSubtree(scope, IsolationMetadata.HOST_FILTER, () => entry);
    markSubtree(scope, IsolationMetadata.ROLE, () => 'web-host');
  }
}
