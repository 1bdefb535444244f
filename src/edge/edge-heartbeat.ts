import { Stack, Token } from 'aws-cdk-lib';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct, IConstruct } from 'constructs';
import { EdgeHeartbeatOptions, EdgeScope } from './edge-filter-options';
import { ChatterSignal, TrafficMetric } from '../core/heartbeat';
import { chatterMetric } from '../core/log-chatter';
import { ILogDeliveryPath } from '../core/log-destination';
import { PropValidator } from '../core/validation-error';
import { ExpectedWebAclRule, Heartbeat, HeartbeatCheck } from '../heartbeat';

/** The edge's canary: a SQL injection in the query, blocked by the SQL database and core rule groups. */
export const EDGE_CANARY_PATH = '/?id=1%27%20OR%20%271%27%3D%271%27--&heartbeat=canary';

/** A resource the edge protects, and its construct when it is in the app. */
export interface ProtectedResource {
  readonly arn: string;
  readonly construct?: IConstruct;
}

/** What the edge hands its heartbeat. */
export interface EdgeHeartbeatContext {
  readonly webAcl?: CfnWebACL;
  readonly webAclArn: string;
  readonly rules: CfnWebACL.RuleProperty[];
  readonly metricName: string;
  readonly scope: EdgeScope;
  readonly deliveryPath?: ILogDeliveryPath;
  readonly protectedResources: ProtectedResource[];
}

/** The edge layer's heartbeat: canary through the public endpoint, benign request, web ACL state, WAF log delivery. */
export function createEdgeHeartbeat(edge: Construct, options: EdgeHeartbeatOptions, ctx: EdgeHeartbeatContext): Heartbeat {
  const v = new PropValidator(edge);
  v.check(typeof options.endpoint === 'string', 'endpoint', options.endpoint, 'the public endpoint: https://app.example.com');
  if (typeof options.endpoint === 'string' && !Token.isUnresolved(options.endpoint)) {
    v.matches('endpoint', options.endpoint, /^https?:\/\/[^\s/]+$/, 'the public endpoint as scheme and host, without a path: https://app.example.com');
  }
  v.check(options.chatterFloor === undefined || options.chatterFloor >= 0, 'chatterFloor', options.chatterFloor, '0 or more requests per 5 minutes');
  v.throwIfInvalid();

  const floor = options.chatterFloor ?? 1;
  const checks = [
    HeartbeatCheck.canaryBlocked({ url: `${options.endpoint}${options.canaryPath ?? EDGE_CANARY_PATH}`, headers: options.headers }),
    HeartbeatCheck.benignPasses({ url: `${options.endpoint}${options.benignPath ?? '/'}`, headers: options.headers }),
  ];
  if (ctx.webAcl) {
    checks.push(HeartbeatCheck.webAclEnforcing({ webAclArn: ctx.webAclArn, rules: ctx.rules.map(expectedRule), defaultAction: 'allow' }));
  }
  if (ctx.deliveryPath) checks.push(HeartbeatCheck.deliveryStreamFresh(ctx.deliveryPath));

  const dimensions: Record<string, string> = ctx.scope === EdgeScope.CLOUDFRONT
    ? { WebACL: ctx.metricName, Rule: 'ALL' }
    : { WebACL: ctx.metricName, Region: Stack.of(edge).region, Rule: 'ALL' };
  const metric = (name: string) => chatterMetric('AWS/WAFV2', name, dimensions);
  const sources = ctx.webAcl ? [ctx.webAcl] : [];
  const chatter: ChatterSignal[] = ctx.webAcl ? [
    { label: 'WAF allowed requests', metric: metric('AllowedRequests'), floor, sources },
    { label: 'WAF blocked requests', metric: metric('BlockedRequests'), floor, sources },
  ] : [];
  const traffic: TrafficMetric[] = ctx.webAcl ? [
    { label: 'blocked', metric: metric('BlockedRequests'), sources },
    { label: 'allowed', metric: metric('AllowedRequests'), sources },
    { label: 'counted', metric: metric('CountedRequests'), sources },
  ] : [];
  const heartbeat = new Heartbeat(edge, 'Heartbeat', {
    checks, interval: options.interval, deliveryPath: ctx.deliveryPath, chatter, traffic,
  });
  ctx.protectedResources.forEach(r => heartbeat.addCheck(associationCheck(ctx.webAclArn, r, heartbeat.checkNames.length)));
  return heartbeat;
}

/** The association of one protected resource. */
export function associationCheck(webAclArn: string, resource: ProtectedResource, index: number): HeartbeatCheck {
  return HeartbeatCheck.webAclAssociated({ webAclArn, resourceArn: resource.arn, resource: resource.construct, name: `web-acl-associated-${index}` });
}

function expectedRule(rule: CfnWebACL.RuleProperty): ExpectedWebAclRule {
  const pick = (x: unknown) => Object.keys((x ?? {}) as object).find(k => (x as any)[k] !== undefined);
  const action = pick(rule.action) ?? pick(rule.overrideAction) ?? 'none';
  return { name: rule.name, action: action.toLowerCase() };
}
