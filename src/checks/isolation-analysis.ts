import { IsolationMetadata } from '../core/isolation-metadata';
import { AppModel, Edge } from './model/app-model';
import { ResourceNode } from './model/reference-finder';

/** One step of a layer's reference chain to a resource. */
export interface ChainLink {
  readonly resource: ResourceNode;
  /** How the previous link refers to this one; undefined for the layer's own resource the chain starts at. */
  readonly via?: string;
}

/** A resource that two or more layers depend on: they can fail together through it. */
export interface ShortCircuit {
  readonly resource: ResourceNode;
  /** The layers that own or depend on it, sorted. */
  readonly layers: string[];
  /** Each layer's shortest reference chain to the resource, from one of its own resources. */
  readonly chains: Record<string, ChainLink[]>;
}

/** A declared read-only watch of another layer's resource, allowed and not followed. */
export interface ObservesEdge {
  readonly layer: string;
  readonly from: ResourceNode;
  readonly to: ResourceNode;
  readonly reason: string;
}

/** A layer's own log delivery into the archive, allowed and not followed. */
export interface DeliveryEdge {
  readonly layer: string;
  readonly from: ResourceNode;
  readonly to: ResourceNode;
}

/** A layer's web ACL association and the resource it protects: allowed and not followed. */
export interface ProtectionEdge {
  readonly layer: string;
  readonly from: ResourceNode;
  readonly to: ResourceNode;
}

/** The resource types whose references to what they attach to are protection, not dependency. */
const PROTECTING_TYPES = new Set(['AWS::WAFv2::WebACLAssociation']);

/** A resource exempted from the isolation check, and who shares it. */
export interface Exemption {
  readonly resource: ResourceNode;
  readonly reason: string;
  /** The layers that depend on it. */
  readonly sharedBy: string[];
  /** Layers the exemption is limited to; undefined for any. */
  readonly allowedLayers?: string[];
  /** Built into the library (network fabric every layer lives in) rather than declared. */
  readonly builtIn: boolean;
}

export interface IsolationResult {
  readonly model: AppModel;
  readonly shortCircuits: ShortCircuit[];
  readonly observes: ObservesEdge[];
  readonly deliveries: DeliveryEdge[];
  /** Web ACL associations and the resources they protect. */
  readonly protections: ProtectionEdge[];
  readonly exemptions: Exemption[];
  /** Layers that own or depend on each resource. */
  readonly dependents: Map<ResourceNode, Set<string>>;
}

/**
 * Types every layer may share without a declaration: the network fabric the
 * layers live in, with no configuration that can fail one layer alone. Their
 * subnets, route tables, endpoints, NAT gateways and security groups are checked.
 */
export const BUILT_IN_EXEMPTIONS: Record<string, string> = {
  'AWS::EC2::VPC': 'the VPC is the network every layer lives in; its subnets, routes, endpoints and security groups are checked',
  'AWS::EC2::VPCCidrBlock': 'an address range of the VPC',
  'AWS::EC2::InternetGateway': 'a horizontally scaled, redundant regional gateway with no configuration',
  'AWS::EC2::VPCGatewayAttachment': 'attaches the internet gateway to the VPC',
  'AWS::CDK::Metadata': 'CDK version analytics, not part of any data path',
};

/** Actions that only read: a layer that observes a resource may be granted these and nothing else. */
const READ_ONLY_ACTION = /^[a-z0-9-]+:(Get|List|Describe|Head|Filter|Search|Lookup|Select|BatchGet|Query|Scan|StartQuery|StopQuery|View)[A-Za-z0-9*]*$/;

/** Whether an edge only reads: not an IAM grant at all, or a grant of read-only actions. */
export function isReadOnly(edge: Edge): boolean {
  return edge.actions === undefined || edge.actions.every(a => READ_ONLY_ACTION.test(a));
}

/**
 * Finds the short circuits of an app: resources that two or more layers own or
 * depend on, directly or transitively, except
 * - the log archive reached through a layer's own delivery path,
 * - read-only observes edges the layer declared,
 * - what a layer's web ACL association protects (the association is checked, the protected resource is not its dependency),
 * - resources exempted with `DefenceLayer.allowShared` (or built in, see `BUILT_IN_EXEMPTIONS`).
 *
 * Only root causes are reported: a resource reached through another short
 * circuit shared by the same layers (say the key of another layer's bucket) is
 * part of that finding.
 */
