import { Aws, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesisfirehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DefenceLayer } from '../core/defence-layer';
import { IsolationMetadata } from '../core/isolation-metadata';
import { layerKey } from '../core/key-policy';
import { ILogDeliveryPath, LogDeliveryOptions, LogSubscriptionOptions } from '../core/log-destination';
import { allowCloudWatchLogsToUse } from '../core/log-group-key';
import { markSubtree } from '../core/metadata-aspect';
import { acknowledgeWildcardResources } from '../core/nag-acknowledgements';
import { deliveryRolePath } from '../core/policy-administrators';
import { PropValidator } from '../core/validation-error';

/** Where a delivery path writes: the archive bucket as the layer sees it. */
export interface LogDeliveryTarget {
  /** ARN of the archive bucket. */
  readonly bucketArn: string;
  /** Account that owns the archive bucket (and its key). */
  readonly bucketAccount: string;
  /**
   * ARN of the archive's key, where known; otherwise any key of the bucket's
   * account, limited by condition to S3 encrypting this bucket.
   * @default - any key of `bucketAccount`, used through S3 for this bucket only
   */
  readonly encryptionKeyArn?: string;
}

export interface LogDeliveryPathProps extends LogDeliveryOptions {
  readonly target: LogDeliveryTarget;
}

const PATH_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

/** Path names taken in each layer construct: two paths of a layer never write the same prefix. */
const pathsByLayer = new WeakMap<object, Map<string, string>>();

/**
 * One layer's own path into the log archive: a Kinesis Data Firehose stream, the
 * role it writes with (`PutObject` under `<layer>/<path>/` only, no read), a role
 * for CloudWatch Logs to feed it, a log group for its own delivery errors and a
 * KMS key, all inside the requesting layer's subtree, shared with nobody.
 *
 * Create it with `ILogDestination.addDeliveryPath(scope, id)`.
 */
export class LogDeliveryPath extends Construct implements ILogDeliveryPath {
  public readonly layerName: string;
  public readonly prefix: string;
  public readonly steady: boolean;
  public readonly deliveryStreamArn: string;
  public readonly deliveryStreamName: string;
  public readonly encryptionKey: kms.IKey;
  public readonly deliveryRole: iam.IRole;
  /** The log group where the stream reports failed deliveries (watch it). */
  public readonly deliveryErrorLogGroup: logs.ILogGroup;

  private readonly stream: kinesisfirehose.CfnDeliveryStream;
  private readonly deliveryPolicy: iam.ManagedPolicy;
  private processor?: lambda.IFunction;
  private readonly subscriptionRole: iam.Role;
  private readonly subscriptionPolicy: iam.ManagedPolicy;
  private subscriptionCount = 0;

