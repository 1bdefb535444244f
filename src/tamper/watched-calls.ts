// Internal: the catalogue of API calls that disable, detach, weaken or delete a
// control, per CloudFormation resource type, and where each call's CloudTrail
// record names the resource. The tamper watch renders it into EventBridge
// patterns for the resources of this app only.

/** How the resource's own value for a match is obtained from its CloudFormation resource. */
export type ResourceIdentifier =
  /** `{ Ref }`. */
  | 'ref'
  /** `{ Fn::GetAtt: [id, attribute] }`. */
  | { readonly attribute: string }
  /** The value of one of the resource's own properties (the L1 property name), e.g. the ARN an association protects. */
  | { readonly property: string }
  /** The name of an EventBridge rule on the default bus: the last part of its ARN. */
  | 'ruleName'
  /** A log group's ARN without the `:*` its `Arn` attribute ends with (what `resourceIdentifier` takes). */
  | 'logGroupArn'
  /** A function's partial ARN, `<account>:function:<name>`, which Lambda accepts wherever it takes a name. */
  | 'partialFunctionArn';

/** Where a CloudTrail record names the resource, and how the value compares. */
export interface FieldMatch {
  /** Path below `detail`, e.g. `['requestParameters', 'logGroupName']`. */
  readonly path: string[];
  readonly identifier: ResourceIdentifier;
  /** Match values that start with the identifier followed by this suffix (`:` for subscription ARNs). */
  readonly prefixWithSuffix?: string;
}

/** A group of calls that name the resource in the same fields. */
export interface WatchedCallGroup {
  /** CloudTrail event names; an entry ending in `*` matches as a prefix (Lambda's versioned names). */
  readonly eventNames: string[];
  /** Any of these fields naming the resource matches. */
  readonly fields: FieldMatch[];
  /**
   * The calls are also made by a function of the layer itself (a mirror-sessions
   * function deleting sessions of terminated hosts): such callers are not tamper events.
   */
  readonly exceptCallersOfType?: string;
}

/** What is watched for one CloudFormation resource type. */
export interface WatchedResourceType {
  /** The CloudFormation type, e.g. `AWS::WAFv2::WebACL`. */
  readonly cfnType: string;
  /** In words, for the report: "web ACL". */
  readonly what: string;
  /** The EventBridge source, e.g. `aws.wafv2`. */
  readonly source: string;
  readonly groups: WatchedCallGroup[];
}

const REQ = 'requestParameters';
const field = (name: string | string[], identifier: ResourceIdentifier = 'ref', prefixWithSuffix?: string): FieldMatch =>
  ({ path: [REQ, ...(Array.isArray(name) ? name : [name])], identifier, prefixWithSuffix });
const ARN = { attribute: 'Arn' };

/** KMS names the key in the record's `resources` (the caller may have passed an alias, an id or an ARN). */
const KEY_RESOURCE: FieldMatch = { path: ['resources', 'ARN'], identifier: ARN };

/**
 * Every watched call, by resource type. Calls that only add protection
 * (creating a rule, enabling rotation) are left out; calls that may weaken it
 * (any update of a rule set, a policy or a retention) are in: an update that
 * strengthens a control alarms too, which is the price of seeing every update
 * that weakens one.
 */
