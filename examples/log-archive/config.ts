import { Validations } from 'aws-cdk-lib';
import { ArchiveStack } from './stacks';

/** Placeholder accounts: replace with yours before `cdk deploy`. */
export const ARCHIVE_ENV = { account: '111111111111', region: 'eu-west-1' };
export const WORKLOAD_ENV = { account: '222222222222', region: 'eu-west-1' };
export const ARCHIVE_BUCKET_NAME = 'example-defence-log-archive-111111111111';
/** The workload's existing load balancer, which the edge layer protects. */
export const WORKLOAD_LOAD_BALANCER_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/app/web/0123456789abcdef';

/** The public endpoint behind the edge (the edge heartbeat's target) and who gets the alarms. */
export const WORKLOAD_ENDPOINT = 'https://app.example.com';
export const ALARM_EMAIL = 'security@example.com';

/** The example's own cdk-nag acknowledgements, each with its reason. */
export function acknowledgeExampleFindings(archiveStack: ArchiveStack): void {
  Validations.of(archiveStack.archive).acknowledge({
    id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
    reason: 'The example archive is a single-region archive in its own account; replicating it into a second Object Lock bucket in another region is a cost decision left to the deployer (see README, "Log archive").',
  });
}
