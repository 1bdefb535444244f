import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ALTERNATIVE_FIELDS, CALLS_NOT_NAMING_THE_RESOURCE, cloudTrailEvent, SAMPLE_CALLS, sampledEventNames, sampleEvent } from './cloudtrail-events';
import { FakeIds, GENERATED_NAME_LENGTH, TemplateResource } from './fake-physical-ids';
import { ENV, LAYER_METADATA, service, TAMPER_WATCH_METADATA } from './tamper-apps';
import { DefendedWebServiceProps } from '../../src/service';
import { FieldMatch, MIRROR_SESSION_CALLS, ResourceIdentifier, WATCHED_RESOURCE_TYPES, WatchedCallGroup, WatchedResourceType, watchedTypeOf } from '../../src/tamper/watched-calls';
import { matchesEventPattern } from '../helpers/event-pattern';

/** EventBridge's (default) limit on the size of an event pattern, in characters. */
const EVENTBRIDGE_PATTERN_LIMIT = 2048;
const WHERE = { account: ENV.account, region: ENV.region };

type Event = Record<string, any>;
/** A sampled event (as `sampleEvent`), typed for reading its detail. */
const sample = (...args: Parameters<typeof sampleEvent>): Event => sampleEvent(...args);

/** A tamper-watch rule of the template, its pattern resolved with the app's own (fake) identifiers. */
interface TamperRule {
  readonly logicalId: string;
  /** The layer whose resources it watches (its tamper-watch metadata). */
  readonly layer: string;
  readonly source: string;
  readonly calls: Array<{ what: string; eventNames: string[]; resources: number }>;
  readonly raw: unknown;
  readonly pattern: Record<string, unknown>;
}

/** One watched call on one resource of the app, the resource named in one field of the catalogue. */
interface Pair {
  readonly logicalId: string;
  readonly layer: string;
  readonly type: WatchedResourceType;
  readonly group: WatchedCallGroup;
  /** The catalogue's event name (`Name*` for Lambda's versioned names). */
  readonly eventName: string;
  /** The real event name of the sample. */
  readonly realName: string;
  /** The field the record names the resource in. */
  readonly field: FieldMatch;
  /** The resource's identifier, as the record carries it in the field (with a qualifier for a prefix field). */
  readonly value: string;
  readonly placement: Placement;
  /** The call on this resource. */
  readonly event: Event;
  /** The same call on the same kind of resource of another app in the account, named in the same field. */
  readonly foreign: Event;
}

/**
 * How a field event was made from the sample of its call:
 * - `sample`: the sample's record names the resource in the field as it is (a trail's ARN in `name`, a partial function ARN,
 *   a subscription ARN);
 * - `reshaped`: at the sample's own place, the value reshaped as the field takes it (a qualified function name);
 * - `alternative`: moved to a field the API documents as the alternative (ALTERNATIVE_FIELDS: DisassociateKmsKey's `resourceIdentifier`);
 * - `placed`: moved to another field of the catalogue group that this API does not take (the group's pattern applies
 *   every field to every call of the group, so the pattern is proven for it too; not a record the call would produce).
 */
type Placement = 'sample' | 'reshaped' | 'alternative' | 'placed';

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The value CloudTrail records for a resource, per the catalogue's identifier. */
function identifierValue(ids: FakeIds, logicalId: string, identifier: ResourceIdentifier): string {
  if (identifier === 'ref') return ids.ref(logicalId);
  // A rule on the default bus: the last part of its ARN is its name.
  if (identifier === 'ruleName') return ids.getAtt(logicalId, 'Arn').split('/').pop()!;
  // The ARN CloudWatch Logs takes as `resourceIdentifier`: without the `:*` of the Arn attribute.
  if (identifier === 'logGroupArn') return ids.getAtt(logicalId, 'Arn').replace(/:\*$/, '');
  if (identifier === 'partialFunctionArn') return `${ENV.account}:function:${ids.ref(logicalId)}`;
  if ('property' in identifier) return ids.resolveString(ids.resource(logicalId).Properties?.[upperFirst(identifier.property)]);
  return ids.getAtt(logicalId, identifier.attribute);
}

/** A field in words: `requestParameters.functionName = GetAtt.Arn + ':…'`. */
function fieldName(field: FieldMatch): string {
  const id = field.identifier;
  const what = typeof id === 'string' ? id : 'attribute' in id ? `GetAtt.${id.attribute}` : `property.${id.property}`;
  return `${field.path.join('.')} = ${what}${field.prefixWithSuffix !== undefined ? ` + '${field.prefixWithSuffix}…'` : ''}`;
}

/** Values at a path below `detail`, arrays crushed out as EventBridge does. */
const valuesAt = (detail: unknown, path: string[]): unknown[] => path.reduce<unknown[]>((values, name) =>
  values.flatMap(v => (Array.isArray(v) ? v : [v])).flatMap(v => (v !== null && typeof v === 'object' && name in (v as object) ? [(v as any)[name]] : [])), [detail])
  .flatMap(v => (Array.isArray(v) ? v : [v]));

/** Is `v` the resource whose identifier is `value`, as `field` compares? */
const fits = (field: FieldMatch, value: string, v: unknown) => (field.prefixWithSuffix !== undefined
  ? typeof v === 'string' && v.startsWith(`${value}${field.prefixWithSuffix}`)
  : v === value);
/** Does the record name that resource in `field`? */
const recordNames = (field: FieldMatch, value: string, detail: unknown) => valuesAt(detail, field.path).some(v => fits(field, value, v));

