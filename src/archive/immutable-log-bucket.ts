import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeGuardRule } from '../core/nag-acknowledgements';
import { exceptPrincipals } from '../core/policy-administrators';

/** How long new objects are locked, and in which mode. */
export interface ObjectLockSettings {
  readonly mode: 'COMPLIANCE' | 'GOVERNANCE';
  readonly days: number;
}

/** Internal: the settings the archive passes to each of its buckets. */
export interface ImmutableLogBucketProps {
  readonly bucketName?: string;
  /** The archive's own key; `undefined` means SSE-S3 (for delivery services that cannot use KMS). */
  readonly encryptionKey?: IKey;
  /** Why this bucket uses SSE-S3 rather than KMS (required without `encryptionKey`). */
  readonly sseS3Reason?: string;
  /** `undefined` for a bucket S3 cannot lock (a server access log target). */
  readonly objectLock?: ObjectLockSettings;
  readonly breakGlassRole?: iam.IRole;
  /** The role CloudFormation deploys the stack with: it may change the bucket's policy and encryption, as the break-glass role may. */
  readonly deploymentRoleArn?: string;
  /**
   * Who may upload, everyone else is denied: AWS services by service principal
   * name, and accounts (a delivery service that signs as an account of its own).
   * Undefined for the archive bucket, whose owner writes its own upload rules.
   */
  readonly uploaders?: { readonly services: string[]; readonly accounts: string[] };
  readonly serverAccessLogsBucket?: s3.IBucket;
  readonly serverAccessLogsPrefix?: string;
  readonly transitionAfterDays: number;
  readonly transitionStorageClass: s3.StorageClass;
  readonly expireAfterDays?: number;
}

/**
 * A versioned, private, TLS-only bucket whose objects nobody can delete,
 * unlock or shorten the retention of: S3 Object Lock where S3 allows it, and a
 * bucket policy that denies the weakening actions to every principal but the
 * break-glass role. Validation of the numbers is the archive's job.
 */
export class ImmutableLogBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ImmutableLogBucketProps) {
    super(scope, id);
    // Log delivery by bucket policy, never by ACL, whatever the app's feature flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      versioned: true,
      objectLockEnabled: props.objectLock !== undefined,
      objectLockDefaultRetention: props.objectLock
        ? (props.objectLock.mode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(Duration.days(props.objectLock.days))
          : s3.ObjectLockRetention.governance(Duration.days(props.objectLock.days)))
        : undefined,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix,
      lifecycleRules: [{
        id: 'transition-to-cheaper-class',
        transitions: [{ storageClass: props.transitionStorageClass, transitionAfter: Duration.days(props.transitionAfterDays) }],
        noncurrentVersionTransitions: [{ storageClass: props.transitionStorageClass, transitionAfter: Duration.days(props.transitionAfterDays) }],
        expiration: props.expireAfterDays !== undefined ? Duration.days(props.expireAfterDays) : undefined,
        noncurrentVersionExpiration: props.expireAfterDays !== undefined ? Duration.days(props.expireAfterDays) : undefined,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
      // Archived logs outlive the stack: deleting the stack must never delete evidence.
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });

    for (const statement of immutabilityStatements(this.bucket.bucketArn, props.breakGlassRole, props.objectLock)) {
      this.bucket.addToResourcePolicy(statement);
    }
    this.bucket.addToResourcePolicy(protectionChangeStatement(this.bucket.bucketArn, props.breakGlassRole, props.deploymentRoleArn));
    if (props.uploaders) {
      this.bucket.addToResourcePolicy(uploadersOnlyStatement(this.bucket.bucketArn, props.uploaders, props.breakGlassRole));
    }
    this.bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledgeGuardRule(this.bucket, 's3_event_notifications_enabled_check',
      'Nothing reacts to a new log object: logs arrive through the layers\' own delivery paths, whose freshness the log delivery heartbeat checks; '
      + 'a notification target would be a dependency of the archive that no layer owns.');
    if (!props.objectLock) {
      acknowledgeGuardRule(this.bucket, 's3_bucket_object_lock_enabled_check',
        'The server-access-log target: S3 refuses Object Lock default retention on it, so it is versioned and its objects are protected by the deny policy.');
    }
    if (!props.serverAccessLogsBucket) {
      acknowledgeGuardRule(this.bucket, 's3_bucket_logging_enabled_check',
        'The server-access-log target of the archive\'s buckets: logging it into itself would log its own log deliveries without end.');
    }
    if (!props.encryptionKey) {
      Validations.of(this.bucket).acknowledge({ id: 'NIST.800.53.R5-S3DefaultEncryptionKMS', reason: props.sseS3Reason ?? 'SSE-S3 by design' });
      acknowledgeGuardRule(this.bucket, 's3_bucket_default_encryption_kms_check', props.sseS3Reason ?? 'SSE-S3 by design');
    }
  }
}

