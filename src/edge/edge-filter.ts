import { Annotations, Aws, CfnRule, Fn, Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CfnIPSet, CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct, IConstruct } from 'constructs';
import { DecoyQuarantine } from './decoy-quarantine';
import { AllowedRoute, DecoyOptions, EdgeHeartbeatOptions, EdgeScope, ForwardedIpOptions, PathRateLimit, RateLimit, WafLogFilter } from './edge-filter-options';
import { associationCheck, createEdgeHeartbeat, EDGE_CANARY_PATH, ProtectedResource } from './edge-heartbeat';
import { ManagedRuleGroup } from './managed-rule-group';
import { DEFAULT_DECOY_PATHS, DEFAULT_REDACTED_HEADERS, resolveEdgeOptions, ResolvedEdgeOptions } from './render/resolve-edge-options';
import { BLOCK_HEADER, EdgeIpSets, responseBodies, rulesCapacity, webAclRules } from './render/web-acl-rules';
import { DefenceLayer } from '../core/defence-layer';
import { IsolationMetadata } from '../core/isolation-metadata';
import { ILogDeliveryPath, ILogDestination } from '../core/log-destination';
import { markSubtree } from '../core/metadata-aspect';
import { PropValidator } from '../core/validation-error';
import { Heartbeat } from '../heartbeat/heartbeat';

export interface EdgeFilterProps {
  /** Name of the layer (also the value of the block header). @default 'edge' */
  readonly layerName?: string;
  /**
   * REGIONAL (load balancers, API Gateway, AppSync, Cognito, ...) or CLOUDFRONT
   * (the stack must be in us-east-1).
   * @default EdgeScope.REGIONAL
   */
  readonly scope?: EdgeScope;
  /**
   * The managed rule groups, in order. Replace the list to add optional groups
   * (`[...ManagedRuleGroup.defaults(), ManagedRuleGroup.linux()]`), pin versions or exclude rules.
   * @default ManagedRuleGroup.defaults() - core rule set, known bad inputs, SQL database, Amazon IP reputation
   */
  readonly managedRuleGroups?: ManagedRuleGroup[];
  /**
   * The limit per client IP over all requests.
   * @default 2,000 requests per 5 minutes
   */
  readonly rateLimit?: RateLimit;
  /** Tighter limits for some paths, e.g. a login page. Up to 9. @default - none */
  readonly pathRateLimits?: PathRateLimit[];
  /** Client CIDRs (IPv4 or IPv6) that are always blocked. @default - none */
  readonly ipDenyList?: string[];
  /**
   * Only client CIDRs (IPv4 or IPv6) in this list may pass; everyone else is blocked.
   * @default - any address
   */
  readonly ipAllowList?: string[];
  /** Countries (ISO 3166-1 alpha-2) whose clients are blocked. @default - none */
  readonly blockedCountries?: string[];
  /** Only clients from these countries (ISO 3166-1 alpha-2) may pass. @default - any country */
  readonly allowedCountries?: string[];
  /** Block requests with a larger body (`Size.kibibytes(8)` for instance). @default - no limit of the edge's own */
  readonly maxBodySize?: Size;
  /**
   * Allowlisting mode: only requests to these paths with these methods pass; every other request is blocked.
   * @default - no allowlisting
   */
  readonly allowedRoutes?: AllowedRoute[];
  /**
   * Decoy paths and the quarantine of whoever touches one.
   * @default - EdgeFilter.DEFAULT_DECOY_PATHS, callers quarantined for 1 hour
   */
  readonly decoys?: DecoyOptions;
  /**
   * Read the client IP from a header (behind CloudFront or another proxy).
   * Requests without the header are blocked, since WAF would skip every IP rule for them.
   * @default - the address of the connection
   */
  readonly forwardedIp?: ForwardedIpOptions;
  /**
   * Where the edge ships its WAF logs: a delivery path of its own (a Firehose stream
   * named `aws-waf-logs-*`) is created inside the layer. Needed by the decoy quarantine.
   * @default - no WAF logs (DefenceInDepth-RemoteLoggingPerLayer fails)
   */
  readonly logDestination?: ILogDestination;
  /** Request headers whose values are redacted in the logs (lowercase names). @default ['authorization', 'cookie'] */
  readonly redactedHeaders?: string[];
  /** Which requests are logged. @default WafLogFilter.ALL_REQUESTS */
  readonly logFilter?: WafLogFilter;
  /**
   * What the edge's own alarms (the decoy quarantine's failures) do when they fire, e.g. notify an SNS topic.
   * @default - no action; the alarms are on the dashboard and read by the heartbeats
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Use this existing web ACL (its ARN) instead of creating one: the edge
   * associates it and ships its logs, but its rules are yours. Rule props are
   * then refused; see the README for what the library still guarantees.
   * @default - the edge creates its web ACL
   */
  readonly existingWebAclArn?: string;
}

