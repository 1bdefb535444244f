import { CANARY_SID } from './resolve-monitor-options';
import { awsAgentCommands } from '../../core/debian-12';

/** The path the monitor's canary rule alerts on; heartbeats request it through the web hosts. */
export const MONITOR_CANARY_PATH = '/.well-known/defence-in-depth/monitor-canary';
/** VXLAN: how Traffic Mirroring encapsulates mirrored packets. */
export const VXLAN_PORT = 4789;
/** The sensors' health endpoint for the load balancer (healthy while Suricata runs and writes). */
export const SENSOR_HEALTH_PORT = 8086;

const CONFIG = '/etc/suricata/defence-in-depth.yaml';
/** Replaced at boot with the sensor's primary interface (ens5 on Nitro, eth0 on Xen). */
const PRIMARY_INTERFACE = '__PRIMARY_INTERFACE__';
const LOCAL_RULES = '/etc/suricata/rules/defence-in-depth.rules';
const EVE_LOG = '/var/log/suricata/eve.json';
/** Runs Suricata with the layer's config: the service, the boot check and the daily update use it alike. */
const WRAPPER = '/usr/local/sbin/defence-in-depth-suricata';

export interface SensorConfigOptions {
  /** CIDRs of the web tier (Suricata's HOME_NET). Tokens allowed (user data is joined at deploy). */
  readonly homeNet: string[];
  readonly ruleSources: string[];
  readonly localRules: string[];
  /** Where the local rules file lives (tests point it elsewhere). */
  readonly localRulesPath?: string;
}

/**
 * Suricata settings layered over Debian's `/etc/suricata/suricata.yaml` with
 * `--include`. A top-level section given here replaces Debian's whole (lists
 * and maps alike), so only sections written out in full are here; HOME_NET is
 * set with `--set` (see `suricataArguments`) to keep Debian's other variables.
 * Debian's config already decodes VXLAN on UDP 4789.
 */
export function renderSuricataOverrides(o: Pick<SensorConfigOptions, 'localRulesPath'>): string {
  return `%YAML 1.1
---
# Rendered by cdk-defence-in-depth (monitor layer). Loaded with: suricata --include ${CONFIG}
default-rule-path: /var/lib/suricata/rules
rule-files:
  - suricata.rules
  - ${o.localRulesPath ?? LOCAL_RULES}

# Mirrored packets arrive VXLAN-encapsulated on UDP ${VXLAN_PORT}; the sensor's own traffic is not inspected.
af-packet:
  - interface: ${PRIMARY_INTERFACE}
    cluster-id: 99
    cluster-type: cluster_flow
    defrag: yes
    bpf-filter: "udp dst port ${VXLAN_PORT}"
    # Traffic Mirroring copies packets before checksum offload: their checksums may be wrong.
    checksum-checks: no

pcap-file:
  checksum-checks: no

stats:
  enabled: yes
  interval: 60

# Alerts, decoder anomalies and per-minute stats (the sensor's log chatter) only: eve.json goes to CloudWatch.
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      community-id: true
      types:
        - alert:
            tagged-packets: no
        - anomaly:
            enabled: yes
        - stats:
            totals: yes
            threads: no
            deltas: yes
`;
}

/** The arguments that load Debian's config, the overrides and the web tier's HOME_NET. */
export function suricataArguments(o: Pick<SensorConfigOptions, 'homeNet'>, overridesPath = CONFIG): string[] {
  return ['-c', '/etc/suricata/suricata.yaml', '--include', overridesPath, '--set', `vars.address-groups.HOME_NET=[${o.homeNet.join(',')}]`];
}

/** The local rules: the monitor's canary (proves the sensors see mirrored web traffic) and the user's own. */
export function renderLocalRules(localRules: string[]): string {
  return [
    '# Rendered by cdk-defence-in-depth (monitor layer).',
    // Priority 4: the canary is expected traffic; the sensor alert alarm counts priorities 1 and 2 only.
    `alert http any any -> $HOME_NET any (msg:"cdk-defence-in-depth monitor canary"; flow:established,to_server; http.uri; content:"${MONITOR_CANARY_PATH}"; sid:${CANARY_SID}; rev:1; priority:4;)`,
    ...localRules,
    '',
  ].join('\n');
}

/** A health endpoint for the load balancer: 200 while Suricata runs and eve.json was written in the last 3 minutes. */
export function renderHealthServer(): string {
  return `#!/usr/bin/env python3
# Rendered by cdk-defence-in-depth (monitor layer): the sensor's health for the load balancer.
import http.server, os, subprocess, time

def healthy():
    running = subprocess.run(["systemctl", "is-active", "--quiet", "suricata"]).returncode == 0
    try:
        fresh = time.time() - os.path.getmtime("${EVE_LOG}") < 180
    except OSError:
        fresh = False
    return running and fresh

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = healthy()
        self.send_response(200 if ok else 503)
        self.end_headers()
        self.wfile.write(b"ok\\n" if ok else b"suricata down or silent\\n")
    def log_message(self, *args):
        pass

http.server.HTTPServer(("0.0.0.0", ${SENSOR_HEALTH_PORT}), Health).serve_forever()
`;
}

