/**
 * Fixtures: EventBridge events for CloudTrail management events ("AWS API Call
 * via CloudTrail"), in the shape the services record them, for testing the
 * tamper watch's event patterns against.
 *
 * `cloudTrailEvent` builds the envelope and the CloudTrail record; `SAMPLE_CALLS`
 * gives, for every watched call, its request parameters as CloudTrail records
 * them, with the watched resource's identifier where CloudTrail puts it. Each
 * sample names where its shape comes from: an AWS documentation example, or a
 * record from a real call published in a public repository (detection rules'
 * test logs, Stratus Red Team detonation logs). Samples are written here in
 * that shape, not copied.
 */

export const DEFAULT_ACCOUNT = '111122223333';
export const DEFAULT_REGION = 'eu-west-1';
/** The role the default caller assumed: an administrator, not a function of the app. */
export const ADMIN_ROLE_ARN = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/Admin`;
export const EVENT_TIME = '2026-01-15T10:00:00Z';

/** A resource of a CloudTrail record (`detail.resources`), as KMS and S3 record them. */
export interface CloudTrailResource {
  readonly ARN: string;
  readonly accountId: string;
  readonly type?: string;
}

export interface CloudTrailEventOptions {
  /** The EventBridge source, e.g. `aws.kms`; the record's eventSource is derived from it. */
  readonly source: string;
  /** The CloudTrail event name, with Lambda's version suffix where it has one. */
  readonly eventName: string;
  readonly requestParameters?: Record<string, unknown>;
  /** `detail.resources`, for the services that record them (KMS, S3, ...). @default - none */
  readonly resources?: CloudTrailResource[];
  /** @default null */
  readonly responseElements?: Record<string, unknown> | null;
  /** @default DEFAULT_ACCOUNT */
  readonly account?: string;
  /** @default DEFAULT_REGION */
  readonly region?: string;
  /** The role the caller assumed (`userIdentity.sessionContext.sessionIssuer.arn`). @default - an Admin role of the account */
  readonly callerRoleArn?: string;
}

/**
 * The CloudTrail eventSource of an EventBridge source: `aws.kms` is
 * `kms.amazonaws.com`, `aws.monitoring` is `monitoring.amazonaws.com` (the
 * EventBridge events reference, e.g. events-ref-monitoring, gives both for each
 * service delivered via CloudTrail).
 */
export function eventSourceOf(source: string): string {
  const match = /^aws\.([a-z0-9-]+)$/.exec(source);
  if (!match) {
    throw new Error(`not an AWS service source: ${source}`);
  }
  return `${match[1]}.amazonaws.com`;
}

let sequence = 0;
/** Deterministic, distinct UUID-shaped ids. */
function nextId(): string {
  sequence += 1;
  return `7e1a0000-0000-4000-8000-${sequence.toString(16).padStart(12, '0')}`;
}

/** The assumed-role identity of a caller (CloudTrail userIdentity element, type AssumedRole). */
function assumedRoleIdentity(roleArn: string): Record<string, unknown> {
  const match = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!match) {
    throw new Error(`not an IAM role ARN: ${roleArn}`);
  }
  const [, partition, account, roleName] = match;
  const session = 'tamper-test-session';
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEROLEID0001:${session}`,
    arn: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${session}`,
    accountId: account,
    accessKeyId: 'ASIAEXAMPLEKEYID0001',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEROLEID0001',
        arn: roleArn,
        accountId: account,
        userName: roleName,
      },
      webIdFederationData: {},
      attributes: { creationDate: '2026-01-15T09:45:00Z', mfaAuthenticated: 'false' },
    },
  };
}

/**
 * The EventBridge event of a CloudTrail management event: the envelope
 * (`detail-type` "AWS API Call via CloudTrail", empty `resources`) around the
 * CloudTrail record (CloudTrail record contents, eventVersion 1.11).
 */
export function cloudTrailEvent(options: CloudTrailEventOptions): Record<string, unknown> {
  const account = options.account ?? DEFAULT_ACCOUNT;
  const region = options.region ?? DEFAULT_REGION;
  const callerRoleArn = options.callerRoleArn ?? `arn:aws:iam::${account}:role/Admin`;
  const requestID = nextId();
  const detail: Record<string, unknown> = {
    eventVersion: '1.11',
    userIdentity: assumedRoleIdentity(callerRoleArn),
    eventTime: EVENT_TIME,
    eventSource: eventSourceOf(options.source),
    eventName: options.eventName,
    awsRegion: region,
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.8',
    requestParameters: options.requestParameters ?? null,
    responseElements: options.responseElements ?? null,
    requestID,
    eventID: nextId(),
    readOnly: false,
    ...(options.resources ? { resources: options.resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
  return {
    'version': '0',
    'id': nextId(),
    'detail-type': 'AWS API Call via CloudTrail',
    'source': options.source,
    'account': account,
    'time': EVENT_TIME,
    'region': region,
    'resources': [],
    'detail': detail,
  };
}

/** The identifier of the watched resource, as the catalogue's field compares it, and where the call is made. */
export interface SampleIds {
  /** The value the catalogue's field holds for the resource (a name, an id, an ARN). */
  readonly value: string;
  /** @default DEFAULT_ACCOUNT */
  readonly account?: string;
  /** @default DEFAULT_REGION */
  readonly region?: string;
}

/** What a call's record carries besides the envelope. */
export interface SampleCall {
  readonly requestParameters: Record<string, unknown>;
  readonly resources?: CloudTrailResource[];
}

export type SampleCallFn = (ids: SampleIds) => SampleCall;

const accountOf = (ids: SampleIds) => ids.account ?? DEFAULT_ACCOUNT;
const regionOf = (ids: SampleIds) => ids.region ?? DEFAULT_REGION;

/** An S3 bucket-level call: bucketName and Host, the subresource's marker key, and the bucket in `resources`. */
const s3Call = (marker: Record<string, unknown>) => (ids: SampleIds): SampleCall => ({
  requestParameters: { bucketName: ids.value, Host: `${ids.value}.s3.${regionOf(ids)}.amazonaws.com`, ...marker },
  resources: [{ ARN: `arn:aws:s3:::${ids.value}`, accountId: accountOf(ids), type: 'AWS::S3::Bucket' }],
});

/** A KMS call on a key: the caller passes the key id; CloudTrail records the key's ARN in `resources`. */
const kmsCall = (parameters: Record<string, unknown>) => (ids: SampleIds): SampleCall => {
  const match = /^arn:[^:]+:kms:[^:]*:(\d{12}):key\/(.+)$/.exec(ids.value);
  if (!match) {
    throw new Error(`KMS samples take the key ARN, not ${ids.value}`);
  }
  return {
    requestParameters: { keyId: match[2], ...parameters },
    resources: [{ ARN: ids.value, accountId: match[1], type: 'AWS::KMS::Key' }],
  };
};

/**
 * Every watched call, by EventBridge source then by CloudTrail event name (the
 * real name: Lambda's carry their API version).
 */
export const SAMPLE_CALLS: Record<string, Record<string, SampleCallFn>> = {
  'aws.wafv2': {
    // https://docs.aws.amazon.com/waf/latest/developerguide/understanding-waf-entries.html (UpdateWebACL example: name, scope, id, lockToken)
    UpdateWebACL: ({ value }) => ({
      requestParameters: {
        name: 'app-web-acl',
        scope: 'REGIONAL',
        id: value,
        defaultAction: { allow: {} },
        rules: [],
        visibilityConfig: { sampledRequestsEnabled: true, cloudWatchMetricsEnabled: true, metricName: 'app-web-acl' },
        lockToken: '67551e73-49d8-4363-be48-244deea72ea9',
      },
    }),
    // same page, DeleteWebACL example
    DeleteWebACL: ({ value }) => ({
      requestParameters: { name: 'app-web-acl', scope: 'REGIONAL', id: value, lockToken: 'a6b54c01-7975-4e6d-b7d0-2653cb6e231d' },
    }),
    // API_DeleteLoggingConfiguration (ResourceArn); turbot/tailpipe-mod-aws-cloudtrail-log-detections detections/waf.pp reads requestParameters.resourceArn
    DeleteLoggingConfiguration: ({ value }) => ({ requestParameters: { resourceArn: value } }),
    // API_PutLoggingConfiguration (LoggingConfiguration.ResourceArn); tailpipe detections/waf.pp reads requestParameters.loggingConfiguration
    PutLoggingConfiguration: ({ value }) => ({
      requestParameters: {
        loggingConfiguration: {
          resourceArn: value,
          logDestinationConfigs: [`arn:aws:firehose:eu-west-1:${DEFAULT_ACCOUNT}:deliverystream/aws-waf-logs-elsewhere`],
        },
      },
    }),
    // panther-labs/panther-analysis rules/aws_cloudtrail_rules/aws_waf_disassociation.yml (test log: requestParameters.resourceArn)
    DisassociateWebACL: ({ value }) => ({ requestParameters: { resourceArn: value } }),
    // API_AssociateWebACL (WebACLArn, ResourceArn), recorded like DisassociateWebACL
    AssociateWebACL: ({ value }) => ({
      requestParameters: {
        webACLArn: `arn:aws:wafv2:eu-west-1:${DEFAULT_ACCOUNT}:regional/webacl/permissive/0b5d7d0a-0000-4000-8000-000000000001`,
        resourceArn: value,
      },
    }),
    // understanding-waf-entries (web ACL examples: name, scope, id, lockToken); an IP set is deleted with the same parameters
    DeleteIPSet: ({ value }) => ({
      requestParameters: { name: 'decoy-quarantine', scope: 'REGIONAL', id: value, lockToken: '0b6f1d4e-3b8a-4f55-9a8b-2f4b1f2c7d90' },
    }),
  },
  'aws.logs': {
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/logging_cw_api_calls_cwl.html (CreateExportTask example: logGroupName)
    DeleteLogGroup: ({ value }) => ({ requestParameters: { logGroupName: value } }),
    // API_DeleteResourcePolicy / API_PutResourcePolicy (policyName; the put also carries the document)
    DeleteResourcePolicy: ({ value }) => ({ requestParameters: { policyName: value } }),
    PutResourcePolicy: ({ value }) => ({ requestParameters: { policyName: value, policyDocument: '{"Version":"2012-10-17","Statement":[]}' } }),
    // same; API_PutRetentionPolicy
    PutRetentionPolicy: ({ value }) => ({ requestParameters: { logGroupName: value, retentionInDays: 1 } }),
    // same; API_DeleteSubscriptionFilter
    DeleteSubscriptionFilter: ({ value }) => ({ requestParameters: { logGroupName: value, filterName: 'to-archive' } }),
    // same; API_PutSubscriptionFilter
    PutSubscriptionFilter: ({ value }) => ({
      requestParameters: {
        logGroupName: value,
        filterName: 'to-archive',
        filterPattern: 'NOTHING-MATCHES-THIS',
        destinationArn: `arn:aws:logs:eu-west-1:${DEFAULT_ACCOUNT}:destination:elsewhere`,
      },
    }),
    // same; API_DeleteMetricFilter
    DeleteMetricFilter: ({ value }) => ({ requestParameters: { logGroupName: value, filterName: 'tamper-events' } }),
    // same; API_PutMetricFilter
    PutMetricFilter: ({ value }) => ({
      requestParameters: {
        logGroupName: value,
        filterName: 'tamper-events',
        filterPattern: '{ $.eventName = "NeverCalled" }',
        metricTransformations: [{ metricName: 'TamperEvents', metricNamespace: 'App', metricValue: '1' }],
      },
    }),
    // same; API_DisassociateKmsKey (logGroupName; or, instead, the log group's ARN as resourceIdentifier: see ALTERNATIVE_FIELDS)
    DisassociateKmsKey: ({ value }) => ({ requestParameters: { logGroupName: value } }),
    // same; API_DeleteLogStream
    DeleteLogStream: ({ value }) => ({ requestParameters: { logGroupName: value, logStreamName: 'i-0123456789abcdef0' } }),
    // API_PutAccountPolicy: an account-wide policy; its record names no log group (see CALLS_NOT_NAMING_THE_RESOURCE)
    PutAccountPolicy: () => ({
      requestParameters: {
        policyName: 'mask-everything',
        policyType: 'DATA_PROTECTION_POLICY',
        scope: 'ALL',
        policyDocument: '{"Name":"mask-everything","Version":"2021-06-01","Statement":[]}',
      },
    }),
  },
  'aws.firehose': {
    // https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudtrail.html (DeleteDeliveryStream example: deliveryStreamName)
    DeleteDeliveryStream: ({ value }) => ({ requestParameters: { deliveryStreamName: value } }),
    // same page, UpdateDestination example
    UpdateDestination: ({ value }) => ({
      requestParameters: {
        deliveryStreamName: value,
        currentDeliveryStreamVersionId: '1',
        destinationId: 'destinationId-000000000001',
        extendedS3DestinationUpdate: { bucketARN: 'arn:aws:s3:::somewhere-else' },
      },
    }),
    // API_StopDeliveryStreamEncryption (DeliveryStreamName), recorded like the calls above
    StopDeliveryStreamEncryption: ({ value }) => ({ requestParameters: { deliveryStreamName: value } }),
  },
  'aws.kms': {
    // https://docs.aws.amazon.com/kms/latest/developerguide/ct-put-key-policy.html (keyId, policyName, policy; resources[].ARN)
    PutKeyPolicy: kmsCall({
      policyName: 'default',
      policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}',
      bypassPolicyLockoutSafetyCheck: false,
    }),
    // https://docs.aws.amazon.com/kms/latest/developerguide/ct-schedule-key-deletion.html
    ScheduleKeyDeletion: kmsCall({ pendingWindowInDays: 7 }),
    // https://docs.aws.amazon.com/kms/latest/developerguide/ct-disablekey.html;
    // panther-labs/panther-analysis rules/aws_cloudtrail_rules/aws_kms_cmk_loss.yml (DisableKey test log: keyId, resources[].ARN)
    DisableKey: kmsCall({}),
    // API_DeleteImportedKeyMaterial (KeyId), recorded as the other key operations (keyId, resources[].ARN)
    DeleteImportedKeyMaterial: kmsCall({}),
    // https://docs.aws.amazon.com/kms/latest/developerguide/ct-disable-key-rotation.html
    DisableKeyRotation: kmsCall({}),
  },
  'aws.s3': {
    // Stratus Red Team aws.exfiltration.s3-backdoor-bucket-policy detonation log (bucketName, Host, bucketPolicy, policy: "", resources[])
    PutBucketPolicy: s3Call({ bucketPolicy: { Version: '2012-10-17', Statement: [] }, policy: '' }),
    // Bucket-level records carry bucketName, Host and the subresource as an empty-valued key, as the record above
    // (policy: "") and published GetBucketPublicAccessBlock records (publicAccessBlock: "") do; event names from
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html
    DeleteBucketPolicy: s3Call({ policy: '' }),
    // same
    PutBucketEncryption: s3Call({
      encryption: '',
      ServerSideEncryptionConfiguration: { Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } } },
    }),
    // same
    DeleteBucketEncryption: s3Call({ encryption: '' }),
    // same (PutBucketLifecycleConfiguration is recorded as PutBucketLifecycle)
    PutBucketLifecycle: s3Call({ lifecycle: '', LifecycleConfiguration: { Rule: { Status: 'Enabled', Expiration: { Days: 1 } } } }),
    // same
    DeleteBucketLifecycle: s3Call({ lifecycle: '' }),
    // same
    PutBucketVersioning: s3Call({ versioning: '', VersioningConfiguration: { Status: 'Suspended' } }),
    // same
    PutObjectLockConfiguration: s3Call({ 'object-lock': '', 'ObjectLockConfiguration': { ObjectLockEnabled: 'Enabled' } }),
    // same
    PutBucketPublicAccessBlock: s3Call({
      publicAccessBlock: '',
      PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false },
    }),
    // same
    DeleteBucketPublicAccessBlock: s3Call({ publicAccessBlock: '' }),
    // same
    PutBucketLogging: s3Call({ logging: '', BucketLoggingStatus: {} }),
    // same
    PutBucketOwnershipControls: s3Call({ ownershipControls: '', OwnershipControls: { Rule: { ObjectOwnership: 'ObjectWriter' } } }),
    // same
    DeleteBucketOwnershipControls: s3Call({ ownershipControls: '' }),
    // same
    PutBucketAcl: s3Call({ acl: '', AccessControlPolicy: {} }),
    // same
    PutBucketReplication: s3Call({ replication: '', ReplicationConfiguration: {} }),
    // same
    DeleteBucketReplication: s3Call({ replication: '' }),
    // same
    DeleteBucket: s3Call({}),
  },
  'aws.cloudtrail': {
    // panther-labs/panther-analysis rules/aws_cloudtrail_rules/aws_cloudtrail_stopped.yml (requestParameters.name: the trail's ARN or name)
    StopLogging: ({ value }) => ({ requestParameters: { name: value } }),
    // API_DeleteTrail (Name), recorded like StopLogging
    DeleteTrail: ({ value }) => ({ requestParameters: { name: value } }),
    // API_UpdateTrail (Name), recorded like StopLogging
    UpdateTrail: ({ value }) => ({ requestParameters: { name: value, s3BucketName: 'somewhere-else', isMultiRegionTrail: false } }),
    // Stratus Red Team aws.defense-evasion.cloudtrail-event-selectors detonation log;
    // panther-analysis aws_cloudtrail_event_selectors_disabled.yml: the trail is in trailName, not name
    PutEventSelectors: ({ value }) => ({
      requestParameters: {
        trailName: value,
        eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [], excludeManagementEventSources: [] }],
      },
    }),
    // API_PutInsightSelectors (TrailName), recorded like PutEventSelectors
    PutInsightSelectors: ({ value }) => ({ requestParameters: { trailName: value, insightSelectors: [] } }),
  },
  'aws.lambda': {
    // https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html (event names with versions; functionName; ZipFile omitted)
    UpdateFunctionCode20150331v2: ({ value }) => ({
      requestParameters: { functionName: value, s3Bucket: 'somewhere-else', s3Key: 'handler.zip', publish: false, dryRun: false },
    }),
    // same (Environment omitted)
    UpdateFunctionConfiguration20150331v2: ({ value }) => ({
      requestParameters: { functionName: value, timeout: 1, layers: [`arn:aws:lambda:eu-west-1:${DEFAULT_ACCOUNT}:layer:shim:1`] },
    }),
    // same page, DeleteFunction20150331 example
    DeleteFunction20150331: ({ value }) => ({ requestParameters: { functionName: value } }),
    // same page (event name PutFunctionConcurrency20171031)
    PutFunctionConcurrency20171031: ({ value }) => ({ requestParameters: { functionName: value, reservedConcurrentExecutions: 0 } }),
    // same page (event name AddPermission20150331v2)
    AddPermission20150331v2: ({ value }) => ({
      requestParameters: { functionName: value, statementId: 'anyone', action: 'lambda:InvokeFunction', principal: '*' },
    }),
    // same page (event name RemovePermission20150331v2)
    RemovePermission20150331v2: ({ value }) => ({ requestParameters: { functionName: value, statementId: 'events-invoke' } }),
    // same page (event name PublishLayerVersion20181031; ZipFile omitted). Names a layer, not a function
    // (see CALLS_NOT_NAMING_THE_RESOURCE)
    PublishLayerVersion20181031: () => ({
      requestParameters: { layerName: 'shim', description: '', content: { s3Bucket: 'somewhere-else', s3Key: 'layer.zip' }, compatibleRuntimes: ['nodejs22.x'] },
    }),
    // same page: listed without a version suffix
    UpdateFunctionUrlConfig: ({ value }) => ({ requestParameters: { functionName: value, authType: 'NONE' } }),
  },
  'aws.events': {
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/logging_cw_api_calls.html (PutRule example: name)
    PutRule: ({ value }) => ({
      requestParameters: { name: value, eventPattern: '{"source":["com.example.never"]}', state: 'DISABLED', description: '' },
    }),
    // API_DisableRule (Name), recorded like PutRule
    DisableRule: ({ value }) => ({ requestParameters: { name: value } }),
    // API_DeleteRule (Name, Force), recorded like PutRule
    DeleteRule: ({ value }) => ({ requestParameters: { name: value, force: false } }),
    // API_RemoveTargets (Rule, Ids), recorded in camelCase like PutRule
    RemoveTargets: ({ value }) => ({ requestParameters: { rule: value, ids: ['Target0'], force: false } }),
    // API_PutTargets (Rule, Targets)
    PutTargets: ({ value }) => ({
      requestParameters: { rule: value, targets: [{ id: 'Target0', arn: `arn:aws:sqs:eu-west-1:${DEFAULT_ACCOUNT}:somewhere-else` }] },
    }),
  },
  'aws.monitoring': {
    // API_DisableAlarmActions (AlarmNames: a list), recorded in camelCase as the PutMetricAlarm example of
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/logging_cw_api_calls.html is
    DisableAlarmActions: ({ value }) => ({ requestParameters: { alarmNames: [value] } }),
    // API_DeleteAlarms (AlarmNames), as above
    DeleteAlarms: ({ value }) => ({ requestParameters: { alarmNames: ['another-alarm', value] } }),
    // logging_cw_api_calls, PutMetricAlarm example (alarmName)
    PutMetricAlarm: ({ value }) => ({
      requestParameters: {
        alarmName: value,
        metricName: 'Errors',
        namespace: 'AWS/Lambda',
        statistic: 'Sum',
        period: 60,
        evaluationPeriods: 1,
        threshold: 1000000,
        comparisonOperator: 'GreaterThanThreshold',
        actionsEnabled: false,
      },
    }),
    // API_SetAlarmState (AlarmName, StateValue, StateReason)
    SetAlarmState: ({ value }) => ({ requestParameters: { alarmName: value, stateValue: 'OK', stateReason: 'manual' } }),
    // API_PutCompositeAlarm (AlarmName, AlarmRule)
    PutCompositeAlarm: ({ value }) => ({ requestParameters: { alarmName: value, alarmRule: 'FALSE', actionsEnabled: false } }),
  },
  'aws.sns': {
    // https://docs.aws.amazon.com/sns/latest/dg/sns-logging-using-cloudtrail.html (DeleteTopic example: topicArn)
    DeleteTopic: ({ value }) => ({ requestParameters: { topicArn: value } }),
    // same (topicArn); API_SetTopicAttributes
    SetTopicAttributes: ({ value }) => ({
      requestParameters: { topicArn: value, attributeName: 'Policy', attributeValue: '{"Version":"2012-10-17","Statement":[]}' },
    }),
    // API_RemovePermission (TopicArn, Label)
    RemovePermission: ({ value }) => ({ requestParameters: { topicArn: value, label: 'events-publish' } }),
    // API_AddPermission (TopicArn, Label, AWSAccountId, ActionName)
    AddPermission: ({ value }) => ({
      requestParameters: { topicArn: value, label: 'outsider', aWSAccountId: ['999999999999'], actionName: ['Subscribe'] },
    }),
    // Unsubscribe records name the subscription: the topic's ARN, a colon and an id (API_Unsubscribe, SubscriptionArn)
    Unsubscribe: ({ value }) => ({ requestParameters: { subscriptionArn: `${value}:c3019def-3714-403e-ba29-eb14079d5c69` } }),
    // API_SetSubscriptionAttributes (SubscriptionArn, AttributeName, AttributeValue)
    SetSubscriptionAttributes: ({ value }) => ({
      requestParameters: {
        subscriptionArn: `${value}:5d5f26a4-8b0e-4c6f-9d6c-0e2b9d1f0a11`,
        attributeName: 'FilterPolicy',
        attributeValue: '{"never":["true"]}',
      },
    }),
  },
  'aws.elasticloadbalancing': {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudtrail-logs.html
    // (ELBv2 records: requestParameters.loadBalancerArn); API_ModifyLoadBalancerAttributes
    ModifyLoadBalancerAttributes: ({ value }) => ({
      requestParameters: { loadBalancerArn: value, attributes: [{ key: 'deletion_protection.enabled', value: 'false' }] },
    }),
    // same page, DeleteLoadBalancer example
    DeleteLoadBalancer: ({ value }) => ({ requestParameters: { loadBalancerArn: value } }),
    // API_DeleteTargetGroup, API_ModifyTargetGroup, API_ModifyTargetGroupAttributes (TargetGroupArn, recorded in camelCase)
    DeleteTargetGroup: ({ value }) => ({ requestParameters: { targetGroupArn: value } }),
    ModifyTargetGroup: ({ value }) => ({ requestParameters: { targetGroupArn: value, healthCheckPath: '/' } }),
    ModifyTargetGroupAttributes: ({ value }) => ({
      requestParameters: { targetGroupArn: value, attributes: [{ key: 'deregistration_delay.timeout_seconds', value: '0' }] },
    }),
    // API_SetSecurityGroups (LoadBalancerArn, SecurityGroups)
    SetSecurityGroups: ({ value }) => ({ requestParameters: { loadBalancerArn: value, securityGroups: ['sg-0aaaaaaaaaaaaaaa1'] } }),
    // API_ModifyListener (ListenerArn), recorded in camelCase like the load-balancer calls
    ModifyListener: ({ value }) => ({
      requestParameters: { listenerArn: value, port: 80, protocol: 'HTTP', defaultActions: [{ type: 'forward', targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/direct/0123456789abcdef' }] },
    }),
    // API_DeleteListener (ListenerArn)
    DeleteListener: ({ value }) => ({ requestParameters: { listenerArn: value } }),
    // API_ModifyRule (RuleArn)
    ModifyRule: ({ value }) => ({
      requestParameters: { ruleArn: value, actions: [{ type: 'fixed-response', fixedResponseConfig: { statusCode: '200' } }] },
    }),
    // API_DeleteRule (RuleArn)
    DeleteRule: ({ value }) => ({ requestParameters: { ruleArn: value } }),
  },
  'aws.ec2': {
    // Stratus Red Team aws.exfiltration.ec2-security-group-open-port-22-ingress detonation log (flat groupId, cidrIp, ports)
    AuthorizeSecurityGroupIngress: ({ value }) => ({
      requestParameters: { groupId: value, ipPermissions: {}, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' },
    }),
    // turbot/tailpipe-mod-aws-cloudtrail-log-detections detections/vpc.pp (groupId, ipPermissions.items[])
    AuthorizeSecurityGroupEgress: ({ value }) => ({
      requestParameters: {
        groupId: value,
        ipPermissions: { items: [{ ipProtocol: '-1', groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: {}, prefixListIds: {} }] },
      },
    }),
    // aws-samples/cloud-trail-lake-query-samples ec2-security-historical-changes.sql reads
    // requestParameters.ModifySecurityGroupRulesRequest.GroupId (newer EC2 APIs wrap the request)
    ModifySecurityGroupRules: ({ value }) => ({
      requestParameters: {
        ModifySecurityGroupRulesRequest: {
          GroupId: value,
          SecurityGroupRule: {
            SecurityGroupRuleId: 'sgr-0d28445c956a5d8ac',
            SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' },
            tag: 1,
          },
        },
      },
    }),
    // turbot/steampipe-plugin-aws pull 1136 (a real DeleteSecurityGroup record: requestParameters.groupId)
    DeleteSecurityGroup: ({ value }) => ({ requestParameters: { groupId: value } }),
    // Stratus Red Team aws.defense-evasion.vpc-remove-flow-logs detonation log; panther-analysis aws_vpc_flow_logs_deleted
    // (wrapped request; the id list's members as { content, tag }, an array of them when several are deleted)
    DeleteFlowLogs: ({ value }) => ({ requestParameters: { DeleteFlowLogsRequest: { FlowLogId: { content: value, tag: 1 } } } }),
    // panther-labs/panther-analysis rules/aws_cloudtrail_rules/aws_ec2_traffic_mirroring.yml (DeleteTrafficMirrorTarget test log)
    DeleteTrafficMirrorTarget: ({ value }) => ({ requestParameters: { DeleteTrafficMirrorTargetRequest: { TrafficMirrorTargetId: value } } }),
    // Not seen in a published record: wrapped as the other traffic-mirror calls of aws_ec2_traffic_mirroring.yml
    // (CreateTrafficMirrorFilterRequest, DeleteTrafficMirrorTargetRequest, ModifyTrafficMirrorSessionRequest)
    DeleteTrafficMirrorFilter: ({ value }) => ({ requestParameters: { DeleteTrafficMirrorFilterRequest: { TrafficMirrorFilterId: value } } }),
    // Not seen in a published record: wrapped as above; list members as { content, tag } like ModifyTrafficMirrorSession's RemoveField
    ModifyTrafficMirrorFilterNetworkServices: ({ value }) => ({
      requestParameters: {
        ModifyTrafficMirrorFilterNetworkServicesRequest: { TrafficMirrorFilterId: value, RemoveNetworkService: { content: 'amazon-dns', tag: 1 } },
      },
    }),
    // Not seen in a published record: wrapped as above
    DeleteTrafficMirrorFilterRule: ({ value }) => ({
      requestParameters: { DeleteTrafficMirrorFilterRuleRequest: { TrafficMirrorFilterRuleId: value } },
    }),
    // Not seen in a published record: wrapped as above
    ModifyTrafficMirrorFilterRule: ({ value }) => ({
      requestParameters: { ModifyTrafficMirrorFilterRuleRequest: { TrafficMirrorFilterRuleId: value, RuleAction: 'reject' } },
    }),
    // Not seen in a published record: wrapped as DeleteTrafficMirrorTarget
    DeleteTrafficMirrorSession: ({ value }) => ({
      requestParameters: { DeleteTrafficMirrorSessionRequest: { TrafficMirrorSessionId: value } },
    }),
    // aws_ec2_traffic_mirroring.yml (ModifyTrafficMirrorSession test log: wrapped, RemoveField as { content, tag })
    ModifyTrafficMirrorSession: ({ value }) => ({
      requestParameters: {
        ModifyTrafficMirrorSessionRequest: {
          TrafficMirrorSessionId: value,
          TrafficMirrorFilterId: 'tmf-0aaaaaaaaaaaaaaa1',
          RemoveField: [{ content: 'description', tag: 1 }],
        },
      },
    }),
  },
  'aws.ecs': {
    // API_UpdateService (Cluster, Service: a name or an ARN, recorded as the caller gave it), in camelCase
    UpdateService: ({ value }) => ({ requestParameters: { cluster: 'app', service: value, desiredCount: 0 } }),
    // API_DeleteService (Cluster, Service, Force)
    DeleteService: ({ value }) => ({ requestParameters: { cluster: 'app', service: value, force: true } }),
  },
  'aws.guardduty': {
    // API_DeleteDetector (detectorId, a path parameter); published detections read requestParameters.detectorId
    // (turbot/tailpipe-mod-aws-cloudtrail-log-detections locals.pp)
    DeleteDetector: ({ value }) => ({ requestParameters: { detectorId: value } }),
    // same; API_UpdateDetector
    UpdateDetector: ({ value }) => ({ requestParameters: { detectorId: value, enable: false } }),
    // same; API_UpdateMalwareScanSettings
    UpdateMalwareScanSettings: ({ value }) => ({ requestParameters: { detectorId: value, ebsSnapshotPreservation: 'NO_RETENTION' } }),
  },
};

/**
 * Fields a call takes the watched resource in instead of the one its sample
 * fills (the API takes one or the other, not both): a record of the call may
 * carry the resource at `path`, with nothing at `replaces`.
 */
export const ALTERNATIVE_FIELDS: ReadonlyArray<{ source: string; eventName: string; path: string[]; replaces: string[]; reference: string }> = [
  {
    source: 'aws.logs',
    eventName: 'DisassociateKmsKey',
    path: ['requestParameters', 'resourceIdentifier'],
    replaces: ['requestParameters', 'logGroupName'],
    reference: 'API_DisassociateKmsKey: logGroupName or resourceIdentifier (arn:aws:logs:REGION:ACCOUNT_ID:log-group:LOG_GROUP_NAME, no :*), not both',
  },
];

/**
 * Watched calls whose records do not name the watched resource at all: a
 * pattern on the catalogue's field can never match them.
 */
export const CALLS_NOT_NAMING_THE_RESOURCE: ReadonlyArray<{ source: string; eventName: string; reason: string }> = [
  {
    source: 'aws.lambda',
    eventName: 'PublishLayerVersion20181031',
    reason: 'publishes a layer version (requestParameters.layerName); no function is named',
  },
  {
    source: 'aws.logs',
    eventName: 'PutAccountPolicy',
    reason: 'an account-wide policy (policyName, policyType, scope, selectionCriteria); no log group is named',
  },
];

/**
 * The real event names of SAMPLE_CALLS that a catalogue entry covers: the name
 * itself, or for an entry ending in `*` every sampled name it starts.
 */
export function sampledEventNames(source: string, catalogueEventName: string): string[] {
  const calls = SAMPLE_CALLS[source] ?? {};
  if (catalogueEventName.endsWith('*')) {
    const prefix = catalogueEventName.slice(0, -1);
    return Object.keys(calls).filter(name => name.startsWith(prefix));
  }
  return catalogueEventName in calls ? [catalogueEventName] : [];
}

/** The EventBridge event of a sampled call on the resource `ids.value`. */
export function sampleEvent(
  source: string,
  eventName: string,
  ids: SampleIds,
  options: Pick<CloudTrailEventOptions, 'callerRoleArn'> = {},
): Record<string, unknown> {
  const call = SAMPLE_CALLS[source]?.[eventName];
  if (!call) {
    throw new Error(`no sample of ${source} ${eventName}`);
  }
  return cloudTrailEvent({ source, eventName, ...call(ids), account: ids.account, region: ids.region, callerRoleArn: options.callerRoleArn });
}
