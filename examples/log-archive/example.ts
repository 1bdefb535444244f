import { App } from 'aws-cdk-lib';
import { ALARM_EMAIL, ARCHIVE_BUCKET_NAME, ARCHIVE_ENV, WORKLOAD_ENDPOINT, WORKLOAD_ENV, WORKLOAD_LOAD_BALANCER_ARN, acknowledgeExampleFindings } from './config';
import { ArchiveStack, WorkloadStack } from './stacks';
import { LogArchive } from '../../src';

export interface LogArchiveExample {
  readonly archiveStack: ArchiveStack;
  readonly workloadStack: WorkloadStack;
}

/**
 * The two-account example: a log-archive account, and a workload account whose
 * two layers deliver into the archive through their own paths.
 * `sameAccount` puts both stacks into the archive account instead.
 */
export function buildLogArchiveExample(app: App, options: { sameAccount?: boolean; acknowledge?: boolean } = {}): LogArchiveExample {
  const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', {
    env: ARCHIVE_ENV,
    archive: options.sameAccount ? {} : { bucketName: ARCHIVE_BUCKET_NAME, trustedAccounts: [WORKLOAD_ENV.account] },
  });
  const workloadStack = new WorkloadStack(app, 'WorkloadAccount', {
    env: options.sameAccount ? ARCHIVE_ENV : WORKLOAD_ENV,
    loadBalancerArn: WORKLOAD_LOAD_BALANCER_ARN,
    endpoint: WORKLOAD_ENDPOINT,
    alarmEmail: ALARM_EMAIL,
    archive: options.sameAccount
      ? () => archiveStack.archive
      : scope => LogArchive.fromArchiveAttributes(scope, 'LogArchive', {
        bucketName: ARCHIVE_BUCKET_NAME,
        account: ARCHIVE_ENV.account,
        region: ARCHIVE_ENV.region,
        albAccessLogBucketName: `${ARCHIVE_BUCKET_NAME}-alb`,
      }),
  });
  if (options.acknowledge ?? true) acknowledgeExampleFindings(archiveStack);
  return { archiveStack, workloadStack };
}