export const WATCHED_RESOURCE_TYPES: WatchedResourceType[] = [
  // ----------------------------------------------------------------- edge
  {
    cfnType: 'AWS::WAFv2::WebACL',
    what: 'web ACL',
    source: 'aws.wafv2',
    groups: [
      { eventNames: ['UpdateWebACL', 'DeleteWebACL'], fields: [field('id', { attribute: 'Id' })] },
      {
        eventNames: ['DeleteLoggingConfiguration', 'PutLoggingConfiguration'],
        fields: [field('resourceArn', ARN), field(['loggingConfiguration', 'resourceArn'], ARN)],
      },
    ],
  },
  {
    // The association's target is the protected resource: detaching it, or putting another ACL on it.
    cfnType: 'AWS::WAFv2::WebACLAssociation',
    what: 'web ACL association',
    source: 'aws.wafv2',
    groups: [{ eventNames: ['DisassociateWebACL', 'AssociateWebACL'], fields: [field('resourceArn', { property: 'resourceArn' })] }],
  },
  {
    cfnType: 'AWS::WAFv2::IPSet',
    what: 'IP set',
    source: 'aws.wafv2',
    // UpdateIPSet is the quarantine's own daily work: deleting the set is the tamper event.
    groups: [{ eventNames: ['DeleteIPSet'], fields: [field('id', { attribute: 'Id' })] }],
  },
  // --------------------------------------------------------------- logging
  {
    cfnType: 'AWS::Logs::LogGroup',
    what: 'log group',
    source: 'aws.logs',
    groups: [
      {
        eventNames: [
          'DeleteLogGroup', 'PutRetentionPolicy', 'DeleteSubscriptionFilter', 'PutSubscriptionFilter',
          'DeleteMetricFilter', 'PutMetricFilter', 'DisassociateKmsKey', 'DeleteLogStream',
        ],
        fields: [field('logGroupName')],
      },
      // DisassociateKmsKey also takes the log group's ARN as `resourceIdentifier`.
      { eventNames: ['DisassociateKmsKey'], fields: [field('resourceIdentifier', 'logGroupArn')] },
    ],
  },
  {
    // An account-wide policy that lets a service (EventBridge) write into log groups: without it the tamper counts stop.
    cfnType: 'AWS::Logs::ResourcePolicy',
    what: 'log resource policy',
    source: 'aws.logs',
    groups: [{ eventNames: ['DeleteResourcePolicy', 'PutResourcePolicy'], fields: [field('policyName')] }],
  },
  {
    cfnType: 'AWS::KinesisFirehose::DeliveryStream',
    what: 'delivery stream',
    source: 'aws.firehose',
    groups: [{
      eventNames: ['DeleteDeliveryStream', 'UpdateDestination', 'StopDeliveryStreamEncryption'],
      fields: [field('deliveryStreamName')],
    }],
  },
  {
    cfnType: 'AWS::KMS::Key',
    what: 'key',
    source: 'aws.kms',
    groups: [{
      eventNames: ['PutKeyPolicy', 'ScheduleKeyDeletion', 'DisableKey', 'DeleteImportedKeyMaterial', 'DisableKeyRotation'],
      fields: [KEY_RESOURCE],
    }],
  },
  {
    cfnType: 'AWS::S3::Bucket',
    what: 'bucket',
    source: 'aws.s3',
    groups: [{
      eventNames: [
        'PutBucketPolicy', 'DeleteBucketPolicy', 'PutBucketEncryption', 'DeleteBucketEncryption',
        'PutBucketLifecycle', 'DeleteBucketLifecycle', 'PutBucketVersioning', 'PutObjectLockConfiguration',
        'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'PutBucketLogging', 'PutBucketOwnershipControls',
        'DeleteBucketOwnershipControls', 'PutBucketAcl', 'PutBucketReplication', 'DeleteBucketReplication', 'DeleteBucket',
      ],
      fields: [field('bucketName')],
    }],
  },
  {
    cfnType: 'AWS::CloudTrail::Trail',
    what: 'trail',
    source: 'aws.cloudtrail',
    // The caller may name the trail by name or by ARN.
    groups: [
      { eventNames: ['StopLogging', 'DeleteTrail', 'UpdateTrail'], fields: [field('name'), field('name', ARN)] },
      // The selector calls record the trail in `trailName`, not `name`.
      { eventNames: ['PutEventSelectors', 'PutInsightSelectors'], fields: [field('trailName'), field('trailName', ARN)] },
    ],
  },
  // ----------------------------------------------------------------- watch
  {
    cfnType: 'AWS::Lambda::Function',
    what: 'function',
    source: 'aws.lambda',
    groups: [{
      eventNames: [
        'UpdateFunctionCode*', 'UpdateFunctionConfiguration*', 'DeleteFunction*', 'PutFunctionConcurrency*',
        'AddPermission*', 'RemovePermission*', 'UpdateFunctionUrlConfig*',
      ],
      // Lambda takes a name, a full ARN or a partial ARN, each optionally with a version or alias after a colon.
      fields: [
        field('functionName'), field('functionName', ARN), field('functionName', 'partialFunctionArn'),
        field('functionName', ARN, ':'), field('functionName', 'ref', ':'), field('functionName', 'partialFunctionArn', ':'),
      ],
    }],
  },
  {
    cfnType: 'AWS::Events::Rule',
    what: 'EventBridge rule',
    source: 'aws.events',
    groups: [
      { eventNames: ['DisableRule', 'DeleteRule', 'PutRule'], fields: [field('name', 'ruleName')] },
      { eventNames: ['RemoveTargets', 'PutTargets'], fields: [field('rule', 'ruleName')] },
    ],
  },
  {
    cfnType: 'AWS::CloudWatch::Alarm',
    what: 'alarm',
    source: 'aws.monitoring',
    groups: [
      { eventNames: ['DisableAlarmActions', 'DeleteAlarms'], fields: [field('alarmNames')] },
      { eventNames: ['PutMetricAlarm', 'SetAlarmState'], fields: [field('alarmName')] },
    ],
  },
  {
    cfnType: 'AWS::CloudWatch::CompositeAlarm',
    what: 'composite alarm',
    source: 'aws.monitoring',
    groups: [
      { eventNames: ['DisableAlarmActions', 'DeleteAlarms'], fields: [field('alarmNames')] },
      { eventNames: ['PutCompositeAlarm', 'SetAlarmState'], fields: [field('alarmName')] },
    ],
  },
  {
    cfnType: 'AWS::SNS::Topic',
    what: 'topic',
    source: 'aws.sns',
    groups: [
      { eventNames: ['DeleteTopic', 'SetTopicAttributes', 'RemovePermission', 'AddPermission'], fields: [field('topicArn')] },
      // A subscription's ARN is the topic's ARN, a colon and an id.
      { eventNames: ['Unsubscribe', 'SetSubscriptionAttributes'], fields: [field('subscriptionArn', 'ref', ':')] },
    ],
  },
  // ------------------------------------------------------------- host tier
  {
    cfnType: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    what: 'load balancer',
    source: 'aws.elasticloadbalancing',
    groups: [{
      eventNames: ['ModifyLoadBalancerAttributes', 'DeleteLoadBalancer', 'SetSecurityGroups'],
      fields: [field('loadBalancerArn')],
    }],
  },
  {
    cfnType: 'AWS::ElasticLoadBalancingV2::Listener',
    what: 'listener',
    source: 'aws.elasticloadbalancing',
    groups: [{ eventNames: ['ModifyListener', 'DeleteListener'], fields: [field('listenerArn')] }],
  },
  {
    cfnType: 'AWS::ElasticLoadBalancingV2::ListenerRule',
    what: 'listener rule',
    source: 'aws.elasticloadbalancing',
    groups: [{ eventNames: ['ModifyRule', 'DeleteRule'], fields: [field('ruleArn')] }],
  },
  {
    // Registering targets is the Auto Scaling group's daily work; deleting the group or changing its health check is not.
    cfnType: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    what: 'target group',
    source: 'aws.elasticloadbalancing',
    groups: [{ eventNames: ['DeleteTargetGroup', 'ModifyTargetGroup', 'ModifyTargetGroupAttributes'], fields: [field('targetGroupArn')] }],
  },
  {
    cfnType: 'AWS::EC2::SecurityGroup',
    what: 'security group',
    source: 'aws.ec2',
    groups: [{
      eventNames: ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'ModifySecurityGroupRules', 'DeleteSecurityGroup'],
      fields: [field('groupId', { attribute: 'GroupId' }), field(['ModifySecurityGroupRulesRequest', 'GroupId'], { attribute: 'GroupId' })],
    }],
  },
  {
    cfnType: 'AWS::ECS::Service',
    what: 'ECS service',
    source: 'aws.ecs',
    // The caller may name the service by name or by ARN (the Ref).
    groups: [{ eventNames: ['UpdateService', 'DeleteService'], fields: [field('service'), field('service', { attribute: 'Name' })] }],
  },
  // --------------------------------------------------------------- monitor
  {
    cfnType: 'AWS::EC2::FlowLog',
    what: 'flow log',
    source: 'aws.ec2',
    groups: [{ eventNames: ['DeleteFlowLogs'], fields: [field(['DeleteFlowLogsRequest', 'FlowLogId', 'content'])] }],
  },
  {
    cfnType: 'AWS::EC2::TrafficMirrorTarget',
    what: 'mirror target',
    source: 'aws.ec2',
    groups: [{ eventNames: ['DeleteTrafficMirrorTarget'], fields: [field(['DeleteTrafficMirrorTargetRequest', 'TrafficMirrorTargetId'])] }],
  },
  {
    cfnType: 'AWS::EC2::TrafficMirrorFilter',
    what: 'mirror filter',
    source: 'aws.ec2',
    groups: [
      { eventNames: ['DeleteTrafficMirrorFilter'], fields: [field(['DeleteTrafficMirrorFilterRequest', 'TrafficMirrorFilterId'])] },
      { eventNames: ['ModifyTrafficMirrorFilterNetworkServices'], fields: [field(['ModifyTrafficMirrorFilterNetworkServicesRequest', 'TrafficMirrorFilterId'])] },
    ],
  },
  {
    cfnType: 'AWS::EC2::TrafficMirrorFilterRule',
    what: 'mirror filter rule',
    source: 'aws.ec2',
    groups: [
      { eventNames: ['DeleteTrafficMirrorFilterRule'], fields: [field(['DeleteTrafficMirrorFilterRuleRequest', 'TrafficMirrorFilterRuleId'])] },
      { eventNames: ['ModifyTrafficMirrorFilterRule'], fields: [field(['ModifyTrafficMirrorFilterRuleRequest', 'TrafficMirrorFilterRuleId'])] },
    ],
  },
  {
    cfnType: 'AWS::GuardDuty::Detector',
    what: 'GuardDuty detector',
    source: 'aws.guardduty',
    groups: [{ eventNames: ['DeleteDetector', 'UpdateDetector', 'UpdateMalwareScanSettings'], fields: [field('detectorId')] }],
  },
];

/**
 * Mirror sessions are created and deleted at run time by the monitor's own
 * function, so they have no CloudFormation identity: any deletion or change of a
 * session by another caller is a tamper event of the layer that owns the
 * mirror target (sessions of other apps in the account are matched too).
 */
export const MIRROR_SESSION_CALLS: WatchedCallGroup = {
  eventNames: ['DeleteTrafficMirrorSession', 'ModifyTrafficMirrorSession'],
  fields: [],
  exceptCallersOfType: 'AWS::IAM::Role',
};

/** The catalogue entry of a CloudFormation type, if any. */
export function watchedTypeOf(cfnType: string): WatchedResourceType | undefined {
  return WATCHED_RESOURCE_TYPES.find(t => t.cfnType === cfnType);
}
