import { ArnFormat, CfnResource, Fn, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { FieldMatch, MIRROR_SESSION_CALLS, ResourceIdentifier, WatchedCallGroup, WatchedResourceType, watchedTypeOf } from './watched-calls';

// Internal: renders the catalogue into EventBridge patterns for the resources
// of one layer, split so that no pattern exceeds EventBridge's size limit.

/**
 * EventBridge's default limit on an event pattern is 2,048 characters (adjustable, but
 * not by a template): the patterns are kept under it with a margin for how it counts.
 */
export const EVENT_PATTERN_LIMIT = 2000;
/**
 * What a token is assumed to resolve to at most, when a pattern's size is estimated
 * at synth: 256 covers the longest generated names (alarm names may be 255 characters).
 */
const TOKEN_LENGTH_ESTIMATE = 256;
const DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** A resource the tamper watch watches: its CloudFormation resource and catalogue entry. */
export interface WatchedResource {
  readonly resource: CfnResource;
  readonly type: WatchedResourceType;
  /** The literal name to use for `ruleName` identifiers (the tamper watch's own rules have names known at synth). */
  readonly literalName?: string;
}

/** One rendered EventBridge rule: its pattern and, for the report, the calls it watches. */
export interface RenderedRule {
  readonly source: string;
  readonly pattern: Record<string, unknown>;
  /** `what: eventName, ...` per resource kind, for the report. */
  readonly calls: Array<{ what: string; eventNames: string[]; resources: number }>;
}

/** One alternative of a rule: events named in one field, with the values of every resource. */
interface Alternative {
  readonly what: string;
  readonly eventNames: string[];
  readonly match: Record<string, unknown>;
  readonly values: unknown[];
  readonly path: string[];
}

/**
 * The EventBridge rules that watch `resources` (all of one layer): one or more
 * per event source, each under `limit` characters when every token is assumed
 * to resolve to `TOKEN_LENGTH_ESTIMATE` characters.
 *
 * `ownRoleArns` are the ARNs of the layer's own roles: calls a layer makes on
 * run-time resources of its own (mirror sessions) are not tamper events.
 */
export function renderRules(
  resources: WatchedResource[], ownRoleArns: string[], mirrorSessions: boolean, limit = EVENT_PATTERN_LIMIT,
): RenderedRule[] {
  const bySource = new Map<string, Alternative[]>();
  const add = (source: string, alt: Alternative) => bySource.set(source, [...bySource.get(source) ?? [], alt]);
  const byType = new Map<WatchedResourceType, WatchedResource[]>();
  for (const r of resources) byType.set(r.type, [...byType.get(r.type) ?? [], r]);

  for (const [type, list] of byType) {
    for (const group of type.groups) {
      for (const field of group.fields) {
        add(type.source, {
          what: type.what,
          eventNames: group.eventNames,
          match: { eventName: eventNameFilters(group.eventNames) },
          path: field.path,
          values: list.map(r => fieldValue(r, field)),
        });
      }
    }
  }
  if (mirrorSessions) {
    for (const alternative of mirrorSessionAlternatives(MIRROR_SESSION_CALLS, ownRoleArns)) add('aws.ec2', alternative);
  }

  const rules: RenderedRule[] = [];
  for (const [source, alternatives] of bySource) {
    rules.push(...packRules(source, alternatives, limit));
  }
  return rules;
}

/** Splits a source's alternatives (and their value lists) into rules under the size limit. */
function packRules(source: string, alternatives: Alternative[], limit: number): RenderedRule[] {
  // Each alternative's values are split into pieces that fit a rule on their own.
  const pieces: Alternative[] = [];
  for (const alt of alternatives) {
    if (alt.values.length === 0) {
      pieces.push(alt);
      continue;
    }
    let current: unknown[] = [];
    for (const value of alt.values) {
      const candidate = [...current, value];
      if (current.length > 0 && estimateLength(patternOf(source, [{ ...alt, values: candidate }])) > limit) {
        pieces.push({ ...alt, values: current });
        current = [value];
      } else {
        current = candidate;
      }
    }
    pieces.push({ ...alt, values: current });
  }
  const rules: Alternative[][] = [];
  for (const piece of pieces) {
    const last = rules[rules.length - 1];
    if (last && estimateLength(patternOf(source, [...last, piece])) <= limit) last.push(piece);
    else rules.push([piece]);
  }
  return rules.map(alts => {
    const pattern = patternOf(source, alts);
    if (estimateLength(pattern) > limit) {
      throw new Error(`A tamper-watch pattern for ${source} cannot be made smaller than ${limit} characters: ${JSON.stringify(pattern).slice(0, 200)}...`);
    }
    return { source, pattern, calls: callsOf(alts) };
  });
}

function patternOf(source: string, alternatives: Alternative[]): Record<string, unknown> {
  const branches = alternatives.map(alt => alt.values.length === 0 ? alt.match : { ...alt.match, ...nest(alt.path, dedupe(alt.values)) });
  const detail = branches.length === 1 ? branches[0] : { $or: branches };
  return { 'source': [source], 'detail-type': [DETAIL_TYPE], detail };
}

function callsOf(alternatives: Alternative[]) {
  const calls = new Map<string, { what: string; eventNames: Set<string>; resources: number }>();
  for (const alt of alternatives) {
    const entry = calls.get(alt.what) ?? { what: alt.what, eventNames: new Set<string>(), resources: 0 };
    alt.eventNames.forEach(e => entry.eventNames.add(e));
    entry.resources = Math.max(entry.resources, alt.values.length);
    calls.set(alt.what, entry);
  }
  return [...calls.values()].map(c => ({ what: c.what, eventNames: [...c.eventNames], resources: c.resources }));
}

/** Event names as EventBridge filters: `Name*` matches versioned names (Lambda's `UpdateFunctionCode20150331v2`). */
function eventNameFilters(names: string[]): unknown[] {
  return names.map(n => n.endsWith('*') ? { prefix: n.slice(0, -1) } : n);
}

/**
 * Mirror sessions are made at run time by the monitor's own function: a change
 * by any other caller is a tamper event. A caller that is not an assumed role
 * (root, an IAM user) has no session issuer, so it is matched by its type.
 */
function mirrorSessionAlternatives(group: WatchedCallGroup, ownRoleArns: string[]): Alternative[] {
  const base = { what: 'mirror session', eventNames: group.eventNames, path: [], values: [] };
  const eventName = eventNameFilters(group.eventNames);
  return [
    { ...base, match: { eventName, userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } } },
    {
      ...base,
      match: {
        eventName,
        userIdentity: { sessionContext: { sessionIssuer: { arn: ownRoleArns.length > 0 ? [{ 'anything-but': ownRoleArns }] : [{ exists: true }] } } },
      },
    },
  ];
}

