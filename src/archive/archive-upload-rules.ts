import { IAspect, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { DefenceLayer } from '../core/defence-layer';
import { deliveryRoleArnPattern } from '../core/policy-administrators';

// Internal: the archive bucket's upload rules, in its bucket policy, for the
// same-account, trusted-account and organization cases alike.

/** Where CloudTrail delivers a trail's log files in the archive. */
export const CLOUDTRAIL_PREFIX = 'cloudtrail';
const CLOUDTRAIL = 'cloudtrail.amazonaws.com';

export interface UploadRulesProps {
  readonly breakGlassRoleArn?: string;
  /** The archive key's ARN, and its alias ARN where there is one: the only keys an upload may name. */
  readonly keyIds: string[];
  /** The layers that deliver, known once the app is built. */
  readonly layers: () => string[];
}

/**
 * Adds the upload rules once the app is built (an aspect: the layers of the
 * whole app are known then):
 * - only delivery roles (by role path) and AWS delivery services upload at all;
 * - each layer's delivery roles write under the layer's own prefix only, and a
 *   delivery role of a layer the archive does not know writes nowhere;
 * - an upload that names an encryption other than the archive key is refused
 *   (an upload that names none takes the bucket's default: the archive key).
 */
export class UploadRules implements IAspect {
  private done = false;

  constructor(private readonly bucket: s3.Bucket, private readonly props: UploadRulesProps) {}

  public visit(node: IConstruct): void {
    if (this.done || node !== this.bucket) return;
    this.done = true;
    const objects = `${this.bucket.bucketArn}/*`;
    const deny = (sid: string, conditions: Record<string, unknown>, resources?: string[], notResources?: string[]) =>
      this.bucket.addToResourcePolicy(new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: notResources ? undefined : resources ?? [objects],
        notResources,
        conditions,
      }));

    const exempt = this.props.breakGlassRoleArn ? [this.props.breakGlassRoleArn] : [];
    // A request of an AWS service principal carries aws:PrincipalServiceName; a role's or user's never does.
    deny('DenyUploadsExceptDeliveryRolesAndServices', {
      ArnNotLike: { 'aws:PrincipalArn': [deliveryRoleArnPattern(), ...exempt] },
      Null: { 'aws:PrincipalServiceName': 'true' },
    });
    const layers = this.props.layers();
    for (const layer of layers) {
      deny(`DenyLayer${pascal(layer)}DeliveryOutsideItsPrefix`, { ArnLike: { 'aws:PrincipalArn': deliveryRoleArnPattern(layer) } },
        undefined, [`${this.bucket.bucketArn}/${layer}/*`]);
    }
    deny('DenyDeliveryRolesOfUnknownLayers', {
      ArnLike: { 'aws:PrincipalArn': deliveryRoleArnPattern() },
      ...(layers.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': layers.map(l => deliveryRoleArnPattern(l)) } } : {}),
    });
    deny('DenyUploadsWithAnotherEncryption', {
      Null: { 's3:x-amz-server-side-encryption': 'false' },
      StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
    });
    deny('DenyUploadsWithAnotherKey', {
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
      StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.props.keyIds },
    });
  }
}

/** The names of every DefenceLayer in the app, in tree order. */
export function layerNamesOf(root: IConstruct): string[] {
  return root.node.findAll().filter(c => DefenceLayer.isDefenceLayer(c)).map(c => (c as DefenceLayer).layerName);
}

/**
 * CloudTrail may write trails' log files under `cloudtrail/AWSLogs/<account>/`
 * for the archive's own and trusted accounts (or under `cloudtrail/AWSLogs/`
 * for the organization's), encrypted with the archive key: nothing else.
 */
export function allowCloudTrailDelivery(bucket: s3.Bucket, key: kms.IKey, trusted: { accounts: string[]; organizationId?: string }): void {
  const partition = Stack.of(bucket).partition;
  const cloudTrail = new iam.ServicePrincipal(CLOUDTRAIL);
  // Reading the bucket's ACL and describing the key reveal nothing: one statement for every trusted source.
  const sources: Array<Record<string, unknown>> = [{ 'aws:SourceAccount': trusted.accounts }];
  if (trusted.organizationId) sources.push({ 'aws:SourceOrgID': trusted.organizationId });
  sources.forEach((source, i) => {
    const name = i === 0 ? 'Accounts' : 'Organization';
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowCloudTrailAclCheckFrom${name}`,
      principals: [cloudTrail],
      actions: ['s3:GetBucketAcl'],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: source },
    }));
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowCloudTrailToDescribeKeyFrom${name}`,
      principals: [cloudTrail],
      actions: ['kms:DescribeKey'],
      resources: ['*'],
      conditions: { StringEquals: source },
    }));
  });

  // Writing and encrypting: one grant per account, so that each account's trails write under its own prefix only.
  const grantees = trusted.accounts.map((a, i) => ({
    name: i === 0 ? 'OwnAccount' : `TrustedAccount${i}`,
    source: { 'aws:SourceAccount': a } as Record<string, unknown>,
    prefix: `${CLOUDTRAIL_PREFIX}/AWSLogs/${a}/*`,
    trailArn: `arn:${partition}:cloudtrail:*:${a}:trail/*`,
  }));
  if (trusted.organizationId) {
    // An organization trail writes under AWSLogs/<organization id>/<account>/, a member's own trail under AWSLogs/<account>/.
    grantees.push({
      name: 'Organization',
      source: { 'aws:SourceOrgID': trusted.organizationId },
      prefix: `${CLOUDTRAIL_PREFIX}/AWSLogs/*`,
      trailArn: `arn:${partition}:cloudtrail:*:*:trail/*`,
    });
  }
  for (const g of grantees) {
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowCloudTrailDeliveryFrom${g.name}`,
      principals: [cloudTrail],
      actions: ['s3:PutObject'],
      resources: [`${bucket.bucketArn}/${g.prefix}`],
      conditions: { StringEquals: { ...g.source, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowCloudTrailToEncryptFrom${g.name}`,
      principals: [cloudTrail],
      actions: ['kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: g.source, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': g.trailArn } },
    }));
  }
}

function pascal(name: string): string {
  return name.split('-').map(p => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}
