import { HostFilterRuntime } from './filtered-ec2-hosts';
import { DEBIAN_PACKAGES, PRELOAD_ALLOCATOR } from './render/render-host-filter';

/** The public SSM parameter of the official Debian 12 AMI (amd64). */
export const DEBIAN_12_AMI_PARAMETER = '/aws/service/debian/release/12/latest/amd64';

const CONFIG_DIR = '/etc/nginx/defence-in-depth';

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
    `apt-get install -y ${DEBIAN_PACKAGES.join(' ')} nftables curl`,
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
Environment=LD_PRELOAD=${PRELOAD_ALLOCATOR}
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
