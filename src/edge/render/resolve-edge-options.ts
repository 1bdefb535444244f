import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { parseCidr } from '../../core/cidr';
import { PropValidator } from '../../core/validation-error';
import type { EdgeFilterProps } from '../edge-filter';
import { AllowedRoute, EdgeScope, ForwardedIpOptions, ForwardedIpPosition, WafLogFilter } from '../edge-filter-options';
import { ManagedRuleGroup } from '../managed-rule-group';

/** The rule-shaping props of `EdgeFilterProps`, with the body size in bytes. */
export type EdgeRuleOptions = Omit<EdgeFilterProps, 'layerName' | 'logDestination' | 'alarmAction' | 'existingWebAclArn' | 'maxBodySize'>
  & { readonly maxBodySizeBytes?: number };

export interface ResolvedRateLimit {
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly pathPrefixes: string[];
  readonly methods: string[];
}

export interface ResolvedEdgeOptions {
  readonly scope: EdgeScope;
  readonly managedRuleGroups: ManagedRuleGroup[];
  readonly rateLimits: ResolvedRateLimit[];
  readonly ipDenyList: { v4: string[]; v6: string[] };
  readonly ipAllowList?: { v4: string[]; v6: string[] };
  readonly blockedCountries: string[];
  readonly allowedCountries: string[];
  readonly maxBodySizeBytes?: number;
  readonly allowedRoutes: Required<AllowedRoute>[];
  readonly decoyPaths: string[];
  readonly quarantineSeconds: number;
  readonly forwardedIp?: Required<ForwardedIpOptions>;
  readonly redactedHeaders: string[];
  readonly logFilter: WafLogFilter;
}

/** Paths nobody legitimate asks a modern web service for: probes for leaked secrets and stock admin pages. */
export const DEFAULT_DECOY_PATHS = ['/.env', '/.git/', '/wp-admin/', '/wp-login.php', '/phpmyadmin/', '/.aws/credentials', '/server-status'];
export const DEFAULT_RATE_LIMIT = 2000;
export const DEFAULT_REDACTED_HEADERS = ['authorization', 'cookie'];

const WINDOWS = [60, 120, 300, 600];
const RULE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
const HEADER_NAME = /^[a-zA-Z0-9-]{1,255}$/;
const PATH = /^\/[\x21-\x7e]{0,199}$/;
const METHOD = /^[A-Z]{1,20}$/;
/** ISO 3166-1 alpha-2 as WAF reads it (plus XK, Kosovo). Checked for shape; WAF rejects unknown codes at deploy. */
const COUNTRY = /^[A-Z]{2}$/;

/** The version of a CIDR WAF accepts (prefix length at least 1), or undefined when it is not one. */
export function cidrVersion(cidr: string): 4 | 6 | undefined {
  const parsed = parseCidr(cidr);
  return parsed && parsed.prefixLength >= 1 ? parsed.version : undefined;
}

