import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** Logical ids of the CloudFormation resources under a construct path (the template has no path metadata in tests). */
export function idsUnder(stack: Stack, pathPrefix: string): Set<string> {
  return new Set(stack.node.findAll().filter(c => CfnResource.isCfnResource(c) && c.node.path.startsWith(pathPrefix))
    .map(c => stack.getLogicalId(c as CfnResource)));
}

/** The resources of a type under a construct path, by logical id. */
export function resourcesUnder(template: Template, stack: Stack, type: string, pathPrefix: string): Record<string, any> {
  const ids = idsUnder(stack, pathPrefix);
  return Object.fromEntries(Object.entries(template.findResources(type)).filter(([id]) => ids.has(id)));
}

/** The single value of a record, or a clear error naming what was found. */
export function only(resources: Record<string, any>): any {
  const values = Object.values(resources);
  if (values.length !== 1) throw new Error(`expected one resource, found ${Object.keys(resources).join(', ') || 'none'}`);
  return values[0];
}
