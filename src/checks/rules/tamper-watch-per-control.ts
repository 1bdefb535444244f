import { controlLayers, representative } from './control-layers';
import { DefenceRule, RuleContext, RuleFinding } from './rule';
import { IsolationMetadata } from '../../core/isolation-metadata';

/** Switching a control off is seen when it happens, not only by the silence afterwards. */
export class TamperWatchPerControl implements DefenceRule {
  public readonly id = 'TamperWatchPerControl';
  public readonly requirement = 'Every control layer (edge, host, monitor, log delivery) is watched by a tamper watch: EventBridge rules on CloudTrail that match the calls '
    + 'that disable, detach, weaken or delete its resources.';
  public readonly explanation = 'An attacker who edits a rule or detaches a control without stopping it keeps the chatter normal, and a slow one stays inside the band '
    + 'for a while: going-dark alarms see the silence afterwards, only the CloudTrail record of the call shows the act itself.';
  public readonly fix = 'Give the DefenceWatch a logDestination (its tamper watch\'s trail delivers there) or tamperWatch: { useOrganizationTrail: true }; '
    + 'in an account without a DefenceWatch (an archive account), add a TamperWatch.';
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return [...controlLayers(ctx).keys()];
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const watched = new Set<string>();
    for (const node of ctx.model.resources) {
      const entry = node.metadata[IsolationMetadata.TAMPER_WATCH] as { layer?: string } | undefined;
      if (node.type === 'AWS::Events::Rule' && typeof entry?.layer === 'string' && node.properties.State !== 'DISABLED') watched.add(entry.layer);
    }
    const findings: RuleFinding[] = [];
    for (const [layer, kinds] of controlLayers(ctx)) {
      const where = representative(ctx, layer);
      if (watched.has(layer) || !where) continue;
      findings.push({
        resource: where,
        layers: [layer],
        message: `No tamper watch matches calls on the ${kinds.join(' and ')} layer '${layer}': switching it off would be seen only by the silence afterwards.`,
      });
    }
    return findings;
  }
}
