/**
 * Amazon EventBridge event-pattern matching, for tests: does an event pattern
 * (as a rule's `EventPattern` holds it) match an event?
 *
 * Follows the EventBridge user guide ("Event patterns", "Content filtering",
 * "Arrays in event patterns") and the README of aws/event-ruler, the matcher
 * EventBridge uses:
 * - every field named in the pattern must match (AND); a field's value in the
 *   pattern is either an array of values to match (OR) or an object (nested);
 * - an event value that is an array matches if any of its elements matches;
 *   an array of objects matches a nested pattern if one of its objects matches
 *   all of it (the fields of one match never come from different elements);
 * - a missing field matches nothing but `{ "exists": false }`; `exists` only
 *   sees leaves, so a field whose value is an object "does not exist";
 * - `$or: [pattern, ...]` at any object level matches if one of its patterns does.
 *
 * Filters: literal strings, numbers, booleans and null; `prefix` and `suffix`
 * (a string, or `{ "equals-ignore-case": string }`); `equals-ignore-case`;
 * `wildcard`; `anything-but` (a value, a list of values, or `prefix`, `suffix`,
 * `equals-ignore-case`, `wildcard`); `numeric`; `exists`. Anything else (e.g.
 * `cidr`) throws rather than answering wrongly.
 */

type JsonObject = { [key: string]: unknown };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The keys of a content filter (`{ "prefix": ... }` and so on). */
const FILTER_KEYS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr']);

/** Does `pattern` match `event`? Both are JSON values; the pattern must be an object. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) {
    throw new Error('an event pattern is a JSON object');
  }
  return matchObject(pattern, isObject(event) ? event : undefined);
}

/** Matches the fields of a pattern object against an event object (`undefined`: absent). */
function matchObject(pattern: JsonObject, event: JsonObject | undefined): boolean {
  return Object.entries(pattern).every(([key, value]) => {
    if (key === '$or' && isOrList(value)) {
      return value.some(alternative => matchObject(alternative, event));
    }
    const eventValue = event !== undefined && Object.prototype.hasOwnProperty.call(event, key) ? event[key] : undefined;
    if (Array.isArray(value)) {
      return matchField(value, eventValue, key);
    }
    if (isObject(value)) {
      return matchNested(value, eventValue);
    }
    throw new Error(`pattern field "${key}": a value to match must be an array or an object, not ${JSON.stringify(value)}`);
  });
}

/** `$or` is an array of pattern objects (a field called "$or" otherwise, as event-ruler does). */
function isOrList(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.length > 0
    && value.every(entry => isObject(entry) && !Object.keys(entry).some(k => FILTER_KEYS.has(k)));
}

/** A nested pattern against the event's value: an object, or any object of an array. */
function matchNested(pattern: JsonObject, eventValue: unknown): boolean {
  const objects = flatten(eventValue).filter(isObject);
  if (objects.length === 0) {
    // No object here: every field below is absent (only `exists: false` can match).
    return matchObject(pattern, undefined);
  }
  return objects.some(object => matchObject(pattern, object));
}

/** One leaf field: any entry of the pattern's array matches any leaf value of the event's field. */
function matchField(entries: unknown[], eventValue: unknown, key: string): boolean {
  if (entries.length === 0) {
    throw new Error(`pattern field "${key}": an empty array matches nothing and EventBridge rejects it`);
  }
  // Leaves only: an object value is not a leaf, an array value gives its elements.
  const leaves = flatten(eventValue).filter(v => !isObject(v));
  return entries.some(entry => {
    if (isObject(entry) && 'exists' in entry) {
      if (typeof entry.exists !== 'boolean') {
        throw new Error(`pattern field "${key}": exists takes true or false`);
      }
      return entry.exists === leaves.length > 0;
    }
    return leaves.some(leaf => matchValue(entry, leaf, key));
  });
}

/** Arrays are crushed out, however deep (event-ruler's "multi-level arrays"). */
function flatten(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [value];
  return value.flatMap(flatten);
}

