import { RuleContext } from './rule';
import { IsolationMetadata } from '../../core/isolation-metadata';
import { ResourceNode } from '../model/reference-finder';

/** What makes a layer a control that must prove itself: the resources it owns. */
export type ControlKind = 'edge' | 'host' | 'monitor' | 'log delivery';

/**
 * The app's control layers and what kind of control each is: a layer owning a
 * web ACL (edge), running the host filter (host), owning a traffic mirror
 * target (monitor), or holding the log archive (log delivery).
 */
export function controlLayers(ctx: RuleContext): Map<string, ControlKind[]> {
  const kinds = new Map<string, Set<ControlKind>>();
  const add = (layer: string | undefined, kind: ControlKind) => {
    if (!layer) return;
    kinds.set(layer, (kinds.get(layer) ?? new Set()).add(kind));
  };
  for (const node of ctx.model.resources) {
    if (node.type === 'AWS::WAFv2::WebACL') add(node.layer, 'edge');
    const filter = node.metadata[IsolationMetadata.HOST_FILTER];
    if (filter && typeof filter === 'object') add(filter.layer ?? node.layer, 'host');
    if (node.type === 'AWS::EC2::TrafficMirrorTarget') add(node.layer, 'monitor');
    if (node.metadata[IsolationMetadata.LOG_SINK] === true) add(node.layer, 'log delivery');
  }
  return new Map([...kinds].sort(([a], [b]) => a.localeCompare(b)).map(([layer, set]) => [layer, [...set].sort()]));
}

/** A resource to hang a finding about a whole layer on: its first resource, by path. */
export function representative(ctx: RuleContext, layer: string): ResourceNode | undefined {
  return ctx.model.resources.filter(n => n.layer === layer).sort((a, b) => a.path.localeCompare(b.path))[0];
}

/** Every string literal in a value (a function's environment is often a Fn::Join of strings). */
export function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach(v => strings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach(v => strings(v, out));
  return out;
}
