import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { checkedApp, PLACEHOLDERS } from '../../examples/shared/checked-app';
import { DefendedWebService } from '../../src';

// Each example is synthesized as a user would: the real `cdk` CLI (aws-cdk@^2) runs the
// app, with cdk-nag (AwsSolutions, NIST 800-53 R5), CloudFormation Guard (Control Tower
// rules) and DefenceInDepthChecks as policy-validation plugins: any unacknowledged
// finding fails the synth. The isolation report must show no short circuit.

const ROOT = path.join(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

interface Synthesized { readonly outdir: string; readonly templates: Record<string, any>; readonly report: any; readonly metadata: any[] }

function synthWithCli(example: string): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `example-${example}-`));
  const app = `npx ts-node --transpile-only --project examples/tsconfig.json examples/${example}/app.ts`;
  execFileSync(CDK, ['synth', '--app', app, '--output', outdir, '--quiet', '--no-version-reporting', '--no-notices'], {
    cwd: ROOT, stdio: 'pipe', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' }, timeout: 280_000,
  });
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf-8'));
  const templates: Record<string, any> = {};
  const metadata: any[] = [];
  for (const [name, artifact] of Object.entries<any>(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    templates[name] = JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties.templateFile), 'utf-8'));
    const file = path.join(outdir, `${name}.metadata.json`);
    const byPath = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf-8')) : artifact.metadata ?? {};
    for (const entries of Object.values<any>(byPath)) metadata.push(...entries);
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'defence-in-depth', 'report.json'), 'utf-8'));
  return { outdir, templates, report, metadata };
}

const acknowledged = (s: Synthesized) => s.metadata.filter(m => m.type === 'aws:cdk:acknowledged-rules')
  .flatMap(m => Object.entries<string>(m.data));

describe.each([
  ['minimal-ec2', ['MinimalEc2Service']],
  ['fargate', ['FargateService']],
  ['two-account', ['LogArchiveAccount', 'WorkloadAccount']],
])('example %s, synthesized with the real cdk CLI', (example, stacks) => {
  let synthesized: Synthesized;
  beforeAll(() => { synthesized = synthWithCli(example); }, 300_000);
  afterAll(() => fs.rmSync(synthesized.outdir, { recursive: true, force: true }));

  test('the synth passes every policy-validation plugin (cdk-nag, CloudFormation Guard, DefenceInDepthChecks)', () => {
    expect(Object.keys(synthesized.templates).sort()).toEqual([...stacks].sort());
    // The CLI would have failed on a finding; the report also lists the plugins that passed (with warnings).
    const file = path.join(synthesized.outdir, 'policy-validation-report.json');
    const reports: any[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf-8')).pluginReports ?? [] : [];
    expect(reports.filter(r => r.summary.status !== 'success').map(r => r.summary.pluginName)).toEqual([]);
  });

  test('a clean isolation report: five layers, no short circuit', () => {
    expect(synthesized.report.summary.shortCircuits).toBe(0);
    expect([...synthesized.report.layers.map((l: any) => l.name ?? l.layer ?? l)].sort()).toEqual(['archive', 'edge', 'host', 'monitor', 'watch']);
  });

  test('every exception (cdk-nag and Guard) carries a reason', () => {
    const acks = acknowledged(synthesized);
    expect(acks.filter(([id]) => id.startsWith('cdk-validator-cfnguard::')).length).toBeGreaterThan(10);
    for (const [id, reason] of acks) expect([id, reason.length > 40]).toEqual([id, true]);
  });
});

test('CloudFormation Guard is live in the examples: a non-compliant resource added to the minimal service fails the synth', () => {
  const app = checkedApp({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'guard-live-')) });
  const stack = new Stack(app, 'Live', { env: PLACEHOLDERS.env });
  new DefendedWebService(stack, 'Web', {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', PLACEHOLDERS.certificateArn),
    domainName: PLACEHOLDERS.domainName,
  });
  new s3.CfnBucket(stack, 'PlainBucket');
  expect(() => app.synth()).toThrow(/CT\.S3\.PR\.\d+[\s\S]*Live\/PlainBucket[\s\S]*cdk-validator-cfnguard::/);
});
