import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ResolvedSensorOptions } from './render/resolve-monitor-options';
import { SENSOR_HEALTH_PORT, sensorUserData, VXLAN_PORT } from './render/sensor-config';
import { DEBIAN_12_AMI_PARAMETER } from '../core/debian-12';
import { acknowledgeAwsManagedPolicy, acknowledgeGuardRule, acknowledgeWildcardResources } from '../core/nag-acknowledgements';

export interface SensorFleetProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly options: ResolvedSensorOptions;
  /** Suricata's HOME_NET: the web tier's CIDRs. */
  readonly homeNet: string[];
  /** Where the sensors ship eve.json (the monitor layer's sensor log group). */
  readonly logGroup: logs.ILogGroup;
  /** The mirror target's security group: the only source the sensors accept. */
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
}

/**
 * @internal
 * The Suricata sensors: Debian 12 instances in the monitor's own subnets and
 * security group, behind the mirror target. Nothing of the web tier can reach
 * them except through the load balancer's VXLAN listener; administration is
 * through SSM Session Manager only. Part of the monitor layer.
 */
export class SensorFleet extends Construct {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SensorFleetProps) {
    super(scope, id);
    // Egress: Debian mirrors, rule downloads, the SSM and CloudWatch endpoints.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      allowAllOutbound: true,
      description: 'Monitor layer sensors: VXLAN and health checks from the mirror target only, no SSH',
    });
    this.securityGroup.addIngressRule(props.loadBalancerSecurityGroup, ec2.Port.udp(VXLAN_PORT), 'Mirrored packets from the mirror target');
    this.securityGroup.addIngressRule(props.loadBalancerSecurityGroup, ec2.Port.tcp(SENSOR_HEALTH_PORT), 'Health checks from the mirror target');
    props.loadBalancerSecurityGroup.addEgressRule(this.securityGroup, ec2.Port.udp(VXLAN_PORT), 'Mirrored packets to the sensors');
    props.loadBalancerSecurityGroup.addEgressRule(this.securityGroup, ec2.Port.tcp(SENSOR_HEALTH_PORT), 'Health checks of the sensors');

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
      description: 'Monitor layer sensors: SSM Session Manager, and shipping the sensor alerts',
    });
    acknowledgeAwsManagedPolicy(this.role, 'AmazonSSMManagedInstanceCore',
      'The AWS-maintained minimum for Session Manager, the only way to administer the sensors (no inbound admin port).');
    const streams = `${props.logGroup.logGroupArn}:log-stream:*`;
    const policy = new iam.ManagedPolicy(this, 'ShipAlerts', {
      description: 'Monitor layer sensors: write eve.json events into the sensor log group only',
      roles: [this.role],
      statements: [new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [props.logGroup.logGroupArn, streams],
      })],
    });
    acknowledgeWildcardResources(policy, [streams],
      'The CloudWatch agent names one stream per instance ({instance_id}/eve.json) in the sensor log group only; the stream part is a wildcard.');

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.fromSsmParameter(DEBIAN_12_AMI_PARAMETER),
      instanceType: props.options.instanceType,
      securityGroup: this.securityGroup,
      role: this.role,
      userData: ec2.UserData.custom(['#!/bin/bash',
        ...sensorUserData({ homeNet: props.homeNet, ruleSources: props.options.ruleSources, localRules: props.options.localRules },
          props.logGroup.logGroupName, Stack.of(this).region)].join('\n')),
      requireImdsv2: true,
      // Instance credentials stop at the instance: a container or a forwarded request one hop further cannot read them.
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(16, { encrypted: true }) }],
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Sensors', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      launchTemplate,
      minCapacity: props.options.minCapacity,
      maxCapacity: props.options.maxCapacity,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB], gracePeriod: Duration.minutes(10),
      }),
    });
    acknowledgeGuardRule(this.autoScalingGroup, 'autoscaling_multiple_az_check',
      'The sensors spread over the subnets they are given (VPCZoneIdentifier): the sensor subnets lie in two or more zones.');
    acknowledgeGuardRule(this.autoScalingGroup, 'autoscaling_mixed_instances_policy_multiple_instance_types_check',
      'One instance type, sized for Suricata\'s memory: a mixed policy would make the sensors\' capacity (packets inspected per second) unpredictable.');
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions-AS3',
      reason: 'Sensor health is alarmed on the mirror target (HealthyHostCount, missing data breaching); scaling notifications would add nothing an operator acts on.',
    });
  }
}
