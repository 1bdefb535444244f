import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { ResolvedEdgeOptions, ResolvedRateLimit } from './resolve-edge-options';
import { ManagedRuleGroup } from '../managed-rule-group';

/** The header every edge block carries, naming the layer (heartbeats read it). */
export const BLOCK_HEADER = 'x-defence-layer';
/** Name of the decoy rule; the quarantine reads it from the WAF logs (`terminatingRuleId`). */
export const DECOY_RULE_NAME = 'DecoyPaths';
/** Label the decoy rule adds (WAF prefixes it with the web ACL's namespace). */
export const DECOY_LABEL = 'defence-in-depth:decoy';

/** The custom response bodies of the web ACL, by key. */
export function responseBodies(layerName: string): Record<string, CfnWebACL.CustomResponseBodyProperty> {
  const body = (reason: string) => ({ contentType: 'APPLICATION_JSON', content: JSON.stringify({ blockedBy: layerName, reason }) });
  return {
    'blocked': body('a rule of the edge web ACL matched the request'),
    'rate-limited': body('too many requests from this address'),
    'too-large': body('the request body is larger than the edge allows'),
  };
}

/** IP set ARNs the rules refer to (created by the construct). */
export interface EdgeIpSets {
  readonly denyV4?: string;
  readonly denyV6?: string;
  readonly allowV4?: string;
  readonly allowV6?: string;
  /** Quarantine sets of callers who touched a decoy (every slot, both address versions). */
  readonly quarantine: string[];
}

type Statement = CfnWebACL.StatementProperty;

/**
 * The web ACL's rules, cheapest and most certain first: IP lists, quarantine,
 * decoys, geo, rate limits, body size, allowlisting, then the managed groups.
 * Every block answers with a custom response naming the layer.
 */
