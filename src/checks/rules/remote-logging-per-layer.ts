import { DefenceRule, describe, layersOwning, RuleContext, RuleFinding } from './rule';
import { IsolationMetadata } from '../../core/isolation-metadata';
import { ResourceNode } from '../model/reference-finder';

const STREAM = 'AWS::KinesisFirehose::DeliveryStream';

/** Every layer ships its logs through a delivery path of its own. */
export class RemoteLoggingPerLayer implements DefenceRule {
  public readonly id = 'RemoteLoggingPerLayer';
  public readonly requirement = 'Every layer other than the log archive has a delivery path of its own (a Firehose stream marked as its log delivery), and every log group of the layer is subscribed to one of its own delivery streams.';
  public readonly explanation = 'Logs that stay with the layer that wrote them can be rewritten by whoever compromises that layer, and a log pipeline shared by two layers can be choked for both at once.';
  public readonly fix = "Create a delivery path inside the layer with archive.addDeliveryPath(layer, id) and subscribe each of the layer's log groups with deliveryPath.addLogGroup(logGroup).";
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    const archives = new Set(archiveLayers(ctx));
    return ctx.model.layers.filter(l => !archives.has(l));
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const { model } = ctx;
    const findings: RuleFinding[] = [];
    const ownStream = (n: ResourceNode, layer: string) =>
      n.type === STREAM && n.layer === layer && n.metadata[IsolationMetadata.LOG_DELIVERY] === layer;

    // Log groups subscribed to a delivery stream of their own layer.
    const shipped = new Set<ResourceNode>();
    for (const filter of model.resources.filter(n => n.type === 'AWS::Logs::SubscriptionFilter')) {
      const targets = model.edgesFrom(filter).map(e => e.to);
      for (const group of targets.filter(t => t.type === 'AWS::Logs::LogGroup')) {
        if (group.layer && targets.some(t => ownStream(t, group.layer!))) shipped.add(group);
      }
    }

    for (const layer of this.appliesTo(ctx)) {
      const resources = model.resourcesOfLayer(layer);
      if (!resources.some(n => ownStream(n, layer))) {
        findings.push({
          resource: resources[0],
          layers: [layer],
          message: `Layer '${layer}' has no log delivery path of its own: create one with ILogDestination.addDeliveryPath(scope, id) inside the layer.`,
        });
      }
      for (const group of resources.filter(n => n.type === 'AWS::Logs::LogGroup' && !shipped.has(n))) {
        // A delivery path's own error log group cannot ship through itself; it is watched instead.
        if (group.metadata[IsolationMetadata.LOG_DELIVERY] === layer) continue;
        findings.push({
          resource: group,
          layers: [layer],
          message: `${describe(group)} of layer '${layer}' is not subscribed to a delivery stream of its own layer: call deliveryPath.addLogGroup(logGroup).`,
        });
      }
    }
    return findings;
  }
}

/** Layers that own log sinks (the archive). */
export function archiveLayers(ctx: RuleContext): string[] {
  return layersOwning(ctx.model, n => n.metadata[IsolationMetadata.LOG_SINK] === true);
}
