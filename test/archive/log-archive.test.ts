import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ArchiveRetentionMode, DefenceLayer, LogArchive, LogArchiveProps } from '../../src';
import { DefenceValidationError } from '../../src/core/validation-error';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const NAME = 'defence-archive-111111111111';

function synth(props: LogArchiveProps = {}) {
  const stack = new Stack(new App(), 'Archive', { env: ENV });
  const archive = new LogArchive(stack, 'LogArchive', props);
  return { stack, archive, template: Template.fromStack(stack) };
}

function bucketsOf(template: Template) {
  return template.findResources('AWS::S3::Bucket');
}

function logicalIdOf(stack: Stack, bucket: s3.IBucket): string {
  return stack.getLogicalId((bucket as s3.Bucket).node.defaultChild as s3.CfnBucket);
}

function policyStatementsOf(template: Template, bucketLogicalId: string): any[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy', {
    Properties: { Bucket: { Ref: bucketLogicalId } },
  }));
  expect(policies).toHaveLength(1);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

describe('LogArchive bucket', () => {
  test('Object Lock in COMPLIANCE mode for 365 days, versioned, private, KMS with its own key, retained', () => {
    const { stack, archive, template } = synth();
    const id = logicalIdOf(stack, archive.bucket);
    const bucket = bucketsOf(template)[id];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [stack.getLogicalId(archive.encryptionKey.node.defaultChild as any), 'Arn'] },
          },
        }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(stack, archive.serverAccessLogsBucket) }, LogFilePrefix: 'archive/' },
    });
    expect(archive.retentionDays).toBe(365);
    expect(archive.retentionMode).toBe(ArchiveRetentionMode.COMPLIANCE);
  });

  test('lifecycle moves objects to a cheaper class and never expires them by default', () => {
    const { stack, archive, template } = synth();
    const rule = bucketsOf(template)[logicalIdOf(stack, archive.bucket)].Properties.LifecycleConfiguration.Rules[0];
    expect(rule).toMatchObject({
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    });
    expect(rule.ExpirationInDays).toBeUndefined();
    expect(rule.NoncurrentVersionExpiration).toBeUndefined();
  });

  test('custom retention, transition and expiry are rendered', () => {
    const { stack, archive, template } = synth({
      retention: Duration.days(2555),
      transitionAfter: Duration.days(30),
      transitionStorageClass: s3.StorageClass.INFREQUENT_ACCESS,
      expireAfter: Duration.days(3650),
    });
    const props = bucketsOf(template)[logicalIdOf(stack, archive.bucket)].Properties;
    expect(props.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 2555 });
    expect(props.LifecycleConfiguration.Rules[0]).toMatchObject({
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
      ExpirationInDays: 3650,
      NoncurrentVersionExpiration: { NoncurrentDays: 3650 },
    });
  });

  test('the bucket policy denies deleting, unlocking and re-lifecycling to every principal, and plain HTTP', () => {
    const { stack, archive, template } = synth();
    const statements = policyStatementsOf(template, logicalIdOf(stack, archive.bucket));
    const bySid = (sid: string) => statements.find(s => s.Sid === sid);
    expect(bySid('DenyDeletingOrUnlockingArchivedLogs')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectRetention', 's3:BypassGovernanceRetention', 's3:PutObjectLegalHold'],
    });
    expect(bySid('DenyDeletingOrUnlockingArchivedLogs').Condition).toBeUndefined();
    expect(bySid('DenyWeakeningTheArchive')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:PutBucketObjectLockConfiguration', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration'],
    });
    expect(bySid('DenyUploadsWithAWeakerLockMode')).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: { Null: { 's3:object-lock-mode': 'false' }, StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' } },
    });
    expect(bySid('DenyUploadsWithAShorterRetention')).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: { NumericLessThan: { 's3:object-lock-remaining-retention-days': '365' } },
    });
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }));
    // No statement allows anything to anyone in the same-account default.
    expect(statements.filter(s => s.Effect === 'Allow')).toEqual([]);
  });

  test('a break-glass role is the only exemption', () => {
    const stack = new Stack(new App(), 'Archive', { env: ENV });
    const breakGlass = iam.Role.fromRoleArn(stack, 'BreakGlass', 'arn:aws:iam::111111111111:role/BreakGlass');
    const archive = new LogArchive(stack, 'LogArchive', { breakGlassRole: breakGlass });
    const template = Template.fromStack(stack);
    for (const bucket of [archive.bucket, archive.albAccessLogBucket!, archive.serverAccessLogsBucket]) {
      const denies = policyStatementsOf(template, logicalIdOf(stack, bucket))
        .filter(s => ['DenyDeletingOrUnlockingArchivedLogs', 'DenyWeakeningTheArchive'].includes(s.Sid));
      expect(denies).toHaveLength(2);
      for (const d of denies) {
        expect(d.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/BreakGlass' } });
      }
    }
  });

  test('the archive key rotates and nobody can delete or disable it', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'DenyDestroyingTheArchiveKey',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DeleteImportedKeyMaterial'],
        })]),
      },
    });
    expect(Object.values(template.findResources('AWS::KMS::Key'))[0].DeletionPolicy).toBe('Retain');
  });

  test('three buckets: archive (KMS), ALB access logs (SSE-S3, locked), server access logs (SSE-S3, versioned)', () => {
    const { stack, archive, template } = synth();
    const buckets = bucketsOf(template);
    expect(Object.keys(buckets)).toHaveLength(3);
    const alb = buckets[logicalIdOf(stack, archive.albAccessLogBucket!)].Properties;
    expect(alb.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(alb.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 365 });
    const logs = buckets[logicalIdOf(stack, archive.serverAccessLogsBucket)].Properties;
    expect(logs.ObjectLockEnabled).toBeFalsy();
    expect(logs.ObjectLockConfiguration).toBeUndefined();
    expect(logs.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // Server access logging by bucket policy, not ACL, whatever the app's feature flags.
    expect(policyStatementsOf(template, logicalIdOf(stack, archive.serverAccessLogsBucket))).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject',
    }));
    expect(logs.AccessControl).toBeUndefined();
  });

  test('albAccessLogs: false leaves the ALB bucket out', () => {
    const { archive, template } = synth({ albAccessLogs: false });
    expect(archive.albAccessLogBucket).toBeUndefined();
    expect(Object.keys(bucketsOf(template))).toHaveLength(2);
  });

  test('ELB log delivery may write under AWSLogs/<account> of this and the trusted accounts only', () => {
    const { stack, archive, template } = synth({ bucketName: NAME, trustedAccounts: ['222222222222'] });
    const statement = policyStatementsOf(template, logicalIdOf(stack, archive.albAccessLogBucket!))
      .find(s => s.Sid === 'AllowAlbAccessLogDelivery');
    expect(statement.Principal).toEqual({
      Service: 'logdelivery.elasticloadbalancing.amazonaws.com',
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::156460612806:root']] },
    });
    const albId = logicalIdOf(stack, archive.albAccessLogBucket!);
    expect(statement.Resource).toEqual(['111111111111', '222222222222'].map(account => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [albId, 'Arn'] }, `/*/AWSLogs/${account}/*`]],
    })));
  });

  test('without a region, only the ELB service principal is admitted, with a warning saying why', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const archive = new LogArchive(stack, 'LogArchive');
    const statement = policyStatementsOf(Template.fromStack(stack), logicalIdOf(stack, archive.albAccessLogBucket!))
      .find(s => s.Sid === 'AllowAlbAccessLogDelivery');
    expect(statement.Principal).toEqual({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' });
    Annotations.fromStack(stack).hasWarning('/Agnostic/LogArchive', Match.stringLikeRegexp('set the stack\'s region'));
  });

  test('trusted accounts may write (never read) and encrypt through S3 only', () => {
    const { stack, archive, template } = synth({ bucketName: NAME, trustedAccounts: ['222222222222', '333333333333'] });
    const statements = policyStatementsOf(template, logicalIdOf(stack, archive.bucket));
    const write = statements.find(s => s.Sid === 'AllowDeliveryFromTrustedAccounts');
    expect(write.Action).toEqual(['s3:PutObject', 's3:AbortMultipartUpload']);
    expect(JSON.stringify(write.Principal)).toContain(':iam::222222222222:root');
    expect(JSON.stringify(write.Principal)).toContain(':iam::333333333333:root');
    expect(statements.filter(s => s.Effect === 'Allow').flatMap(s => [s.Action].flat())).not.toContainEqual(expect.stringMatching(/^s3:(Get|List)Object|^s3:ListBucket$/));
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowEncryptingThroughS3FromTrustedAccounts',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Condition: {
            StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' },
            StringEquals: { 'kms:EncryptionContext:aws:s3:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${NAME}`]] } },
          },
        })]),
      },
    });
  });

  test('an organization may deliver, checked by aws:PrincipalOrgID', () => {
    const { stack, archive, template } = synth({ bucketName: NAME, organizationId: 'o-a1b2c3d4e5' });
    const write = policyStatementsOf(template, logicalIdOf(stack, archive.bucket)).find(s => s.Sid === 'AllowDeliveryFromOrganization');
    expect(write).toMatchObject({ Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } });
  });

  test('GOVERNANCE mode needs the opt-in and warns', () => {
    const { stack, archive, template } = synth({ retentionMode: ArchiveRetentionMode.GOVERNANCE, allowGovernanceMode: true });
    expect(bucketsOf(template)[logicalIdOf(stack, archive.bucket)].Properties.ObjectLockConfiguration.Rule.DefaultRetention.Mode).toBe('GOVERNANCE');
    Annotations.fromStack(stack).hasWarning('/Archive/LogArchive', Match.stringLikeRegexp('GOVERNANCE mode'));
  });

  test('every resource of the archive belongs to the archive layer', () => {
    const { template } = synth({ bucketName: NAME, trustedAccounts: ['222222222222'] });
    const resources = Object.values(template.toJSON().Resources) as any[];
    expect(resources.length).toBeGreaterThan(5);
    for (const r of resources) expect(r.Metadata[DefenceLayer.METADATA_KEY]).toBe('archive');
  });
});