type Location = Array<string | number>;

/** Where (below `at`) the leaves equal to `value` are. */
function locationsOf(v: unknown, value: string, at: Location): Location[] {
  if (v === value) return [at];
  if (Array.isArray(v)) return v.flatMap((e, i) => locationsOf(e, value, [...at, i]));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, e]) => locationsOf(e, value, [...at, k]));
  return [];
}
const namesOf = (l: Location) => l.filter((k): k is string => typeof k === 'string');
const samePath = (a: string[], b: string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

function setAt(root: any, location: Location, value: unknown): void {
  let o = root;
  for (const k of location.slice(0, -1)) o = o[k];
  o[location[location.length - 1]] = value;
}
function deleteAt(root: any, location: Location): void {
  let o = root;
  for (const k of location.slice(0, -1)) o = o[k];
  const last = location[location.length - 1];
  if (Array.isArray(o)) o.splice(last as number, 1);
  else delete o[last];
}
function setPath(root: any, path: string[], value: unknown): void {
  let o = root;
  for (const k of path.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[path[path.length - 1]] = value;
}

/** What follows a prefix field's suffix: a Lambda alias or version (`name:live`, `arn:…:function:name:3`). */
const QUALIFIERS = ['live', '3'];

interface FieldEvent {
  readonly event: Event;
  /** The value at the field. */
  readonly value: string;
  readonly placement: Placement;
}

/**
 * The real-shaped event of a sampled call naming the resource (its identifier `identifier`)
 * in `field`: the sample gives the record; the value is put where the field says, shaped as
 * it compares (`<identifier><suffix><qualifier>` for a prefix field), and the sample's own
 * naming of the resource elsewhere is dropped (DisassociateKmsKey takes `logGroupName` or
 * `resourceIdentifier`, not both).
 */
function fieldEvent(source: string, realName: string, field: FieldMatch, identifier: string, qualifier: string): FieldEvent {
  const event = sample(source, realName, { value: identifier, ...WHERE });
  const named = valuesAt(event.detail, field.path).find(v => fits(field, identifier, v));
  if (named !== undefined) return { event, value: named as string, placement: 'sample' };
  const value = field.prefixWithSuffix !== undefined ? `${identifier}${field.prefixWithSuffix}${qualifier}` : identifier;
  // Where the sample names the resource (its request parameters; KMS's `resources` are the service's, not the caller's).
  const own = locationsOf(event.detail.requestParameters, identifier, ['requestParameters']);
  if (own.length === 0) throw new Error(`the sample of ${source} ${realName} does not carry ${identifier} in its request parameters`);
  const inPlace = own.filter(l => samePath(namesOf(l), field.path));
  if (inPlace.length > 0) {
    inPlace.forEach(l => setAt(event.detail, l, value));
    return { event, value, placement: 'reshaped' };
  }
  const alternative = ALTERNATIVE_FIELDS.find(a => a.source === source && a.eventName === realName && samePath(a.path, field.path));
  if (alternative && !own.every(l => samePath(namesOf(l), alternative.replaces))) {
    throw new Error(`${source} ${realName}: the sample names the resource at ${own.map(l => l.join('.'))}, not at ${alternative.replaces.join('.')}`);
  }
  // Deepest first, array members from the last: deleting one does not move another.
  [...own].reverse().forEach(l => deleteAt(event.detail, l));
  setPath(event.detail, field.path, value);
  return { event, value, placement: alternative ? 'alternative' : 'placed' };
}

/** The (real call, field) combinations of a group, each with its qualifier (alternating, for prefix fields). */
function combinationsOf(source: string, group: WatchedCallGroup) {
  const calls = group.eventNames.flatMap(eventName => sampledEventNames(source, eventName).map(realName => ({ eventName, realName })));
  return calls.flatMap((call, i) => group.fields.map(field => ({ ...call, field, qualifier: QUALIFIERS[i % QUALIFIERS.length] })));
}

/** Every (call, field) of a resource, as the app's own and as another app's. */
function pairsOf(logicalId: string, layer: string, type: WatchedResourceType, own: FakeIds, other: FakeIds): Pair[] {
  return type.groups.flatMap(group => combinationsOf(type.source, group).map(({ eventName, realName, field, qualifier }) => {
    const mine = fieldEvent(type.source, realName, field, identifierValue(own, logicalId, field.identifier), qualifier);
    const theirs = fieldEvent(type.source, realName, field, identifierValue(other, logicalId, field.identifier), qualifier);
    const { value, placement, event } = mine;
    if (theirs.placement !== placement) throw new Error(`${logicalId} ${realName} ${fieldName(field)}: ${placement} for the app, ${theirs.placement} for the other`);
    return { logicalId, layer, type, group, eventName, realName, field, value, placement, event, foreign: theirs.event };
  }));
}

/** The logical ids a pattern names (Ref, Fn::GetAtt, and literal names of the template's rules). */
function referencedIds(raw: unknown, literalRuleNames: Map<string, string>): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v === 'string') {
      const id = literalRuleNames.get(v);
      if (id) found.add(id);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && !o.Ref.startsWith('AWS::')) found.add(o.Ref);
    if (Array.isArray(o['Fn::GetAtt'])) found.add((o['Fn::GetAtt'] as string[])[0]);
    Object.values(o).forEach(walk);
  };
  walk(raw);
  return found;
}

/** Every string of a resolved pattern (values, and the operands of its filters). */
function stringLeaves(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringLeaves);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(stringLeaves);
  return [];
}