/** Checks every rule-shaping prop and fills in the defaults. Throws one error naming every problem. */
export function resolveEdgeOptions(scope: IConstruct, o: EdgeRuleOptions): ResolvedEdgeOptions {
  const v = new PropValidator(scope);
  const windowOf = (prop: string, w: Duration | undefined) => {
    const seconds = w === undefined ? 300 : w.toSeconds();
    v.checkDescribed(WINDOWS.includes(seconds), prop, `${seconds} seconds`, '1, 2, 5 or 10 minutes');
    return seconds;
  };
  const limitOf = (prop: string, n: number) => v.integerInRange(prop, n, 10, 2_000_000_000, 'requests');
  const methodsOf = (prop: string, methods: string[]) => methods.forEach((m, i) => v.matches(`${prop}[${i}]`, m, METHOD, 'an HTTP method in capitals, e.g. GET'));
  const pathOf = (prop: string, p: string) => v.matches(prop, p, PATH, 'a path starting with "/", printable ASCII without spaces, up to 200 characters');

  const rateLimits: ResolvedRateLimit[] = [];
  const global = o.rateLimit ?? { limit: DEFAULT_RATE_LIMIT };
  limitOf('rateLimit.limit', global.limit);
  rateLimits.push({ name: 'RateLimitPerIp', limit: global.limit, windowSeconds: windowOf('rateLimit.evaluationWindow', global.evaluationWindow), pathPrefixes: [], methods: [] });
  const names = new Set<string>();
  (o.pathRateLimits ?? []).forEach((r, i) => {
    const p = `pathRateLimits[${i}]`;
    v.matches(`${p}.name`, r.name, RULE_NAME, 'letters, digits, hyphens and underscores, starting with a letter, up to 40 characters');
    v.check(!names.has(r.name), `${p}.name`, r.name, 'a name no other path rate limit uses');
    names.add(r.name);
    limitOf(`${p}.limit`, r.limit);
    v.check(r.pathPrefixes.length >= 1 && r.pathPrefixes.length <= 10, `${p}.pathPrefixes`, r.pathPrefixes, '1 to 10 path prefixes');
    r.pathPrefixes.forEach((x, j) => pathOf(`${p}.pathPrefixes[${j}]`, x));
    methodsOf(`${p}.methods`, r.methods ?? []);
    rateLimits.push({
      name: `RateLimit-${r.name}`,
      limit: r.limit,
      windowSeconds: windowOf(`${p}.evaluationWindow`, r.evaluationWindow),
      pathPrefixes: [...r.pathPrefixes],
      methods: [...r.methods ?? []],
    });
  });
  // WAF allows 10 rate-based rules per web ACL; the decoy quarantine uses none.
  v.check(rateLimits.length <= 10, 'pathRateLimits', `${rateLimits.length - 1} limits`, 'at most 9 (WAF allows 10 rate-based rules per web ACL, one is the global limit)');

  const ipList = (prop: string, list: string[] | undefined) => {
    const out = { v4: [] as string[], v6: [] as string[] };
    (list ?? []).forEach((c, i) => {
      if (Token.isUnresolved(c)) return;
      const version = cidrVersion(c);
      if (v.check(version !== undefined, `${prop}[${i}]`, c, 'an IPv4 or IPv6 CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32')) {
        (version === 4 ? out.v4 : out.v6).push(c);
      }
    });
    v.check((list ?? []).length <= 10_000, prop, `${(list ?? []).length} CIDRs`, 'at most 10,000 CIDRs');
    return out;
  };
  const ipDenyList = ipList('ipDenyList', o.ipDenyList);
  const ipAllowList = o.ipAllowList ? ipList('ipAllowList', o.ipAllowList) : undefined;
  if (o.ipAllowList) v.check(o.ipAllowList.length > 0, 'ipAllowList', o.ipAllowList, 'at least one CIDR (an empty allow list would block everyone; leave it out to allow any address)');

  const countries = (prop: string, list: string[] | undefined) => {
    (list ?? []).forEach((c, i) => v.matches(`${prop}[${i}]`, c, COUNTRY, 'an ISO 3166-1 alpha-2 country code in capitals, e.g. DE'));
    return [...list ?? []];
  };
  const blockedCountries = countries('blockedCountries', o.blockedCountries);
  const allowedCountries = countries('allowedCountries', o.allowedCountries);
  v.check(!(blockedCountries.length && allowedCountries.length), 'allowedCountries', allowedCountries,
    'either allowedCountries or blockedCountries, not both (allowing some countries already blocks every other)');
  if (o.allowedCountries) v.check(allowedCountries.length > 0, 'allowedCountries', allowedCountries, 'at least one country code (or leave it out)');

  if (o.maxBodySizeBytes !== undefined) v.integerInRange('maxBodySize', o.maxBodySizeBytes, 1, 21_474_836_480, 'bytes');

  const allowedRoutes = (o.allowedRoutes ?? []).map((r, i) => {
    pathOf(`allowedRoutes[${i}].pathPrefix`, r.pathPrefix);
    const methods = r.methods ?? ['GET', 'HEAD'];
    v.check(methods.length > 0, `allowedRoutes[${i}].methods`, methods, 'at least one method');
    methodsOf(`allowedRoutes[${i}].methods`, methods);
    return { pathPrefix: r.pathPrefix, exact: r.exact ?? false, methods };
  });
  if (o.allowedRoutes) v.check(allowedRoutes.length > 0 && allowedRoutes.length <= 50, 'allowedRoutes', `${allowedRoutes.length} routes`, '1 to 50 routes (or leave it out: no allowlisting)');

  const decoyPaths = o.decoys?.paths ?? DEFAULT_DECOY_PATHS;
  decoyPaths.forEach((p, i) => {
    pathOf(`decoys.paths[${i}]`, p);
    v.check(p === p.toLowerCase(), `decoys.paths[${i}]`, p, 'lowercase (decoys match the lowercased path, so /.ENV is caught too)');
    v.check(p !== '/', `decoys.paths[${i}]`, p, 'a path other than "/" (every request starts with it)');
  });
  v.check(decoyPaths.length <= 20, 'decoys.paths', `${decoyPaths.length} paths`, 'at most 20 decoy paths');
  for (const r of allowedRoutes) {
    const clash = decoyPaths.find(d => r.pathPrefix.toLowerCase().startsWith(d));
    v.check(clash === undefined, 'decoys.paths', clash, `a decoy outside the allowed route '${r.pathPrefix}'`);
  }
  const quarantineSeconds = o.decoys?.quarantine?.toSeconds() ?? 3600;
  v.checkDescribed(quarantineSeconds === 0 || (quarantineSeconds >= 300 && quarantineSeconds <= 86_400 && quarantineSeconds % 60 === 0),
    'decoys.quarantine', `${quarantineSeconds} seconds`, '0 (no quarantine), or whole minutes from 5 minutes to 24 hours');
  v.check(!(quarantineSeconds > 0 && decoyPaths.length === 0), 'decoys.quarantine', `${quarantineSeconds} seconds`,
    'Duration.minutes(0) when there are no decoy paths');

  let forwardedIp: Required<ForwardedIpOptions> | undefined;
  if (o.forwardedIp) {
    v.matches('forwardedIp.headerName', o.forwardedIp.headerName, HEADER_NAME, 'a header name: letters, digits and hyphens');
    forwardedIp = {
      headerName: o.forwardedIp.headerName,
      position: o.forwardedIp.position ?? ForwardedIpPosition.FIRST,
      matchInvalidHeader: o.forwardedIp.matchInvalidHeader ?? true,
    };
  }

  const redactedHeaders = (o.redactedHeaders ?? DEFAULT_REDACTED_HEADERS).map(h => h.toLowerCase());
  redactedHeaders.forEach((h, i) => v.matches(`redactedHeaders[${i}]`, h, HEADER_NAME, 'a header name: letters, digits and hyphens'));
  v.check(redactedHeaders.length <= 100, 'redactedHeaders', `${redactedHeaders.length} headers`, 'at most 100 headers');

  const groups = o.managedRuleGroups ?? ManagedRuleGroup.defaults();
  const seen = new Set<string>();
  groups.forEach((g, i) => {
    const key = `${g.vendorName}/${g.name}`;
    v.check(!seen.has(key), `managedRuleGroups[${i}]`, key, 'each managed rule group once');
    seen.add(key);
    v.matches(`managedRuleGroups[${i}].name`, g.name, /^[0-9A-Za-z_-]{1,128}$/, 'a rule group name: letters, digits, hyphens and underscores');
    v.matches(`managedRuleGroups[${i}].vendorName`, g.vendorName, /^[0-9A-Za-z_-]{1,128}$/, 'a vendor name: letters, digits, hyphens and underscores');
    v.integerInRange(`managedRuleGroups[${i}].capacity`, g.capacity, 1, 5000, 'WCU');
    if (g.version !== undefined) v.matches(`managedRuleGroups[${i}].version`, g.version, /^[\w#:.-]{1,64}$/, 'a version name, e.g. Version_1.19');
    g.excludedRules.forEach((r, j) => v.matches(`managedRuleGroups[${i}].excludedRules[${j}]`, r, /^[0-9A-Za-z_-]{1,128}$/, 'a rule name of the group'));
    v.check(g.excludedRules.length <= 100, `managedRuleGroups[${i}].excludedRules`, `${g.excludedRules.length} rules`, 'at most 100 rules');
  });

  v.throwIfInvalid();
  return {
    scope: o.scope ?? EdgeScope.REGIONAL,
    managedRuleGroups: groups,
    rateLimits,
    ipDenyList,
    ipAllowList,
    blockedCountries,
    allowedCountries,
    maxBodySizeBytes: o.maxBodySizeBytes,
    allowedRoutes,
    decoyPaths: [...decoyPaths],
    quarantineSeconds,
    forwardedIp,
    redactedHeaders,
    logFilter: o.logFilter ?? WafLogFilter.ALL_REQUESTS,
  };
}
