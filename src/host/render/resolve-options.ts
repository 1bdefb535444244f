import { IConstruct } from 'constructs';
import { PropValidator } from '../../core/validation-error';
import { CustomRule, CustomRuleAction, HostFilterOptions, HostFilterProfile, RuleExclusion } from '../host-filter-options';

/** Host filter options with every default applied, validated. */
export interface ResolvedHostFilterOptions {
  readonly profile: HostFilterProfile;
  readonly paranoiaLevel: number;
  readonly detectionParanoiaLevel: number;
  readonly inboundAnomalyThreshold: number;
  readonly outboundAnomalyThreshold: number;
  readonly inspectResponses: boolean;
  readonly allowedMethods: string[];
  readonly allowedContentTypes: string[];
  readonly maxRequestBodyBytes: number;
  readonly codeFields: string[];
  readonly exclusions: RuleExclusion[];
  readonly customRules: Array<Required<CustomRule>>;
  readonly detectionOnly: boolean;
  /** CRS rules left out of the rendered rule files (see `strictCrs`). */
  readonly droppedRuleIds: number[];
  readonly listenPort: number;
  readonly appPort: number;
  readonly healthCheckPath: string;
}

const WEBSITE_CONTENT_TYPES = [
  'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/related',
  'text/xml', 'application/xml', 'application/soap+xml', 'application/json',
];

const PROFILES: Record<HostFilterProfile, { methods: string[]; contentTypes: string[]; maxBody: number }> = {
  [HostFilterProfile.WEBSITE]: { methods: ['GET', 'HEAD', 'POST', 'OPTIONS'], contentTypes: WEBSITE_CONTENT_TYPES, maxBody: 13_107_200 },
  [HostFilterProfile.FORUM]: { methods: ['GET', 'HEAD', 'POST', 'OPTIONS'], contentTypes: WEBSITE_CONTENT_TYPES, maxBody: 13_107_200 },
  [HostFilterProfile.JSON_API]: { methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], contentTypes: ['application/json'], maxBody: 1_048_576 },
};

/** CRS 3.3.4 PL1 rules left out unless `strictCrs`: measured false positives, no detection of their own on the corpora. */
const NOISY_PL1_RULES = [932150];

const PATH = /^\/[A-Za-z0-9._~/-]*$/;
/** CRS 3.3's blocking evaluation (request and response anomaly scores): an exclusion must never remove it. */
const BLOCKING_EVALUATION_RULES = [949110, 949111, 959100, 959101];
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const VARIABLE = '!?&?[A-Z_]+(?::[A-Za-z0-9_.\\-/^$*]+)?';
const VARIABLES = new RegExp(`^${VARIABLE}(?:\\|${VARIABLE})*$`);

/**
 * Applies the defaults and validates every option, collecting all problems into
 * one error that names `scope`'s path, each prop, its value and what is allowed.
 */
