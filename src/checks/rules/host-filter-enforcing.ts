import { strings } from './control-layers';
import { DefenceRule, describe, layersOwning, RuleContext, RuleFinding } from './rule';
import { IsolationMetadata } from '../../core/isolation-metadata';
import { ResourceNode } from '../model/reference-finder';

/** The host filter blocks: its rule engine is On, never DetectionOnly or Off. */
export class HostFilterEnforcing implements DefenceRule {
  public readonly id = 'HostFilterEnforcing';
  public readonly requirement = 'Every resource that runs the host filter has ModSecurity\'s rule engine On: the HostFilter metadata says so, and no user data in the app sets SecRuleEngine DetectionOnly or Off.';
  public readonly explanation = 'A filter left in DetectionOnly after tuning only logs: when the edge fails, attacks reach the application with nothing in the way.';
  public readonly fix = 'Remove detectionOnly from the HostFilter props (tune with exclusions instead).';
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return layersOwning(ctx.model, n => hostFilterOf(n) !== undefined || n.type === 'AWS::EC2::LaunchTemplate');
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const findings: RuleFinding[] = [];
    for (const node of ctx.model.resources) {
      const filter = hostFilterOf(node);
      const layers = [filter?.layer ?? node.layer].filter((l): l is string => typeof l === 'string');
      if (filter && filter.ruleEngine !== 'On') {
        findings.push({ resource: node, layers, message: `${describe(node)} runs the host filter with SecRuleEngine ${filter.ruleEngine}: it logs attacks but does not block them.` });
        continue;
      }
      // Whatever the metadata says, the user data actually shipped must not switch the engine off.
      const engine = /SecRuleEngine\s+(DetectionOnly|Off)\b/.exec(strings(node.properties).join('\n'));
      if (engine && (node.type === 'AWS::EC2::LaunchTemplate' || node.type === 'AWS::EC2::Instance')) {
        findings.push({ resource: node, layers, message: `${describe(node)} has user data that sets SecRuleEngine ${engine[1]}: the filter would not block.` });
      }
    }
    return findings;
  }
}

function hostFilterOf(node: ResourceNode): { ruleEngine?: string; layer?: string } | undefined {
  const m = node.metadata[IsolationMetadata.HOST_FILTER];
  return m && typeof m === 'object' ? m : undefined;
}
