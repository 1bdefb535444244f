import { Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { parseCidr } from '../../core/cidr';
import { PropValidator } from '../../core/validation-error';
import {
  ExfiltrationAlarmOptions, MirrorDirection, MirrorFilterRule, MirrorRuleAction, SensorFleetOptions,
} from '../traffic-monitor-options';

/** AWS allows 10 rules per traffic mirror filter (a hard quota), counted over both directions. */
export const MAX_FILTER_RULES = 10;
/** Suricata sids below this belong to the rule sources (ET Open uses 2,000,000+, local rules conventionally 1,000,000+). */
export const MIN_LOCAL_SID = 1_000_000;
/** The sid of the library's own canary rule: it proves the sensors see mirrored traffic (heartbeats send it). */
export const CANARY_SID = 1_990_001;

/** A filter rule with every default filled in, ready for `AWS::EC2::TrafficMirrorFilterRule`. */
export interface ResolvedFilterRule {
  readonly direction: MirrorDirection;
  readonly ruleNumber: number;
  readonly action: MirrorRuleAction;
  readonly protocol?: number;
  readonly sourceCidr: string;
  readonly destinationCidr: string;
  readonly sourcePorts?: { from: number; to: number };
  readonly destinationPorts?: { from: number; to: number };
}

export interface ResolvedSensorOptions {
  readonly instanceType: ec2.InstanceType;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly ruleSources: string[];
  readonly localRules: string[];
}

export interface ResolvedExfiltrationOptions {
  readonly bandWidth: number;
  readonly maxDestinations: number;
  readonly internalAddresses: string[];
  readonly sensorAlertThreshold: number;
}

/** Everything on the wire (IPv4 and IPv6, both directions): 4 of the 10 rules. */
export const DEFAULT_FILTER_RULES: MirrorFilterRule[] = [MirrorDirection.INBOUND, MirrorDirection.OUTBOUND].flatMap(direction => [
  { direction, sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0' },
  { direction, sourceCidr: '::/0', destinationCidr: '::/0' },
]);

export const DEFAULT_INTERNAL_ADDRESSES = [
  '10.*', '192.168.*', '169.254.*',
  ...Array.from({ length: 16 }, (_, i) => `172.${16 + i}.*`),
];

const ADDRESS_PREFIX = /^(\d{1,3}\.){1,3}\*$|^[0-9a-f]{1,4}:[0-9a-f:]*\*$/;
const RULE_SOURCE = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9._-]+$/;
const SURICATA_RULE = /^(alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth)\s+\S+\s.*\(.*\)\s*$/s;
const SID = /[(;]\s*sid\s*:\s*(\d+)\s*;/;

/** Checks the filter rules and numbers them (100, 200, ... per direction, in the order given). */
export function resolveFilterRules(v: PropValidator, rules: MirrorFilterRule[] | undefined): ResolvedFilterRule[] {
  const given = rules ?? DEFAULT_FILTER_RULES;
  v.check(given.length >= 1 && given.length <= MAX_FILTER_RULES, 'mirrorFilterRules', `${given.length} rules`,
    `1 to ${MAX_FILTER_RULES} rules: AWS allows ${MAX_FILTER_RULES} per traffic mirror filter (a quota that cannot be raised), both directions together`);
  const counters: Record<string, number> = {};
  return given.map((rule, i) => {
    const prop = `mirrorFilterRules[${i}]`;
    v.check(Object.values(MirrorDirection).includes(rule.direction), `${prop}.direction`, rule.direction, 'MirrorDirection.INBOUND or MirrorDirection.OUTBOUND');
    const src = rule.sourceCidr === undefined ? undefined : parseCidr(rule.sourceCidr);
    const dst = rule.destinationCidr === undefined ? undefined : parseCidr(rule.destinationCidr);
    if (rule.sourceCidr !== undefined) v.check(src !== undefined, `${prop}.sourceCidr`, rule.sourceCidr, 'an IPv4 or IPv6 CIDR, e.g. 10.0.0.0/16 or ::/0');
    if (rule.destinationCidr !== undefined) v.check(dst !== undefined, `${prop}.destinationCidr`, rule.destinationCidr, 'an IPv4 or IPv6 CIDR, e.g. 0.0.0.0/0');
    if (src && dst) {
      v.checkDescribed(src.version === dst.version, prop, `source IPv${src.version}, destination IPv${dst.version}`, 'a source and a destination of the same IP version');
    }
    const version = src?.version ?? dst?.version ?? 4;
    const any = version === 4 ? '0.0.0.0/0' : '::/0';
    const protocol = rule.protocol;
    v.integerInRange(`${prop}.protocol`, protocol, 0, 255);
    const ports = (name: 'sourcePorts' | 'destinationPorts') => {
      const range = rule[name];
      if (!range) return undefined;
      v.check(protocol === 6 || protocol === 17, `${prop}.${name}`, `ports with protocol ${protocol ?? '(every protocol)'}`, 'port ranges only with protocol 6 (TCP) or 17 (UDP)');
      const to = range.to ?? range.from;
      v.integerInRange(`${prop}.${name}.from`, range.from, 0, 65535);
      v.integerInRange(`${prop}.${name}.to`, to, range.from, 65535);
      return { from: range.from, to };
    };
    counters[rule.direction] = (counters[rule.direction] ?? 0) + 1;
    return {
      direction: rule.direction,
      ruleNumber: counters[rule.direction] * 100,
      action: rule.action ?? MirrorRuleAction.ACCEPT,
      protocol,
      sourceCidr: rule.sourceCidr ?? any,
      destinationCidr: rule.destinationCidr ?? any,
      sourcePorts: ports('sourcePorts'),
      destinationPorts: ports('destinationPorts'),
    };
  });
}

/** Checks the sensor fleet options and fills in the defaults. */
export function resolveSensorOptions(v: PropValidator, o: SensorFleetOptions = {}): ResolvedSensorOptions {
  const minCapacity = o.minCapacity ?? 2;
  const maxCapacity = o.maxCapacity ?? minCapacity;
  v.integerInRange('sensors.minCapacity', minCapacity, 1, 20);
  v.integerInRange('sensors.maxCapacity', maxCapacity, Math.max(1, minCapacity), 20);
  const ruleSources = o.ruleSources ?? [];
  ruleSources.forEach((s, i) => v.matches(`sensors.ruleSources[${i}]`, s, RULE_SOURCE, 'a suricata-update source name such as oisf/trafficid'));
  const localRules = o.localRules ?? [];
  const sids = new Map<number, number>();
  localRules.forEach((rule, i) => {
    const prop = `sensors.localRules[${i}]`;
    if (Token.isUnresolved(rule)) return;
    if (!v.check(SURICATA_RULE.test(rule) && !rule.includes('\n'), prop, rule, 'one Suricata rule on one line: action, header, then options in parentheses')) return;
    const sid = Number(SID.exec(rule)?.[1]);
    if (!v.check(Number.isInteger(sid) && sid >= MIN_LOCAL_SID && sid !== CANARY_SID, prop, rule,
      `a rule with a sid of ${MIN_LOCAL_SID.toLocaleString('en-US')} or more (and not ${CANARY_SID}, the library's canary rule)`)) return;
    v.checkDescribed(!sids.has(sid), prop, `sid ${sid} (also in sensors.localRules[${sids.get(sid)}])`, 'a sid of its own');
    sids.set(sid, i);
  });
  return {
    instanceType: o.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MEDIUM),
    minCapacity,
    maxCapacity,
    ruleSources,
    localRules,
  };
}

/** Checks the exfiltration alarm options and fills in the defaults. */
export function resolveExfiltrationOptions(v: PropValidator, o: ExfiltrationAlarmOptions = {}): ResolvedExfiltrationOptions {
  const bandWidth = o.bandWidth ?? 3;
  if (!Token.isUnresolved(bandWidth)) v.check(bandWidth >= 1 && bandWidth <= 10, 'exfiltration.bandWidth', bandWidth, 'from 1 to 10 standard deviations');
  const maxDestinations = o.maxDestinations ?? 50;
  v.integerInRange('exfiltration.maxDestinations', maxDestinations, 1, 100_000);
  const sensorAlertThreshold = o.sensorAlertThreshold ?? 1;
  v.integerInRange('exfiltration.sensorAlertThreshold', sensorAlertThreshold, 1, 1_000_000);
  const internalAddresses = o.internalAddresses ?? DEFAULT_INTERNAL_ADDRESSES;
  v.check(internalAddresses.length <= 40, 'exfiltration.internalAddresses', `${internalAddresses.length} prefixes`,
    'at most 40 prefixes (a metric filter pattern holds 1,024 characters)');
  internalAddresses.forEach((a, i) => v.matches(`exfiltration.internalAddresses[${i}]`, a, ADDRESS_PREFIX,
    'an address prefix ending in *, e.g. 10.* or 172.16.* (IPv6: fd00:*)'));
  return { bandWidth, maxDestinations, internalAddresses, sensorAlertThreshold };
}

/** How often the reconciliation runs: 1 to 60 whole minutes. */
export function resolveReconcilePeriod(v: PropValidator, period: Duration | undefined): Duration {
  const p = period ?? Duration.minutes(5);
  if (!Token.isUnresolved(p.toSeconds())) {
    const seconds = p.toSeconds();
    v.checkDescribed(seconds % 60 === 0 && seconds >= 60 && seconds <= 3600, 'reconcileEvery', `${seconds} seconds`, 'whole minutes from 1 to 60');
  }
  return p;
}

/**
 * Instance families Traffic Mirroring cannot use as a source (AWS VPC Traffic
 * Mirroring guide, "Traffic Mirroring limitations", as read in November 2026): virtualized
 * Nitro families of the 6th generation and later, and Xen families other
 * than C4, D2, G3, G3s, H1, I3, M4, P2, P3, R4, X1 and X1e. Bare-metal sizes never.
 */
const UNSUPPORTED_FAMILIES = new Set([
  'm8g', 'm6a', 'm6i', 'm6id', 'm6idn', 'm6in', 'm7a', 'm7g', 'm7gd', 'm7i', 'm7i-flex',
  'c8g', 'c6a', 'c6gd', 'c6gn', 'c6i', 'c6id', 'c6in', 'c7a', 'c7g', 'c7gd', 'c7gn', 'c7i',
  'r8g', 'r6a', 'r6i', 'r6id', 'r6idn', 'r6in', 'r7a', 'r7g', 'r7gd', 'r7i', 'r7iz', 'x8g', 'x2idn', 'x2iedn', 'x2iezn',
  'i4g', 'i4i', 'im4gn', 'is4gen', 'inf2', 'p5', 'trn1', 'trn1n', 'hpc6a', 'hpc6id', 'hpc7a', 'hpc7g',
  // Xen families that are not in AWS's list of supported non-Nitro types.
  't1', 't2', 'm1', 'm2', 'm3', 'c1', 'c3', 'r3', 'i2', 'g2', 'cc2', 'cr1', 'hs1',
]);

/** Why an instance type cannot be a mirror source, or undefined when it can (as far as AWS documents). */
export function unmirrorableReason(instanceType: ec2.InstanceType): string | undefined {
  const name = instanceType.toString();
  if (Token.isUnresolved(name)) return undefined;
  const [family, size] = name.split('.');
  if (size?.startsWith('metal')) return `${name} is a bare-metal size, which Traffic Mirroring does not support`;
  if (UNSUPPORTED_FAMILIES.has(family)) return `the ${family} family is not supported by Traffic Mirroring as a source (AWS Traffic Mirroring limitations)`;
  return undefined;
}
