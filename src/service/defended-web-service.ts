import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { SERVICE_SUBNETS, serviceVpc } from './service-vpc';
import { ILogArchive, LogArchive, LogDeliveryHeartbeat } from '../archive';
import { PropValidator } from '../core/validation-error';
import { EdgeFilter, EdgeFilterProps } from '../edge';
import { DefenceWatch, DefenceWatchProps, Heartbeat } from '../heartbeat';
import { Ec2HostsOptions, FilteredEc2Hosts, HostFilter, HostFilterOptions } from '../host';
import { TrafficMonitor, TrafficMonitorOptions } from '../monitor';

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
  /** The web hosts. @default - two t3.small Debian 12 hosts */
  readonly hosts?: Ec2HostsOptions;
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
  public readonly hosts: FilteredEc2Hosts;
  public readonly monitor: TrafficMonitor;
  public readonly watch: DefenceWatch;
  public readonly logDelivery: LogDeliveryHeartbeat;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
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
    v.throwIfInvalid();

    this.vpc = props.vpc ?? this.newVpc();
    const archive = props.logArchive ?? this.newArchive();
    this.logArchive = archive;

    this.edge = new EdgeFilter(this, 'Edge', { ...props.edge, logDestination: archive });
    this.host = new HostFilter(this, 'Host', { ...props.hostFilter, logDestination: archive });
    this.hosts = this.host.addEc2Hosts('WebHosts', { ...props.hosts, vpc: this.vpc, vpcSubnets: { subnetGroupName: SERVICE_SUBNETS.web } });

    this.loadBalancer = this.addLoadBalancer(props);
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
    this.monitor.mirrorAutoScalingGroup(this.hosts.autoScalingGroup, { instanceType: props.hosts?.instanceType ?? DEFAULT_INSTANCE_TYPE });

    this.heartbeats = [
      this.edge.addHeartbeat({ endpoint: this.endpoint }),
      this.host.addHeartbeat({ ec2Hosts: this.hosts }),
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

  private addLoadBalancer(props: DefendedWebServiceProps): elbv2.ApplicationLoadBalancer {
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      vpcSubnets: { subnetGroupName: SERVICE_SUBNETS.public },
      dropInvalidHeaderFields: true,
      deletionProtection: props.loadBalancerDeletionProtection ?? true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
    });
    // The load balancer is the web tier's front door: it belongs to the host layer with the hosts it
    // targets (the edge protects it and its heartbeat only reads it), and its access logs land under host/.
    this.host.include(alb);
    Validations.of(alb).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'An internet-facing web service: the listeners are open to everyone by design, and the edge layer\'s web ACL filters every request before it reaches them.',
    });
    const targets = {
      port: this.hosts.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.hosts.autoScalingGroup],
      healthCheck: { path: this.host.healthCheckPath, healthyHttpCodes: '200-399', interval: Duration.seconds(15) },
      deregistrationDelay: Duration.seconds(30),
    };
    if (props.certificate) {
      const https = alb.addListener('Https', {
        port: 443,
        certificates: [props.certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: true,
      });
      https.addTargets('WebHosts', targets);
      const redirect = alb.addRedirect({ sourcePort: 80, targetPort: 443 });
      Validations.of(redirect).acknowledge({
        id: 'NIST.800.53.R5-ELBv2ACMCertificateRequired',
        reason: 'The HTTP listener only redirects to HTTPS; it serves nothing.',
      });
    } else {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:service-http-only',
        'The service serves plain HTTP (allowHttpOnlyForDemo): credentials and sessions cross the internet in clear text. Give a certificate and a domainName for anything but a demo.');
      alb.addListener('Http', { port: 80, open: true }).addTargets('WebHosts', targets);
    }
    return alb;
  }
}

const DEFAULT_INSTANCE_TYPE = ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL);