function nest(path: string[], values: unknown[]): Record<string, unknown> {
  let value: unknown = values;
  for (let i = path.length - 1; i >= 0; i--) value = { [path[i]]: value };
  return value as Record<string, unknown>;
}

function dedupe(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter(v => {
    const key = JSON.stringify(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The resource's value for a field, as a token where it is known only at deploy time. */
function fieldValue(r: WatchedResource, field: FieldMatch): unknown {
  const value = identifierOf(r, field.identifier);
  return field.prefixWithSuffix !== undefined ? { prefix: `${value}${field.prefixWithSuffix}` } : value;
}

function identifierOf(r: WatchedResource, identifier: ResourceIdentifier): string {
  if (identifier === 'ref') return r.resource.ref;
  if (identifier === 'ruleName') {
    // A rule's name is the last part of its ARN on the default bus (`arn:...:rule/<name>`).
    return r.literalName ?? Fn.select(1, Fn.split('/', r.resource.getAtt('Arn').toString()));
  }
  if (identifier === 'logGroupArn') {
    return Stack.of(r.resource).formatArn({ service: 'logs', resource: 'log-group', resourceName: r.resource.ref, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }
  if (identifier === 'partialFunctionArn') return `${Stack.of(r.resource).account}:function:${r.resource.ref}`;
  if ('property' in identifier) return (r.resource as unknown as Record<string, string>)[identifier.property];
  return r.resource.getAtt(identifier.attribute).toString();
}

/** The pattern's length once deployed, each token counted as `TOKEN_LENGTH_ESTIMATE` characters. */
export function estimateLength(pattern: unknown): number {
  let tokens = 0;
  const json = JSON.stringify(pattern, (_key, value) => {
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      tokens += Tokenization.reverseString(value).tokens.length;
      return value.replace(/\$\{Token\[[^\]]+\]\}/g, '');
    }
    return value;
  });
  return json.length + tokens * TOKEN_LENGTH_ESTIMATE;
}

/** The catalogue entry of a resource, if its type is watched and it is in `stack`'s environment. */
export function watchedResourceOf(resource: CfnResource, stack: Stack): WatchedResource | undefined {
  const type = watchedTypeOf(resource.cfnResourceType);
  if (!type) return undefined;
  const other = Stack.of(resource);
  if (other.account !== stack.account || other.region !== stack.region) return undefined;
  return { resource, type };
}
