import { Aspects, AspectPriority, CfnResource, IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

// Internal (not exported from the barrel): jsii drops free functions from other languages.

/** Writes one metadata entry on every CloudFormation resource of a subtree, including resources added later. */
export function markSubtree(scope: IConstruct, key: string, value: (existing: unknown) => unknown): void {
  Aspects.of(scope).add(new MetadataAspect(key, value), { priority: AspectPriority.MUTATING });
}

class MetadataAspect implements IAspect {
  constructor(private readonly key: string, private readonly value: (existing: unknown) => unknown) {}

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    node.addMetadata(this.key, this.value(node.getMetadata(this.key)));
  }
}