/** Actions on archived objects that would delete them or weaken their lock. */
export const OBJECT_WEAKENING_ACTIONS = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:BypassGovernanceRetention',
  's3:PutObjectLegalHold',
];

/**
 * Actions on the bucket that would weaken every object's protection. Lifecycle
 * changes are denied as a whole: IAM cannot look inside a lifecycle rule to
 * tell an early expiry from a harmless transition.
 */
export const BUCKET_WEAKENING_ACTIONS = [
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
];

/**
 * Actions that change what protects a bucket: its policy (which holds every
 * deny here), its default encryption (new objects could be pointed at a key an
 * attacker controls), its ownership and public-access settings, and its access
 * logging. Only the break-glass role and the deployment role may call them.
 * S3 still lets the bucket owner's root user change or delete the bucket
 * policy whatever it says (README, "What remains possible").
 */
export const PROTECTION_CHANGING_ACTIONS = [
  's3:PutEncryptionConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketOwnershipControls',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketLogging',
];

/** Denies `PROTECTION_CHANGING_ACTIONS` to every principal but the break-glass and deployment roles. */
export function protectionChangeStatement(bucketArn: string, breakGlassRole?: iam.IRole, deploymentRoleArn?: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyChangingTheBucketProtection',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: PROTECTION_CHANGING_ACTIONS,
    resources: [bucketArn],
    conditions: exceptPrincipals([breakGlassRole?.roleArn, deploymentRoleArn]),
  });
}

/**
 * Denies uploads to everyone but the named delivery services (by service
 * principal), the named delivery accounts (any principal of theirs: ELB's
 * regional account signs as a principal of its own) and the break-glass role.
 * A service's request carries `aws:PrincipalServiceName` and no
 * `aws:PrincipalAccount`; a role's the other way round: `IfExists` lets each
 * key speak only where it is present.
 */
function uploadersOnlyStatement(bucketArn: string, uploaders: { services: string[]; accounts: string[] }, breakGlassRole?: iam.IRole) {
  return new iam.PolicyStatement({
    sid: 'DenyUploadsExceptLogDeliveryServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:PutObject'],
    resources: [`${bucketArn}/*`],
    conditions: {
      StringNotEqualsIfExists: {
        'aws:PrincipalServiceName': uploaders.services,
        ...(uploaders.accounts.length > 0 ? { 'aws:PrincipalAccount': uploaders.accounts } : {}),
      },
      ...(breakGlassRole ? { ArnNotEquals: { 'aws:PrincipalArn': breakGlassRole.roleArn } } : {}),
    },
  });
}

/**
 * The deny statements of an archive bucket's policy. They apply to every
 * principal, including the account's administrators and root, unless a
 * break-glass role is named (`aws:PrincipalArn` is the only exemption).
 */
export function immutabilityStatements(bucketArn: string, breakGlassRole?: iam.IRole, lock?: ObjectLockSettings): iam.PolicyStatement[] {
  const exemption = breakGlassRole ? { ArnNotEquals: { 'aws:PrincipalArn': breakGlassRole.roleArn } } : undefined;
  const statements = [
    new iam.PolicyStatement({
      sid: 'DenyDeletingOrUnlockingArchivedLogs',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: OBJECT_WEAKENING_ACTIONS,
      resources: [`${bucketArn}/*`],
      conditions: exemption,
    }),
    new iam.PolicyStatement({
      sid: 'DenyWeakeningTheArchive',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: BUCKET_WEAKENING_ACTIONS,
      resources: [bucketArn],
      conditions: exemption,
    }),
  ];
  if (lock) {
    // A writer may set its own lock on upload; it must not be weaker than the default.
    statements.push(new iam.PolicyStatement({
      sid: 'DenyUploadsWithAWeakerLockMode',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [`${bucketArn}/*`],
      conditions: {
        Null: { 's3:object-lock-mode': 'false' },
        StringNotEquals: { 's3:object-lock-mode': lock.mode },
      },
    }));
    statements.push(new iam.PolicyStatement({
      sid: 'DenyUploadsWithAShorterRetention',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [`${bucketArn}/*`],
      conditions: { NumericLessThan: { 's3:object-lock-remaining-retention-days': String(lock.days) } },
    }));
  }
  return statements;
}