export function webAclRules(o: ResolvedEdgeOptions, layerName: string, ipSets: EdgeIpSets, metricPrefix: string): CfnWebACL.RuleProperty[] {
  const header = [{ name: BLOCK_HEADER, value: layerName }];
  const block = (key: string, code: number) =>
    ({ block: { customResponse: { responseCode: code, customResponseBodyKey: key, responseHeaders: header } } });
  const visibility = (name: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${metricPrefix}-${name}`.slice(0, 128) });
  const rules: Array<Omit<CfnWebACL.RuleProperty, 'priority'>> = [];
  const rule = (name: string, statement: Statement, action: object, extra: object = {}) =>
    rules.push({ name, statement, action, visibilityConfig: visibility(name), ...extra });
  const ipMatch = (arn: string): Statement => ({
    ipSetReferenceStatement: {
      arn,
      ipSetForwardedIpConfig: o.forwardedIp ? {
        headerName: o.forwardedIp.headerName, position: o.forwardedIp.position, fallbackBehavior: o.forwardedIp.matchInvalidHeader ? 'MATCH' : 'NO_MATCH',
      } : undefined,
    },
  });
  const forwarded = o.forwardedIp ? { headerName: o.forwardedIp.headerName, fallbackBehavior: o.forwardedIp.matchInvalidHeader ? 'MATCH' : 'NO_MATCH' } : undefined;

  // Behind a proxy, a request without the client-IP header would skip every IP-based rule (WAF does not
  // apply them at all): it is blocked instead, so nothing fails open.
  if (o.forwardedIp) {
    rule('ForwardedIpHeaderRequired', not({
      sizeConstraintStatement: { fieldToMatch: { singleHeader: { Name: o.forwardedIp.headerName.toLowerCase() } }, comparisonOperator: 'GT', size: 0, textTransformations: NONE },
    }), block('blocked', 403));
  }
  if (o.ipAllowList) {
    const sets = [ipSets.allowV4, ipSets.allowV6].filter((a): a is string => a !== undefined);
    rule('IpAllowList', not(anyOf(sets.map(ipMatch))), block('blocked', 403));
  }
  const deny = [ipSets.denyV4, ipSets.denyV6].filter((a): a is string => a !== undefined);
  if (deny.length) rule('IpDenyList', anyOf(deny.map(ipMatch)), block('blocked', 403));
  if (ipSets.quarantine.length) rule('DecoyQuarantine', anyOf(ipSets.quarantine.map(ipMatch)), block('blocked', 403));
  if (o.decoyPaths.length) {
    rule(DECOY_RULE_NAME, anyOf(o.decoyPaths.map(p => startsWith({ uriPath: {} }, p, LOWERCASE))), block('blocked', 403),
      { ruleLabels: [{ name: DECOY_LABEL }] });
  }
  if (o.blockedCountries.length) {
    rule('BlockedCountries', { geoMatchStatement: { countryCodes: o.blockedCountries, forwardedIpConfig: forwarded } }, block('blocked', 403));
  }
  if (o.allowedCountries.length) {
    rule('AllowedCountriesOnly', not({ geoMatchStatement: { countryCodes: o.allowedCountries, forwardedIpConfig: forwarded } }), block('blocked', 403));
  }
  for (const r of o.rateLimits) rule(r.name, rateBased(r, o), block('rate-limited', 429));
  if (o.maxBodySizeBytes !== undefined) {
    rule('MaxBodySize', {
      sizeConstraintStatement: { fieldToMatch: { body: { oversizeHandling: 'MATCH' } }, comparisonOperator: 'GT', size: o.maxBodySizeBytes, textTransformations: NONE },
    }, block('too-large', 413));
  }
  if (o.allowedRoutes.length) {
    rule('AllowedRoutesOnly', not(anyOf(o.allowedRoutes.map(r => allOf([
      r.exact ? exactly({ uriPath: {} }, r.pathPrefix) : startsWith({ uriPath: {} }, r.pathPrefix, NONE),
      anyOf(r.methods.map(m => exactly({ method: {} }, m))),
    ])))), block('blocked', 403));
  }
  for (const g of o.managedRuleGroups) {
    rules.push({
      name: `${g.vendorName}-${g.name}`.slice(0, 128),
      statement: { managedRuleGroupStatement: managedStatement(g, block('blocked', 403)) },
      overrideAction: { none: {} },
      visibilityConfig: visibility(g.name),
    });
  }
  return rules.map((r, priority) => ({ ...r, priority }));
}

function managedStatement(g: ManagedRuleGroup, blockWithResponse: object): CfnWebACL.ManagedRuleGroupStatementProperty {
  const excluded = new Set(g.excludedRules);
  const overrides = [
    ...g.excludedRules.map(name => ({ name, actionToUse: { count: {} } })),
    ...g.blockingRules.filter(name => !excluded.has(name)).map(name => ({ name, actionToUse: blockWithResponse })),
  ];
  return {
    vendorName: g.vendorName,
    name: g.name,
    version: g.version,
    ruleActionOverrides: overrides.length ? overrides : undefined,
    managedRuleGroupConfigs: g.botControlLevel ? [{ awsManagedRulesBotControlRuleSet: { inspectionLevel: g.botControlLevel } }] : undefined,
  };
}

function rateBased(r: ResolvedRateLimit, o: ResolvedEdgeOptions): Statement {
  const scope: Statement[] = [];
  if (r.pathPrefixes.length) scope.push(anyOf(r.pathPrefixes.map(p => startsWith({ uriPath: {} }, p, NONE))));
  if (r.methods.length) scope.push(anyOf(r.methods.map(m => exactly({ method: {} }, m))));
  return {
    rateBasedStatement: {
      limit: r.limit,
      evaluationWindowSec: r.windowSeconds,
      aggregateKeyType: o.forwardedIp ? 'FORWARDED_IP' : 'IP',
      forwardedIpConfig: o.forwardedIp
        ? { headerName: o.forwardedIp.headerName, fallbackBehavior: o.forwardedIp.matchInvalidHeader ? 'MATCH' : 'NO_MATCH' } : undefined,
      scopeDownStatement: scope.length ? allOf(scope) : undefined,
    },
  };
}

const NONE = [{ priority: 0, type: 'NONE' }];
const LOWERCASE = [{ priority: 0, type: 'LOWERCASE' }];

function startsWith(fieldToMatch: object, value: string, textTransformations: CfnWebACL.TextTransformationProperty[]): Statement {
  return { byteMatchStatement: { fieldToMatch, positionalConstraint: 'STARTS_WITH', searchString: value, textTransformations } };
}

function exactly(fieldToMatch: object, value: string): Statement {
  return { byteMatchStatement: { fieldToMatch, positionalConstraint: 'EXACTLY', searchString: value, textTransformations: NONE } };
}

function not(statement: Statement): Statement {
  return { notStatement: { statement } };
}

/** OR of the statements (WAF wants at least two in an OR; one is used as is). */
function anyOf(statements: Statement[]): Statement {
  return statements.length === 1 ? statements[0] : { orStatement: { statements } };
}

function allOf(statements: Statement[]): Statement {
  return statements.length === 1 ? statements[0] : { andStatement: { statements } };
}

/**
 * WAF capacity units (WCU) of the rules, from the costs AWS publishes: byte
 * match 2 (10 for CONTAINS), +10 per text transformation, IP set 1, geo 1,
 * size 1, label 1, regex 3, regex set 25, SQLi 20, XSS 40, rate-based 2 plus its
 * scope-down, a managed group its own capacity plus its scope-down; AND, OR and
 * NOT cost what they hold. WAF's own figure (CheckCapacity) can be lower.
 */
export function rulesCapacity(rules: CfnWebACL.RuleProperty[], groups: ManagedRuleGroup[]): number {
  const capacities = new Map(groups.map(g => [`${g.vendorName}/${g.name}`, g.capacity]));
  return rules.reduce((sum, r) => sum + statementCapacity(r.statement as any, capacities), 0);
}

function statementCapacity(s: any, groups: Map<string, number>): number {
  const transforms = (t: any[] | undefined) => (t ?? []).filter(x => x.type !== 'NONE').length * 10;
  if (s.andStatement) return s.andStatement.statements.reduce((n: number, x: any) => n + statementCapacity(x, groups), 0);
  if (s.orStatement) return s.orStatement.statements.reduce((n: number, x: any) => n + statementCapacity(x, groups), 0);
  if (s.notStatement) return statementCapacity(s.notStatement.statement, groups);
  if (s.byteMatchStatement) {
    const b = s.byteMatchStatement;
    return (['CONTAINS', 'CONTAINS_WORD'].includes(b.positionalConstraint) ? 10 : 2) + transforms(b.textTransformations);
  }
  if (s.ipSetReferenceStatement) return s.ipSetReferenceStatement.ipSetForwardedIpConfig?.position === 'ANY' ? 5 : 1;
  if (s.geoMatchStatement || s.labelMatchStatement) return 1;
  if (s.sizeConstraintStatement) return 1 + transforms(s.sizeConstraintStatement.textTransformations);
  if (s.regexMatchStatement) return 3 + transforms(s.regexMatchStatement.textTransformations);
  if (s.regexPatternSetReferenceStatement) return 25 + transforms(s.regexPatternSetReferenceStatement.textTransformations);
  if (s.sqliMatchStatement) return (s.sqliMatchStatement.sensitivityLevel === 'HIGH' ? 30 : 20) + transforms(s.sqliMatchStatement.textTransformations);
  if (s.xssMatchStatement) return 40 + transforms(s.xssMatchStatement.textTransformations);
  if (s.rateBasedStatement) {
    const r = s.rateBasedStatement;
    return 2 + 30 * (r.customKeys?.length ?? 0) + (r.scopeDownStatement ? statementCapacity(r.scopeDownStatement, groups) : 0);
  }
  if (s.managedRuleGroupStatement) {
    const m = s.managedRuleGroupStatement;
    return (groups.get(`${m.vendorName}/${m.name}`) ?? 0) + (m.scopeDownStatement ? statementCapacity(m.scopeDownStatement, groups) : 0);
  }
  throw new Error(`no capacity known for statement ${Object.keys(s).join(', ')}`);
}