/** The AWS limit on a web ACL's capacity. */
const MAX_CAPACITY = 5000;
/** Above this, a web ACL costs more per request. */
const BASE_PRICE_CAPACITY = 1500;
const RULE_PROPS: Array<keyof EdgeFilterProps> = ['managedRuleGroups', 'rateLimit', 'pathRateLimits', 'ipDenyList', 'ipAllowList',
  'blockedCountries', 'allowedCountries', 'maxBodySize', 'allowedRoutes', 'decoys', 'forwardedIp'];
/** Services a REGIONAL web ACL can be associated with (the service part of their ARNs). */
const REGIONAL_SERVICES = ['elasticloadbalancing', 'apigateway', 'appsync', 'cognito-idp', 'apprunner', 'ec2', 'amplify'];

/**
 * The edge layer: an AWS WAF (WAFv2) web ACL in front of the service, in its
 * own `DefenceLayer`. Managed rule groups, a per-IP rate limit and per-path
 * limits, IP allow and deny lists, geo rules, body size, allowlisting, decoy
 * paths whose callers are quarantined, and a block response that names the
 * layer (`x-defence-layer: edge`). Its logs go through its own path into the
 * archive. The capacity of its rules is checked at synth.
 */
export class EdgeFilter extends DefenceLayer {
  /** Paths probed by scanners and never served by a modern service. */
  public static readonly DEFAULT_DECOY_PATHS: string[] = [...DEFAULT_DECOY_PATHS];
  /** Headers redacted in the WAF logs unless told otherwise. */
  public static readonly DEFAULT_REDACTED_HEADERS: string[] = [...DEFAULT_REDACTED_HEADERS];
  /** The response header every block of the edge carries; its value is the layer's name. */
  public static readonly BLOCK_HEADER = BLOCK_HEADER;
  /** The heartbeat's default canary attack: a SQL injection in the query string. */
  public static readonly CANARY_PATH = EDGE_CANARY_PATH;

  /** ARN of the web ACL (for a CloudFront distribution's `webAclId`). */
  public readonly webAclArn: string;
  /** The web ACL, unless an existing one is used. */
  public readonly webAcl?: CfnWebACL;
  /** Capacity of the rules in WAF capacity units (0 with an existing web ACL). */
  public readonly capacity: number;
  /** The layer's own path into the log archive, when `logDestination` is given. */
  public readonly deliveryPath?: ILogDeliveryPath;
  /** The function that quarantines decoy callers, when decoys and a quarantine period are configured. */
  public readonly decoyQuarantineFunction?: lambda.IFunction;
  /** Alarm on quarantines or releases that failed, when the quarantine is configured. */
  public readonly decoyQuarantineAlarm?: cloudwatch.IAlarm;
  private readonly decoyQuarantine?: DecoyQuarantine;
  public readonly scope: EdgeScope;
  private readonly resolved?: ResolvedEdgeOptions;
  private readonly protectedResources: ProtectedResource[] = [];
  private renderedRules: CfnWebACL.RuleProperty[] = [];
  private heartbeat?: Heartbeat;

