import { controlLayers, representative } from './control-layers';
import { DefenceRule, describe, RuleContext, RuleFinding } from './rule';
import { IsolationMetadata } from '../../core/isolation-metadata';

const SIGNALS = ['heartbeat', 'chatter'];

/** A control that goes quiet raises an alarm that it cannot switch off itself. */
export class GoingDarkAlarmPerControl implements DefenceRule {
  public readonly id = 'GoingDarkAlarmPerControl';
  public readonly requirement = 'Every control layer has going-dark alarms on its heartbeat and on its log chatter, in another layer than the control, that treat missing data as breaching.';
  public readonly explanation = 'A stealthy attacker disables controls one by one and they go quiet. An alarm that ignores missing data, or that the silenced control owns, stays green while the control is dark.';
  public readonly fix = 'Hand each control\'s heartbeat to DefenceWatch.watch() (its alarms live in the watch layer and treat missing data as breaching).';
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return [...controlLayers(ctx).keys()];
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const findings: RuleFinding[] = [];
    const alarms = ctx.model.resources.filter(n => n.type === 'AWS::CloudWatch::Alarm' && n.metadata[IsolationMetadata.GOING_DARK]);
    for (const [layer, kinds] of controlLayers(ctx)) {
      for (const signal of SIGNALS) {
        const mine = alarms.filter(a => {
          const watched = a.metadata[IsolationMetadata.GOING_DARK];
          return watched?.control === layer && watched?.signal === signal;
        });
        for (const alarm of mine) {
          if (alarm.properties.TreatMissingData !== 'breaching') {
            findings.push({ resource: alarm, layers: [layer], message: `${describe(alarm)} treats missing data as '${alarm.properties.TreatMissingData ?? 'missing'}': a silent ${layer} layer would look fine.` });
          }
          if (alarm.layer === layer) {
            findings.push({ resource: alarm, layers: [layer], message: `${describe(alarm)} belongs to the '${layer}' layer it watches: whoever silences the layer can silence its alarm.` });
          }
        }
        const where = representative(ctx, layer);
        if (mine.length === 0 && where) {
          findings.push({ resource: where, layers: [layer], message: `The ${kinds.join(' and ')} layer '${layer}' has no going-dark alarm on its ${signal}.` });
        }
      }
    }
    return findings;
  }
}
