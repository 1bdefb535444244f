import { DefenceRule, describe, layersOwning, RuleContext, RuleFinding } from './rule';

const WEB_ACL = 'AWS::WAFv2::WebACL';
const ACTS = ['Block', 'Captcha', 'Challenge'];

/** A web ACL blocks: it is not left in count mode. */
export class WafNotCountOnly implements DefenceRule {
  public readonly id = 'WafNotCountOnly';
  public readonly requirement = 'Every WAFv2 web ACL can block: its default action blocks, or at least one rule blocks (Block, Captcha or Challenge, or a rule group with OverrideAction None); no rule group is overridden to Count.';
  public readonly explanation = 'A rule or rule group left in count mode after tuning is the classic human error that turns a control into a log source. Counting is for tuning, not for production.';
  public readonly fix = "Set the rule group's OverrideAction to None (override single rules to Count with RuleActionOverrides while tuning), or block by default.";
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return layersOwning(ctx.model, n => n.type === WEB_ACL);
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const findings: RuleFinding[] = [];
    for (const acl of ctx.model.resources.filter(n => n.type === WEB_ACL)) {
      const rules: any[] = Array.isArray(acl.properties.Rules) ? acl.properties.Rules : [];
      const layers = acl.layer ? [acl.layer] : [];
      const blocks = acl.properties.DefaultAction?.Block !== undefined
        || rules.some(r => ACTS.some(a => r?.Action?.[a] !== undefined) || r?.OverrideAction?.None !== undefined);
      if (!blocks) {
        findings.push({ resource: acl, layers, message: `${describe(acl)} cannot block anything: its default action allows and every rule only counts.` });
      }
      for (const rule of rules.filter(r => r?.OverrideAction?.Count !== undefined)) {
        findings.push({ resource: acl, layers, message: `${describe(acl)} has rule group '${rule.Name}' overridden to Count: it never blocks. Use OverrideAction None (and per-rule RuleActionOverrides while tuning).` });
      }
    }
    return findings;
  }
}
