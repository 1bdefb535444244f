#!/usr/bin/env node
// The example app of the README's main job: a log-archive account and a workload
// account whose two layers deliver into the archive, each through its own path.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ARCHIVE_BUCKET_NAME, ARCHIVE_ENV, WORKLOAD_ENV, acknowledgeExampleFindings } from './config';
import { ArchiveStack, WorkloadStack } from './stacks';
import { LogArchive } from '../../src';

const app = new App({ context: { '@aws-cdk/core:validationReportJson': true } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));

const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', {
  env: ARCHIVE_ENV,
  archive: { bucketName: ARCHIVE_BUCKET_NAME, trustedAccounts: [WORKLOAD_ENV.account] },
});
const workload = new WorkloadStack(app, 'WorkloadAccount', {
  env: WORKLOAD_ENV,
  archive: scope => LogArchive.fromArchiveAttributes(scope, 'LogArchive', {
    bucketName: ARCHIVE_BUCKET_NAME,
    account: ARCHIVE_ENV.account,
    region: ARCHIVE_ENV.region,
    albAccessLogBucketName: `${ARCHIVE_BUCKET_NAME}-alb`,
  }),
});
acknowledgeExampleFindings(archiveStack);
void workload;
app.synth();
