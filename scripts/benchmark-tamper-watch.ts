// Benchmark: what the tamper watch adds to `app.synth()` of a whole defended service.
//
//   npx projen benchmark-tamper-watch          # 7 rounds
//   npx projen benchmark-tamper-watch -- 11    # chosen rounds
//
// Each round builds the minimal example's service twice, fresh: once with the tamper
// watch's rules left out (its build step skipped: the baseline) and once as shipped,
// alternating which goes first, and times `app.synth()` only. It reports the medians,
// their ratio, and how many rules and resources the tamper watch adds.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { DefendedWebService } from '../src/service';
import { TamperWatch } from '../src/tamper';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const CERT = 'arn:aws:acm:eu-west-1:111111111111:certificate/0d3c4c2e-1111-2222-3333-444455556666';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function synth(withRules: boolean): { ms: number; resources: number; rules: number } {
  const build = TamperWatch.prototype._build;
  if (!withRules) TamperWatch.prototype._build = () => undefined;
  try {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'did-bench-')), context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new Stack(app, 'Service', { env: ENV });
    new DefendedWebService(stack, 'Web', {
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
      domainName: 'app.example.com',
      watch: { emails: ['security@example.com'] },
    });
    const start = process.hrtime.bigint();
    const assembly = app.synth();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const template = assembly.getStackByName('Service').template as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> };
    const resources = Object.values(template.Resources);
    const rules = resources.filter(r => r.Type === 'AWS::Events::Rule' && r.Metadata?.['cdk-defence-in-depth:tamper-watch']).length;
    fs.rmSync(assembly.directory, { recursive: true, force: true });
    return { ms, resources: resources.length, rules };
  } finally {
    TamperWatch.prototype._build = build;
  }
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 7);
  synth(true); // warm-up: module loading and JIT
  const without: number[] = [];
  const withRules: number[] = [];
  let counts = { base: 0, full: 0, rules: 0 };
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [false, true] : [true, false];
    for (const rulesOn of order) {
      const r = synth(rulesOn);
      (rulesOn ? withRules : without).push(r.ms);
      if (rulesOn) counts = { ...counts, full: r.resources, rules: r.rules };
      else counts = { ...counts, base: r.resources };
    }
  }
  const [a, b] = [median(without), median(withRules)];
  console.log(`tamper watch, ${rounds} rounds: synth ${a.toFixed(0)} ms without its rules, ${b.toFixed(0)} ms with them: ratio ${(b / a).toFixed(3)}`);
  console.log(`  resources ${counts.base} -> ${counts.full} (${counts.rules} EventBridge rules, plus their per-layer log groups, metric filters and alarms)`);
}

main();
