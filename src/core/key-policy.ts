import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * A key of a layer's own: rotated, kept when the stack goes (logs encrypted
 * with it must stay readable), and closed to grants except AWS services'.
 * Every key the library creates comes from here.
 */
export function layerKey(scope: Construct, id: string, description: string): kms.Key {
  const key = new kms.Key(scope, id, { description, enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
  denyGrantsExceptForAwsServices(key);
  return key;
}

/**
 * Only AWS services may create grants on a layer's key, and only for their own
 * resources (Firehose, CloudWatch Logs): a principal that can create grants could
 * hand itself decrypt rights the key policy does not give (Control Tower CT.KMS.PR.3).
 */
function denyGrantsExceptForAwsServices(key: kms.IKey): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'DenyGrantsExceptForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}
