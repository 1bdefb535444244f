import { IsolationResult } from '../isolation-analysis';
import { ResourceNode } from '../model/reference-finder';

/** Layers with more resources than this are drawn as one node per resource type. */
const MAX_NODES_PER_LAYER = 12;

/**
 * A Mermaid flowchart of the app: one group per layer (and one for resources
 * outside every layer that a layer reaches), the edges that leave a layer,
 * short circuits in red. Large layers are summarised per resource type so the
 * diagram stays readable (and under GitHub's size limit) at any app size.
 */
export function mermaidDiagram(isolation: IsolationResult): string[] {
  const { model } = isolation;
  const ids = new Map<string, string>();
  const idOf = (key: string) => {
    let id = ids.get(key);
    if (!id) ids.set(key, id = `n${ids.size}`);
    return id;
  };

  // Resources that must be drawn one by one: the ends of every cross-layer edge.
  const individual = new Set<ResourceNode>();
  const shared = new Set<ResourceNode>(isolation.shortCircuits.map(s => s.resource));
  type DrawnEdge = { from: ResourceNode; to: ResourceNode; kind: 'short' | 'delivery' | 'observes' | 'protects'; label: string };
  const edges: DrawnEdge[] = [];
  for (const sc of isolation.shortCircuits) {
    for (const [layer, chain] of Object.entries(sc.chains)) {
      for (let i = 1; i < chain.length; i++) {
        const [from, to] = [chain[i - 1].resource, chain[i].resource];
        if (from.layer === to.layer && to !== sc.resource) continue;
        edges.push({ from, to, kind: 'short', label: layer });
      }
    }
  }
  for (const d of isolation.deliveries) edges.push({ from: d.from, to: d.to, kind: 'delivery', label: 'delivers logs' });
  for (const p of isolation.protections) edges.push({ from: p.from, to: p.to, kind: 'protects', label: 'protects' });
  for (const o of isolation.observes) edges.push({ from: o.from, to: o.to, kind: 'observes', label: 'observes' });
  const unique = new Map<string, DrawnEdge>();
  for (const e of edges) {
    const key = `${e.from.key}|${e.to.key}|${e.kind}`;
    const seen = unique.get(key);
    if (seen && !seen.label.split(', ').includes(e.label)) unique.set(key, { ...seen, label: `${seen.label}, ${e.label}` });
    else if (!seen) unique.set(key, e);
    individual.add(e.from).add(e.to);
  }

  const lines = ['flowchart LR'];
  const groupOf = (n: ResourceNode) => n.layer ?? (n.external ? '(not in this app)' : '(outside every layer)');
  const groups = [...model.layers];
  const reached = model.allNodes.filter(n => !n.layer && ((isolation.dependents.get(n)?.size ?? 0) > 0 || individual.has(n)));
  if (reached.some(n => !n.external)) groups.push('(outside every layer)');
  if (reached.some(n => n.external)) groups.push('(not in this app)');

  groups.forEach((group, g) => {
    const members = group.startsWith('(') ? reached.filter(n => groupOf(n) === group) : model.resourcesOfLayer(group);
    lines.push(`  subgraph g${g}["${label(group.startsWith('(') ? group : `layer: ${group}`)} (${members.length})"]`);
    const drawOneByOne = members.length <= MAX_NODES_PER_LAYER;
    const summary = new Map<string, number>();
    for (const n of members) {
      if (drawOneByOne || individual.has(n)) lines.push(`    ${idOf(n.key)}["${label(`${n.type}<br/>${n.logicalId}`)}"]`);
      else summary.set(n.type, (summary.get(n.type) ?? 0) + 1);
    }
    for (const [type, count] of [...summary].sort()) lines.push(`    ${idOf(`${group}|${type}`)}["${label(`${type} ×${count}`)}"]`);
    lines.push('  end');
  });

  const red: number[] = [];
  [...unique.values()].forEach((e, i) => {
    const arrow = e.kind === 'delivery' ? '==>' : e.kind === 'observes' ? '-.->' : '-->';
    lines.push(`  ${idOf(e.from.key)} ${arrow}|${label(e.label)}| ${idOf(e.to.key)}`);
    if (e.kind === 'short') red.push(i);
  });
  lines.push('  classDef shortCircuit fill:#fdd,stroke:#c00,stroke-width:2px,color:#900');
  if (shared.size > 0) lines.push(`  class ${[...shared].map(n => idOf(n.key)).join(',')} shortCircuit`);
  if (red.length > 0) lines.push(`  linkStyle ${red.join(',')} stroke:#c00,stroke-width:2px`);
  return lines;
}

function label(s: string): string {
  return s.replace(/"/g, '#quot;');
}