  constructor(scope: Construct, id: string, props: EdgeFilterProps = {}) {
    super(scope, id, { layerName: props.layerName ?? 'edge' });
    this.scope = props.scope ?? EdgeScope.REGIONAL;
    const v = new PropValidator(this);
    if (props.existingWebAclArn !== undefined) {
      const given = RULE_PROPS.filter(p => props[p] !== undefined);
      v.check(given.length === 0, given.join(', '), 'set', 'nothing: the rules of an existing web ACL are yours to manage (leave existingWebAclArn out to have the edge create them)');
      v.matches('existingWebAclArn', props.existingWebAclArn, /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:(regional|global)\/webacl\/[\w-]+\/[\w-]+$/,
        'a WAFv2 web ACL ARN: arn:aws:wafv2:<region>:<account>:regional|global/webacl/<name>/<id>');
    }
    const quarantines = props.existingWebAclArn === undefined && (props.decoys?.paths ?? DEFAULT_DECOY_PATHS).length > 0
      && (props.decoys?.quarantine?.toSeconds() ?? 3600) > 0;
    v.check(!quarantines || props.logDestination !== undefined, 'logDestination', props.logDestination,
      'a log destination when decoy callers are quarantined: the quarantine reads the WAF logs on their way to the archive '
      + '(or set decoys.quarantine to Duration.minutes(0))');
    this.validateRegion(v);
    v.throwIfInvalid();

    if (props.logDestination) {
      this.deliveryPath = props.logDestination.addDeliveryPath(this, 'WafLogs', { pathName: 'waf', carriesWafLogs: true });
    }
    this.node.addValidation({ validate: () => { this.warnIfUnattached(); return []; } });

    if (props.existingWebAclArn !== undefined) {
      this.webAclArn = props.existingWebAclArn;
      this.capacity = 0;
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:edge-existing-web-acl',
        'The edge uses an existing web ACL: the library associates it and ships its logs, but cannot check its rules, its capacity or its block response. '
        + 'Heartbeats still prove whether it blocks.');
    } else {
      this.resolved = resolveEdgeOptions(this, {
        ...props, scope: this.scope, maxBodySizeBytes: props.maxBodySize?.toBytes(),
      });
      const o = this.resolved;
      if (o.decoyPaths.length && o.quarantineSeconds > 0 && this.deliveryPath) {
        this.decoyQuarantine = new DecoyQuarantine(this, 'DecoyQuarantine', o, this.deliveryPath.encryptionKey, props.alarmAction);
        this.deliveryPath.addRecordProcessor(this.decoyQuarantine.function);
        // Its own log lines (quarantined, released, failed) go to the archive too; the platform's
        // START/END lines stay out, so reading its own logs never makes it log again.
        this.deliveryPath.addLogGroup(this.decoyQuarantine.logGroup, { filterPattern: logs.FilterPattern.anyTerm('quarantined', 'released', 'failed') });
        this.decoyQuarantineFunction = this.decoyQuarantine.function;
        this.decoyQuarantineAlarm = this.decoyQuarantine.failureAlarm;
      }
      const ipSets = this.ipSets(o);
      const rules = webAclRules(o, this.layerName, ipSets, this.metricPrefix());
      this.renderedRules = rules;
      this.capacity = rulesCapacity(rules, o.managedRuleGroups);
      const cv = new PropValidator(this);
      cv.checkDescribed(this.capacity <= MAX_CAPACITY, 'managedRuleGroups', `rules needing ${this.capacity} WCU (${capacityBreakdown(o)})`,
        `at most ${MAX_CAPACITY} WCU, the limit of a web ACL: drop a rule group or some path rules`);
      cv.throwIfInvalid();
      if (this.capacity > BASE_PRICE_CAPACITY) {
        Annotations.of(this).addWarningV2('cdk-defence-in-depth:edge-capacity-cost',
          `The edge's rules need ${this.capacity} WCU: above ${BASE_PRICE_CAPACITY} WCU, AWS WAF charges more per request.`);
      }
      for (const g of o.managedRuleGroups.filter(x => x.extraCost)) {
        Annotations.of(this).addInfo(`Managed rule group ${g.name} costs extra: a monthly subscription and a fee per request it inspects.`);
      }
      this.webAcl = new CfnWebACL(this, 'WebAcl', {
        scope: this.scope,
        description: `Edge layer ${this.layerName}, blocks answer with header ${BLOCK_HEADER}: ${this.layerName}`,
        defaultAction: { allow: {} },
        customResponseBodies: responseBodies(this.layerName),
        rules,
        visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: this.metricPrefix() },
      });
      this.webAclArn = this.webAcl.attrArn;
    }

    if (this.deliveryPath) {
      const logging = new CfnLoggingConfiguration(this, 'Logging', {
        resourceArn: this.webAclArn,
        logDestinationConfigs: [this.deliveryPath.deliveryStreamArn],
        redactedFields: (this.resolved?.redactedHeaders ?? props.redactedHeaders ?? DEFAULT_REDACTED_HEADERS)
          .map(name => ({ singleHeader: { Name: name.toLowerCase() } })),
        loggingFilter: (this.resolved?.logFilter ?? props.logFilter) === WafLogFilter.ACTED_ON_ONLY ? {
          DefaultBehavior: 'DROP',
          Filters: [{
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: ['BLOCK', 'COUNT', 'CAPTCHA', 'CHALLENGE', 'EXCLUDED_AS_COUNT'].map(Action => ({ ActionCondition: { Action } })),
          }],
        } : undefined,
      });
      if (this.webAcl) logging.node.addDependency(this.webAcl);
    }
  }

  /**
   * Puts the web ACL in front of a regional resource by its ARN: an Application
   * Load Balancer, an API Gateway REST API stage, an AppSync API, a Cognito user
   * pool, an App Runner service or a Verified Access instance. (For CloudFront,
   * set the distribution's `webAclId` to `webAclArn` instead.)
   */
  public protect(id: string, resourceArn: string): CfnWebACLAssociation {
    return this.protectResource(id, resourceArn);
  }

  /** Puts the web ACL in front of an Application Load Balancer. */
  public protectLoadBalancer(loadBalancer: IApplicationLoadBalancer): CfnWebACLAssociation {
    return this.protectResource(`Protects${Names.nodeUniqueId(loadBalancer.node).slice(-40)}`, loadBalancer.loadBalancerArn, loadBalancer);
  }

  private protectResource(id: string, resourceArn: string, construct?: IConstruct): CfnWebACLAssociation {
    const v = new PropValidator(this);
    v.check(this.scope === EdgeScope.REGIONAL, 'protect(resourceArn)', resourceArn,
      "a REGIONAL edge only: a CLOUDFRONT web ACL is attached by setting the distribution's webAclId to edge.webAclArn");
    if (!Token.isUnresolved(resourceArn)) {
      const service = resourceArn.split(':')[2];
      v.check(resourceArn.startsWith('arn:') && REGIONAL_SERVICES.includes(service), 'protect(resourceArn)', resourceArn,
        `the ARN of a resource a regional web ACL protects (${REGIONAL_SERVICES.join(', ')})`);
    }
    v.throwIfInvalid();
    const association = new CfnWebACLAssociation(this, id, { resourceArn, webAclArn: this.webAclArn });
    if (this.webAcl) association.node.addDependency(this.webAcl);
    // What the association points at is what the edge guards, not one of its dependencies.
    markSubtree(association, IsolationMetadata.PROTECTS, () => this.layerName);
    const resource = { arn: resourceArn, construct };
    this.protectedResources.push(resource);
    this.heartbeat?.addCheck(associationCheck(this.webAclArn, resource, this.heartbeat.checkNames.length));
    return association;
  }


  /**
   * Adds the edge's heartbeat, in this layer: every run sends a canary attack
   * through the public endpoint (the edge itself must block it: 403 with
   * `x-defence-layer: edge`; the host's block or none is a failure) and a
   * benign request that must pass; checks the web ACL's rules and default
   * action, every association made with `protect()`, and the WAF log delivery
   * stream. Its chatter: the WAF's allowed and blocked request counts. Hand it
   * to `DefenceWatch.watch()`.
   */
  public addHeartbeat(options: EdgeHeartbeatOptions): Heartbeat {
    const v = new PropValidator(this);
    v.check(this.heartbeat === undefined, 'addHeartbeat()', 'called twice', 'one heartbeat per edge');
    v.throwIfInvalid();
    this.heartbeat = createEdgeHeartbeat(this, options, {
      webAcl: this.webAcl,
      webAclArn: this.webAclArn,
      rules: this.renderedRules,
      metricName: this.metricPrefix(),
      scope: this.scope,
      deliveryPath: this.deliveryPath,
      protectedResources: this.protectedResources,
    });
    return this.heartbeat;
  }

  /** A web ACL that protects nothing protects nothing: say so at synth. */
  private warnIfUnattached(): void {
    if (this.protectedResources.length === 0 && this.scope === EdgeScope.REGIONAL) {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:edge-not-attached',
        'The edge web ACL is associated with nothing: call protect() or protectLoadBalancer().');
    }
  }

  private ipSets(o: ResolvedEdgeOptions): EdgeIpSets {
    const set = (id: string, version: 4 | 6, addresses: string[], description: string) => addresses.length === 0 ? undefined
      : new CfnIPSet(this, id, { scope: o.scope, ipAddressVersion: `IPV${version}`, addresses, description }).attrArn;
    return {
      denyV4: set('DenyV4', 4, o.ipDenyList.v4, 'Edge layer: client addresses always blocked, IPv4'),
      denyV6: set('DenyV6', 6, o.ipDenyList.v6, 'Edge layer: client addresses always blocked, IPv6'),
      allowV4: o.ipAllowList ? set('AllowV4', 4, o.ipAllowList.v4, 'Edge layer: the only client addresses let through, IPv4') : undefined,
      allowV6: o.ipAllowList ? set('AllowV6', 6, o.ipAllowList.v6, 'Edge layer: the only client addresses let through, IPv6') : undefined,
      quarantine: this.decoyQuarantine?.ipSetArns ?? [],
    };
  }

  /** CloudFront web ACLs exist only in us-east-1. */
  private validateRegion(v: PropValidator): void {
    if (this.scope !== EdgeScope.CLOUDFRONT) return;
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      // Environment-agnostic stack: the template refuses to deploy anywhere else.
      new CfnRule(this, 'CloudFrontScopeInUsEast1', {
        assertions: [{
          assert: Fn.conditionEquals(Aws.REGION, 'us-east-1'),
          assertDescription: 'A CLOUDFRONT-scope web ACL (and its WAF log stream) must be deployed in us-east-1.',
        }],
      });
      return;
    }
    v.checkDescribed(region === 'us-east-1', 'scope', `CLOUDFRONT in a stack of region ${region}`,
      'CLOUDFRONT only in a stack in us-east-1 (AWS creates CloudFront web ACLs there); put the edge in its own us-east-1 stack, or use REGIONAL');
  }

  private metricPrefix(): string {
    return `${this.layerName}-${Names.uniqueResourceName(this, { maxLength: 60, separator: '-' })}`.slice(0, 90);
  }
}

function capacityBreakdown(o: ResolvedEdgeOptions): string {
  return o.managedRuleGroups.map(g => `${g.name} ${g.capacity}`).join(', ') + `, ${o.rateLimits.length} rate limit(s), the rest custom rules`;
}
