import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { RouteAuthentication } from './route-authentication';
import { PropValidator } from '../core/validation-error';

/** A path (and method) allowlist entry of the service: what the load balancer forwards, and how it authenticates. */
export interface ServiceRoute {
  /** Load balancer path patterns (`*` and `?` wildcards, case-sensitive), e.g. `/api/*`. */
  readonly pathPatterns: string[];
  /** HTTP methods, upper case. @default - every method */
  readonly methods?: string[];
  /** Authentication on the load balancer before forwarding. @default - none */
  readonly authentication?: RouteAuthentication;
}

/** Mutual TLS: clients present a certificate that the load balancer verifies against a trust store. */
export interface ServiceMutualTlsOptions {
  /** The trust store (CA bundle) client certificates are verified against. */
  readonly trustStore: elbv2.ITrustStore;
  /**
   * Port of the mutual-TLS listener. It is a listener of its own (same web ACL,
   * same hosts, same routes) so the heartbeats, which carry no client
   * certificate, keep proving the layers on port 443.
   * @default 8443
   */
  readonly port?: number;
}

export interface ServiceFrontDoorProps {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly certificate?: acm.ICertificate;
  readonly deletionProtection: boolean;
  /** The web hosts (or tasks) and the filter port they listen on. */
  readonly targets: elbv2.IApplicationLoadBalancerTarget[];
  readonly port: number;
  readonly healthCheckPath: string;
  /** Allowlist; undefined forwards every path and method. */
  readonly routes?: ServiceRoute[];
  readonly mutualTls?: ServiceMutualTlsOptions;
  /** Paths the heartbeats send through the load balancer: always forwarded (GET), whatever the routes. */
  readonly heartbeatPaths: string[];
}

/** The fixed answer to a request outside the routes: it names the layer (the load balancer is the host layer's front door). */
export const ROUTE_NOT_ALLOWED_BODY = '{"blocked":true,"layer":"host","reason":"path or method not allowed by the load balancer"}';

const PATH_PATTERN = /^\/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/;
const METHOD = /^[A-Z_-]{1,40}$/;

/**
 * The service's internet-facing Application Load Balancer: HTTPS with a
 * modern TLS policy (HTTP redirected), invalid headers dropped, strictest
 * desync mitigation; optionally an allowlist of paths and methods (anything
 * else gets 403 on the load balancer), authentication per route (OIDC,
 * Cognito, JWT) and a mutual-TLS listener.
 */
