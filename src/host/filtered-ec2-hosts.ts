import { Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PropValidator } from '../core/validation-error';

/** The public SSM parameter of the official Debian 12 AMI (amd64). */
export const DEBIAN_12_AMI_PARAMETER = '/aws/service/debian/release/12/latest/amd64';

export interface FilteredEc2HostsProps {
  readonly vpc: ec2.IVpc;
  /** Where the hosts run. @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
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

/** What the hosts need from the host layer (kept small so the hosts do not reach into the layer). */
export interface HostFilterRuntime {
  readonly files: Record<string, string>;
  readonly listenPort: number;
  readonly appPort: number;
  readonly logGroup: logs.ILogGroup;
}

const CONFIG_DIR = '/etc/nginx/defence-in-depth';

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
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ShipLogsToTheHostLayerLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [filter.logGroup.logGroupArn, `${filter.logGroup.logGroupArn}:log-stream:*`],
    }));

    const userData = ec2.UserData.forLinux({ shebang: '#!/bin/bash' });
    userData.addCommands(...hostUserData(filter, Stack.of(this).region), ...(props.appCommands ?? []));

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.fromSsmParameter(DEBIAN_12_AMI_PARAMETER),
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL),
      securityGroup: this.securityGroup,
      role: this.role,
      userData,
      requireImdsv2: true,
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
  }
}

/** The user data that installs and starts the filter (exported for tests). */
export function hostUserData(filter: HostFilterRuntime, region: string): string[] {
  const files = Object.entries(filter.files).map(([name, content]) =>
    `cat > ${CONFIG_DIR}/${name} <<'DEFENCE_IN_DEPTH_EOF'\n${content}DEFENCE_IN_DEPTH_EOF`);
  const agentConfig = JSON.stringify({
    logs: {
      logs_collected: {
        files: {
          collect_list: ['access.json', 'modsec_audit.json', 'error.log'].map(f => ({
            file_path: `/var/log/nginx/${f}`, log_group_name: filter.logGroup.logGroupName, log_stream_name: `{instance_id}/${f}`,
          })),
        },
      },
    },
  });
  return [
    'set -euxo pipefail',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update',
    'apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs nftables curl',
    // The Debian default site would serve unfiltered: nginx stays down until the filter is in place.
    'systemctl stop nginx || true',
    'rm -f /etc/nginx/sites-enabled/default',
    `mkdir -p ${CONFIG_DIR}`,
    'install -d -o www-data -g www-data /var/lib/nginx-defence',
    'install -o www-data -g adm -m 0640 /dev/null /var/log/nginx/modsec_audit.json',
    ...files,
    `sh ${CONFIG_DIR}/prepare-crs.sh`,
    // Fail closed: files that do not load stop here, nginx stays down and the host never turns healthy.
    `nginx -t -c ${CONFIG_DIR}/nginx.conf`,
    'mkdir -p /etc/systemd/system/nginx.service.d',
    `cat > /etc/systemd/system/nginx.service.d/defence-in-depth.conf <<'DEFENCE_IN_DEPTH_EOF'
[Service]
PIDFile=/var/lib/nginx-defence/nginx.pid
ExecStartPre=
ExecStartPre=/usr/sbin/nginx -t -q -c ${CONFIG_DIR}/nginx.conf
ExecStart=
ExecStart=/usr/sbin/nginx -c ${CONFIG_DIR}/nginx.conf
ExecReload=
ExecReload=/usr/sbin/nginx -c ${CONFIG_DIR}/nginx.conf -s reload
ExecStop=
ExecStop=/usr/sbin/nginx -c ${CONFIG_DIR}/nginx.conf -s quit
DEFENCE_IN_DEPTH_EOF`,
    // Only the filter reaches the app: drop non-loopback traffic to the app port.
    `cat > /etc/nftables.conf <<'DEFENCE_IN_DEPTH_EOF'
#!/usr/sbin/nft -f
flush ruleset
table inet defence_in_depth {
  chain input {
    type filter hook input priority 0; policy accept;
    iifname != "lo" tcp dport ${filter.appPort} drop
  }
}
DEFENCE_IN_DEPTH_EOF`,
    'systemctl enable --now nftables',
    'systemctl daemon-reload',
    'systemctl enable nginx',
    'systemctl restart nginx',
    // SSM agent (administration) and CloudWatch agent (logs to the host layer's log group), from AWS's regional buckets.
    `curl -fsSL -o /tmp/amazon-ssm-agent.deb https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_amd64/amazon-ssm-agent.deb`,
    `curl -fsSL -o /tmp/amazon-cloudwatch-agent.deb https://amazoncloudwatch-agent-${region}.s3.${region}.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb`,
    'dpkg -i /tmp/amazon-ssm-agent.deb /tmp/amazon-cloudwatch-agent.deb',
    `cat > /opt/aws/amazon-cloudwatch-agent/etc/defence-in-depth.json <<'DEFENCE_IN_DEPTH_EOF'\n${agentConfig}\nDEFENCE_IN_DEPTH_EOF`,
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/defence-in-depth.json',
  ];
}