export function analyseIsolation(model: AppModel): IsolationResult {
  const dependents = new Map<ResourceNode, Set<string>>();
  const parents = new Map<string, Map<ResourceNode, Edge | undefined>>();
  const observes = new Map<string, ObservesEdge>();
  const deliveries = new Map<string, DeliveryEdge>();
  const protections = new Map<string, ProtectionEdge>();

  for (const layer of model.layers) {
    const parent = new Map<ResourceNode, Edge | undefined>();
    parents.set(layer, parent);
    const queue = model.resourcesOfLayer(layer);
    for (const node of queue) parent.set(node, undefined);
    for (let i = 0; i < queue.length; i++) {
      for (const edge of model.edgesFrom(queue[i])) {
        const to = edge.to;
        if (parent.has(to)) continue;
        if (isOwnDelivery(edge, layer)) {
          deliveries.set(`${layer}|${edge.from.key}|${to.key}`, { layer, from: edge.from, to });
          continue;
        }
        if (isProtection(edge, layer)) {
          protections.set(`${layer}|${edge.from.key}|${to.key}`, { layer, from: edge.from, to });
          continue;
        }
        const watch = observation(to, layer);
        if (watch && isReadOnly(edge)) {
          observes.set(`${layer}|${edge.from.key}|${to.key}`, { layer, from: edge.from, to, reason: watch });
          continue;
        }
        parent.set(to, edge);
        queue.push(to);
      }
    }
    for (const node of parent.keys()) {
      let set = dependents.get(node);
      if (!set) dependents.set(node, set = new Set());
      set.add(layer);
    }
  }

  const exemptions: Exemption[] = [];
  const candidates = new Set<ResourceNode>();
  for (const node of model.allNodes) {
    const sharedBy = [...dependents.get(node) ?? []].sort();
    const declared = node.metadata[IsolationMetadata.SHARED];
    const builtIn = BUILT_IN_EXEMPTIONS[node.type];
    if (declared && typeof declared.reason === 'string') {
      exemptions.push({ resource: node, reason: declared.reason, sharedBy, allowedLayers: declared.layers, builtIn: false });
      const allowed: string[] | undefined = declared.layers;
      if (!allowed || sharedBy.every(l => allowed.includes(l))) continue;
    } else if (builtIn) {
      if (sharedBy.length >= 2) exemptions.push({ resource: node, reason: builtIn, sharedBy, builtIn: true });
      continue;
    }
    if (sharedBy.length >= 2) candidates.add(node);
  }

  const shortCircuits: ShortCircuit[] = [];
  for (const node of candidates) {
    const layers = [...dependents.get(node)!].sort();
    const chains: Record<string, ChainLink[]> = {};
    let implied = false;
    for (const layer of layers) {
      const chain = chainTo(parents.get(layer)!, node);
      chains[layer] = chain;
      implied ||= chain.slice(0, -1).some(link => candidates.has(link.resource)
        && layers.every(l => dependents.get(link.resource)!.has(l)));
    }
    if (!implied) shortCircuits.push({ resource: node, layers, chains });
  }
  shortCircuits.sort((a, b) => a.resource.path.localeCompare(b.resource.path));

  return {
    model,
    shortCircuits,
    observes: [...observes.values()],
    deliveries: [...deliveries.values()],
    protections: [...protections.values()],
    exemptions: exemptions.sort((a, b) => a.resource.path.localeCompare(b.resource.path)),
    dependents,
  };
}

function isOwnDelivery(edge: Edge, layer: string): boolean {
  return edge.to.metadata[IsolationMetadata.LOG_SINK] === true
    && edge.from.layer === layer
    && edge.from.metadata[IsolationMetadata.LOG_DELIVERY] === layer;
}

function isProtection(edge: Edge, layer: string): boolean {
  return PROTECTING_TYPES.has(edge.from.type)
    && edge.from.layer === layer
    && edge.from.metadata[IsolationMetadata.PROTECTS] === layer
    && edge.to.layer !== layer;
}

/** The reason `layer` gave for observing `node`, if it declared one. */
function observation(node: ResourceNode, layer: string): string | undefined {
  const list = node.metadata[IsolationMetadata.OBSERVED_BY];
  if (!Array.isArray(list)) return undefined;
  return list.find((e: any) => e?.layer === layer)?.reason;
}

function chainTo(parent: Map<ResourceNode, Edge | undefined>, node: ResourceNode): ChainLink[] {
  const chain: ChainLink[] = [];
  let current: ResourceNode | undefined = node;
  while (current) {
    const edge: Edge | undefined = parent.get(current);
    chain.push({ resource: current, via: edge ? describeEdge(edge) : undefined });
    current = edge?.from;
  }
  return chain.reverse();
}

function describeEdge(edge: Edge): string {
  return edge.actions ? `${edge.via} (grants ${edge.actions.join(', ')})` : edge.via;
}
