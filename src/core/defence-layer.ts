import { Aspects, AspectPriority, CfnResource, IAspect } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { IsolationMetadata } from './isolation-metadata';
import { markSubtree } from './metadata-aspect';
import { DefenceValidationError, PropValidator } from './validation-error';
import { ISOLATION_CONTEXT_KEY, registerIsolationCheck, REPORT_DIRECTORY } from '../checks/isolation-check';

const LAYER_SYMBOL = Symbol.for('cdk-defence-in-depth.DefenceLayer');
const ADOPTED_BY = Symbol.for('cdk-defence-in-depth.DefenceLayer.adoptedBy');

/** A layer of defence: a construct subtree whose resources fail independently of other layers. */
export interface IDefenceLayer extends IConstruct {
  /** The layer's name, e.g. `edge`, `host`, `archive`; also its prefix in the log archive. */
  readonly layerName: string;
}

/** An explicit exemption from the isolation check. */
export interface AllowSharedOptions {
  /**
   * Why sharing this resource cannot make the layers fail together. It is
   * written into the template and listed in the defence-in-depth report.
   * At least 10 characters.
   */
  readonly reason: string;
  /**
   * The layers that may share the resource.
   * @default - any layers
   */
  readonly layers?: string[];
}

/** A declared read-only watch of another layer's resources. */
export interface ObserveOptions {
  /** What the layer watches for, e.g. "reads the host layer's heartbeat log group". At least 10 characters. */
  readonly reason: string;
}

const LAYER_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const LAYER_NAME_ALLOWED = 'lowercase letters, digits and hyphens, 2 to 32 characters, starting with a letter and not ending with a hyphen';

export interface DefenceLayerProps {
  /**
   * The layer's name. Lowercase letters, digits and hyphens, 2 to 32 characters,
   * starting with a letter. It is written on every CloudFormation resource of the
   * layer and used as the layer's prefix in the log archive, so two
   * `DefenceLayer`s with the same name (say in two stacks) are one layer.
   */
  readonly layerName: string;
}

/**
 * A construct whose subtree is one layer of defence.
 *
 * Every CloudFormation resource in the subtree gets the template metadata
 * `"cdk-defence-in-depth:layer": "<layerName>"` (see `DefenceLayer.METADATA_KEY`),
 * so the isolation analysis works on the synthesized templates of the whole
 * app, across stacks and accounts, and any other tool can read it.
 *
 * A resource belongs to at most one layer: creating a layer inside another
 * layer, or including a construct that already belongs to a layer, is an error.
 */
export class DefenceLayer extends Construct implements IDefenceLayer {
  /** The template metadata key that records a resource's layer. */
  public static readonly METADATA_KEY = IsolationMetadata.LAYER;
  /**
   * Context key for what a short circuit does at synth: `"enforce"` (default,
   * the synth fails) or `"report"` (the report is written and a warning
   * shown; gate on `DefenceInDepthChecks` in the pipeline instead).
   */
  public static readonly ISOLATION_CONTEXT_KEY = ISOLATION_CONTEXT_KEY;
  /** Folder of the cloud assembly (`cdk.out`) where each synth writes `report.md` and `report.json`. */
  public static readonly REPORT_DIRECTORY = REPORT_DIRECTORY;

  /** Whether `x` is a `DefenceLayer` (works across copies of this library). */
  public static isDefenceLayer(x: any): x is DefenceLayer {
    return x !== null && typeof x === 'object' && LAYER_SYMBOL in x;
  }

