// The sensors' rendered Suricata configuration, run for real: Debian's Suricata (bookworm-backports)
// with the layer's overrides reads mirrored traffic (VXLAN on UDP 4789) from a pcap and must alert
// on the monitor canary and on the user's own rules, and stay quiet on benign requests.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CANARY_SID } from '../../src/monitor/render/resolve-monitor-options';
import {
  MONITOR_CANARY_PATH, renderLocalRules, renderSensorFirewall, renderSuricataOverrides, suricataArguments,
} from '../../src/monitor/render/sensor-config';
import { mirroredSessionPcap } from '../helpers/vxlan-pcap';

const SURICATA = '/usr/bin/suricata';
const haveSuricata = fs.existsSync(SURICATA) && fs.existsSync('/etc/suricata/suricata.yaml');
if (!haveSuricata) {
  // Not a silent pass: the skip is named in the test report. .ci/run installs Suricata.
  console.warn(`SKIPPED: ${SURICATA} is not installed (apt-get install -t bookworm-backports suricata); the sensor runtime tests do not run.`);
}
const runtime = haveSuricata ? describe : describe.skip;

const USER_RULE = 'alert http any any -> $HOME_NET any (msg:"user rule: admin probe"; flow:established,to_server; http.uri; content:"/wp-admin"; sid:1000001; rev:1;)';

interface Alert { readonly sid: number; readonly signature: string; readonly src: string; readonly dest: string }

/** Replays one mirrored session through the rendered config and returns the alerts and the event types seen. */
function replay(request: string, homeNet = ['10.0.0.0/16']): { alerts: Alert[]; types: Set<string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensor-'));
  try {
    const rulesDir = path.join(dir, 'rules');
    fs.mkdirSync(rulesDir);
    fs.writeFileSync(path.join(rulesDir, 'suricata.rules'), ''); // what suricata-update writes; empty offline
    const localRules = path.join(dir, 'local.rules');
    fs.writeFileSync(localRules, renderLocalRules([USER_RULE]));
    const overrides = path.join(dir, 'overrides.yaml');
    fs.writeFileSync(overrides, renderSuricataOverrides({ localRulesPath: localRules }));
    const pcap = path.join(dir, 'mirrored.pcap');
    fs.writeFileSync(pcap, mirroredSessionPcap({
      client: '10.0.1.10',
      host: '10.0.2.20',
      hostPort: 8080,
      sensor: '10.0.9.30',
      request,
      response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok',
    }));
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const run = spawnSync(SURICATA, [...suricataArguments({ homeNet }, overrides), '--set', `default-rule-path=${rulesDir}`,
      '-r', pcap, '-l', logs, '--runmode', 'single'], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`suricata exited ${run.status}: ${run.stderr}\n${run.stdout}`);
    const events = fs.readFileSync(path.join(logs, 'eve.json'), 'utf8').trim().split('\n').filter(Boolean).map(l => JSON.parse(l));
    return {
      alerts: events.filter(e => e.event_type === 'alert').map(e => ({
        sid: e.alert.signature_id, signature: e.alert.signature, src: e.src_ip, dest: e.dest_ip,
      })),
      types: new Set(events.map(e => e.event_type)),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const get = (p: string) => `GET ${p} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: heartbeat\r\n\r\n`;

runtime('sensor runtime (Suricata on mirrored VXLAN traffic)', () => {
  test('the rendered configuration and rules load (suricata -T)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensor-t-'));
    try {
      fs.writeFileSync(path.join(dir, 'suricata.rules'), '');
      fs.writeFileSync(path.join(dir, 'local.rules'), renderLocalRules([USER_RULE]));
      fs.writeFileSync(path.join(dir, 'o.yaml'), renderSuricataOverrides({ localRulesPath: path.join(dir, 'local.rules') }));
      const out = execFileSync(SURICATA, [...suricataArguments({ homeNet: ['10.0.0.0/16'] }, path.join(dir, 'o.yaml')),
        '--set', `default-rule-path=${dir}`, '-T', '-l', dir, '-v'], { encoding: 'utf8', stdio: 'pipe' });
      expect(out).toMatch(/Configuration provided was successfully loaded/);
      expect(out).toMatch(/2 rules successfully loaded/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a broken local rule fails the boot check (the sensor never turns healthy)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensor-bad-'));
    try {
      fs.writeFileSync(path.join(dir, 'suricata.rules'), '');
      fs.writeFileSync(path.join(dir, 'local.rules'), renderLocalRules(['alert http any any -> any any (msg:"broken"; pcre:"/(unclosed/"; sid:1000002;)']));
      fs.writeFileSync(path.join(dir, 'o.yaml'), renderSuricataOverrides({ localRulesPath: path.join(dir, 'local.rules') }));
      const run = spawnSync(SURICATA, [...suricataArguments({ homeNet: ['10.0.0.0/16'] }, path.join(dir, 'o.yaml')),
        '--set', `default-rule-path=${dir}`, '-T', '-l', dir], { encoding: 'utf8' });
      expect(run.status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the monitor canary, mirrored through VXLAN, raises the canary alert with the inner addresses', () => {
    const { alerts, types } = replay(get(`${MONITOR_CANARY_PATH}?probe=1`));
    expect(alerts).toEqual([expect.objectContaining({ sid: CANARY_SID, src: '10.0.1.10', dest: '10.0.2.20' })]);
    expect(types.has('stats')).toBe(true);
  });

  test("the user's own rule alerts on its traffic", () => {
    const { alerts } = replay(get('/wp-admin/install.php'));
    expect(alerts.map(a => a.sid)).toEqual([1000001]);
  });

  test('a benign request raises no alert', () => {
    const { alerts } = replay(get('/products?page=2'));
    expect(alerts).toEqual([]);
  });

  test('outside HOME_NET the canary rule does not fire (HOME_NET is the web tier)', () => {
    const { alerts } = replay(get(MONITOR_CANARY_PATH), ['192.168.0.0/24']);
    expect(alerts.filter(a => a.sid === CANARY_SID)).toEqual([]);
  });
});

const nft = ['/usr/sbin/nft', '/sbin/nft'].find(p => fs.existsSync(p));
(nft ? test : test.skip)('the sensor firewall parses (nft --check)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nft-')), 'sensor.nft');
  fs.writeFileSync(file, renderSensorFirewall());
  const run = spawnSync(nft!, ['--check', '-f', file], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