/** The value lists of an alternative (a branch of a pattern's detail), but its eventName, with their paths. */
function valueArrays(branch: Record<string, unknown>): Array<[string[], unknown[]]> {
  const found: Array<[string[], unknown[]]> = [];
  const walk = (v: unknown, at: string[]): void => {
    if (Array.isArray(v)) {
      found.push([at, v]);
      return;
    }
    if (v !== null && typeof v === 'object') Object.entries(v).forEach(([k, e]) => walk(e, [...at, k]));
  };
  Object.entries(branch).filter(([k]) => k !== 'eventName').forEach(([k, v]) => walk(v, [k]));
  return found;
}

function nestAt(path: string[], values: unknown[]): Record<string, unknown> {
  let value: unknown = values;
  for (let i = path.length - 1; i >= 0; i--) value = { [path[i]]: value };
  return value as Record<string, unknown>;
}

function asRoot(event: Event): Event {
  const copy = JSON.parse(JSON.stringify(event));
  copy.detail.userIdentity = {
    type: 'Root',
    principalId: ENV.account,
    arn: `arn:aws:iam::${ENV.account}:root`,
    accountId: ENV.account,
    accessKeyId: 'ASIAEXAMPLEROOTKEY01',
  };
  return copy;
}

/** A read-only or unrelated call on a resource, in the record shape of its service. */
function otherCall(source: string, eventName: string, requestParameters: Record<string, unknown>, readOnly: boolean, resources?: any[]): Event {
  const event: Event = cloudTrailEvent({ source, eventName, requestParameters, resources, ...WHERE });
  event.detail.readOnly = readOnly;
  return event;
}

function analyse(template: { Resources: Record<string, TemplateResource> }, stackName: string) {
  const resources = template.Resources;
  const env = { ...ENV, stackName };
  const own = new FakeIds(template, env);
  const other = new FakeIds(template, env, 'other');
  const rules: TamperRule[] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Metadata?.[TAMPER_WATCH_METADATA])
    .map(([logicalId, r]) => ({
      logicalId,
      ...r.Metadata![TAMPER_WATCH_METADATA],
      raw: r.Properties!.EventPattern,
      pattern: own.resolve(r.Properties!.EventPattern) as Record<string, unknown>,
    }));
  const watched = Object.entries(resources).filter(([, r]) => watchedTypeOf(r.Type) && r.Metadata?.[LAYER_METADATA]);
  const pairs = watched.flatMap(([id, r]) => pairsOf(id, r.Metadata![LAYER_METADATA], watchedTypeOf(r.Type)!, own, other));
  const literalRuleNames = new Map(Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && typeof r.Properties?.Name === 'string')
    .map(([id, r]) => [r.Properties!.Name as string, id]));
  const matching = (event: Event) => rules.filter(rule => matchesEventPattern(rule.pattern, event));
  const ofType = (type: string, layer?: string) => Object.entries(resources)
    .filter(([, r]) => r.Type === type && (layer === undefined || r.Metadata?.[LAYER_METADATA] === layer)).map(([id]) => id);
  return { resources, own, other, rules, watched, pairs, literalRuleNames, matching, ofType };
}

const key = (p: Pair) => `${p.layer} ${p.type.cfnType} ${p.logicalId} ${p.realName} [${fieldName(p.field)}]`;

