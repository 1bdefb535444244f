#!/usr/bin/env node
// Two accounts: the log archive in an account of its own (S3 Object Lock, compliance
// mode) and the defended service in the workload account, whose layers each deliver
// into the archive through their own path. Deploy the archive first.
import { Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { DefendedWebService, LogArchive, TamperWatch } from '../../src';
import { checkedApp, PLACEHOLDERS } from '../shared/checked-app';

const ARCHIVE_BUCKET = `defence-log-archive-${PLACEHOLDERS.env.account}`;

const app = checkedApp();

const archiveStack = new Stack(app, 'LogArchiveAccount', { env: PLACEHOLDERS.env });
const archive = new LogArchive(archiveStack, 'LogArchive', {
  bucketName: ARCHIVE_BUCKET,
  trustedAccounts: [PLACEHOLDERS.workloadEnv.account],
});
// CloudTrail events reach EventBridge only in their own account: the archive account watches its own
// key, buckets and trail, with a trail of its own delivering into the archive.
new TamperWatch(archive, 'TamperWatch', { logDestination: archive, emails: [PLACEHOLDERS.alarmEmail] });
Validations.of(archive).acknowledge({
  id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
  reason: 'One region by choice of this example: replicate into a second Object Lock bucket in another region for a second copy (README, "Log archive").',
});

const workload = new Stack(app, 'WorkloadAccount', { env: PLACEHOLDERS.workloadEnv });
new DefendedWebService(workload, 'Web', {
  logArchive: LogArchive.fromArchiveAttributes(workload, 'LogArchive', {
    bucketName: ARCHIVE_BUCKET,
    account: PLACEHOLDERS.env.account,
    region: PLACEHOLDERS.env.region,
    albAccessLogBucketName: `${ARCHIVE_BUCKET}-alb`,
  }),
  certificate: acm.Certificate.fromCertificateArn(workload, 'Certificate',
    PLACEHOLDERS.certificateArn.replace(PLACEHOLDERS.env.account, PLACEHOLDERS.workloadEnv.account)),
  domainName: PLACEHOLDERS.domainName,
  watch: { emails: [PLACEHOLDERS.alarmEmail] },
});
app.synth();