export class ServiceFrontDoor extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The listener the heartbeats and clients use (443, or 80 for a demo). */
  public readonly listener: elbv2.ApplicationListener;
  /** The mutual-TLS listener, when configured. */
  public readonly mutualTlsListener?: elbv2.ApplicationListener;

  constructor(scope: Construct, id: string, props: ServiceFrontDoorProps) {
    super(scope, id);
    validate(this, props);
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: props.vpcSubnets,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'An internet-facing web service: the listeners are open to everyone by design, and the edge layer\'s web ACL filters every request before it reaches them.',
    });
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'WebHosts', {
      vpc: props.vpc,
      port: props.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: props.targets,
      healthCheck: { path: props.healthCheckPath, healthyHttpCodes: '200-399', interval: Duration.seconds(15) },
      deregistrationDelay: Duration.seconds(30),
    });

    if (props.certificate) {
      this.listener = this.addHttpsListener('Https', 443, props);
      const redirect = this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
      Validations.of(redirect).acknowledge({
        id: 'NIST.800.53.R5-ELBv2ACMCertificateRequired',
        reason: 'The HTTP listener only redirects to HTTPS; it serves nothing.',
      });
      if (props.mutualTls) this.mutualTlsListener = this.addHttpsListener('MutualTls', props.mutualTls.port ?? 8443, props, props.mutualTls);
    } else {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:service-http-only',
        'The service serves plain HTTP (allowHttpOnlyForDemo): credentials and sessions cross the internet in clear text. Give a certificate and a domainName for anything but a demo.');
      this.listener = this.loadBalancer.addListener('Http', { port: 80, open: true, defaultAction: this.defaultAction(props) });
      this.addRoutes(this.listener, props);
    }
  }

  private addHttpsListener(id: string, port: number, props: ServiceFrontDoorProps, mutualTls?: ServiceMutualTlsOptions): elbv2.ApplicationListener {
    const listener = this.loadBalancer.addListener(id, {
      port,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [props.certificate!],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: true,
      defaultAction: this.defaultAction(props),
      mutualAuthentication: mutualTls ? {
        mutualAuthenticationMode: elbv2.MutualAuthenticationMode.VERIFY,
        trustStore: mutualTls.trustStore,
        ignoreClientCertificateExpiry: false,
      } : undefined,
    });
    this.addRoutes(listener, props);
    return listener;
  }

  /** Without routes every request is forwarded; with routes, only theirs, and the rest gets 403 here. */
  private defaultAction(props: ServiceFrontDoorProps): elbv2.ListenerAction {
    if (!props.routes) return elbv2.ListenerAction.forward([this.targetGroup]);
    return elbv2.ListenerAction.fixedResponse(403, { contentType: 'application/json', messageBody: ROUTE_NOT_ALLOWED_BODY });
  }

  private addRoutes(listener: elbv2.ApplicationListener, props: ServiceFrontDoorProps): void {
    if (!props.routes) return;
    const forward = elbv2.ListenerAction.forward([this.targetGroup]);
    // The heartbeats' own paths first (exact, GET), so an allowlist never silences them.
    props.heartbeatPaths.forEach((path, i) => listener.addAction(`Heartbeat${i}`, {
      priority: i + 1,
      conditions: [elbv2.ListenerCondition.pathPatterns([path]), elbv2.ListenerCondition.httpRequestMethods(['GET'])],
      action: forward,
    }));
    props.routes.forEach((route, i) => {
      const conditions = [elbv2.ListenerCondition.pathPatterns(route.pathPatterns)];
      if (route.methods) conditions.push(elbv2.ListenerCondition.httpRequestMethods(route.methods));
      listener.addAction(`Route${i}`, {
        priority: 10 * (i + 1),
        conditions,
        action: route.authentication ? route.authentication._action(forward) : forward,
      });
    });
  }
}

function validate(scope: Construct, props: ServiceFrontDoorProps): void {
  const v = new PropValidator(scope);
  const routes = props.routes ?? [];
  v.check(props.routes === undefined || (routes.length >= 1 && routes.length <= 90), 'routes', `${routes.length} routes`, '1 to 90 routes (or none: forward everything)');
  routes.forEach((route, i) => {
    const values = route.pathPatterns.length + (route.methods?.length ?? 0);
    v.check(route.pathPatterns.length >= 1 && values <= 5, `routes[${i}]`, `${route.pathPatterns.length} path patterns and ${route.methods?.length ?? 0} methods`,
      'at least one path pattern, and at most 5 path patterns and methods together (a load balancer rule\'s condition values)');
    for (const p of route.pathPatterns) v.matches(`routes[${i}].pathPatterns`, p, PATH_PATTERN, 'a path starting with /, up to 128 characters of A-Z a-z 0-9 _ - . $ / ~ " \' @ : + & * ?');
    for (const m of route.methods ?? []) v.matches(`routes[${i}].methods`, m, METHOD, 'an upper-case HTTP method such as GET or POST');
    const auth = route.authentication;
    if (auth) {
      v.checkDescribed(props.certificate !== undefined, `routes[${i}].authentication`, `${auth.kind} without a certificate`,
        'authentication on the HTTPS listener only: give certificate and domainName');
      for (const url of auth.urls) v.matches(`routes[${i}].authentication`, url, /^https:\/\/[^\s]+$/, `https URLs for the ${auth.kind} issuer and endpoints`);
    }
  });
  if (props.mutualTls) {
    v.checkDescribed(props.certificate !== undefined, 'mutualTls', 'set without a certificate', 'mutual TLS on an HTTPS listener: give certificate and domainName');
    const port = props.mutualTls.port ?? 8443;
    v.check(Number.isInteger(port) && port >= 1 && port <= 65535 && port !== 80 && port !== 443, 'mutualTls.port', port,
      'a port from 1 to 65535 other than 80 and 443 (those serve the heartbeats, which carry no client certificate)');
  }
  v.throwIfInvalid();
}
