import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { ServiceFrontDoor, ServiceMutualTlsOptions, ServiceRoute } from './service-front-door';
import { SERVICE_SUBNETS, serviceVpc } from './service-vpc';
import { ILogArchive, LogArchive, LogDeliveryHeartbeat } from '../archive';
import { PropValidator } from '../core/validation-error';
import { EdgeFilter, EdgeFilterProps } from '../edge';
import { DefenceWatch, DefenceWatchProps, Heartbeat } from '../heartbeat';
import { Ec2HostsOptions, FargateHostsOptions, FilteredEc2Hosts, FilteredFargateService, HostFilter, HostFilterOptions } from '../host';
import { TrafficMonitor, TrafficMonitorOptions } from '../monitor';
import { MONITOR_CANARY_PATH } from '../monitor/render/sensor-config';

export interface DefendedWebServiceProps {
  /**
   * The VPC. It needs four subnet groups: `public` (load balancer, the web
   * tier's NAT gateways), `web` (private with egress: the hosts),
   * `monitor-public` (the monitor's own NAT gateways) and `sensors` (isolated).
   * @default - a new VPC with those groups over two zones
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The log archive, new or existing (`LogArchive.fromArchiveAttributes` for one
   * in another account).
   * @default - a new LogArchive in this stack
   */
  readonly logArchive?: ILogArchive;

  /** The certificate of `domainName` for the HTTPS listener. @default - none: give allowHttpOnlyForDemo */
  readonly certificate?: acm.ICertificate;

  /**
   * The name clients use (covered by `certificate`). The heartbeats probe
   * `https://<domainName>`; point its DNS record at `loadBalancer`.
   * @default - the load balancer's DNS name, over HTTP (demo only)
   */
  readonly domainName?: string;

  /**
   * Serve plain HTTP without a certificate. For a demo only: credentials and
   * sessions cross the internet in clear text; the synth warns.
   * @default false
   */
  readonly allowHttpOnlyForDemo?: boolean;

  /** Deletion protection of the load balancer. @default true */
  readonly loadBalancerDeletionProtection?: boolean;

  /** The edge layer's props (`logDestination` is the service's archive). @default - EdgeFilter's defaults */
  readonly edge?: EdgeFilterProps;
  /** The host filter's options. @default - HostFilter's defaults */
  readonly hostFilter?: HostFilterOptions;
  /** The web hosts on EC2. @default - two t3.small Debian 12 hosts (unless `fargate` is given) */
  readonly hosts?: Ec2HostsOptions;
  /**
   * Run the web tier on Fargate instead of EC2: the app's image with the host
   * filter as a sidecar. Traffic Mirroring cannot see Fargate tasks: the monitor
   * layer covers them with the web subnets' flow logs and, with
   * `monitor.enableGuardDuty`, GuardDuty Runtime Monitoring (the report says so).
   * @default - EC2 hosts
   */
  readonly fargate?: FargateHostsOptions;

  /**
   * Allowlist of paths and methods: the load balancer forwards only these
   * (each optionally authenticated: OIDC, Cognito or JWT) and answers anything
   * else with 403 itself. The heartbeats' paths are always forwarded.
   * @default - every path and method is forwarded
   */
  readonly routes?: ServiceRoute[];
  /** A mutual-TLS listener (clients verified against a trust store). Needs `certificate`. @default - none */
  readonly mutualTls?: ServiceMutualTlsOptions;
  /** The benign path the edge heartbeat requests through the endpoint (GET, must answer 2xx/3xx). @default '/' */
  readonly heartbeatPath?: string;
  /** The monitor layer's options. @default - TrafficMonitor's defaults */
  readonly monitor?: TrafficMonitorOptions;
  /** The watch layer's props (`logDestination` is the service's archive). @default - DefenceWatch's defaults */
  readonly watch?: DefenceWatchProps;
}

