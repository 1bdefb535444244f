import { controlLayers, representative, strings } from './control-layers';
import { DefenceRule, RuleContext, RuleFinding } from './rule';
import { IsolationMetadata } from '../../core/isolation-metadata';

/** Every control proves on a schedule that it works on its own. */
export class HeartbeatPerControl implements DefenceRule {
  public readonly id = 'HeartbeatPerControl';
  public readonly requirement = 'Every control layer (edge, host, monitor, log delivery) has a heartbeat function of its own, run by a schedule; an edge or host layer\'s heartbeat sends a canary attack that the layer itself must block.';
  public readonly explanation = 'A control switched to count-only or DetectionOnly, detached or crashed still looks deployed. Only a canary that the control alone must block, sent on a schedule, shows it stopped working.';
  public readonly fix = 'Call addHeartbeat() on EdgeFilter, HostFilter and TrafficMonitor, create a LogDeliveryHeartbeat, and hand each heartbeat to a DefenceWatch.';
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return [...controlLayers(ctx).keys()];
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const findings: RuleFinding[] = [];
    const isHeartbeat = (n: { metadata: Record<string, any> }) => n.metadata[IsolationMetadata.ROLE] === 'heartbeat';
    for (const [layer, kinds] of controlLayers(ctx)) {
      const functions = ctx.model.resources.filter(n => n.layer === layer && n.type === 'AWS::Lambda::Function' && isHeartbeat(n));
      const scheduled = ctx.model.resources.some(n => n.layer === layer && n.type === 'AWS::Events::Rule' && isHeartbeat(n)
        && typeof n.properties.ScheduleExpression === 'string');
      const where = functions[0] ?? representative(ctx, layer);
      if (!where) continue;
      if (functions.length === 0 || !scheduled) {
        findings.push({
          resource: where,
          layers: [layer],
          message: `The ${kinds.join(' and ')} layer '${layer}' has no ${functions.length === 0 ? 'heartbeat' : 'schedule for its heartbeat'}: nothing proves it still works.`,
        });
        continue;
      }
      if (kinds.includes('edge') || kinds.includes('host')) {
        const canary = `"expect":"block","layer":"${layer}"`;
        if (!functions.some(f => strings(f.properties.Environment).some(s => s.includes(canary)))) {
          findings.push({
            resource: functions[0],
            layers: [layer],
            message: `The heartbeat of the ${kinds.join(' and ')} layer '${layer}' sends no canary that '${layer}' itself must block.`,
          });
        }
      }
    }
    return findings;
  }
}