describe('LogArchive invalid props', () => {
  function errorOf(props: LogArchiveProps, scope?: (stack: Stack) => Construct): DefenceValidationError {
    const stack = new Stack(new App(), 'Archive', { env: ENV });
    try {
      new LogArchive(scope ? scope(stack) : stack, 'LogArchive', props);
    } catch (e) {
      expect(e).toBeInstanceOf(DefenceValidationError);
      return e as DefenceValidationError;
    }
    throw new Error('expected a DefenceValidationError');
  }

  test.each<[string, LogArchiveProps, string, RegExp]>([
    ['zero retention', { retention: Duration.days(0) }, 'retention', /0 days[\s\S]*1 to 36500 days/],
    ['retention above 100 years', { retention: Duration.days(36501) }, 'retention', /36501 days/],
    ['retention not in whole days', { retention: Duration.hours(36) }, 'retention', /1.5 days/],
    ['governance without opt-in', { retentionMode: ArchiveRetentionMode.GOVERNANCE }, 'retentionMode', /allowGovernanceMode: true/],
    ['infrequent access before 30 days', { transitionAfter: Duration.days(10), transitionStorageClass: s3.StorageClass.INFREQUENT_ACCESS }, 'transitionAfter', /30 to 36500 days/],
    ['expiry before the lock ends', { retention: Duration.days(400), expireAfter: Duration.days(399) }, 'expireAfter', /at least the retention \(400 days\)/],
    ['expiry before the transition', { retention: Duration.days(10), transitionAfter: Duration.days(90), expireAfter: Duration.days(60) }, 'expireAfter', /more than transitionAfter/],
    ['short account id', { bucketName: NAME, trustedAccounts: ['12345'] }, 'trustedAccounts', /"12345"[\s\S]*12-digit/],
    ['account id with letters', { bucketName: NAME, trustedAccounts: ['12345678901a'] }, 'trustedAccounts', /12-digit/],
    ['duplicate accounts', { bucketName: NAME, trustedAccounts: ['222222222222', '222222222222'] }, 'trustedAccounts', /each account once/],
    ['bad organization id', { bucketName: NAME, organizationId: 'org-1' }, 'organizationId', /o-a1b2c3d4e5/],
    ['other accounts without a bucket name', { trustedAccounts: ['222222222222'] }, 'bucketName', /import the archive by name/],
    ['bucket name too long for its ALB twin', { bucketName: 'a'.repeat(60) }, 'bucketName', /at most 59 characters/],
  ])('%s', (_name, props, prop, message) => {
    const error = errorOf(props);
    expect(error.constructPath).toBe('Archive/LogArchive');
    expect(error.problems.map(p => p.prop)).toContain(prop);
    expect(error.message).toMatch(message);
  });

  test('all problems are reported at once', () => {
    const error = errorOf({ retention: Duration.days(0), trustedAccounts: ['1'], organizationId: 'x' });
    expect(error.problems.map(p => p.prop)).toEqual(['retention', 'trustedAccounts', 'bucketName', 'organizationId']);
  });

  test('the archive cannot sit inside another layer', () => {
    const error = errorOf({}, stack => new DefenceLayer(stack, 'Host', { layerName: 'host' }));
    expect(error.message).toMatch(/inside layer 'host'/);
  });
});
