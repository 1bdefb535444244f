import { HostFilterRuntime } from './filtered-ec2-hosts';
import { awsAgentCommands } from '../core/debian-12';
import { DEBIAN_PACKAGES, PRELOAD_ALLOCATOR } from './render/render-host-filter';

const CONFIG_DIR = '/etc/nginx/defence-in-depth';

/** The user data that installs and starts the filter (exported for tests). */
export function hostUserData(filter: HostFilterRuntime, region: string): string[] {
  const files = Object.entries(filter.files).map(([name, content]) =>
    `cat > ${CONFIG_DIR}/${name} <<'DEFENCE_IN_DEPTH_EOF'\n${content}DEFENCE_IN_DEPTH_EOF`);
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
    ...awsAgentCommands(region, ['access.json', 'modsec_audit.json', 'error.log'].map(f => ({
      path: `/var/log/nginx/${f}`, logGroupName: filter.logGroup.logGroupName, streamSuffix: f,
    }))),
  ];
}
