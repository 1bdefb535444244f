import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LogArchive } from '../../src/archive';
import { rulesMarkdown } from '../../src/checks/rules/rules-table';
import { DefenceLayer } from '../../src/core';
import { analyse } from '../helpers/isolation';

const readReport = (outdir: string) => ({
  md: fs.readFileSync(path.join(outdir, 'defence-in-depth', 'report.md'), 'utf-8'),
  json: JSON.parse(fs.readFileSync(path.join(outdir, 'defence-in-depth', 'report.json'), 'utf-8')),
});

describe('report', () => {
  // A short circuit, an observes edge, an exemption and delivery paths in one app.
  const r = analyse(app => {
    const s = new Stack(app, 'S');
    const archive = new LogArchive(s, 'Archive');
    const edge = new DefenceLayer(s, 'Edge', { layerName: 'edge' });
    const host = new DefenceLayer(s, 'Host', { layerName: 'host' });
    for (const layer of [edge, host]) {
      const p = archive.addDeliveryPath(layer, 'Logs');
      p.addLogGroup(new logs.LogGroup(layer, 'App', { encryptionKey: p.encryptionKey }));
    }
    const shared = new sns.Topic(s, 'Shared');
    const allowed = new sns.Topic(s, 'Allowed');
    DefenceLayer.allowShared(allowed, { reason: 'status page updates, best effort' });
    for (const layer of [edge, host]) {
      const role = new iam.Role(layer, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      shared.grantPublish(role);
      allowed.grantPublish(role);
    }
    const heartbeat = new logs.LogGroup(host, 'Heartbeat');
    edge.observe(heartbeat, { reason: 'reads the host heartbeat' });
    new iam.Role(edge, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') })
      .addToPolicy(new iam.PolicyStatement({ actions: ['logs:FilterLogEvents'], resources: [heartbeat.logGroupArn] }));
  });
  const { md, json } = readReport(r.app.outdir);

  test('report.json carries the summary, the short circuit with both chains, observes, exemptions and the matrix', () => {
    expect(json.summary).toMatchObject({ stacks: 1, layers: 3, shortCircuits: 1 });
    expect(json.shortCircuits).toEqual([expect.objectContaining({
      resource: expect.objectContaining({ type: 'AWS::SNS::Topic', path: 'S/Shared/Resource', stack: 'S', layer: null }),
      layers: ['edge', 'host'],
      chains: {
        edge: [expect.objectContaining({ path: 'S/Edge/Role/DefaultPolicy/Resource', via: null }), expect.objectContaining({ path: 'S/Shared/Resource', via: expect.stringContaining('sns:Publish') })],
        host: [expect.objectContaining({ path: 'S/Host/Role/DefaultPolicy/Resource', via: null }), expect.objectContaining({ path: 'S/Shared/Resource' })],
      },
    })]);
    const edge = json.layers.find((l: any) => l.name === 'edge');
    expect(edge).toMatchObject({ stacks: ['S'], observes: 1, deliversInto: ['S/Archive/Archive/Bucket/Resource', 'S/Archive/Key/Resource'] });
    // The exempted topic is still a dependency; it is just allowed.
    expect(edge.dependsOn.map((d: any) => d.path)).toEqual(['S/Allowed/Resource', 'S/Shared/Resource']);
    expect(json.observes).toEqual([expect.objectContaining({ layer: 'edge', reason: 'reads the host heartbeat', to: expect.objectContaining({ path: 'S/Host/Heartbeat/Resource' }) })]);
    expect(json.exemptions).toEqual([expect.objectContaining({ reason: 'status page updates, best effort', sharedBy: ['edge', 'host'], builtIn: false })]);
    const noShared = json.checks.find((c: any) => c.rule === 'DefenceInDepth-NoSharedDependency');
    expect(noShared.layers).toEqual({ 'archive': 'pass', 'edge': 'fail', 'host': 'fail', '(outside every layer)': 'n/a' });
    const logging = json.checks.find((c: any) => c.rule === 'DefenceInDepth-RemoteLoggingPerLayer');
    // The heartbeat log group is not shipped: host fails, edge passes, the archive is not checked.
    expect(logging.layers).toMatchObject({ archive: 'n/a', edge: 'pass', host: 'fail' });
  });

  test('report.md: a Mermaid diagram with layer groups, red short circuit, delivery and observes edges', () => {
    const diagram = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3));
    expect(diagram).toMatch(/subgraph g\d+\["layer: edge \(\d+\)"\]/);
    expect(diagram).toMatch(/subgraph g\d+\["\(outside every layer\) \(\d+\)"\]/);
    const shared = /(n\d+)\["AWS::SNS::Topic<br\/>Shared\w+"\]/.exec(diagram)![1];
    expect(diagram).toContain(`class ${shared} shortCircuit`);
    expect(diagram).toMatch(new RegExp(`n\\d+ -->\\|edge\\| ${shared}`));
    expect(diagram).toMatch(/linkStyle [\d,]+ stroke:#c00/);
    expect(diagram).toMatch(/==>\|delivers logs\|/);
    expect(diagram).toMatch(/-\.->\|observes\|/);
  });

  test('report.md: the matrix, the finding with chains, observes edges and exemptions with reasons', () => {
    expect(md).toMatch(/\| edge \| S \| \d+ \| `S\/Allowed\/Resource`, `S\/Shared\/Resource` \| 1 \| `S\/Archive\/Archive\/Bucket\/Resource`, `S\/Archive\/Key\/Resource` \|/);
    expect(md).toContain('| check | archive | edge | host | (outside every layer) |');
    expect(md).toContain('| DefenceInDepth-NoSharedDependency | ✅ pass | ❌ fail | ❌ fail | — n/a |');
    expect(md).toMatch(/### 1\. `AWS::SNS::Topic` `Shared\w+`: layers `edge` and `host`/);
    expect(md).toMatch(/- `host`: AWS::IAM::Policy \w+ \(S\/Host\/Role\/DefaultPolicy\/Resource\) --\[Ref in PolicyDocument \(grants sns:Publish\)\]--> AWS::SNS::Topic/);
    expect(md).toContain('| edge | `S/Edge/Reader/DefaultPolicy/Resource` | `S/Host/Heartbeat/Resource` | reads the host heartbeat |');
    expect(md).toContain('| `AWS::SNS::Topic` `S/Allowed/Resource` | edge, host | any | status page updates, best effort |');
    expect(md).toMatch(/### DefenceInDepth-RemoteLoggingPerLayer \(error\)[\s\S]*Heartbeat/);
  });

  test('large layers are summarised per resource type in the diagram', () => {
    const big = analyse(app => {
      const s = new Stack(app, 'S');
      const layer = new DefenceLayer(s, 'Edge', { layerName: 'edge' });
      for (let i = 0; i < 20; i++) new sns.Topic(layer, `T${i}`);
      new sns.Topic(new DefenceLayer(s, 'Host', { layerName: 'host' }), 'T');
    });
    const diagram = readReport(big.app.outdir).md;
    expect(diagram).toContain('["AWS::SNS::Topic ×20"]');
    expect(diagram).not.toMatch(/Topic<br\/>EdgeT1\d/);
  });
});

describe('RULES.md', () => {
  test('lists every rule of the pack and is up to date (npx projen rules-doc)', () => {
    const onDisk = fs.readFileSync(path.join(__dirname, '..', '..', 'RULES.md'), 'utf-8');
    expect(onDisk).toBe(rulesMarkdown());
    for (const id of ['NoSharedDependency', 'RemoteLoggingPerLayer', 'ImmutableArchive', 'NoAdminIngressFromInternet', 'WafNotCountOnly']) {
      expect(onDisk).toContain(`| \`DefenceInDepth-${id}\` | error |`);
    }
  });
});

describe('cdk synth', () => {
  test('exits non-zero on a short circuit and prints both layers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'did-cli-'));
    const root = path.resolve(__dirname, '..', '..');
    const result = spawnSync(path.join(root, 'node_modules', '.bin', 'cdk'), [
      'synth', '--quiet', '--no-notices', '--output', path.join(dir, 'cdk.out'),
      '--app', `${path.join(root, 'node_modules', '.bin', 'ts-node')} --transpile-only --project ${path.join(root, 'test', 'tsconfig.json')} ${path.join(root, 'test', 'fixtures', 'short-circuit-app.ts')}`,
    ], { cwd: root, encoding: 'utf-8', timeout: 110_000 });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/AWS::SNS::Topic 'Shared\w+' in stack 'Cli' at 'Cli\/Shared\/Resource' is shared by layers 'edge' and 'host'/);
    expect(fs.existsSync(path.join(dir, 'cdk.out', 'defence-in-depth', 'report.md'))).toBe(true);
  });
});