/**
 * The sensors' firewall. Mirrored packets are dropped after capture (af-packet
 * sees them first), so the sensor never answers them, not even with an ICMP
 * port-unreachable a web host could notice. Only the health port is open.
 */
export function renderSensorFirewall(): string {
  return `#!/usr/sbin/nft -f
flush ruleset
table inet defence_in_depth {
  chain input {
    type filter hook input priority 0; policy drop;
    iifname "lo" accept
    ct state established,related accept
    tcp dport ${SENSOR_HEALTH_PORT} accept
  }
}
`;
}

/**
 * User data of a sensor: Debian 12 with Suricata from bookworm-backports (7.0,
 * Debian's own build; bookworm itself has no Suricata), the rules from
 * suricata-update at boot and daily, the files above, and the CloudWatch agent
 * shipping eve.json to the monitor layer's log group. A config or rule that
 * does not load stops the script: the sensor never turns healthy.
 */
export function sensorUserData(o: SensorConfigOptions, logGroupName: string, region: string): string[] {
  const file = (path: string, content: string, mode = '0644') =>
    `install -D -m ${mode} /dev/stdin ${path} <<'DEFENCE_IN_DEPTH_EOF'\n${content}DEFENCE_IN_DEPTH_EOF`;
  return [
    'set -euxo pipefail',
    'export DEBIAN_FRONTEND=noninteractive',
    `cat > /etc/apt/sources.list.d/bookworm-backports.list <<'DEFENCE_IN_DEPTH_EOF'
deb http://deb.debian.org/debian bookworm-backports main
DEFENCE_IN_DEPTH_EOF`,
    'apt-get update',
    'apt-get install -y -t bookworm-backports suricata',
    'apt-get install -y suricata-update nftables curl python3',
    'systemctl stop suricata || true',
    file(CONFIG, renderSuricataOverrides({})),
    `sed -i "s/${PRIMARY_INTERFACE}/$(ip route show default | awk '{print $5; exit}')/" ${CONFIG}`,
    file(LOCAL_RULES, renderLocalRules(o.localRules)),
    file('/usr/local/lib/defence-in-depth/sensor-health.py', renderHealthServer(), '0755'),
    file('/etc/nftables.conf', renderSensorFirewall(), '0755'),
    ...o.ruleSources.map(s => `suricata-update enable-source ${s}`),
    // A failed download keeps the sensor on the local rules until the daily update succeeds.
    'suricata-update --no-test || echo "suricata-update failed: local rules only until the next update" >&2',
    'touch /var/lib/suricata/rules/suricata.rules',
    file(WRAPPER, `#!/bin/sh\nexec /usr/bin/suricata ${suricataArguments(o).map(a => `'${a}'`).join(' ')} "$@"\n`, '0755'),
    `${WRAPPER} -T`,
    file('/etc/systemd/system/suricata.service.d/defence-in-depth.conf', `[Service]
ExecStart=
ExecStart=${WRAPPER} -D --af-packet --pidfile /run/suricata.pid
`),
    file('/etc/systemd/system/suricata-update.service', `[Unit]
Description=Update the Suricata rules (cdk-defence-in-depth monitor layer)
[Service]
Type=oneshot
ExecStart=/usr/bin/suricata-update --no-test
ExecStartPost=${WRAPPER} -T
ExecStartPost=/usr/bin/systemctl reload suricata
`),
    file('/etc/systemd/system/suricata-update.timer', `[Unit]
Description=Update the Suricata rules daily
[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true
[Install]
WantedBy=timers.target
`),
    file('/etc/systemd/system/sensor-health.service', `[Unit]
Description=Sensor health for the load balancer (cdk-defence-in-depth monitor layer)
After=suricata.service
[Service]
ExecStart=/usr/bin/python3 /usr/local/lib/defence-in-depth/sensor-health.py
Restart=always
DynamicUser=yes
[Install]
WantedBy=multi-user.target
`),
    'systemctl daemon-reload',
    'systemctl enable --now nftables',
    'systemctl enable suricata suricata-update.timer sensor-health',
    'systemctl restart suricata',
    'systemctl start suricata-update.timer sensor-health',
    ...awsAgentCommands(region, [{ path: EVE_LOG, logGroupName, streamSuffix: 'eve.json' }]),
  ];
}
