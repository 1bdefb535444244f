import { DefenceRule, describe, RuleContext, RuleFinding } from './rule';
import { IsolationMetadata } from '../../core/isolation-metadata';
import { AppModel } from '../model/app-model';
import { ResourceNode } from '../model/reference-finder';

/** Resource types that run web hosts (marked `role: web-host` by the host layer). */
const WEB_HOST_TYPES = ['AWS::AutoScaling::AutoScalingGroup', 'AWS::EC2::Instance', 'AWS::ECS::Service'];

/** The web hosts of the app: what the hidden monitor layer must see. */
export function webHosts(model: AppModel): ResourceNode[] {
  return model.resources.filter(n => WEB_HOST_TYPES.includes(n.type) && n.metadata[IsolationMetadata.ROLE] === 'web-host');
}

/** A web host's coverage by a monitor layer, from its metadata. */
export function monitoringOf(node: ResourceNode): { layer: string; mirrored: boolean; coverage?: string } | undefined {
  const m = node.metadata[IsolationMetadata.MONITORING];
  return m && typeof m === 'object' && typeof m.layer === 'string' ? m : undefined;
}

/** The hidden monitor layer sees every web host: mirrored, or declared unmirrorable with what covers it. */
export class EveryWebHostMirrored implements DefenceRule {
  public readonly id = 'EveryWebHostMirrored';
  public readonly requirement = 'When the app has a monitor layer (a Traffic Mirroring target), every web host (Auto Scaling group, instance or ECS service that runs the host filter) is mirrored to its sensors, or declared unmirrorable (Fargate) with the coverage that replaces mirroring.';
  public readonly explanation = 'Hosts added after the monitor was set up are easy to forget: an attacker who lands on one works unseen by the sensors, and nothing says so.';
  public readonly fix = 'Call TrafficMonitor.mirrorAutoScalingGroup() for every group of web hosts, or addUnmirroredCompute() for compute mirroring cannot see (then enableGuardDuty for Fargate).';
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    if (!hasMonitor(ctx)) return [];
    return [...new Set(webHosts(ctx.model).map(n => n.layer).filter((l): l is string => l !== undefined))].sort();
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    if (!hasMonitor(ctx)) return [];
    return webHosts(ctx.model).filter(n => monitoringOf(n) === undefined).map(node => ({
      resource: node,
      layers: node.layer ? [node.layer] : [],
      message: `${describe(node)} runs web hosts that no monitor layer mirrors or declares: the sensors do not see their traffic.`,
    }));
  }
}

function hasMonitor(ctx: RuleContext): boolean {
  return ctx.model.resources.some(n => n.type === 'AWS::EC2::TrafficMirrorTarget');
}