  constructor(scope: Construct, id: string, props: LogDeliveryPathProps) {
    super(scope, id);
    const layer = DefenceLayer.requireOf(this, 'A log delivery path');
    this.layerName = layer.layerName;
    // Its references to the archive are this layer's own log delivery, not a dependency shared with other layers.
    markSubtree(this, IsolationMetadata.LOG_DELIVERY, () => layer.layerName);

    const pathName = props.pathName ?? 'logs';
    const intervalSeconds = props.bufferingInterval?.toSeconds() ?? 300;
    const sizeMiB = props.bufferingSize?.toMebibytes() ?? 5;
    const v = new PropValidator(this);
    v.matches('pathName', pathName, PATH_NAME, 'lowercase letters, digits and hyphens, 2 to 32 characters, starting with a letter');
    v.integerInRange('bufferingInterval', intervalSeconds, 0, 900, 'seconds');
    v.integerInRange('bufferingSize', sizeMiB, 1, 128, 'MiB');
    v.matches('target.bucketAccount', props.target.bucketAccount, /^\d{12}$/, 'a 12-digit AWS account id');
    const taken = pathsByLayer.get(layer) ?? new Map<string, string>();
    const clash = taken.get(pathName);
    v.check(clash === undefined, 'pathName', pathName, `a name no other delivery path of layer '${layer.layerName}' uses (taken by '${clash}')`);
    v.throwIfInvalid();
    taken.set(pathName, this.node.path);
    pathsByLayer.set(layer, taken);

    this.prefix = `${layer.layerName}/${pathName}/`;
    this.steady = props.steady ?? true;
    const objectArns = `${props.target.bucketArn}/${this.prefix}*`;

    this.encryptionKey = layerKey(this, 'Key', `Key of the '${layer.layerName}' layer's log delivery path ${this.prefix} (stream and log groups)`);
    // The layer's log groups are encrypted with its own key.
    allowCloudWatchLogsToUse(this.encryptionKey);

    this.deliveryErrorLogGroup = new logs.LogGroup(this, 'DeliveryErrors', {
      encryptionKey: this.encryptionKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const errorStream = this.deliveryErrorLogGroup.addStream('S3Delivery');

    const role = new iam.Role(this, 'DeliveryRole', {
      // The archive admits uploads by this path: each layer's roles into its own prefix only.
      path: deliveryRolePath(layer.layerName),
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `Writes the '${layer.layerName}' layer's logs under ${this.prefix} of the archive; cannot read`,
    });
    this.deliveryRole = role;
    const keyArn = props.target.encryptionKeyArn ?? `arn:${Aws.PARTITION}:kms:*:${props.target.bucketAccount}:key/*`;
    const deliveryPolicy = new iam.ManagedPolicy(this, 'DeliveryPolicy', {
      description: `Write-only access of the '${layer.layerName}' layer to ${this.prefix} in the log archive`,
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteOwnPrefixOnly',
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [objectArns],
        }),
        new iam.PolicyStatement({
          sid: 'LocateBucket',
          actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          resources: [props.target.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'EncryptThroughS3ForTheArchiveOnly',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [keyArn],
          conditions: {
            // With S3 Bucket Keys the encryption context is the bucket's ARN, without them the object's.
            StringLike: { 'kms:ViaService': 's3.*.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': [props.target.bucketArn, objectArns] },
          },
        }),
        new iam.PolicyStatement({
          sid: 'ReportDeliveryErrors',
          actions: ['logs:PutLogEvents'],
          resources: [`${this.deliveryErrorLogGroup.logGroupArn}`],
        }),
      ],
    });

    acknowledgeWildcardResources(deliveryPolicy, [objectArns],
      `Firehose names each object itself, so '${this.prefix}*' (this layer's own prefix) is the narrowest resource for PutObject.`);
    if (props.target.encryptionKeyArn === undefined) {
      acknowledgeWildcardResources(deliveryPolicy, [keyArn],
        'The archive key\'s ARN is not known in this account; kms:ViaService and the aws:s3:arn encryption context limit the grant to S3 encrypting the archive bucket.');
    }

    const carriesWaf = props.carriesWafLogs ?? false;
    const stream = new kinesisfirehose.CfnDeliveryStream(this, 'Stream', {
      deliveryStreamType: 'DirectPut',
      // WAF only logs to streams named aws-waf-logs-*; the name is unique per account and region.
      deliveryStreamName: carriesWaf ? `aws-waf-logs-${Names.uniqueResourceName(this, { maxLength: 51, separator: '-' })}` : undefined,
      deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: this.encryptionKey.keyArn },
      extendedS3DestinationConfiguration: {
        bucketArn: props.target.bucketArn,
        roleArn: role.roleArn,
        prefix: `${this.prefix}!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
        errorOutputPrefix: `${this.prefix}delivery-errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
        bufferingHints: { intervalInSeconds: intervalSeconds, sizeInMBs: sizeMiB },
        // CloudWatch Logs sends gzip already; WAF sends plain JSON.
        compressionFormat: carriesWaf ? 'GZIP' : 'UNCOMPRESSED',
        // Objects take the archive bucket's default encryption (its own key).
        encryptionConfiguration: { noEncryptionConfig: 'NoEncryption' },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.deliveryErrorLogGroup.logGroupName,
          logStreamName: errorStream.logStreamName,
        },
      },
    });
    stream.node.addDependency(deliveryPolicy);
    this.stream = stream;
    this.deliveryPolicy = deliveryPolicy;
    this.deliveryStreamArn = stream.attrArn;
    this.deliveryStreamName = stream.ref;

    // CloudWatch Logs feeds the stream with a role of its own.
    this.subscriptionRole = new iam.Role(this, 'SubscriptionRole', {
      assumedBy: new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`, {
        conditions: { StringLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` } },
      }),
      description: `Lets CloudWatch Logs put the '${layer.layerName}' layer's events into its own delivery stream`,
    });
    this.subscriptionPolicy = new iam.ManagedPolicy(this, 'SubscriptionPolicy', {
      description: `CloudWatch Logs may put records into the '${layer.layerName}' layer's delivery stream only`,
      roles: [this.subscriptionRole],
      statements: [new iam.PolicyStatement({
        sid: 'PutIntoOwnStreamOnly',
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [stream.attrArn],
      })],
    });
  }

  public addRecordProcessor(fn: lambda.IFunction): void {
    const owner = DefenceLayer.of(fn);
    const v = new PropValidator(this);
    v.checkDescribed(owner?.layerName === this.layerName, 'addRecordProcessor(fn)', `'${fn.node.path}' (in layer '${owner?.layerName}')`,
      `a function of layer '${this.layerName}' (a processor of another layer would be a dependency shared with it)`);
    v.checkDescribed(this.processor === undefined, 'addRecordProcessor(fn)', `a second processor '${fn.node.path}'`,
      `one processor per path (already '${this.processor?.node.path}')`);
    v.throwIfInvalid();
    this.processor = fn;
    this.deliveryPolicy.addStatements(new iam.PolicyStatement({
      sid: 'InvokeOwnRecordProcessor',
      actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
      resources: [fn.functionArn],
    }));
    this.stream.addPropertyOverride('ExtendedS3DestinationConfiguration.ProcessingConfiguration', {
      Enabled: true,
      Processors: [{
        Type: 'Lambda',
        Parameters: [
          { ParameterName: 'LambdaArn', ParameterValue: fn.functionArn },
          // Small, frequent batches: the processor acts on what it reads (a decoy caller is quarantined within about a minute).
          { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '60' },
          { ParameterName: 'BufferSizeInMBs', ParameterValue: '1' },
        ],
      }],
    });
  }

  public addLogGroup(logGroup: logs.ILogGroup, options: LogSubscriptionOptions = {}): void {
    const owner = DefenceLayer.of(logGroup);
    const v = new PropValidator(this);
    v.checkDescribed(owner === undefined || owner.layerName === this.layerName, 'addLogGroup(logGroup)',
      `'${logGroup.node.path}' (in layer '${owner?.layerName}')`,
      `a log group of layer '${this.layerName}': a layer ships only its own logs, through its own path`);
    v.throwIfInvalid();

    this.subscriptionCount++;
    const filter = new logs.SubscriptionFilter(this, `Subscription${this.subscriptionCount}`, {
      logGroup,
      filterPattern: options.filterPattern ?? logs.FilterPattern.allEvents(),
      destination: { bind: () => ({ arn: this.deliveryStreamArn, role: this.subscriptionRole }) },
    });
    filter.node.addDependency(this.subscriptionPolicy);
  }
}