/** One pattern entry (a literal or a content filter) against one leaf value of the event. */
function matchValue(entry: unknown, value: unknown, key: string): boolean {
  if (entry === null || ['string', 'number', 'boolean'].includes(typeof entry)) {
    return value === entry;
  }
  if (!isObject(entry)) {
    throw new Error(`pattern field "${key}": unsupported entry ${JSON.stringify(entry)}`);
  }
  const filters = Object.keys(entry);
  if (filters.length !== 1) {
    throw new Error(`pattern field "${key}": a content filter has exactly one key, not ${JSON.stringify(entry)}`);
  }
  const [filter] = filters;
  const operand = entry[filter];
  switch (filter) {
    case 'prefix':
      return matchAffix(operand, value, (v, p) => v.startsWith(p), key);
    case 'suffix':
      return matchAffix(operand, value, (v, s) => v.endsWith(s), key);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === stringOperand(operand, filter, key).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp(stringOperand(operand, filter, key)).test(value);
    case 'numeric':
      return typeof value === 'number' && matchNumeric(operand, value, key);
    case 'anything-but':
      return !matchAnythingButOperand(operand, value, key);
    default:
      throw new Error(`pattern field "${key}": unsupported content filter "${filter}"`);
  }
}

/** `prefix`/`suffix`: a string, or `{ "equals-ignore-case": string }`. */
function matchAffix(operand: unknown, value: unknown, test: (value: string, affix: string) => boolean, key: string): boolean {
  if (typeof value !== 'string') return false;
  if (typeof operand === 'string') return test(value, operand);
  if (isObject(operand) && Object.keys(operand).length === 1 && typeof operand['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), (operand['equals-ignore-case'] as string).toLowerCase());
  }
  throw new Error(`pattern field "${key}": prefix and suffix take a string or { "equals-ignore-case": string }`);
}

/** What `anything-but` excludes: does `value` fall in it? */
function matchAnythingButOperand(operand: unknown, value: unknown, key: string): boolean {
  if (Array.isArray(operand)) {
    return operand.some(excluded => matchAnythingButOperand(excluded, value, key));
  }
  if (operand === null || ['string', 'number', 'boolean'].includes(typeof operand)) {
    return value === operand;
  }
  if (isObject(operand) && Object.keys(operand).length === 1) {
    const [filter] = Object.keys(operand);
    const inner = operand[filter];
    const excluded = Array.isArray(inner) ? inner : [inner];
    if (['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(filter)) {
      return excluded.some(one => matchValue({ [filter]: one }, value, key));
    }
  }
  throw new Error(`pattern field "${key}": unsupported anything-but operand ${JSON.stringify(operand)}`);
}

function stringOperand(operand: unknown, filter: string, key: string): string {
  if (typeof operand !== 'string') {
    throw new Error(`pattern field "${key}": ${filter} takes a string`);
  }
  return operand;
}

/** `*` matches any run of characters; `\*` is a star and `\\` a backslash. */
function wildcardRegExp(wildcard: string): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i];
    if (c === '\\') {
      const next = wildcard[++i];
      if (next !== '*' && next !== '\\') {
        throw new Error(`wildcard "${wildcard}": a backslash escapes only * or \\`);
      }
      source += `\\${next}`;
    } else if (c === '*') {
      source += '[\\s\\S]*';
    } else {
      source += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** `numeric: [op, n, op, n, ...]`: every comparison holds. */
function matchNumeric(operand: unknown, value: number, key: string): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error(`pattern field "${key}": numeric takes pairs of operator and number`);
  }
  for (let i = 0; i < operand.length; i += 2) {
    const [op, bound] = [operand[i], operand[i + 1]];
    if (typeof bound !== 'number') {
      throw new Error(`pattern field "${key}": numeric compares with numbers, not ${JSON.stringify(bound)}`);
    }
    const holds = op === '<' ? value < bound
      : op === '<=' ? value <= bound
        : op === '=' ? value === bound
          : op === '>=' ? value >= bound
            : op === '>' ? value > bound
              : undefined;
    if (holds === undefined) {
      throw new Error(`pattern field "${key}": unknown numeric operator ${JSON.stringify(op)}`);
    }
    if (!holds) return false;
  }
  return true;
}
