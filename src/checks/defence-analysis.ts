import { IConstruct } from 'constructs';
import { analyseIsolation, IsolationResult } from './isolation-analysis';
import { AppModel } from './model/app-model';
import { loadAppTemplates } from './model/app-templates';
import { RuleOutcome, Verdict, verdicts } from './report/defence-report';
import { ALL_RULES } from './rules';
import { RuleContext, RuleOptions } from './rules/rule';

/** Prefix of every rule name of the pack (`DefenceInDepth-NoSharedDependency`, ...). */
export const PACK_NAME = 'DefenceInDepth';

export const DEFAULT_RULE_OPTIONS: RuleOptions = {
  minimumRetentionDays: 365,
  adminPorts: [22, 23, 2375, 2376, 3389, 5900, 5985, 5986],
};

/** The isolation analysis and every rule's outcome, for one synthesized app. */
export interface DefenceAnalysis {
  readonly isolation: IsolationResult;
  readonly outcomes: Array<RuleOutcome & { readonly verdicts: Record<string, Verdict> }>;
}

/** Analyses of the last synth of each app, so the synth-time check and the pack analyse once. */
const lastAnalysis = new WeakMap<IConstruct, { options: string; analysis: DefenceAnalysis }>();

/**
 * Analyses the synthesized templates of the whole app `root`: isolation and
 * every rule of the pack. Reuses the analysis of the same synth when it ran
 * with the same options.
 */
export function analyseApp(root: IConstruct, options: RuleOptions = DEFAULT_RULE_OPTIONS, fresh = false): DefenceAnalysis {
  const key = JSON.stringify(options);
  const cached = lastAnalysis.get(root);
  if (!fresh && cached?.options === key) return cached.analysis;

  const model = AppModel.fromTemplates(loadAppTemplates(root));
  const isolation = analyseIsolation(model);
  const ctx: RuleContext = { model, isolation, options };
  const outcomes = ALL_RULES.map(rule => {
    const findings = rule.evaluate(ctx);
    const outcome: RuleOutcome = { rule, ruleName: `${PACK_NAME}-${rule.id}`, findings };
    return { ...outcome, verdicts: verdicts(outcome, rule.appliesTo(ctx), model.layers) };
  });
  const analysis = { isolation, outcomes };
  lastAnalysis.set(root, { options: key, analysis });
  return analysis;
}
