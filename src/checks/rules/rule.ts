import { IsolationResult } from '../isolation-analysis';
import { AppModel } from '../model/app-model';
import { ResourceNode } from '../model/reference-finder';

/** Options of the rules, as resolved from `DefenceInDepthChecksProps`. */
export interface RuleOptions {
  readonly minimumRetentionDays: number;
  readonly adminPorts: number[];
}

/** What a rule sees: the whole app's model and its isolation analysis. */
export interface RuleContext {
  readonly model: AppModel;
  readonly isolation: IsolationResult;
  readonly options: RuleOptions;
}

/** One violation of a rule, on one resource. */
export interface RuleFinding {
  /** The violating resource (for a finding about a whole layer, one of its resources). */
  readonly resource: ResourceNode;
  /** The layers the finding counts against in the report's matrix; empty outside every layer. */
  readonly layers: string[];
  readonly message: string;
}

/**
 * A check of the defence-in-depth pack. Rules work on the synthesized
 * templates of the whole app (not one resource at a time), so a rule can
 * ask "does every layer have ..." as easily as "is this resource ...".
 * One rule per file; every rule is listed in `rules/index.ts` and RULES.md.
 */
export interface DefenceRule {
  /** Rule id without the pack prefix, PascalCase (e.g. `NoSharedDependency`). */
  readonly id: string;
  /** What the rule requires, one line (RULES.md, finding descriptions). */
  readonly requirement: string;
  /** Why: the failure the rule guards against. */
  readonly explanation: string;
  /** How to comply, one line (shown by the CDK as "Suggested fix"). */
  readonly fix: string;
  readonly level: 'error' | 'warning';
  /** The layers the rule checks (the others show "n/a" in the report). */
  appliesTo(ctx: RuleContext): string[];
  evaluate(ctx: RuleContext): RuleFinding[];
}

/** `AWS::Type LogicalId (construct/path)`, for messages. */
export function describe(node: ResourceNode): string {
  return `${node.type} ${node.logicalId} (${node.path})`;
}

/** The layers that own at least one resource matching `predicate`. */
export function layersOwning(model: AppModel, predicate: (n: ResourceNode) => boolean): string[] {
  return [...new Set(model.resources.filter(n => n.layer !== undefined && predicate(n)).map(n => n.layer!))].sort();
}
