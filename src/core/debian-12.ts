/**
 * What every Debian 12 EC2 host of the library needs, whichever layer it
 * belongs to (the host layer's web hosts, the monitor layer's sensors). Code,
 * not a resource: each layer still gets its own AMI lookup, roles and agents.
 */

/** The public SSM parameter of the official Debian 12 AMI (amd64). */
export const DEBIAN_12_AMI_PARAMETER = '/aws/service/debian/release/12/latest/amd64';

/** One file the CloudWatch agent ships to a log group, one stream per instance and file. */
export interface ShippedLogFile {
  readonly path: string;
  readonly logGroupName: string;
  /** Stream name after `{instance_id}/`. */
  readonly streamSuffix: string;
}

/**
 * User-data commands that install the SSM agent (administration through
 * Session Manager, no inbound port) and the CloudWatch agent from AWS's
 * regional buckets, and start the agent shipping `files`.
 */
export function awsAgentCommands(region: string, files: ShippedLogFile[]): string[] {
  const agentConfig = JSON.stringify({
    logs: {
      logs_collected: {
        files: {
          collect_list: files.map(f => ({
            file_path: f.path, log_group_name: f.logGroupName, log_stream_name: `{instance_id}/${f.streamSuffix}`,
          })),
        },
      },
    },
  });
  return [
    `curl -fsSL -o /tmp/amazon-ssm-agent.deb https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_amd64/amazon-ssm-agent.deb`,
    `curl -fsSL -o /tmp/amazon-cloudwatch-agent.deb https://amazoncloudwatch-agent-${region}.s3.${region}.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb`,
    'dpkg -i /tmp/amazon-ssm-agent.deb /tmp/amazon-cloudwatch-agent.deb',
    `cat > /opt/aws/amazon-cloudwatch-agent/etc/defence-in-depth.json <<'DEFENCE_IN_DEPTH_EOF'\n${agentConfig}\nDEFENCE_IN_DEPTH_EOF`,
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/defence-in-depth.json',
  ];
}
