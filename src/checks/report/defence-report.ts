import { IsolationMetadata } from '../../core/isolation-metadata';
import { IsolationResult } from '../isolation-analysis';
import { mermaidDiagram } from './mermaid-diagram';
import { ResourceNode } from '../model/reference-finder';
import { monitoringOf, webHosts } from '../rules/every-web-host-mirrored';
import { formatChain } from '../rules/no-shared-dependency';
import { DefenceRule, RuleFinding } from '../rules/rule';

/** A rule's outcome over the app: its findings and each layer's verdict. */
export interface RuleOutcome {
  readonly rule: DefenceRule;
  readonly ruleName: string;
  readonly findings: RuleFinding[];
}

export type Verdict = 'pass' | 'fail' | 'n/a';

export const OUTSIDE = '(outside every layer)';

/** The verdict of each rule for each layer (and for resources outside every layer). */
export function verdicts(outcome: RuleOutcome, applies: string[], layers: string[]): Record<string, Verdict> {
  const out: Record<string, Verdict> = {};
  for (const layer of layers) {
    out[layer] = !applies.includes(layer) ? 'n/a' : outcome.findings.some(f => f.layers.includes(layer)) ? 'fail' : 'pass';
  }
  out[OUTSIDE] = outcome.findings.some(f => f.layers.length === 0) ? 'fail' : 'n/a';
  return out;
}

export interface ReportInput {
  readonly isolation: IsolationResult;
  readonly outcomes: Array<RuleOutcome & { readonly verdicts: Record<string, Verdict> }>;
  readonly enforcement: 'enforce' | 'report';
}

/** Resources outside `layer` that it depends on (not through its delivery path or a declared observation). */
function dependenciesOutside(isolation: IsolationResult, layer: string): ResourceNode[] {
  return [...isolation.dependents].filter(([n, layers]) => layers.has(layer) && n.layer !== layer).map(([n]) => n)
    .sort((a, b) => a.path.localeCompare(b.path));
}

function ref(node: ResourceNode) {
  return { stack: node.stack?.name ?? null, logicalId: node.logicalId, type: node.type, path: node.path, layer: node.layer ?? null };
}

/** `report.json`: everything the report shows, for tools. */
export function reportJson(input: ReportInput): unknown {
  const { isolation, outcomes } = input;
  const { model } = isolation;
  return {
    generator: 'cdk-defence-in-depth',
    enforcement: input.enforcement,
    summary: {
      stacks: model.stacks.length,
      resources: model.resources.length,
      layers: model.layers.length,
      resourcesOutsideLayers: model.resources.filter(r => !r.layer && r.type !== 'AWS::CDK::Metadata').length,
      shortCircuits: isolation.shortCircuits.length,
      findings: outcomes.reduce((n, o) => n + o.findings.length, 0),
    },
    layers: model.layers.map(name => {
      const resources = model.resourcesOfLayer(name);
      return {
        name,
        stacks: [...new Set(resources.map(r => r.stack!.name))].sort(),
        owns: resources.length,
        dependsOn: dependenciesOutside(isolation, name).map(ref),
        observes: isolation.observes.filter(o => o.layer === name).length,
        deliversInto: [...new Set(isolation.deliveries.filter(d => d.layer === name).map(d => d.to.path))].sort(),
      };
    }),
    shortCircuits: isolation.shortCircuits.map(sc => ({
      resource: ref(sc.resource),
      layers: sc.layers,
      chains: Object.fromEntries(Object.entries(sc.chains).map(([l, chain]) =>
        [l, chain.map(link => ({ ...ref(link.resource), via: link.via ?? null }))])),
    })),
    observes: isolation.observes.map(o => ({ layer: o.layer, from: ref(o.from), to: ref(o.to), reason: o.reason })),
    deliveries: isolation.deliveries.map(d => ({ layer: d.layer, from: ref(d.from), to: ref(d.to) })),
    protections: isolation.protections.map(d => ({ layer: d.layer, from: ref(d.from), to: ref(d.to) })),
    exemptions: isolation.exemptions.map(e => ({
      resource: ref(e.resource), reason: e.reason, sharedBy: e.sharedBy, allowedLayers: e.allowedLayers ?? null, builtIn: e.builtIn,
    })),
    tamperWatch: tamperWatchOf(model.resources),
    checks: outcomes.map(o => ({
      rule: o.ruleName,
      level: o.rule.level,
      requirement: o.rule.requirement,
      layers: o.verdicts,
      findings: o.findings.map(f => ({ resource: ref(f.resource), layers: f.layers, message: f.message })),
    })),
  };
}

