import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../core/nag-acknowledgements';

/**
 * The custom flow log format, in order: what the exfiltration alarms need
 * (direction, addresses, bytes, action) and what an investigation needs (the
 * interface, instance, subnet, path and the AWS service on the far side).
 * The metric filter and the Contributor Insights rule address fields by position.
 */
export const FLOW_LOG_FIELDS: Array<[string, ec2.LogFormat]> = [
  ['interfaceId', ec2.LogFormat.INTERFACE_ID],
  ['instanceId', ec2.LogFormat.INSTANCE_ID],
  ['srcAddr', ec2.LogFormat.SRC_ADDR],
  ['dstAddr', ec2.LogFormat.DST_ADDR],
  ['srcPort', ec2.LogFormat.SRC_PORT],
  ['dstPort', ec2.LogFormat.DST_PORT],
  ['protocol', ec2.LogFormat.PROTOCOL],
  ['packets', ec2.LogFormat.PACKETS],
  ['bytes', ec2.LogFormat.BYTES],
  ['start', ec2.LogFormat.START_TIMESTAMP],
  ['end', ec2.LogFormat.END_TIMESTAMP],
  ['action', ec2.LogFormat.ACTION],
  ['logStatus', ec2.LogFormat.LOG_STATUS],
  ['flowDirection', ec2.LogFormat.FLOW_DIRECTION],
  ['trafficPath', ec2.LogFormat.TRAFFIC_PATH],
  ['pktSrcAddr', ec2.LogFormat.PKT_SRC_ADDR],
  ['pktDstAddr', ec2.LogFormat.PKT_DST_ADDR],
  ['pktDstAwsService', ec2.LogFormat.PKT_DST_AWS_SERVICE],
  ['subnetId', ec2.LogFormat.SUBNET_ID],
  ['tcpFlags', ec2.LogFormat.TCP_FLAGS],
];

export interface WebTierFlowLogsProps {
  readonly subnets: ec2.ISubnet[];
  readonly encryptionKey?: kms.IKey;
  readonly retention: logs.RetentionDays;
}

/**
 * @internal
 * VPC flow logs of the web tier's subnets (all traffic, one-minute
 * aggregation) into the monitor layer's own log group, written by a role of
 * the layer. Part of the monitor layer.
 */
export class WebTierFlowLogs extends Construct {
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WebTierFlowLogsProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.retention,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Monitor layer: VPC Flow Logs writing the web tier\'s flows into the layer\'s log group',
    });
    const streams = `${this.logGroup.logGroupArn}:log-stream:*`;
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'Monitor layer flow logs: write into the flow log group only',
      roles: [role],
      statements: [new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.logGroup.logGroupArn, streams],
      })],
    });
    acknowledgeWildcardResources(policy, [streams],
      'VPC Flow Logs names one stream per interface in the flow log group only; the stream part is a wildcard.');
    props.subnets.forEach((subnet, i) => new ec2.FlowLog(this, `Subnet${i}`, {
      resourceType: ec2.FlowLogResourceType.fromSubnet(subnet),
      // The managed policy above grants what the service needs; the L2 would add an inline one.
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.logGroup, role.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
      maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
      logFormat: FLOW_LOG_FIELDS.map(([, format]) => format),
    }));
  }
}