describe('catalogue against the real-shaped CloudTrail samples', () => {
  const groups: Array<[string, WatchedResourceType, WatchedCallGroup]> = WATCHED_RESOURCE_TYPES.flatMap(type =>
    type.groups.map((group, i) => [`${type.cfnType} #${i + 1} (${group.eventNames.join(', ')})`, type, group] as [string, WatchedResourceType, WatchedCallGroup]));

  test('every watched call has at least one sample: its name exists in the service\'s records', () => {
    const unsampled = [...WATCHED_RESOURCE_TYPES.flatMap(t => t.groups.flatMap(g => g.eventNames.map(e => [t.source, e]))), ...MIRROR_SESSION_CALLS.eventNames.map(e => ['aws.ec2', e])]
      .filter(([source, eventName]) => sampledEventNames(source, eventName).length === 0)
      .map(([source, eventName]) => `${source} ${eventName}`);
    expect(unsampled).toEqual([]);
  });

  test('no watched call is one whose records never name the resource', () => {
    const watched = WATCHED_RESOURCE_TYPES.flatMap(t => t.groups.flatMap(g => g.eventNames.flatMap(e => sampledEventNames(t.source, e).map(n => `${t.source} ${n}`))));
    expect(CALLS_NOT_NAMING_THE_RESOURCE.map(c => `${c.source} ${c.eventName}`).filter(c => watched.includes(c))).toEqual([]);
  });

  /** A made-up identifier per kind of identifier (a name and an ARN of one resource differ). */
  const markerFor = (type: WatchedResourceType, identifier: ResourceIdentifier) => (type.cfnType === 'AWS::KMS::Key'
    ? `arn:aws:kms:${ENV.region}:${ENV.account}:key/0b5d7d0a-1111-4000-8000-00000000abcd`
    : `marker-${fieldName({ path: [], identifier }).replace(/^ = /, '')}-of-the-watched-resource`);
  /** The primitive leaves of a record's request and resources, by location, but those naming the resource in `field`. */
  const restOf = (detail: Event, field: FieldMatch, identifier: string) => {
    const leaves = new Map<string, unknown>();
    const walk = (v: unknown, at: Location): void => {
      if (Array.isArray(v)) return v.forEach((e, i) => walk(e, [...at, i]));
      if (v !== null && typeof v === 'object') return Object.entries(v).forEach(([k, e]) => walk(e, [...at, k]));
      if (v === identifier || (samePath(namesOf(at), field.path) && fits(field, identifier, v))) return;
      leaves.set(at.join('.'), v);
    };
    walk({ requestParameters: detail.requestParameters, resources: detail.resources }, []);
    return leaves;
  };

  test.each(groups)('%s: every field can be filled in the record of a sampled call, alone and with the rest of the sample\'s record; every sampled call records the resource in some field', (_name, type, group) => {
    const realNames = group.eventNames.flatMap(e => sampledEventNames(type.source, e));
    expect(realNames.length).toBeGreaterThan(0);
    const built = combinationsOf(type.source, group).map(c => {
      const identifier = markerFor(type, c.field.identifier);
      return { ...c, identifier, ...fieldEvent(type.source, c.realName, c.field, identifier, c.qualifier) };
    });
    // A field no sampled call takes (as sampled, reshaped in place, or as a documented alternative) is a dead alternative of every rule.
    expect(group.fields.filter(f => !built.some(b => b.field === f && b.placement !== 'placed')).map(fieldName)).toEqual([]);
    for (const b of built) {
      const what = `${b.realName} ${fieldName(b.field)} (${b.placement})`;
      const identifier = b.identifier;
      // The event names the resource in its field, and in no other field of the group: a match proves that field's alternative.
      expect([what, recordNames(b.field, identifier, b.event.detail)]).toEqual([what, true]);
      const others = group.fields.filter(f => f !== b.field && recordNames(f, markerFor(type, f.identifier), b.event.detail));
      expect([what, others.map(fieldName)]).toEqual([what, []]);
      // The rest of the record is the sample's.
      const original = sample(type.source, b.realName, { value: identifier, ...WHERE });
      const rest = (detail: Event) => Object.fromEntries(restOf(detail, b.field, identifier));
      expect([what, rest(b.event.detail)]).toEqual([what, rest(original.detail)]);
    }
    // A call whose record names the resource in none of the fields (as sampled, or as its documented alternative) can never match.
    expect(realNames.filter(n => !group.fields.some(f => {
      const value = markerFor(type, f.identifier);
      return recordNames(f, value, sample(type.source, n, { value, ...WHERE }).detail)
        || built.some(b => b.realName === n && b.field === f && b.placement !== 'placed');
    }))).toEqual([]);
  });
});

const APP_IMAGE = 'public.ecr.aws/docker/library/httpd:2.4';

/** Two DefendedWebServices: between them, every type of the catalogue. */
const APPS: Array<[string, Partial<DefendedWebServiceProps>, string[]]> = [
  ['EC2 hosts (defaults)', {}, ['AWS::EC2::TrafficMirrorTarget', 'AWS::EC2::TrafficMirrorFilter', 'AWS::EC2::TrafficMirrorFilterRule']],
  ['Fargate, GuardDuty and routes', {
    fargate: { appImage: ecs.ContainerImage.fromRegistry(APP_IMAGE) },
    monitor: { enableGuardDuty: true },
    routes: [{ pathPatterns: ['/api/*'], methods: ['GET', 'POST'] }, { pathPatterns: ['/static/*'] }],
  }, ['AWS::ECS::Service', 'AWS::GuardDuty::Detector', 'AWS::ElasticLoadBalancingV2::ListenerRule']],
];

/** The types both apps have (each app's test checks it has them, and the types it is chosen for). */
const COMMON_TYPES = ['AWS::WAFv2::WebACL', 'AWS::WAFv2::WebACLAssociation', 'AWS::WAFv2::IPSet', 'AWS::Logs::LogGroup', 'AWS::KinesisFirehose::DeliveryStream',
  'AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::CloudTrail::Trail', 'AWS::Lambda::Function', 'AWS::Events::Rule', 'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm', 'AWS::SNS::Topic', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::EC2::SecurityGroup', 'AWS::EC2::FlowLog',
  // The host tier's (and the mirror target's) target groups; the watch layer's log resource policy, which lets EventBridge write the tamper counts.
  'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::Logs::ResourcePolicy'];

test('between them, the two apps have a resource of every type of the catalogue', () => {
  expect([...COMMON_TYPES, ...APPS.flatMap(([, , own]) => own)].sort()).toEqual(WATCHED_RESOURCE_TYPES.map(t => t.cfnType).sort());
});

