import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { hostUserData } from './ec2-user-data';
import { DEBIAN_12_AMI_PARAMETER } from '../core/debian-12';
import { acknowledgeAwsManagedPolicy, acknowledgeGuardRule, acknowledgeWildcardResources } from '../core/nag-acknowledgements';
import { PropValidator } from '../core/validation-error';

/** What the web hosts are, wherever they run. */
export interface Ec2HostsOptions {
  /** @default t3.small */
  readonly instanceType?: ec2.InstanceType;
  /** Number of hosts, 1 to 100. @default 2 */
  readonly minCapacity?: number;
  /** @default - minCapacity */
  readonly maxCapacity?: number;
  /**
   * Shell commands (bash, as root) that install and start the application,
   * listening on 127.0.0.1 at the filter's `appPort`. They run after the filter is up.
   * @default - none (bring the app by other means)
   */
  readonly appCommands?: string[];
}

export interface FilteredEc2HostsProps extends Ec2HostsOptions {
  readonly vpc: ec2.IVpc;
  /** Where the hosts run. @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/** What the hosts need from the host layer (kept small so the hosts do not reach into the layer). */
export interface HostFilterRuntime {
  readonly files: Record<string, string>;
  readonly listenPort: number;
  readonly appPort: number;
  readonly logGroup: logs.ILogGroup;
}


/**
 * Debian 12 web hosts (official AMI) that run the host filter in front of the
 * application. User data installs nginx + ModSecurity + CRS from Debian,
 * writes the rendered files, validates them (`nginx -t`: an invalid config keeps
 * nginx down, so the host fails its health check), drops non-local traffic to
 * the app port, and ships the logs with the CloudWatch agent to the host layer's
 * log group. No SSH: administration through SSM Session Manager only.
 */
export class FilteredEc2Hosts extends Construct {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.Role;
  /** Port the load balancer must target. */
  public readonly port: number;
  /** The VPC of the hosts. */
  public readonly vpc: ec2.IVpc;
  /** The subnets the hosts run in. */
  public readonly vpcSubnets?: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: FilteredEc2HostsProps, filter: HostFilterRuntime) {
    super(scope, id);
    const v = new PropValidator(this);
    const min = props.minCapacity ?? 2;
    const max = props.maxCapacity ?? min;
    v.integerInRange('minCapacity', min, 1, 100);
    v.integerInRange('maxCapacity', max, 1, 100);
    v.check(max >= min, 'maxCapacity', max, `at least minCapacity (${min})`);
    v.throwIfInvalid();
    this.port = filter.listenPort;
    this.vpc = props.vpc;
    this.vpcSubnets = props.vpcSubnets;

    // Egress for Debian mirrors, the SSM and CloudWatch endpoints and the app's own needs; no ingress
    // until the load balancer is allowed in (connections.allowFrom(alb, Port.tcp(port))).
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc, allowAllOutbound: true, description: 'Web hosts: filter port from the load balancer only, no SSH',
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
      description: 'Web hosts: SSM Session Manager, and shipping the host layer\'s logs',
    });
    acknowledgeAwsManagedPolicy(this.role, 'AmazonSSMManagedInstanceCore',
      'The AWS-maintained minimum for Session Manager, the only way to administer the web hosts (no inbound admin port).');
    const streams = `${filter.logGroup.logGroupArn}:log-stream:*`;
    const shipLogs = new iam.ManagedPolicy(this, 'ShipLogs', {
      description: 'Web hosts: write the filter\'s logs into the host layer\'s log group only',
      roles: [this.role],
      statements: [new iam.PolicyStatement({
        sid: 'ShipLogsToTheHostLayerLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [filter.logGroup.logGroupArn, streams],
      })],
    });
    acknowledgeWildcardResources(shipLogs, [streams],
      'The CloudWatch agent names the streams after each instance, known only at launch; the statement is limited to the host layer\'s own log group.');

    const userData = ec2.UserData.forLinux({ shebang: '#!/bin/bash' });
    userData.addCommands(...hostUserData(filter, Stack.of(this).region), ...(props.appCommands ?? []));

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.fromSsmParameter(DEBIAN_12_AMI_PARAMETER),
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL),
      securityGroup: this.securityGroup,
      role: this.role,
      userData,
      requireImdsv2: true,
      // Instance credentials stop at the instance: a container or a forwarded request one hop further cannot read them.
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(16, { encrypted: true }) }],
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Hosts', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: min,
      maxCapacity: max,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB], gracePeriod: Duration.minutes(10),
      }),
    });
    acknowledgeGuardRule(this.autoScalingGroup, 'autoscaling_multiple_az_check',
      'The group spreads over the subnets it is given (VPCZoneIdentifier): the service\'s web subnets lie in two or more zones.');
    acknowledgeGuardRule(this.autoScalingGroup, 'autoscaling_mixed_instances_policy_multiple_instance_types_check',
      'One instance type (instanceType): Traffic Mirroring supports only some instance families and the monitor layer checks the type it is given; '
      + 'a mixed policy could launch a host that cannot be mirrored.');
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions-AS3',
      reason: 'The hosts are watched by the host layer\'s heartbeat (every host probed every minute) and the load balancer\'s health checks; scaling notifications would add nothing an operator acts on.',
    });
  }
}