  /**
   * The layer that `construct` belongs to: the nearest enclosing `DefenceLayer`,
   * or the layer that included one of its ancestors. `undefined` outside every layer.
   */
  public static of(construct: IConstruct): IDefenceLayer | undefined {
    const scopes = construct.node.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i] as any;
      if (DefenceLayer.isDefenceLayer(scope)) return scope;
      if (scope[ADOPTED_BY]) return scope[ADOPTED_BY];
    }
    return undefined;
  }

  /**
   * The layer enclosing `scope`, or a clear error naming `what` needs it.
   * Layers use it to find out whom a delivery path or a resource is for.
   */
  public static requireOf(scope: IConstruct, what: string): IDefenceLayer {
    const layer = DefenceLayer.of(scope);
    if (!layer) {
      throw new DefenceValidationError(scope.node.path, [{
        prop: 'scope',
        value: `'${scope.node.path}' (outside every DefenceLayer)`,
        allowed: `${what} must be created inside a DefenceLayer, so that it belongs to exactly one layer`,
      }]);
    }
    return layer;
  }

  /**
   * Exempts a construct's resources (its whole subtree) from the isolation
   * check: layers may share them. The only way to accept a shared dependency;
   * the reason lands in the template and in the defence-in-depth report.
   * What the exempted resources depend on is still checked.
   */
  public static allowShared(construct: IConstruct, options: AllowSharedOptions): void {
    const v = new PropValidator(construct);
    v.check(typeof options.reason === 'string' && options.reason.trim().length >= 10, 'reason', options.reason,
      'a sentence of at least 10 characters saying why sharing cannot make the layers fail together');
    const layers = options.layers;
    if (layers !== undefined) {
      v.check(layers.length >= 2, 'layers', layers.length, 'at least 2 layer names (or leave it out for any layers)');
      layers.forEach((name, i) => v.matches(`layers[${i}]`, name, LAYER_NAME, LAYER_NAME_ALLOWED));
      v.check(new Set(layers).size === layers.length, 'layers', layers.join(', '), 'distinct layer names');
    }
    v.throwIfInvalid();
    const entry = { reason: options.reason.trim(), ...(layers ? { layers: [...layers].sort() } : {}) };
    markSubtree(construct, IsolationMetadata.SHARED, () => entry);
  }

  public readonly layerName: string;

  constructor(scope: Construct, id: string, props: DefenceLayerProps) {
    super(scope, id);
    Object.defineProperty(this, LAYER_SYMBOL, { value: true });

    const v = new PropValidator(this);
    v.matches('layerName', props.layerName, LAYER_NAME, LAYER_NAME_ALLOWED);
    const enclosing = DefenceLayer.of(scope);
    v.checkDescribed(enclosing === undefined, 'scope', `'${scope.node.path}' (inside layer '${enclosing?.layerName}' at '${enclosing?.node.path}')`,
      'a scope outside every other DefenceLayer: layers are siblings, never nested');
    v.throwIfInvalid();

    this.layerName = props.layerName;
    Aspects.of(this).add(new LayerMembershipAspect(this), { priority: AspectPriority.MUTATING });
    // Creating a layer is enough: the app's synth now runs the isolation check.
    registerIsolationCheck(this);
  }

  /**
   * Declares that this layer watches `target` (and its subtree) read-only, for
   * example a heartbeat reading a peer's log group. References from this layer
   * to the target are then "observes" edges: allowed, shown in the report and
   * not followed. An IAM statement that grants more than reading (`Get*`,
   * `List*`, `Describe*`, ...) on the target is still a dependency.
   */
  public observe(target: IConstruct, options: ObserveOptions): void {
    const owner = DefenceLayer.of(target);
    const v = new PropValidator(this);
    v.check(typeof options.reason === 'string' && options.reason.trim().length >= 10, 'reason', options.reason,
      'a sentence of at least 10 characters saying what the layer watches for');
    v.checkDescribed(owner?.layerName !== this.layerName, 'observe(target)', `'${target.node.path}' (in this layer, '${this.layerName}')`,
      'a construct of another layer, or outside every layer');
    v.throwIfInvalid();
    const entry = { layer: this.layerName, reason: options.reason.trim() };
    markSubtree(target, IsolationMetadata.OBSERVED_BY, existing => {
      const list = Array.isArray(existing) ? existing.filter((e: any) => e?.layer !== entry.layer) : [];
      return [...list, entry].sort((a, b) => a.layer.localeCompare(b.layer));
    });
  }

  /**
   * Puts a construct defined elsewhere in the tree (and its whole subtree) into
   * this layer, for resources that cannot be created under the layer itself.
   *
   * @throws if the construct already belongs to a layer, or contains one.
   */
  public include(construct: IConstruct): void {
    const current = DefenceLayer.of(construct);
    const containsLayer = construct.node.findAll().some(c => DefenceLayer.isDefenceLayer(c));
    const v = new PropValidator(this);
    v.checkDescribed(current === undefined, 'include(construct)', `'${construct.node.path}' (already in layer '${current?.layerName}')`,
      'a construct that belongs to no layer yet: a resource belongs to exactly one layer');
    v.checkDescribed(!containsLayer, 'include(construct)', `'${construct.node.path}' (contains a DefenceLayer)`,
      'a subtree without DefenceLayers: layers are never nested');
    v.throwIfInvalid();
    Object.defineProperty(construct, ADOPTED_BY, { value: this });
    Aspects.of(construct).add(new LayerMembershipAspect(this), { priority: AspectPriority.MUTATING });
  }
}

/** Writes the layer's name into the metadata of every CloudFormation resource of its subtree. */
class LayerMembershipAspect implements IAspect {
  constructor(private readonly layer: IDefenceLayer) {}

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const owner = DefenceLayer.of(node);
    if (owner !== this.layer) {
      // Only reachable when an included subtree holds another layer's resources.
      throw new DefenceValidationError(node.node.path, [{
        prop: 'layer membership',
        value: `layers '${this.layer.layerName}' and '${owner?.layerName}'`,
        allowed: 'exactly one layer per resource',
      }]);
    }
    node.addMetadata(DefenceLayer.METADATA_KEY, this.layer.layerName);
  }
}