describe.each(APPS)('tamper-watch patterns of a DefendedWebService with %s: each watched call matches, the same call on another app\'s resource does not', (_title, props, ownTypes) => {
  const { stack } = service(props);
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, TemplateResource> };
  const a = analyse(template, stack.stackName);
  const { rules, pairs, own, other, matching, ofType } = a;
  const layers = [...new Set(rules.map(r => r.layer))].sort();
  const resourcePairs = new Set(pairs.map(p => `${p.logicalId} ${p.eventName}`));
  const tripleOf = (id: string, eventName: string, field: FieldMatch) => `${id} ${eventName} [${fieldName(field)}]`;
  const triples = new Set(pairs.map(p => tripleOf(p.logicalId, p.eventName, p.field)));
  const placements = (['sample', 'reshaped', 'alternative', 'placed'] as Placement[]).map(pl => `${pl} ${pairs.filter(p => p.placement === pl).length}`).join(', ');

  /** The self-watching rules (they watch the other tamper rules by name, themselves included). */
  const selfWatchers = new Set(rules.filter(r => r.source === 'aws.events' && r.layer === 'watch').map(r => r.logicalId));
  const matchedInLayer = (p: Pair) => matching(p.event).some(r => r.layer === p.layer);

  test(`the app has tamper rules for every layer (${rules.length} rules)`, () => {
    expect(layers).toEqual(['archive', 'edge', 'host', 'monitor', 'watch']);
    expect(rules.length).toBeGreaterThanOrEqual(layers.length);
    // Every resource of a watched type in the template belongs to a layer (else it could not be watched).
    const unlayered = Object.entries(a.resources).filter(([, r]) => watchedTypeOf(r.Type) && !r.Metadata?.[LAYER_METADATA]).map(([id]) => id);
    expect(unlayered).toEqual([]);
  });

  test.each(rules.map(r => [r.logicalId, r] as [string, TamperRule]))('%s: every (resource, call) it names matches a rule of its layer and no rule matches another app\'s', (_id, rule) => {
    expect(rule.pattern).toMatchObject({ 'source': [rule.source], 'detail-type': ['AWS API Call via CloudTrail'] });
    // The watched resources the rule covers: those of its calls whose identifier is in the resolved pattern.
    const leaves = new Set(stringLeaves(rule.pattern));
    const named = a.watched.filter(([id, r]) => {
      const type = watchedTypeOf(r.Type)!;
      return type.source === rule.source && rule.calls.some(c => c.what === type.what) && type.groups.some(g => g.fields.some(f =>
        leaves.has(`${identifierValue(own, id, f.identifier)}${f.prefixWithSuffix ?? ''}`)));
    }).map(([id]) => id);
    // Every resource the pattern refers to is accounted for: covered, or what a covered association protects.
    const accounted = new Set(named.flatMap(id => [id, ...referencedIds(a.resources[id].Properties, new Map())]));
    const referenced = [...referencedIds(rule.raw, a.literalRuleNames)].filter(id => a.resources[id].Type !== 'AWS::IAM::Role');
    expect(referenced.filter(id => !accounted.has(id))).toEqual([]);
    const proven: Pair[] = [];
    for (const id of named) {
      const type = watchedTypeOf(a.resources[id].Type)!;
      // Each resource a layer's rule covers belongs to that layer.
      expect([id, a.resources[id].Metadata?.[LAYER_METADATA]]).toEqual([id, rule.layer]);
      const calls = rule.calls.filter(c => c.what === type.what).flatMap(c => c.eventNames);
      proven.push(...pairs.filter(p => p.logicalId === id && calls.includes(p.eventName)));
    }
    if (named.length === 0) {
      // Only mirror sessions: no resource of the app, any caller but the layer's own roles.
      expect(rule.calls.map(c => c.what)).toEqual(['mirror session']);
      const session = { value: 'tms-0a1b2c3d4e5f60718', ...WHERE };
      const admin = sample('aws.ec2', 'DeleteTrafficMirrorSession', session);
      expect(matchesEventPattern(rule.pattern, admin) || matchesEventPattern(rule.pattern, asRoot(admin))).toBe(true);
      return;
    }
    expect(proven.length).toBeGreaterThan(0);
    for (const p of proven) {
      expect([key(p), p.value, matching(p.event).filter(r => r.layer === rule.layer).length > 0]).toEqual([key(p), p.value, true]);
      expect([key(p), 'foreign', matching(p.foreign).map(r => r.logicalId)]).toEqual([key(p), 'foreign', []]);
    }
    // The rule itself is alive: it matches some of the calls it was made for.
    expect(proven.some(p => matchesEventPattern(rule.pattern, p.event))).toBe(true);
    // ... and so is each value of each of its alternatives: a call on that resource, named in that field, matches the alternative.
    const detail = rule.pattern.detail as Record<string, unknown>;
    const branches = (Array.isArray(detail.$or) ? detail.$or : [detail]) as Array<Record<string, unknown>>;
    const dead: string[] = [];
    for (const branch of branches) {
      if ('userIdentity' in branch) continue; // mirror sessions: proven in their own tests
      const arrays = valueArrays(branch);
      expect(arrays.length).toBe(1);
      const [path, values] = arrays[0];
      for (const value of values) {
        const single = { ...rule.pattern, detail: { ...branch, ...nestAt(path, [value]) } };
        if (!proven.some(p => matchesEventPattern(single, p.event))) dead.push(`${path.join('.')} ${JSON.stringify(value)}`);
      }
    }
    expect(dead).toEqual([]);
  });

  test(`coverage: all ${resourcePairs.size} (resource, call) pairs and ${triples.size} (resource, call, field) triples of the catalogue on the app's resources (${pairs.length} sampled events: ${placements}) match a rule of the resource's layer; on another app's resources, none matches`, () => {
    // Every catalogue call of every watched resource has a sampled event, for each field of its group.
    const expected = a.watched.flatMap(([id, r]) => watchedTypeOf(r.Type)!.groups.flatMap(g => g.eventNames.map(e => `${id} ${e}`)));
    expect(expected.filter(k => !resourcePairs.has(k))).toEqual([]);
    expect(resourcePairs.size).toBe(new Set(expected).size);
    const expectedTriples = a.watched.flatMap(([id, r]) => watchedTypeOf(r.Type)!.groups
      .flatMap(g => g.eventNames.flatMap(e => g.fields.map(f => tripleOf(id, e, f)))));
    expect(expectedTriples.filter(k => !triples.has(k))).toEqual([]);
    expect(triples.size).toBe(new Set(expectedTriples).size);
    // Each event names its resource in its own field only: its match proves that field's alternative.
    const otherwiseNamed = pairs.filter(p => p.group.fields
      .some(f => f !== p.field && recordNames(f, identifierValue(own, p.logicalId, f.identifier), p.event.detail)));
    expect(otherwiseNamed.map(key)).toEqual([]);
    // The app has resources of the types both apps have, and of the types it is chosen for.
    const types = new Set(a.watched.map(([, r]) => r.Type));
    expect([...COMMON_TYPES, ...ownTypes].filter(t => !types.has(t))).toEqual([]);
    const unmatched = pairs.filter(p => !matchedInLayer(p)).map(p => `${key(p)} ${p.value}`);
    expect(unmatched).toEqual([]);
    const foreignMatched = pairs.filter(p => matching(p.foreign).length > 0).map(p => `${key(p)} ${JSON.stringify(p.foreign.detail.requestParameters)}`);
    expect(foreignMatched).toEqual([]);
  });

  test(`the ${selfWatchers.size} rules that watch the tamper rules by name watch each other and themselves too`, () => {
    // Disabling or deleting any tamper rule, one of these included, matches a rule of the watch layer.
    expect(selfWatchers.size).toBeGreaterThan(0);
    // Per rule, one event per (call, field) of the catalogue's EventBridge rule entry.
    const perRule = watchedTypeOf('AWS::Events::Rule')!.groups.reduce((n, g) => n + combinationsOf('aws.events', g).length, 0);
    expect(perRule).toBeGreaterThan(0);
    const selfPairs = pairs.filter(p => selfWatchers.has(p.logicalId));
    expect(selfPairs.length).toBe(selfWatchers.size * perRule);
    expect(selfPairs.filter(p => !matchedInLayer(p)).map(key)).toEqual([]);
    const others = pairs.filter(p => p.type.cfnType === 'AWS::Events::Rule' && !selfWatchers.has(p.logicalId)
      && a.resources[p.logicalId].Metadata?.[TAMPER_WATCH_METADATA]);
    expect(others.length).toBe((rules.length - selfWatchers.size) * perRule);
    expect(others.filter(p => !matchedInLayer(p)).map(key)).toEqual([]);
  });

  const sizes = rules.map(r => [r.logicalId, JSON.stringify(r.pattern).length] as const);
  test(`each pattern is at most ${EVENTBRIDGE_PATTERN_LIMIT} characters once resolved with generated names of ${GENERATED_NAME_LENGTH} characters (largest: ${Math.max(...sizes.map(([, n]) => n))})`, () => {
    expect(sizes.filter(([, n]) => n > EVENTBRIDGE_PATTERN_LIMIT)).toEqual([]);
    // The long generated names are really in there.
    const generated = ofType('AWS::Logs::LogGroup', 'monitor').map(id => own.ref(id)).filter(n => n.length === GENERATED_NAME_LENGTH);
    expect(generated.length).toBeGreaterThan(3);
    expect(generated.every(n => rules.some(r => stringLeaves(r.pattern).includes(n)))).toBe(true);
  });

  test('the trail is watched: StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors on the app\'s trail (by name or ARN) match; on another trail they do not', () => {
    const [trail] = ofType('AWS::CloudTrail::Trail');
    expect(ofType('AWS::CloudTrail::Trail')).toHaveLength(1);
    const theirs = [other.ref(trail), other.getAtt(trail, 'Arn'), `arn:aws:cloudtrail:${ENV.region}:${ENV.account}:trail/organization-trail`, 'management-events'];
    for (const call of ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors']) {
      for (const value of [own.ref(trail), own.getAtt(trail, 'Arn')]) {
        expect([call, value, matching(sample('aws.cloudtrail', call, { value, ...WHERE })).map(r => r.layer)]).toEqual([call, value, ['watch']]);
      }
      for (const value of theirs) {
        expect([call, value, matching(sample('aws.cloudtrail', call, { value, ...WHERE }))]).toEqual([call, value, []]);
      }
    }
  });

  const mirrored = ofType('AWS::EC2::TrafficMirrorTarget').length > 0;
  test(`mirror sessions are watched only where the monitor mirrors (${mirrored ? 'it does' : 'it does not'})`, () => {
    const sessionRules = rules.filter(r => r.calls.some(c => c.what === 'mirror session'));
    expect(sessionRules.length > 0).toBe(mirrored);
    expect(matching(sample('aws.ec2', 'DeleteTrafficMirrorSession', { value: 'tms-0a1b2c3d4e5f60718', ...WHERE })).length > 0).toBe(mirrored);
  });

  (mirrored ? describe : describe.skip)('mirror sessions (made at run time, no CloudFormation identity)', () => {
    // The one role of the monitor layer allowed to delete sessions: the mirror-sessions function's.
    const deleters = Object.values(a.resources)
      .filter(r => r.Type === 'AWS::IAM::ManagedPolicy' && JSON.stringify(r.Properties!.PolicyDocument).includes('ec2:DeleteTrafficMirrorSession'))
      .flatMap(r => r.Properties!.Roles.map((role: { Ref: string }) => role.Ref));
    const session = { value: 'tms-0a1b2c3d4e5f60718', ...WHERE };

    test('DeleteTrafficMirrorSession and ModifyTrafficMirrorSession by an administrator match the monitor layer', () => {
      for (const call of MIRROR_SESSION_CALLS.eventNames) {
        expect([call, matching(sample('aws.ec2', call, session)).map(r => r.layer)]).toEqual([call, ['monitor']]);
      }
    });

    test('by the monitor layer\'s own mirror-sessions role: no match', () => {
      expect(deleters).toHaveLength(1);
      expect(a.resources[deleters[0]].Metadata?.[LAYER_METADATA]).toBe('monitor');
      const roleArn = own.getAtt(deleters[0], 'Arn');
      expect(matching(sample('aws.ec2', 'DeleteTrafficMirrorSession', session, { callerRoleArn: roleArn }))).toEqual([]);
      // Another app's mirror-sessions role is not ours: its deletions are matched (documented: sessions of other apps are matched too).
      expect(matching(sample('aws.ec2', 'DeleteTrafficMirrorSession', session, { callerRoleArn: other.getAtt(deleters[0], 'Arn') })).map(r => r.layer)).toEqual(['monitor']);
    });

    test('by the root user (userIdentity.type Root, no session issuer): match', () => {
      const root = asRoot(sample('aws.ec2', 'DeleteTrafficMirrorSession', session));
      expect(root.detail.userIdentity.sessionContext).toBeUndefined();
      expect(matching(root).map(r => r.layer)).toEqual(['monitor']);
    });
  });

  test('read-only calls, and calls that do not weaken a control, on the app\'s own resources do not match', () => {
    const keyId = ofType('AWS::KMS::Key', 'archive')[0];
    const keyArn = own.getAtt(keyId, 'Arn');
    const kmsResources = [{ ARN: keyArn, accountId: ENV.account, type: 'AWS::KMS::Key' }];
    const logGroup = own.ref(ofType('AWS::Logs::LogGroup', 'edge')[0]);
    const bucket = own.ref(ofType('AWS::S3::Bucket', 'archive')[0]);
    const fn = own.ref(ofType('AWS::Lambda::Function', 'monitor')[0]);
    const trail = own.ref(ofType('AWS::CloudTrail::Trail')[0]);
    const alarm = own.ref(ofType('AWS::CloudWatch::Alarm', 'watch')[0]);
    const topic = own.ref(ofType('AWS::SNS::Topic', 'watch')[0]);
    const sg = own.getAtt(ofType('AWS::EC2::SecurityGroup', 'host')[0], 'GroupId');
    const flowLog = own.ref(ofType('AWS::EC2::FlowLog', 'monitor')[0]);
    const stream = own.ref(ofType('AWS::KinesisFirehose::DeliveryStream', 'edge')[0]);
    const webAcl = ofType('AWS::WAFv2::WebACL', 'edge')[0];
    const lb = own.ref(ofType('AWS::ElasticLoadBalancingV2::LoadBalancer', 'host')[0]);
    const rule = own.getAtt(ofType('AWS::Events::Rule', 'edge').find(id => !a.resources[id].Metadata?.[TAMPER_WATCH_METADATA])!, 'Arn').split('/').pop()!;
    const s3 = { bucketName: bucket, Host: `${bucket}.s3.${ENV.region}.amazonaws.com` };
    const s3Resources = [{ ARN: `arn:aws:s3:::${bucket}`, accountId: ENV.account, type: 'AWS::S3::Bucket' }];
    const calls: Event[] = [
      otherCall('aws.kms', 'DescribeKey', { keyId: keyArn }, true, kmsResources),
      otherCall('aws.kms', 'GetKeyPolicy', { keyId: keyArn, policyName: 'default' }, true, kmsResources),
      otherCall('aws.kms', 'EnableKeyRotation', { keyId: keyArn }, false, kmsResources),
      otherCall('aws.logs', 'DescribeSubscriptionFilters', { logGroupName: logGroup }, true),
      otherCall('aws.logs', 'CreateLogStream', { logGroupName: logGroup, logStreamName: 'i-0123456789abcdef0' }, false),
      otherCall('aws.s3', 'GetBucketPolicy', { ...s3, policy: '' }, true, s3Resources),
      otherCall('aws.s3', 'GetBucketEncryption', { ...s3, encryption: '' }, true, s3Resources),
      otherCall('aws.lambda', 'GetFunction20150331v2', { functionName: fn }, true),
      otherCall('aws.lambda', 'GetPolicy20150331v2', { functionName: fn }, true),
      otherCall('aws.cloudtrail', 'GetTrailStatus', { name: trail }, true),
      otherCall('aws.cloudtrail', 'StartLogging', { name: trail }, false),
      otherCall('aws.monitoring', 'DescribeAlarms', { alarmNames: [alarm] }, true),
      otherCall('aws.monitoring', 'EnableAlarmActions', { alarmNames: [alarm] }, false),
      otherCall('aws.sns', 'GetTopicAttributes', { topicArn: topic }, true),
      otherCall('aws.sns', 'ListSubscriptionsByTopic', { topicArn: topic }, true),
      otherCall('aws.ec2', 'RevokeSecurityGroupIngress', { groupId: sg, ipPermissions: { items: [] } }, false),
      otherCall('aws.ec2', 'DescribeFlowLogs', { DescribeFlowLogsRequest: { FlowLogId: { content: flowLog, tag: 1 } } }, true),
      otherCall('aws.firehose', 'DescribeDeliveryStream', { deliveryStreamName: stream }, true),
      otherCall('aws.firehose', 'StartDeliveryStreamEncryption', { deliveryStreamName: stream }, false),
      otherCall('aws.wafv2', 'GetWebACL', { name: own.nameOf(webAcl), scope: 'REGIONAL', id: own.getAtt(webAcl, 'Id') }, true),
      otherCall('aws.wafv2', 'GetLoggingConfiguration', { resourceArn: own.getAtt(webAcl, 'Arn') }, true),
      otherCall('aws.elasticloadbalancing', 'DescribeLoadBalancerAttributes', { loadBalancerArn: lb }, true),
      otherCall('aws.events', 'DescribeRule', { name: rule }, true),
      otherCall('aws.events', 'EnableRule', { name: rule }, false),
      // A watched event name of another service: ELB's DeleteRule is not EventBridge's.
      otherCall('aws.elasticloadbalancing', 'DeleteRule', { ruleArn: rule }, false),
    ];
    expect(calls.map(e => [e.detail.eventName, matching(e).map(r => r.logicalId)])).toEqual(calls.map(e => [e.detail.eventName, []]));
    // The same resources are really named by the rules: the watched calls on them do match.
    const watchedOnes = [
      sample('aws.kms', 'PutKeyPolicy', { value: keyArn, ...WHERE }),
      sample('aws.logs', 'DeleteSubscriptionFilter', { value: logGroup, ...WHERE }),
      sample('aws.s3', 'PutBucketPolicy', { value: bucket, ...WHERE }),
      sample('aws.lambda', 'UpdateFunctionCode20150331v2', { value: fn, ...WHERE }),
      sample('aws.cloudtrail', 'StopLogging', { value: trail, ...WHERE }),
      sample('aws.monitoring', 'DisableAlarmActions', { value: alarm, ...WHERE }),
      sample('aws.sns', 'Unsubscribe', { value: topic, ...WHERE }),
      sample('aws.ec2', 'AuthorizeSecurityGroupIngress', { value: sg, ...WHERE }),
      sample('aws.ec2', 'DeleteFlowLogs', { value: flowLog, ...WHERE }),
      sample('aws.firehose', 'StopDeliveryStreamEncryption', { value: stream, ...WHERE }),
      sample('aws.wafv2', 'DeleteLoggingConfiguration', { value: own.getAtt(webAcl, 'Arn'), ...WHERE }),
      sample('aws.elasticloadbalancing', 'ModifyLoadBalancerAttributes', { value: lb, ...WHERE }),
      sample('aws.events', 'DisableRule', { value: rule, ...WHERE }),
    ];
    expect(watchedOnes.map(e => [e.detail.eventName, matching(e).length > 0])).toEqual(watchedOnes.map(e => [e.detail.eventName, true]));
  });

  test('other names the APIs accept for a watched resource match too: partial and qualified function ARNs, a log group\'s ARN', () => {
    const fnId = ofType('AWS::Lambda::Function', 'monitor')[0];
    const fnName = own.ref(fnId);
    const fnArn = own.getAtt(fnId, 'Arn');
    const logGroupId = ofType('AWS::Logs::LogGroup', 'edge')[0];
    const calls = [
      // Lambda takes a partial ARN (`<account>:function:<name>`) wherever it takes a name: reserved concurrency 0 stops the function.
      sample('aws.lambda', 'PutFunctionConcurrency20171031', { value: `${ENV.account}:function:${fnName}`, ...WHERE }),
      sample('aws.lambda', 'UpdateFunctionCode20150331v2', { value: `${ENV.account}:function:${fnName}`, ...WHERE }),
      // ... and a name or ARN with a version or alias after a colon.
      sample('aws.lambda', 'UpdateFunctionConfiguration20150331v2', { value: `${fnArn}:live`, ...WHERE }),
      sample('aws.lambda', 'DeleteFunction20150331', { value: `${fnName}:3`, ...WHERE }),
      // CloudWatch Logs' DisassociateKmsKey takes the log group's ARN as resourceIdentifier instead of logGroupName.
      otherCall('aws.logs', 'DisassociateKmsKey', { resourceIdentifier: own.getAtt(logGroupId, 'Arn').replace(/:\*$/, '') }, false),
    ];
    expect(calls.map(e => [e.detail.eventName, matching(e).map(r => r.layer)])).toEqual([
      ...calls.slice(0, 4).map(e => [e.detail.eventName, ['monitor']]),
      ['DisassociateKmsKey', ['edge']],
    ]);
    // Another app's function with the same name prefix does not match.
    expect(matching(sample('aws.lambda', 'DeleteFunction20150331', { value: `${fnName}-other`, ...WHERE }))).toEqual([]);
  });

  test('a watched call that failed (AccessDenied) still matches: an attempt is a tamper event', () => {
    const keyArn = own.getAtt(ofType('AWS::KMS::Key', 'archive')[0], 'Arn');
    const denied = sample('aws.kms', 'ScheduleKeyDeletion', { value: keyArn, ...WHERE });
    denied.detail.errorCode = 'AccessDenied';
    denied.detail.errorMessage = 'User is not authorized to perform: kms:ScheduleKeyDeletion with an explicit deny in a resource-based policy';
    denied.detail.responseElements = null;
    expect(matching(denied).map(r => r.layer)).toEqual(['archive']);
  });

  test('every source of the app\'s watched resources has a rule, and every sampled source is in the catalogue', () => {
    const sources = new Set(rules.map(r => r.source));
    const appSources = new Set(a.watched.map(([, r]) => watchedTypeOf(r.Type)!.source));
    expect([...appSources].filter(s => !sources.has(s))).toEqual([]);
    expect(Object.keys(SAMPLE_CALLS).filter(s => !WATCHED_RESOURCE_TYPES.some(t => t.source === s))).toEqual([]);
  });
});
