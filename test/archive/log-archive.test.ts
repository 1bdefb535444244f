import { App, CfnWaitConditionHandle, CliCredentialsStackSynthesizer, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ArchiveRetentionMode, DefenceLayer, LogArchive, LogArchiveProps } from '../../src';
import { DefenceValidationError } from '../../src/core/validation-error';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const NAME = 'defence-archive-111111111111';
const BREAK_GLASS = 'arn:aws:iam::111111111111:role/BreakGlass';
/** The default synthesizer's CloudFormation execution role: the default deployment role. */
const CFN_EXEC_ROLE = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1']] };

/** The ArnLike pattern of the delivery roles of `layer` (of every layer without one), in any account. */
function deliveryRoles(layer?: string) {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::*:role/defence-in-depth-delivery/${layer ? `${layer}/` : ''}*`]] };
}

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
    expect(bySid('DenyWeakeningTheArchive').Condition).toBeUndefined();
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
  });

  test('the archive bucket policy has exactly these statements, in this order', () => {
    const { stack, archive, template } = synth();
    const statements = policyStatementsOf(template, logicalIdOf(stack, archive.bucket));
    expect(statements.map(s => s.Sid ?? `(${s.Effect} ${JSON.stringify(s.Condition)})`)).toEqual([
      '(Deny {"Bool":{"aws:SecureTransport":"false"}})',
      '(Deny {"NumericLessThan":{"s3:TlsVersion":1.2}})',
      'DenyDeletingOrUnlockingArchivedLogs',
      'DenyWeakeningTheArchive',
      'DenyUploadsWithAWeakerLockMode',
      'DenyUploadsWithAShorterRetention',
      'DenyChangingTheBucketProtection',
      'AllowCloudTrailAclCheckFromAccounts',
      'AllowCloudTrailDeliveryFromOwnAccount',
      'DenyUploadsExceptDeliveryRolesAndServices',
      // The only layer of this app is the archive itself.
      'DenyLayerArchiveDeliveryOutsideItsPrefix',
      'DenyDeliveryRolesOfUnknownLayers',
      'DenyUploadsWithAnotherEncryption',
      'DenyUploadsWithAnotherKey',
    ]);
  });

  test('only the deployment role may change what protects a bucket: its policy, encryption, ownership, public access block, logging', () => {
    const { stack, archive, template } = synth();
    for (const bucket of [archive.bucket, archive.albAccessLogBucket!, archive.serverAccessLogsBucket]) {
      const id = logicalIdOf(stack, bucket);
      expect(policyStatementsOf(template, id).find(s => s.Sid === 'DenyChangingTheBucketProtection')).toEqual({
        Sid: 'DenyChangingTheBucketProtection',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:PutEncryptionConfiguration', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketOwnershipControls',
          's3:PutBucketPublicAccessBlock', 's3:PutBucketLogging'],
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': CFN_EXEC_ROLE } },
      });
    }
  });

  test('uploads into the archive: delivery roles (each under its own layer\'s prefix) and AWS services only, with the archive key', () => {
    const { stack, archive, template } = synth();
    const id = logicalIdOf(stack, archive.bucket);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(archive.encryptionKey.node.defaultChild as any), 'Arn'] };
    const statements = policyStatementsOf(template, id);
    const bySid = (sid: string) => statements.find(s => s.Sid === sid);
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] };
    const deny = { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' };
    expect(bySid('DenyUploadsExceptDeliveryRolesAndServices')).toEqual({
      Sid: 'DenyUploadsExceptDeliveryRolesAndServices',
      ...deny,
      Resource: objects,
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [deliveryRoles()] }, Null: { 'aws:PrincipalServiceName': 'true' } },
    });
    expect(bySid('DenyLayerArchiveDeliveryOutsideItsPrefix')).toEqual({
      Sid: 'DenyLayerArchiveDeliveryOutsideItsPrefix',
      ...deny,
      NotResource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/archive/*']] },
      Condition: { ArnLike: { 'aws:PrincipalArn': deliveryRoles('archive') } },
    });
    expect(bySid('DenyDeliveryRolesOfUnknownLayers')).toEqual({
      Sid: 'DenyDeliveryRolesOfUnknownLayers',
      ...deny,
      Resource: objects,
      Condition: { ArnLike: { 'aws:PrincipalArn': deliveryRoles() }, ArnNotLike: { 'aws:PrincipalArn': [deliveryRoles('archive')] } },
    });
    expect(bySid('DenyUploadsWithAnotherEncryption')).toEqual({
      Sid: 'DenyUploadsWithAnotherEncryption',
      ...deny,
      Resource: objects,
      Condition: { Null: { 's3:x-amz-server-side-encryption': 'false' }, StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    });
    expect(bySid('DenyUploadsWithAnotherKey')).toEqual({
      Sid: 'DenyUploadsWithAnotherKey',
      ...deny,
      Resource: objects,
      Condition: {
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': [keyArn] },
      },
    });
    // The only statements that allow anything: CloudTrail's, for trails of this account, under cloudtrail/AWSLogs/<account>/.
    expect(statements.filter(s => s.Effect === 'Allow')).toEqual([
      {
        Sid: 'AllowCloudTrailAclCheckFromAccounts',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
        Condition: { StringEquals: { 'aws:SourceAccount': [ENV.account] } },
      },
      {
        Sid: 'AllowCloudTrailDeliveryFromOwnAccount',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, `/cloudtrail/AWSLogs/${ENV.account}/*`]] },
        Condition: { StringEquals: { 'aws:SourceAccount': ENV.account, 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
    ]);
  });

  test('every layer of the app and every delivering layer of other apps gets its own prefix; uploads may name the key\'s alias', () => {
    const app = new App();
    const stack = new Stack(app, 'Archive', { env: ENV });
    const archive = new LogArchive(stack, 'LogArchive', { bucketName: NAME, deliveringLayers: ['partner-edge'] });
    // A layer in another stack of the same app counts too.
    const edge = new DefenceLayer(new Stack(app, 'Workload', { env: ENV }), 'Edge', { layerName: 'edge' });
    new CfnWaitConditionHandle(edge, 'Placeholder'); // a stack needs a resource
    const template = Template.fromStack(stack);
    const id = logicalIdOf(stack, archive.bucket);
    const statements = policyStatementsOf(template, id);
    expect(statements.map(s => s.Sid).filter(sid => /^DenyLayer/.test(sid ?? ''))).toEqual(
      ['DenyLayerArchiveDeliveryOutsideItsPrefix', 'DenyLayerEdgeDeliveryOutsideItsPrefix', 'DenyLayerPartnerEdgeDeliveryOutsideItsPrefix']);
    expect(statements.find(s => s.Sid === 'DenyLayerPartnerEdgeDeliveryOutsideItsPrefix')).toMatchObject({
      NotResource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/partner-edge/*']] },
      Condition: { ArnLike: { 'aws:PrincipalArn': deliveryRoles('partner-edge') } },
    });
    expect(statements.find(s => s.Sid === 'DenyDeliveryRolesOfUnknownLayers').Condition.ArnNotLike)
      .toEqual({ 'aws:PrincipalArn': ['archive', 'edge', 'partner-edge'].map(l => deliveryRoles(l)) });
    expect(statements.find(s => s.Sid === 'DenyUploadsWithAnotherKey').Condition.StringNotEquals).toEqual({
      's3:x-amz-server-side-encryption-aws-kms-key-id': [
        { 'Fn::GetAtt': [stack.getLogicalId(archive.encryptionKey.node.defaultChild as any), 'Arn'] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:${ENV.region}:${ENV.account}:alias/defence-in-depth-archive/${NAME}`]] },
      ],
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/defence-in-depth-archive/${NAME}` });
  });

  test('a break-glass role is the only exemption', () => {
    const stack = new Stack(new App(), 'Archive', { env: ENV });
    const breakGlass = iam.Role.fromRoleArn(stack, 'BreakGlass', BREAK_GLASS);
    const archive = new LogArchive(stack, 'LogArchive', { breakGlassRole: breakGlass });
    const template = Template.fromStack(stack);
    for (const bucket of [archive.bucket, archive.albAccessLogBucket!, archive.serverAccessLogsBucket]) {
      const statements = policyStatementsOf(template, logicalIdOf(stack, bucket));
      const denies = statements.filter(s => ['DenyDeletingOrUnlockingArchivedLogs', 'DenyWeakeningTheArchive'].includes(s.Sid));
      expect(denies).toHaveLength(2);
      for (const d of denies) {
        expect(d.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': BREAK_GLASS } });
      }
      // With the deployment role, it alone may change what protects the bucket.
      expect(statements.find(s => s.Sid === 'DenyChangingTheBucketProtection').Condition)
        .toEqual({ ArnNotEquals: { 'aws:PrincipalArn': [BREAK_GLASS, CFN_EXEC_ROLE] } });
    }
    const conditionOf = (bucket: s3.IBucket, sid: string) =>
      policyStatementsOf(template, logicalIdOf(stack, bucket)).find(s => s.Sid === sid).Condition;
    expect(conditionOf(archive.bucket, 'DenyUploadsExceptDeliveryRolesAndServices'))
      .toEqual({ ArnNotLike: { 'aws:PrincipalArn': [deliveryRoles(), BREAK_GLASS] }, Null: { 'aws:PrincipalServiceName': 'true' } });
    expect(conditionOf(archive.serverAccessLogsBucket, 'DenyUploadsExceptLogDeliveryServices'))
      .toEqual({ StringNotEqualsIfExists: { 'aws:PrincipalServiceName': ['logging.s3.amazonaws.com'] }, ArnNotEquals: { 'aws:PrincipalArn': BREAK_GLASS } });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'DenyDestroyingTheArchiveKey', Condition: { ArnNotEquals: { 'aws:PrincipalArn': [BREAK_GLASS, CFN_EXEC_ROLE] } },
        })]),
      },
    });
  });

  test('the archive key rotates, and only the deployment role may change its policy, disable or delete it', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Sid: 'DenyDestroyingTheArchiveKey',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DeleteImportedKeyMaterial', 'kms:DisableKeyRotation'],
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': CFN_EXEC_ROLE } },
        }]),
      },
    });
    expect(Object.values(template.findResources('AWS::KMS::Key'))[0].DeletionPolicy).toBe('Retain');
  });

  test('deploymentRole names the role CloudFormation deploys with, instead of the bootstrap\'s', () => {
    const stack = new Stack(new App(), 'Archive', { env: ENV });
    const deployer = 'arn:aws:iam::111111111111:role/Deployer';
    const archive = new LogArchive(stack, 'LogArchive', { deploymentRole: iam.Role.fromRoleArn(stack, 'Deployer', deployer) });
    const template = Template.fromStack(stack);
    for (const bucket of [archive.bucket, archive.albAccessLogBucket!, archive.serverAccessLogsBucket]) {
      expect(policyStatementsOf(template, logicalIdOf(stack, bucket)).find(s => s.Sid === 'DenyChangingTheBucketProtection').Condition)
        .toEqual({ ArnNotEquals: { 'aws:PrincipalArn': deployer } });
    }
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'DenyDestroyingTheArchiveKey', Condition: { ArnNotEquals: { 'aws:PrincipalArn': deployer } } })]) },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('cfn-exec-role');
  });

  test('a stack deployed with the caller\'s own credentials needs a deploymentRole', () => {
    const stack = new Stack(new App(), 'Archive', { env: ENV, synthesizer: new CliCredentialsStackSynthesizer() });
    expect(() => new LogArchive(stack, 'LogArchive')).toThrow(/deploymentRole[\s\S]*names no CloudFormation execution role/);
    const deployer = iam.Role.fromRoleArn(stack, 'Deployer', 'arn:aws:iam::111111111111:role/Deployer');
    expect(() => new LogArchive(stack, 'WithDeployer', { deploymentRole: deployer })).not.toThrow();
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

  test('nobody but ELB log delivery uploads into the ALB bucket, nobody but S3 server access logging into the server-access-log bucket', () => {
    const { stack, archive, template } = synth();
    const denyOf = (bucket: s3.IBucket) => {
      const id = logicalIdOf(stack, bucket);
      const statement = policyStatementsOf(template, id).find(s => s.Sid === 'DenyUploadsExceptLogDeliveryServices');
      expect(statement).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] } });
      return statement.Condition;
    };
    expect(denyOf(archive.albAccessLogBucket!)).toEqual({
      StringNotEqualsIfExists: {
        'aws:PrincipalServiceName': ['logdelivery.elasticloadbalancing.amazonaws.com'],
        // Regions opened before August 2022 deliver as a principal of the region's ELB account.
        'aws:PrincipalAccount': ['156460612806'],
      },
    });
    expect(denyOf(archive.serverAccessLogsBucket)).toEqual({ StringNotEqualsIfExists: { 'aws:PrincipalServiceName': ['logging.s3.amazonaws.com'] } });
    // The archive bucket has its own upload rules instead.
    expect(policyStatementsOf(template, logicalIdOf(stack, archive.bucket)).map(s => s.Sid)).not.toContain('DenyUploadsExceptLogDeliveryServices');
  });

  test('without a region, only the ELB service principal is admitted, with a warning saying why', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const archive = new LogArchive(stack, 'LogArchive');
    const statement = policyStatementsOf(Template.fromStack(stack), logicalIdOf(stack, archive.albAccessLogBucket!))
      .find(s => s.Sid === 'AllowAlbAccessLogDelivery');
    expect(statement.Principal).toEqual({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' });
    Annotations.fromStack(stack).hasWarning('/Agnostic/LogArchive', Match.stringLikeRegexp('set the stack\'s region'));
  });

  test('trusted accounts\' delivery roles, and only those, may write (never read) and encrypt through S3 only', () => {
    const { stack, archive, template } = synth({ bucketName: NAME, trustedAccounts: ['222222222222', '333333333333'] });
    const statements = policyStatementsOf(template, logicalIdOf(stack, archive.bucket));
    const write = statements.find(s => s.Sid === 'AllowDeliveryFromTrustedAccounts');
    expect(write.Action).toEqual(['s3:PutObject', 's3:AbortMultipartUpload']);
    expect(JSON.stringify(write.Principal)).toContain(':iam::222222222222:root');
    expect(JSON.stringify(write.Principal)).toContain(':iam::333333333333:root');
    expect(write.Condition).toEqual({ ArnLike: { 'aws:PrincipalArn': deliveryRoles() } });
    expect(statements.find(s => s.Sid === 'AllowLocatingFromTrustedAccounts')).toMatchObject({
      Action: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'], Condition: { ArnLike: { 'aws:PrincipalArn': deliveryRoles() } },
    });
    // Allows on the archive: the trusted accounts' delivery roles, and CloudTrail.
    expect(statements.filter(s => s.Effect === 'Allow').map(s => s.Sid)).toEqual([
      'AllowDeliveryFromTrustedAccounts', 'AllowLocatingFromTrustedAccounts', 'AllowCloudTrailAclCheckFromAccounts',
      'AllowCloudTrailDeliveryFromOwnAccount', 'AllowCloudTrailDeliveryFromTrustedAccount1', 'AllowCloudTrailDeliveryFromTrustedAccount2',
    ]);
    expect(statements.filter(s => s.Effect === 'Allow').flatMap(s => [s.Action].flat())).not.toContainEqual(expect.stringMatching(/^s3:(Get|List)Object|^s3:ListBucket$/));
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowEncryptingThroughS3FromTrustedAccounts',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Condition: {
            ArnLike: { 'aws:PrincipalArn': deliveryRoles() },
            StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' },
            StringEquals: { 'kms:EncryptionContext:aws:s3:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${NAME}`]] } },
          },
        })]),
      },
    });
  });

  test('CloudTrail delivers trails of this and the trusted accounts, each under cloudtrail/AWSLogs/<account>/, with the archive key', () => {
    const { stack, archive, template } = synth({ bucketName: NAME, trustedAccounts: ['222222222222'] });
    const id = logicalIdOf(stack, archive.bucket);
    // One grant per account: each account's trails write under that account's own prefix only.
    const grants = [['OwnAccount', '111111111111'], ['TrustedAccount1', '222222222222']];
    for (const [name, a] of grants) {
      expect(policyStatementsOf(template, id).find(s => s.Sid === `AllowCloudTrailDeliveryFrom${name}`)).toEqual({
        Sid: `AllowCloudTrailDeliveryFrom${name}`,
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, `/cloudtrail/AWSLogs/${a}/*`]] },
        Condition: { StringEquals: { 'aws:SourceAccount': a, 's3:x-amz-acl': 'bucket-owner-full-control' } },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([{
            Sid: `AllowCloudTrailToEncryptFrom${name}`,
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': a },
              StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:*:${a}:trail/*`]] } },
            },
          }]),
        },
      });
    }
    expect(archive.cloudTrailDelivery()).toMatchObject({ bucket: archive.bucket, objectKeyPrefix: 'cloudtrail', encryptionKeyArn: archive.encryptionKey.keyArn });
  });

  test('an organization\'s delivery roles may deliver, checked by aws:PrincipalOrgID and the role path', () => {
    const { stack, archive, template } = synth({ bucketName: NAME, organizationId: 'o-a1b2c3d4e5' });
    const statements = policyStatementsOf(template, logicalIdOf(stack, archive.bucket));
    const write = statements.find(s => s.Sid === 'AllowDeliveryFromOrganization');
    expect(write).toMatchObject({ Principal: { AWS: '*' }, Action: ['s3:PutObject', 's3:AbortMultipartUpload'] });
    expect(write.Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' }, ArnLike: { 'aws:PrincipalArn': deliveryRoles() } });
    expect(statements.filter(s => s.Effect === 'Allow').map(s => s.Sid)).toEqual([
      'AllowDeliveryFromOrganization', 'AllowLocatingFromOrganization',
      'AllowCloudTrailAclCheckFromAccounts', 'AllowCloudTrailAclCheckFromOrganization',
      'AllowCloudTrailDeliveryFromOwnAccount', 'AllowCloudTrailDeliveryFromOrganization',
    ]);
    expect(statements.find(s => s.Sid === 'AllowCloudTrailDeliveryFromOrganization')).toMatchObject({
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(stack, archive.bucket), 'Arn'] }, '/cloudtrail/AWSLogs/*']] },
      Condition: { StringEquals: { 'aws:SourceOrgID': 'o-a1b2c3d4e5', 's3:x-amz-acl': 'bucket-owner-full-control' } },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowEncryptingThroughS3FromOrganization',
          Condition: {
            ArnLike: { 'aws:PrincipalArn': deliveryRoles() },
            StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' },
            StringEquals: {
              'aws:PrincipalOrgID': 'o-a1b2c3d4e5',
              'kms:EncryptionContext:aws:s3:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${NAME}`]] },
            },
          },
        })]),
      },
    });
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
