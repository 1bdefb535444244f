import { Annotations, CfnResource, Stack, Token } from 'aws-cdk-lib';
import { ApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';
import { DefenceLayer } from '../core/defence-layer';
import { IsolationMetadata } from '../core/isolation-metadata';
import { PropValidator } from '../core/validation-error';

/** The service principal of ELB log delivery in regions opened since August 2022 (and accepted in newer ones). */
export const ELB_LOG_DELIVERY_SERVICE = 'logdelivery.elasticloadbalancing.amazonaws.com';

/**
 * Lets Elastic Load Balancing of `accounts` write access logs into `bucket`.
 * ELB log delivery cannot use KMS, which is why ALB logs have a bucket of
 * their own with SSE-S3; older regions deliver as a regional ELB account.
 */
export function allowElbLogDelivery(scope: IConstruct, bucket: s3.Bucket, accounts: string[]): void {
  const region = Stack.of(scope).region;
  const delivery = elbLogDelivery(scope);
  const principals: iam.IPrincipal[] = [
    ...delivery.services.map(service => new iam.ServicePrincipal(service)),
    ...delivery.accounts.map(account => new iam.AccountPrincipal(account)),
  ];
  if (Token.isUnresolved(region)) {
    Annotations.of(scope).addWarningV2('cdk-defence-in-depth:alb-logs-unknown-region',
      'The archive\'s stack has no region, so its ALB access-log bucket admits only the ELB log-delivery service principal. ' +
      'In regions opened before August 2022, ELB delivers as a regional account instead: set the stack\'s region (env) to admit it.');
  }
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowAlbAccessLogDelivery',
    principals,
    actions: ['s3:PutObject'],
    resources: accounts.map(account => `${bucket.bucketArn}/*/AWSLogs/${account}/*`),
  }));
}

/**
 * Who delivers ALB access logs in the stack's region: the ELB log-delivery
 * service principal, and in regions opened before August 2022 the region's
 * ELB account. Nobody else may upload into the access-log bucket.
 */
export function elbLogDelivery(scope: IConstruct): { services: string[]; accounts: string[] } {
  const region = Stack.of(scope).region;
  const elbAccount = Token.isUnresolved(region) ? undefined : RegionInfo.get(region).elbv2Account;
  return { services: [ELB_LOG_DELIVERY_SERVICE], accounts: elbAccount ? [elbAccount] : [] };
}

/**
 * Points an ALB's access logs at the archive's access-log bucket, under
 * `<layer>/alb/`. The load balancer must belong to a layer and live in the
 * bucket's region (ELB writes only to buckets of its own region).
 */
export function enableAlbAccessLogs(loadBalancer: ApplicationLoadBalancer, bucket: s3.IBucket | undefined, bucketRegion: string): void {
  const layer = DefenceLayer.of(loadBalancer);
  const lbRegion = Stack.of(loadBalancer).region;
  const v = new PropValidator(loadBalancer);
  v.checkDescribed(bucket !== undefined, 'albAccessLogs', 'false (no access-log bucket)',
    'an archive with `albAccessLogs: true`, or imported with `albAccessLogBucketName`');
  v.checkDescribed(layer !== undefined, 'loadBalancer', `'${loadBalancer.node.path}' (outside every DefenceLayer)`,
    'a load balancer inside a DefenceLayer: its logs land under that layer\'s prefix');
  v.check(Token.isUnresolved(lbRegion) || Token.isUnresolved(bucketRegion) || lbRegion === bucketRegion,
    'loadBalancer region', lbRegion, `the access-log bucket's region (${bucketRegion}): ELB delivers only within its region`);
  v.throwIfInvalid();

  loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
  loadBalancer.setAttribute('access_logs.s3.bucket', bucket!.bucketName);
  loadBalancer.setAttribute('access_logs.s3.prefix', `${layer!.layerName}/alb`);
  // The load balancer's references to the access-log bucket are its layer's own log delivery.
  (loadBalancer.node.defaultChild as CfnResource).addMetadata(IsolationMetadata.LOG_DELIVERY, layer!.layerName);
  // ELB tests its write access when the attribute is set: the policy must exist first.
  // Only the load balancer resource waits for it: its security group and listeners do not depend on the archive.
  if (bucket!.policy && Stack.of(bucket!) === Stack.of(loadBalancer)) {
    (loadBalancer.node.defaultChild as CfnResource).addResourceDependency(bucket!.policy.node.defaultChild as CfnResource);
  }
}
