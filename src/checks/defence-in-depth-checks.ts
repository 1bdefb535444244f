import * as path from 'path';
import { CfnResource, IPolicyValidationContext, PolicyValidationPluginReport, PolicyViolatingResource, PolicyViolation, Validations } from 'aws-cdk-lib';
import { NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { analyseApp, DEFAULT_RULE_OPTIONS, PACK_NAME } from './defence-analysis';
import { PropValidator } from '../core/validation-error';
import { ResourceNode } from './model/reference-finder';
import { RuleOptions } from './rules/rule';

export interface DefenceInDepthChecksProps extends NagPackProps {
  /**
   * The shortest default retention, in days, that the log archive's Object
   * Lock may have (rule `DefenceInDepth-ImmutableArchive`). 1 to 36500.
   * @default 365
   */
  readonly minimumRetentionDays?: number;
  /**
   * Ports that must never be open to `0.0.0.0/0` or `::/0`
   * (rule `DefenceInDepth-NoAdminIngressFromInternet`).
   * @default [22, 23, 2375, 2376, 3389, 5900, 5985, 5986]
   */
  readonly adminPorts?: number[];
}

/**
 * The defence-in-depth rules as a cdk-nag v3 pack, for pipelines:
 * `Validations.of(app).addPlugins(new DefenceInDepthChecks(app))`.
 *
 * Rules look at the synthesized templates of the whole app at once (see
 * RULES.md). Findings can be acknowledged like any cdk-nag finding, with
 * `Validations.of(construct).acknowledge({ id: 'DefenceInDepth-<Rule>', reason })`
 * on the violating resource or one of its scopes. Short circuits also fail the
 * synth on their own (see `DefenceLayer`); acknowledging one here does not
 * change that, only `DefenceLayer.allowShared` does.
 */
export class DefenceInDepthChecks extends NagPack {
  public readonly name = 'DefenceInDepthChecks';
  private readonly options: RuleOptions;

  constructor(scope?: IConstruct, props: DefenceInDepthChecksProps = {}) {
    super(scope, props);
    this.packName = PACK_NAME;
    // The pack is no construct: errors name it rather than the scope it was given.
    const v = new PropValidator({ node: { path: 'DefenceInDepthChecks' } } as IConstruct);
    if (props.minimumRetentionDays !== undefined) v.integerInRange('minimumRetentionDays', props.minimumRetentionDays, 1, 36500, 'days');
    (props.adminPorts ?? []).forEach((p, i) => v.integerInRange(`adminPorts[${i}]`, p, 0, 65535, ''));
    v.throwIfInvalid();
    this.options = {
      minimumRetentionDays: props.minimumRetentionDays ?? DEFAULT_RULE_OPTIONS.minimumRetentionDays,
      adminPorts: props.adminPorts ?? DEFAULT_RULE_OPTIONS.adminPorts,
    };
  }

  /** Called by the CDK for each environment's stacks: reports the findings on those stacks' resources. */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = new Set(context.templatePaths.map(p => path.resolve(p)));
    // Nested stacks' resources count with the top-level stack that deploys them.
    return this.report(context.appConstruct, r => r.stack !== undefined && templates.has(r.stack.deployedWith), true);
  }

  /** Validates the (synthesized) app of `scope` and reports the findings on resources inside `scope`. */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    const prefix = scope.node.path;
    const inScope = (p: string) => prefix === '' || p === prefix || p.startsWith(`${prefix}/`);
    return this.report(scope.node.root, r => inScope(r.path), false);
  }

  protected checkResource(_node: CfnResource): void {
    // The rules are app-wide (see `validate`); nothing is checked one resource at a time.
  }

  private report(root: IConstruct, include: (r: ResourceNode) => boolean, withTemplates: boolean): PolicyValidationPluginReport {
    const analysis = analyseApp(root, this.options);
    const violations: PolicyViolation[] = [];
    for (const outcome of analysis.outcomes) {
      for (const finding of outcome.findings) {
        const r = finding.resource;
        // External resources (not in the app) are reported on the first resource that names them.
        const anchor = r.external ? firstReferrer(analysis, r) ?? r : r;
        if (!include(anchor) || this.acknowledged(root, anchor.path, outcome.ruleName)) continue;
        const resource: PolicyViolatingResource = {
          constructPath: anchor.path,
          resourceLogicalId: anchor.logicalId,
          templatePath: withTemplates && anchor.stack ? anchor.stack.templatePath : undefined,
          locations: ['Properties'],
        } as PolicyViolatingResource;
        violations.push({
          ruleName: outcome.ruleName,
          description: finding.message,
          fix: outcome.rule.fix,
          severity: outcome.rule.level,
          violatingResources: [resource],
        } as PolicyViolation);
      }
    }
    return { success: violations.every(v => v.severity !== 'error'), violations };
  }

  /** Whether `ruleName` is acknowledged on the construct at `constructPath` or one of its scopes. */
  private acknowledged(root: IConstruct, constructPath: string, ruleName: string): boolean {
    let current: IConstruct | undefined = root;
    const scopes: IConstruct[] = [root];
    for (const id of constructPath.split('/').filter(Boolean)) {
      current = current?.node.tryFindChild(id);
      if (!current) break;
      scopes.push(current);
    }
    return scopes.some(c => c.node.metadata.some(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY
      && m.data && Object.keys(m.data).some(k => k.replace(/^annotation::/i, '').replace(/^DefenceInDepthChecks::/, '') === ruleName)));
  }
}

function firstReferrer(analysis: ReturnType<typeof analyseApp>, node: { key: string }) {
  const { model } = analysis.isolation;
  return model.resources.find(r => model.edgesFrom(r).some(e => e.to.key === node.key));
}
