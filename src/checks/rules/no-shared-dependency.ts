import { DefenceRule, describe, RuleContext, RuleFinding } from './rule';
import { ChainLink } from '../isolation-analysis';

/** Two layers never share a dependency that lets them fail together. */
export class NoSharedDependency implements DefenceRule {
  public readonly id = 'NoSharedDependency';
  public readonly requirement = 'No resource other than the log archive, reached through each layer\'s own delivery path, is owned or depended on by two or more layers (directly or transitively), unless exempted with DefenceLayer.allowShared and a reason.';
  public readonly explanation = 'Layers that share a role, key, log group, function, security group, subnet, topic or parameter fail together: one mistake or breakdown takes out both controls, and defence in depth becomes a single line.';
  public readonly fix = 'Give each layer its own resource; if sharing it cannot make the layers fail together, DefenceLayer.allowShared(construct, { reason }); for read-only watching, layer.observe(target, { reason }).';
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return ctx.model.layers;
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    return ctx.isolation.shortCircuits.map(sc => ({
      resource: sc.resource,
      layers: sc.layers,
      message: `${describe(sc.resource)}${sc.resource.stack ? ` in stack '${sc.resource.stack.name}'` : ''} is a dependency of layers ${sc.layers.map(l => `'${l}'`).join(' and ')}. `
        + sc.layers.map(l => `Layer '${l}': ${formatChain(sc.chains[l])}.`).join(' '),
    }));
  }
}

/** `A -[via]-> B -[via]-> C`, or "owns C" for a chain of one. */
export function formatChain(chain: ChainLink[]): string {
  if (chain.length === 1) return `owns ${describe(chain[0].resource)}`;
  return chain.map(link => (link.via ? ` --[${link.via}]--> ${describe(link.resource)}` : describe(link.resource))).join('');
}
