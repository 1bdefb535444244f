import { StackTemplate } from './app-templates';
import { explicitName, globMatcher, isPattern, NAME_FORMS, typesNamedByPlainName } from './physical-names';
import { ReferenceFinder, ResourceNode } from './reference-finder';
import { IsolationMetadata } from '../../core/isolation-metadata';

/** A dependency of one resource on another, as written in the templates. */
export interface Edge {
  readonly from: ResourceNode;
  readonly to: ResourceNode;
  /** How the first reference was written (for the chain in a finding). */
  readonly via: string;
  /** Union of the IAM actions granted through this edge; undefined when any reference is not an IAM grant. */
  readonly actions?: string[];
}

/**
 * The whole app as a graph: every resource of every synthesized template, its
 * layer (from the template metadata) and its dependencies on other resources,
 * however they are written (see `ReferenceFinder`).
 */
export class AppModel {
  /** Builds the model from the app's synthesized templates. */
  public static fromTemplates(stacks: StackTemplate[]): AppModel {
    return new AppModel(stacks);
  }

  public readonly stacks: StackTemplate[];
  public readonly resources: ResourceNode[] = [];
  private readonly byStack = new Map<string, Map<string, ResourceNode>>();
  private readonly stacksByKey = new Map<string, StackTemplate>();
  private readonly externals = new Map<string, ResourceNode>();
  private readonly names = new Map<string, ResourceNode[]>();
  private readonly plainNames = new Map<string, ResourceNode[]>();
  private readonly exports = new Map<string, Array<{ stack: StackTemplate; value: unknown }>>();
  private readonly out = new Map<ResourceNode, Edge[]>();
  private readonly layerNames = new Set<string>();

  private constructor(stacks: StackTemplate[]) {
    this.stacks = stacks;
    for (const stack of stacks) this.addStack(stack);
    const finder = new ReferenceFinder({
      resource: (key, id) => this.byStack.get(key)?.get(id),
      stack: key => this.stacksByKey.get(key),
      nestedChild: (parentKey, id) => stacks.find(s => s.parent?.key === parentKey && s.parent.logicalId === id),
      exported: (stack, name) => this.findExport(stack, name),
      byArn: (type, name, account, region) => this.byName(type, name, account, region),
      byPlainName: name => this.plainNames.get(name) ?? [],
      external: (type, name) => this.external(type, name),
    });
    for (const node of [...this.resources]) {
      const definition = node.stack!.template.Resources[node.logicalId];
      for (const ref of finder.referencesOf(node, definition)) {
        const [from, to] = ref.reverse ? [ref.target, node] : [node, ref.target];
        this.addEdge(from, to, ref.via, ref.actions);
      }
    }
  }

  /** The layers named in the templates, sorted. */
  public get layers(): string[] {
    return [...this.layerNames].sort();
  }

  /** Resources of the app and external resources it names (SSM parameters, secrets). */
  public get allNodes(): ResourceNode[] {
    return [...this.resources, ...this.externals.values()];
  }

  public edgesFrom(node: ResourceNode): Edge[] {
    return this.out.get(node) ?? [];
  }

  public resourcesOfLayer(layer: string): ResourceNode[] {
    return this.resources.filter(r => r.layer === layer);
  }

  public resource(stackKey: string, logicalId: string): ResourceNode | undefined {
    return this.byStack.get(stackKey)?.get(logicalId);
  }

  private addStack(stack: StackTemplate): void {
    this.stacksByKey.set(stack.key, stack);
    const nodes = new Map<string, ResourceNode>();
    this.byStack.set(stack.key, nodes);
    for (const [logicalId, def] of Object.entries<any>(stack.template.Resources ?? {})) {
      const metadata = def.Metadata ?? {};
      const layer = typeof metadata[IsolationMetadata.LAYER] === 'string' ? metadata[IsolationMetadata.LAYER] : undefined;
      const node: ResourceNode = {
        key: `${stack.key}#${logicalId}`,
        stack,
        logicalId,
        type: def.Type,
        path: typeof metadata['aws:cdk:path'] === 'string' ? metadata['aws:cdk:path'] : stack.constructPaths?.get(logicalId) ?? `${stack.path}/${logicalId}`,
        layer,
        metadata,
        properties: def.Properties ?? {},
        external: false,
      };
      if (layer) this.layerNames.add(layer);
      nodes.set(logicalId, node);
      this.resources.push(node);
      const name = explicitName(def.Type, def.Properties);
      if (name !== undefined) {
        push(this.names, `${def.Type}|${name}`, node);
        if (PLAIN_NAME_TYPES.has(def.Type)) push(this.plainNames, def.Properties[NAME_FORMS[def.Type].property], node);
      }
    }
    for (const output of Object.values<any>(stack.template.Outputs ?? {})) {
      const name = output?.Export?.Name;
      if (typeof name === 'string') push(this.exports, name, { stack, value: output.Value });
    }
  }

  /** An export visible to `stack`: exports are per account and region. */
  private findExport(stack: StackTemplate, name: string): { stack: StackTemplate; value: unknown } | undefined {
    const candidates = this.exports.get(name) ?? [];
    return candidates.find(c => sameEnv(c.stack, stack)) ?? (candidates.length === 1 ? candidates[0] : undefined);
  }

  private byName(type: string, name: string, account?: string, region?: string): ResourceNode[] {
    const fits = (n: ResourceNode) =>
      (!account || n.stack!.account === 'unknown' || n.stack!.account === account)
      && (!region || n.stack!.region === 'unknown' || n.stack!.region === region);
    if (!isPattern(name)) return (this.names.get(`${type}|${name}`) ?? []).filter(fits);
    const matches = globMatcher(name);
    const prefix = `${type}|`;
    const out: ResourceNode[] = [];
    for (const [key, nodes] of this.names) {
      if (key.startsWith(prefix) && matches(key.slice(prefix.length))) out.push(...nodes.filter(fits));
    }
    return out;
  }

  private external(type: string, name: string): ResourceNode {
    const key = `external:${type}:${name}`;
    let node = this.externals.get(key);
    if (!node) {
      node = { key, logicalId: name, type, path: `(not in this app) ${type} ${name}`, metadata: {}, properties: {}, external: true };
      this.externals.set(key, node);
    }
    return node;
  }

  private addEdge(from: ResourceNode, to: ResourceNode, via: string, actions?: string[]): void {
    let edges = this.out.get(from);
    if (!edges) this.out.set(from, edges = []);
    const i = edges.findIndex(e => e.to === to);
    if (i < 0) {
      edges.push({ from, to, via, actions });
      return;
    }
    // Several references to one target: the edge grants the union of their actions.
    const e = edges[i];
    const merged = e.actions && actions ? [...new Set([...e.actions, ...actions])] : undefined;
    edges[i] = { ...e, actions: merged };
  }
}

const PLAIN_NAME_TYPES = new Set(typesNamedByPlainName());

function sameEnv(a: StackTemplate, b: StackTemplate): boolean {
  return a.account === b.account && a.region === b.region;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
