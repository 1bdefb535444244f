import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

// Internal (not exported from the barrel): jsii drops free functions from other languages.

/**
 * The path of every log delivery role: `/defence-in-depth-delivery/<layer>/`.
 * The archive's bucket policy admits uploads only from roles under it, each
 * into its own layer's prefix. A role's path cannot be changed once created.
 */
export const DELIVERY_ROLE_PATH_ROOT = '/defence-in-depth-delivery/';

/** The role path of a layer's delivery roles. */
export function deliveryRolePath(layerName: string): string {
  return `${DELIVERY_ROLE_PATH_ROOT}${layerName}/`;
}

/** An ARN pattern (for `ArnLike`) of the delivery roles of `layerName` (every layer when undefined), in any account. */
export function deliveryRoleArnPattern(layerName?: string): string {
  return `arn:${Aws.PARTITION}:iam::*:role${layerName ? deliveryRolePath(layerName) : DELIVERY_ROLE_PATH_ROOT}*`;
}

/**
 * The ARN of the role CloudFormation deploys `scope`'s stack with: `explicit`
 * when given, else the execution role the stack's synthesizer names (the CDK
 * bootstrap's `cfn-exec-role` with the default synthesizer). When CloudFormation
 * uses a service role, the calls it makes are that role's own (`aws:PrincipalArn`
 * is the role), not forward access sessions: `aws:CalledVia` would not name it.
 * `undefined` when neither is known (a synthesizer that deploys with the
 * caller's own credentials).
 */
export function deploymentRoleArn(scope: IConstruct, explicit?: iam.IRole): string | undefined {
  if (explicit) return explicit.roleArn;
  const arn = Stack.of(scope).synthesizer.cloudFormationExecutionRole;
  if (arn === undefined || Token.isUnresolved(arn)) return arn;
  // The synthesizer writes CloudFormation placeholders for a template-agnostic stack.
  return arn
    .replace(/\$\{AWS::Partition\}/g, Aws.PARTITION)
    .replace(/\$\{AWS::AccountId\}/g, Aws.ACCOUNT_ID)
    .replace(/\$\{AWS::Region\}/g, Aws.REGION);
}

/**
 * The condition that exempts the administrators of a protection (the break-glass
 * role and the deployment role) from a deny; `undefined` when there are none.
 */
export function exceptPrincipals(arns: Array<string | undefined>): Record<string, unknown> | undefined {
  const list = arns.filter((a): a is string => a !== undefined);
  if (list.length === 0) return undefined;
  return { ArnNotEquals: { 'aws:PrincipalArn': list.length === 1 ? list[0] : list } };
}