export function resolveHostFilterOptions(scope: IConstruct, options: HostFilterOptions = {}): ResolvedHostFilterOptions {
  const v = new PropValidator(scope);
  const profile = options.profile ?? HostFilterProfile.WEBSITE;
  v.check(Object.values(HostFilterProfile).includes(profile), 'profile', profile, Object.values(HostFilterProfile).join(', '));
  const defaults = PROFILES[profile] ?? PROFILES[HostFilterProfile.WEBSITE];
  const paranoiaLevel = options.paranoiaLevel ?? 1;
  const detectionParanoiaLevel = options.detectionParanoiaLevel ?? paranoiaLevel;
  v.integerInRange('paranoiaLevel', paranoiaLevel, 1, 4);
  v.integerInRange('detectionParanoiaLevel', detectionParanoiaLevel, 1, 4);
  v.check(detectionParanoiaLevel >= paranoiaLevel, 'detectionParanoiaLevel', detectionParanoiaLevel, `at least paranoiaLevel (${paranoiaLevel})`);
  const inbound = options.inboundAnomalyThreshold ?? 5;
  const outbound = options.outboundAnomalyThreshold ?? 4;
  v.integerInRange('inboundAnomalyThreshold', inbound, 1, 1000);
  v.integerInRange('outboundAnomalyThreshold', outbound, 1, 1000);
  const allowedMethods = options.allowedMethods ?? defaults.methods;
  v.check(allowedMethods.length > 0, 'allowedMethods', '[]', 'at least one method');
  allowedMethods.forEach((m, i) => v.matches(`allowedMethods[${i}]`, m, /^[A-Z]{1,20}$/, 'an HTTP method in capitals, e.g. GET'));
  const allowedContentTypes = options.allowedContentTypes ?? defaults.contentTypes;
  v.check(allowedContentTypes.length > 0, 'allowedContentTypes', '[]', 'at least one media type (an empty list would refuse every request body)');
  allowedContentTypes.forEach((t, i) => v.matches(`allowedContentTypes[${i}]`, t, /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/, 'a media type such as application/json'));
  const maxRequestBodyBytes = options.maxRequestBodyBytes ?? defaults.maxBody;
  v.integerInRange('maxRequestBodyBytes', maxRequestBodyBytes, 1, 1_073_741_824, 'bytes');
  const codeFields = options.codeFields ?? ['content', 'body', 'message', 'snippet', 'code'];
  v.check(options.codeFields === undefined || profile === HostFilterProfile.FORUM, 'codeFields', codeFields.join(', '), 'only with profile FORUM');
  codeFields.forEach((f, i) => v.matches(`codeFields[${i}]`, f, NAME, 'a parameter name: letters, digits, _ . -'));

  const exclusions = options.exclusions ?? [];
  exclusions.forEach((e, i) => {
    const p = `exclusions[${i}]`;
    v.check(e.pathPrefix !== undefined || e.parameter !== undefined, p, 'neither pathPrefix nor parameter', 'pathPrefix, parameter or both');
    if (e.pathPrefix !== undefined) v.matches(`${p}.pathPrefix`, e.pathPrefix, PATH, 'a path starting with /: letters, digits, . _ ~ - /');
    if (e.parameter !== undefined) v.matches(`${p}.parameter`, e.parameter, NAME, 'a parameter name: letters, digits, _ . -');
    v.check(e.ruleIds.length > 0, `${p}.ruleIds`, '[]', 'at least one CRS rule id');
    e.ruleIds.forEach((id, j) => {
      v.integerInRange(`${p}.ruleIds[${j}]`, id, 900000, 999999);
      // Without the blocking evaluation nothing is ever blocked for the requests the exclusion covers: the filter fails open.
      v.check(!BLOCKING_EVALUATION_RULES.includes(id), `${p}.ruleIds[${j}]`, id,
        `any rule but the blocking evaluation (${BLOCKING_EVALUATION_RULES.join(', ')}): without it nothing is blocked (raise the threshold instead)`);
    });
    v.check(typeof e.reason === 'string' && e.reason.trim().length >= 10, `${p}.reason`, e.reason, 'a sentence of at least 10 characters');
  });

  const customRules = (options.customRules ?? []).map(r => ({ phase: 2, action: CustomRuleAction.BLOCK, ...r }));
  const seen = new Set<number>();
  customRules.forEach((r, i) => {
    const p = `customRules[${i}]`;
    v.integerInRange(`${p}.id`, r.id, 10000, 99999);
    v.check(!seen.has(r.id), `${p}.id`, r.id, 'an id used by no other custom rule');
    seen.add(r.id);
    v.matches(`${p}.variables`, r.variables, VARIABLES, 'ModSecurity variables such as ARGS|REQUEST_HEADERS:User-Agent');
    const compileError = regexError(r.pattern);
    v.checkDescribed(compileError === undefined, `${p}.pattern`, `${JSON.stringify(r.pattern)} (${compileError})`,
      'a regular expression that compiles (a rule that cannot compile would never match: the filter would fail open)');
    v.matches(`${p}.message`, r.message, /^[^'"\n\\]{1,200}$/, 'up to 200 characters without quotes, backslashes or newlines');
    v.check(r.phase === 1 || r.phase === 2, `${p}.phase`, r.phase, '1 (headers) or 2 (body)');
    v.check(Object.values(CustomRuleAction).includes(r.action), `${p}.action`, r.action, Object.values(CustomRuleAction).join(', '));
  });

  const listenPort = options.listenPort ?? 80;
  const appPort = options.appPort ?? 8080;
  v.integerInRange('listenPort', listenPort, 1, 65535);
  v.integerInRange('appPort', appPort, 1, 65535);
  v.check(listenPort !== appPort, 'appPort', appPort, `a port other than listenPort (${listenPort})`);
  const healthCheckPath = options.healthCheckPath ?? '/healthz';
  v.matches('healthCheckPath', healthCheckPath, PATH, 'a path starting with /: letters, digits, . _ ~ - /');
  v.throwIfInvalid();

  return {
    droppedRuleIds: options.strictCrs || detectionParanoiaLevel > 1 ? [] : [...NOISY_PL1_RULES],
    profile,
    paranoiaLevel,
    detectionParanoiaLevel,
    inboundAnomalyThreshold: inbound,
    outboundAnomalyThreshold: outbound,
    inspectResponses: options.inspectResponses ?? false,
    allowedMethods,
    allowedContentTypes,
    maxRequestBodyBytes,
    codeFields,
    exclusions,
    customRules,
    detectionOnly: options.detectionOnly ?? false,
    listenPort,
    appPort,
    healthCheckPath,
  };
}

/** Why a PCRE pattern does not compile, checked with JavaScript's engine (a leading `(?i)` is PCRE's case flag). */
function regexError(pattern: string): string | undefined {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'empty';
  const [source, flags] = pattern.startsWith('(?i)') ? [pattern.slice(4), 'i'] : [pattern, ''];
  try {
    new RegExp(source, flags);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