const MARK: Record<Verdict, string> = { 'pass': '✅ pass', 'fail': '❌ fail', 'n/a': '— n/a' };

/** `report.md`: readable on GitHub as is (Mermaid renders there). */
export function reportMarkdown(input: ReportInput): string {
  const { isolation, outcomes } = input;
  const { model } = isolation;
  const outside = model.resources.filter(r => !r.layer && r.type !== 'AWS::CDK::Metadata').length;
  const failing = outcomes.filter(o => o.findings.length > 0);
  const lines: string[] = [
    '# Defence-in-depth report',
    '',
    `Written at synth by cdk-defence-in-depth from the synthesized templates: ${model.stacks.length} stack(s), `
      + `${model.resources.length} resources, ${model.layers.length} layer(s) (${model.layers.join(', ') || 'none'}), ${outside} resource(s) outside every layer.`,
    '',
    `- **Isolation:** ${isolation.shortCircuits.length === 0 ? '✅ no short circuit' : `❌ ${isolation.shortCircuits.length} short circuit(s)`}`
      + ` (enforcement: ${input.enforcement === 'enforce' ? 'synth fails on a short circuit' : 'report only; the synth does not fail'})`,
    `- **Checks:** ${failing.length === 0 ? '✅ every check passes' : `❌ ${failing.map(o => `${o.ruleName} (${o.findings.length})`).join(', ')}`}`,
    '',
    '## Layers',
    '',
    '| layer | stacks | owns | depends on outside the layer | observes edges | delivers logs into |',
    '|---|---|---|---|---|---|',
    ...model.layers.map(name => {
      const resources = model.resourcesOfLayer(name);
      const outsideDeps = dependenciesOutside(isolation, name);
      const into = [...new Set(isolation.deliveries.filter(d => d.layer === name).map(d => `\`${d.to.path}\``))];
      return `| ${name} | ${[...new Set(resources.map(r => r.stack!.name))].join(', ')} | ${resources.length} | `
        + `${outsideDeps.length === 0 ? 'nothing' : outsideDeps.slice(0, 5).map(n => `\`${n.path}\``).join(', ') + (outsideDeps.length > 5 ? ` and ${outsideDeps.length - 5} more` : '')} | `
        + `${isolation.observes.filter(o => o.layer === name).length} | ${into.join(', ') || '—'} |`;
    }),
    '',
    '## Diagram',
    '',
    'Layers are groups. Only edges that leave a layer are drawn: red for short circuits, thick for a layer\'s own log delivery, dotted for declared observes edges, plain "protects" from a web ACL association to what it guards.',
    '',
    '```mermaid',
    ...mermaidDiagram(isolation),
    '```',
    '',
    '## Checks by layer',
    '',
  ];
  const columns = [...model.layers, OUTSIDE];
  lines.push(`| check | ${columns.join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`);
  for (const o of outcomes) lines.push(`| ${o.ruleName} | ${columns.map(c => MARK[o.verdicts[c]]).join(' | ')} |`);

  lines.push('', '## Short circuits', '');
  if (isolation.shortCircuits.length === 0) lines.push('None.', '');
  isolation.shortCircuits.forEach((sc, i) => {
    lines.push(`### ${i + 1}. \`${sc.resource.type}\` \`${sc.resource.logicalId}\`: layers ${sc.layers.map(l => `\`${l}\``).join(' and ')}`, '');
    lines.push(`- Stack: ${sc.resource.stack ? `\`${sc.resource.stack.name}\`` : 'not in this app'}; construct path: \`${sc.resource.path}\``);
    for (const layer of sc.layers) lines.push(`- \`${layer}\`: ${escapeCell(formatChain(sc.chains[layer]))}`);
    lines.push('');
  });

  lines.push('## Other findings', '');
  const others = outcomes.filter(o => o.rule.id !== 'NoSharedDependency' && o.findings.length > 0);
  if (others.length === 0) lines.push('None.', '');
  for (const o of others) {
    lines.push(`### ${o.ruleName} (${o.rule.level})`, '', o.rule.requirement, '');
    for (const f of o.findings) lines.push(`- ${escapeCell(f.message)}`);
    lines.push('');
  }

  const hosts = webHosts(model);
  if (hosts.length > 0) {
    lines.push('## Monitoring coverage', '', 'Web hosts (resources that run the host filter) and how the hidden monitor layer sees them.', '');
    lines.push('| web hosts | layer | monitor | coverage |', '|---|---|---|---|');
    for (const h of hosts) {
      const m = monitoringOf(h);
      const coverage = !m ? 'not monitored' : m.mirrored ? 'Traffic Mirroring to the sensors, flow logs' : `not mirrorable; ${m.coverage ?? 'no coverage declared'}`;
      lines.push(`| \`${h.type}\` \`${h.path}\` | ${h.layer ?? '—'} | ${m?.layer ?? '—'} | ${escapeCell(coverage)} |`);
    }
    lines.push('');
  }

  lines.push('## Tamper watch', '');
  const tamper = tamperWatchOf(model.resources);
  if (tamper.length === 0) {
    lines.push('None: nothing alarms when a control is switched off, only the silence afterwards (give the watch layer a log destination for its trail).', '');
  } else {
    lines.push('CloudTrail calls that disable, detach, weaken or delete a control, matched to this app\'s resources by EventBridge rules; each match is notified and counted in its layer\'s `TamperEvents` metric, with an alarm at 1.', '');
    lines.push('| layer | resources | watched calls | rules |', '|---|---|---|---|');
    for (const t of tamper) {
      lines.push(`| ${t.layer} | ${t.calls.map(c => `${c.what} (${c.resources})`).join(', ')} | ${t.calls.map(c => `${c.what}: ${c.eventNames.join(', ')}`).join('; ')} | ${t.rules} |`);
    }
    lines.push('');
  }

  lines.push('## Observes edges', '');
  if (isolation.observes.length === 0) lines.push('None.');
  else lines.push('| layer | from | observes | reason |', '|---|---|---|---|');
  for (const o of isolation.observes) {
    lines.push(`| ${o.layer} | \`${o.from.path}\` | \`${o.to.path}\` | ${escapeCell(o.reason)} |`);
  }

  lines.push('', '## Exemptions', '');
  if (isolation.exemptions.length === 0) lines.push('None.');
  else lines.push('| resource | shared by | allowed layers | reason |', '|---|---|---|---|');
  for (const e of isolation.exemptions) {
    lines.push(`| \`${e.resource.type}\` \`${e.resource.path}\` | ${e.sharedBy.join(', ') || '(no layer yet)'} | `
      + `${e.builtIn ? 'any (built in)' : e.allowedLayers?.join(', ') ?? 'any'} | ${escapeCell(e.reason)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

interface TamperEntry {
  readonly layer: string;
  readonly rules: number;
  readonly calls: Array<{ what: string; eventNames: string[]; resources: number }>;
}

/** The calls the app's tamper watches watch, per watched layer, from their rules' metadata. */
function tamperWatchOf(resources: ResourceNode[]): TamperEntry[] {
  const byLayer = new Map<string, { rules: number; calls: Map<string, { what: string; eventNames: Set<string>; resources: number }> }>();
  for (const r of resources) {
    const entry = r.metadata[IsolationMetadata.TAMPER_WATCH] as Omit<TamperEntry, 'rules'> | undefined;
    if (!entry) continue;
    const layer = byLayer.get(entry.layer) ?? { rules: 0, calls: new Map() };
    layer.rules++;
    for (const c of entry.calls) {
      const call = layer.calls.get(c.what) ?? { what: c.what, eventNames: new Set<string>(), resources: 0 };
      c.eventNames.forEach(e => call.eventNames.add(e));
      call.resources = Math.max(call.resources, c.resources);
      layer.calls.set(c.what, call);
    }
    byLayer.set(entry.layer, layer);
  }
  return [...byLayer.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([layer, l]) => ({
    layer,
    rules: l.rules,
    calls: [...l.calls.values()].sort((a, b) => a.what.localeCompare(b.what))
      .map(c => ({ what: c.what, eventNames: [...c.eventNames].sort(), resources: c.resources })),
  }));
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