/**
 * The whole defended web service in one construct: an internet-facing
 * Application Load Balancer (HTTPS, HTTP redirected) in front of Debian 12
 * web hosts that run the host filter, the edge layer's web ACL on the load
 * balancer, the hidden monitor layer, every layer's heartbeat, the watch
 * layer and the log archive. Each layer wires itself; every layer is a public
 * property. The isolation check, the report and the layers' cdk-nag
 * acknowledgements apply as for the layers on their own.
 */
export class DefendedWebService extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly logArchive: ILogArchive;
  public readonly edge: EdgeFilter;
  public readonly host: HostFilter;
  /** The EC2 web hosts (unless `fargate`). */
  public readonly hosts?: FilteredEc2Hosts;
  /** The Fargate web service (with `fargate`). */
  public readonly fargateService?: FilteredFargateService;
  public readonly monitor: TrafficMonitor;
  public readonly watch: DefenceWatch;
  public readonly logDelivery: LogDeliveryHeartbeat;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The load balancer, its listeners, routes and target group. */
  public readonly frontDoor: ServiceFrontDoor;
  /** The URL clients and heartbeats use. */
  public readonly endpoint: string;
  /** The heartbeats, one per control. */
  public readonly heartbeats: Heartbeat[];

  constructor(scope: Construct, id: string, props: DefendedWebServiceProps = {}) {
    super(scope, id);
    const v = new PropValidator(this);
    v.checkDescribed(props.certificate !== undefined || props.allowHttpOnlyForDemo === true, 'certificate', 'undefined',
      'a certificate for the HTTPS listener (or allowHttpOnlyForDemo: true, for a demo)');
    v.checkDescribed(props.certificate === undefined || props.domainName !== undefined, 'domainName', 'undefined (with a certificate)',
      'the name the certificate covers: the heartbeats probe https://<domainName>');
    v.matches('domainName', props.domainName, /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lowercase DNS name such as app.example.com');
    v.check(props.edge?.logDestination === undefined, 'edge.logDestination', 'set', 'nothing: the edge ships to the service\'s logArchive');
    v.check(props.watch?.logDestination === undefined, 'watch.logDestination', 'set', 'nothing: the watch layer ships to the service\'s logArchive');
    v.checkDescribed(props.hosts === undefined || props.fargate === undefined, 'hosts, fargate', 'both set', 'one of them: EC2 hosts or a Fargate service');
    // ACM certificates are regional: a load balancer can use only one of its own region.
    const certArn = props.certificate?.certificateArn;
    const stackRegion = Stack.of(this).region;
    if (certArn && !Token.isUnresolved(certArn) && !Token.isUnresolved(stackRegion)) {
      const certRegion = certArn.split(':')[3];
      v.checkDescribed(certRegion === stackRegion, 'certificate', `${certArn} (in ${certRegion})`,
        `a certificate of the load balancer's region, ${stackRegion} (ACM certificates are regional)`);
    }
    v.matches('heartbeatPath', props.heartbeatPath, /^\/[A-Za-z0-9_\-.$/~@:+]{0,127}$/, 'a plain path starting with / (no wildcard, no query)');
    v.throwIfInvalid();

    this.vpc = props.vpc ?? this.newVpc();
    const archive = props.logArchive ?? this.newArchive();
    this.logArchive = archive;

    this.edge = new EdgeFilter(this, 'Edge', { ...props.edge, logDestination: archive });
    this.host = new HostFilter(this, 'Host', { ...props.hostFilter, logDestination: archive });
    const web = { vpc: this.vpc, vpcSubnets: { subnetGroupName: SERVICE_SUBNETS.web } };
    if (props.fargate) this.fargateService = this.host.addFargateService('WebService', { ...props.fargate, ...web });
    else this.hosts = this.host.addEc2Hosts('WebHosts', { ...props.hosts, ...web });

    this.frontDoor = new ServiceFrontDoor(this, 'FrontDoor', {
      vpc: this.vpc,
      vpcSubnets: { subnetGroupName: SERVICE_SUBNETS.public },
      certificate: props.certificate,
      deletionProtection: props.loadBalancerDeletionProtection ?? true,
      targets: [this.fargateService?.loadBalancerTarget ?? this.hosts!.autoScalingGroup],
      port: this.host.listenPort,
      healthCheckPath: this.host.healthCheckPath,
      routes: props.routes,
      mutualTls: props.mutualTls,
      heartbeatPaths: [props.heartbeatPath ?? '/', MONITOR_CANARY_PATH],
    });
    // The load balancer is the web tier's front door: it belongs to the host layer with the hosts it
    // targets (the edge protects it and its heartbeat only reads it), and its access logs land under host/.
    this.host.include(this.frontDoor);
    this.loadBalancer = this.frontDoor.loadBalancer;
    this.endpoint = props.certificate ? `https://${props.domainName}` : `http://${this.loadBalancer.loadBalancerDnsName}`;
    this.edge.protectLoadBalancer(this.loadBalancer);
    archive.enableAlbAccessLogs(this.loadBalancer);

    this.monitor = new TrafficMonitor(this, 'Monitor', {
      ...props.monitor,
      vpc: this.vpc,
      webSubnets: { subnetGroupName: SERVICE_SUBNETS.web },
      sensorSubnets: { subnetGroupName: SERVICE_SUBNETS.sensors },
      sensorNatSubnets: { subnetGroupName: SERVICE_SUBNETS.monitorPublic },
      logDestination: archive,
    });
    const instanceType = props.hosts?.instanceType ?? DEFAULT_INSTANCE_TYPE;
    // Without a domain name the canary goes to the load balancer's own DNS name: a read of the host layer's resource.
    if (!props.certificate) this.monitor.observe(this.loadBalancer, { reason: 'sends its canary request to the load balancer\'s DNS name (HTTP demo)' });
    if (this.hosts) this.monitor.mirrorAutoScalingGroup(this.hosts.autoScalingGroup, { instanceType });
    if (this.fargateService) this.monitor.addUnmirroredCompute(this.fargateService.service, 'The Fargate web service');

    this.heartbeats = [
      this.edge.addHeartbeat({ endpoint: this.endpoint, benignPath: props.heartbeatPath }),
      this.host.addHeartbeat({ ec2Hosts: this.hosts, fargateService: this.fargateService?.service, vpc: this.vpc }),
      this.monitor.addHeartbeat({ canaryEndpoint: this.endpoint }),
    ];
    this.watch = new DefenceWatch(this, 'Watch', { ...props.watch, logDestination: archive });
    // Last: it watches every delivery path created before it (the watch layer's included).
    this.logDelivery = new LogDeliveryHeartbeat(this, 'LogDelivery', { destination: archive });
    this.heartbeats.push(this.logDelivery.heartbeat);
    for (const heartbeat of this.heartbeats) this.watch.watch(heartbeat);
  }

  private newArchive(): ILogArchive {
    const archive = new LogArchive(this, 'LogArchive');
    Validations.of(archive).acknowledge({
      id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
      reason: 'A single-region archive by default. For a second copy, give a LogArchive of your own (logArchive) and replicate it into an Object Lock bucket in another region.',
    });
    return archive;
  }

  private newVpc(): ec2.IVpc {
    const vpc = serviceVpc(this, 'Vpc');
    const flowLogs = 'The monitor layer logs every flow of the web subnets (ALL traffic, one-minute aggregation) into its own log group and ships it '
      + 'to the archive; a VPC-wide flow log would belong to no layer and ship nowhere.';
    Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: flowLogs });
    Validations.of(vpc).acknowledge({ id: 'NIST.800.53.R5-VPCFlowLogsEnabled', reason: flowLogs });
    Validations.of(vpc).acknowledge({
      id: 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
      reason: 'Nothing of the service uses the default security group: every resource has a security group of its own layer. Closing it needs a custom resource that would belong to no layer.',
    });
    Validations.of(vpc).acknowledge({
      id: 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      reason: 'Only the public groups route to the internet gateway: they hold the internet-facing load balancer and the NAT gateways, nothing else.',
    });
    return vpc;
  }
}

const DEFAULT_INSTANCE_TYPE = ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL);
