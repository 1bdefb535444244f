import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One invalid prop: which prop, the value given, and what is allowed. */
export interface PropProblem {
  readonly prop: string;
  readonly value: string;
  readonly allowed: string;
}

/**
 * The error every construct of this library throws for bad input.
 *
 * It names the construct path, and for each problem the prop, the value given
 * and what is allowed, so one synth shows every mistake at once.
 *
 * Not part of the jsii API (jsii cannot export subclasses of `Error`); other
 * languages see the message.
 */
export class DefenceValidationError extends Error {
  public readonly constructPath: string;
  public readonly problems: PropProblem[];

  constructor(constructPath: string, problems: PropProblem[]) {
    const lines = problems.map(p => `  - ${p.prop}: ${p.value} is not allowed; allowed: ${p.allowed}`);
    super(`Invalid configuration of '${constructPath}':\n${lines.join('\n')}`);
    this.name = 'DefenceValidationError';
    this.constructPath = constructPath;
    this.problems = problems;
  }
}

/** Renders a prop value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  return String(value);
}

/**
 * Collects every problem with a construct's props, then throws one
 * `DefenceValidationError`. Unresolved tokens are skipped: they are checked by
 * CloudFormation at deploy time.
 */
export class PropValidator {
  private readonly problems: PropProblem[] = [];

  constructor(private readonly scope: IConstruct) {}

  /** Records a problem unless `ok` holds. Returns `ok`. */
  public check(ok: boolean, prop: string, value: unknown, allowed: string): boolean {
    if (!ok) this.problems.push({ prop, value: describeValue(value), allowed });
    return ok;
  }

  /** Like `check`, with the value already described in words (e.g. with its unit or context). */
  public checkDescribed(ok: boolean, prop: string, described: string, allowed: string): boolean {
    if (!ok) this.problems.push({ prop, value: described, allowed });
    return ok;
  }

  /** A whole number in [min, max]; tokens are skipped. */
  public integerInRange(prop: string, value: number | undefined, min: number, max: number, unit = ''): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    const suffix = unit ? ` ${unit}` : '';
    this.checkDescribed(Number.isInteger(value) && value >= min && value <= max, prop, `${value}${suffix}`,
      `a whole number from ${min} to ${max}${suffix}`);
  }

  /** A string matching `pattern`; tokens are skipped. */
  public matches(prop: string, value: string | undefined, pattern: RegExp, allowed: string): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    this.check(pattern.test(value), prop, value, allowed);
  }

  public get hasProblems(): boolean {
    return this.problems.length > 0;
  }

  /** Throws one error naming every problem found, if any. */
  public throwIfInvalid(): void {
    if (this.problems.length > 0) {
      throw new DefenceValidationError(this.scope.node.path, [...this.problems]);
    }
  }
}
