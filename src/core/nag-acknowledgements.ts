import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's `AwsSolutions-IAM5` finding for each wildcard resource
 * of a policy the library writes itself, with the reason it is the narrowest
 * possible. The finding id holds the resource as cdk-nag flattens it, which is
 * only known once cross-stack references are resolved, so the acknowledgement
 * is made during validation (after prepare, before policy plugins run).
 */
export function acknowledgeWildcardResources(policy: IConstruct, resources: string[], reason: string): void {
  policy.node.addValidation({
    validate: () => {
      for (const resource of resources) {
        const flat = flattenCfnReference(Stack.of(policy).resolve(resource));
        // Recorded as Validations.acknowledge() records it: its id check refuses the
        // '::' inside a flattened ARN such as '<AWS::Partition>'.
        policy.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [`AwsSolutions-IAM5[Resource::${flat}]`]: reason });
      }
      return [];
    },
  });
}

/**
 * Acknowledges cdk-nag's `AwsSolutions-IAM4` finding for one AWS managed
 * policy attached to a role, with the reason it is needed. Recorded as
 * metadata directly: `Validations.acknowledge()` refuses the '::' of the finding id.
 */
export function acknowledgeAwsManagedPolicy(role: IConstruct, policyName: string, reason: string): void {
  const id = `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`;
  role.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
}

/**
 * Acknowledges a CloudFormation Guard rule (the Control Tower rules of
 * `@cdklabs/cdk-validator-cfnguard`) for a by-design resource of the library.
 */
export function acknowledgeGuardRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason });
}

/** An alarm without an action of its own, for cdk-nag (NIST) and Guard (CT.CLOUDWATCH.PR.1), with the reason. */
export function acknowledgeAlarmWithoutAction(alarm: IConstruct, reason: string): void {
  Validations.of(alarm).acknowledge({ id: 'NIST.800.53.R5-CloudWatchAlarmAction', reason });
  acknowledgeGuardRule(alarm, 'cloudwatch_alarm_action_check', reason);
}

/**
 * Acknowledges NIST 800-53 R5 `LambdaInsideVPC` for a layer's function that
 * only calls AWS APIs (`apis`, in words): inside the workload VPC it would
 * depend on the subnets, routes and NAT another layer uses.
 */
export function acknowledgeFunctionOutsideVpc(fn: IConstruct, apis: string): void {
  const reason = `It only calls ${apis}. Inside the workload VPC it would depend on the subnets, routes and NAT the host layer uses: `
    + 'a dependency shared by two layers, which the isolation check forbids.';
  Validations.of(fn).acknowledge({ id: 'NIST.800.53.R5-LambdaInsideVPC', reason });
  acknowledgeGuardRule(fn, 'lambda_inside_vpc_check', reason);
}
