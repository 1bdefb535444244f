// Prints a short summary of a synthesized cloud assembly: layers, resources per
// layer, the network outside every layer, the policy checks that ran, the isolation
// report and an estimated monthly cost per layer.
import * as fs from 'fs';
import * as path from 'path';
import { estimateMonthlyCost, LAYER_KEY, StackTemplate, STATED_TRAFFIC } from './cost/estimate';
import { PRICE_TABLE } from './cost/prices';

const outdir = process.argv[2] ?? 'cdk.out';

interface Row { layer: string; stack: string; resources: number }

function main(): number {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  const rows: Row[] = [];
  const outside = new Map<string, number>();
  const stacks: StackTemplate[] = [];
  for (const [name, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const template = JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties.templateFile), 'utf8'));
    stacks.push({ name, template });
    const account = artifact.environment?.replace('aws://', '') ?? '';
    for (const resource of Object.values<any>(template.Resources ?? {})) {
      if (resource.Type === 'AWS::CDK::Metadata') continue;
      const layer = resource.Metadata?.[LAYER_KEY];
      if (!layer) { outside.set(resource.Type, (outside.get(resource.Type) ?? 0) + 1); continue; }
      const stack = `${name} (${account})`;
      const row = rows.find(r => r.layer === layer && r.stack === stack);
      if (row) row.resources++; else rows.push({ layer, stack, resources: 1 });
    }
  }

  console.log(`\ncdk-defence-in-depth: ${stacks.length} stacks synthesized into ${outdir}/\n`);
  console.log(`  ${'layer'.padEnd(10)} ${'stack (environment)'.padEnd(44)} resources`);
  for (const r of rows) console.log(`  ${r.layer.padEnd(10)} ${r.stack.padEnd(44)} ${String(r.resources).padStart(9)}`);
  const outsideCount = [...outside.values()].reduce((a, b) => a + b, 0);
  console.log(`  ${'(none)'.padEnd(10)} ${'network, outside every layer'.padEnd(44)} ${String(outsideCount).padStart(9)}`);
  if (outsideCount > 0) console.log(`      ${[...outside.entries()].map(([type, n]) => `${n} ${type.replace(/^AWS::/, '')}`).join(', ')}`);

  // Policy-validation plugins make `cdk synth` fail on any finding, so reaching this
  // script means none was left; the report is read all the same.
  const reportFile = path.join(outdir, 'policy-validation-report.json');
  const reports: any[] = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')).pluginReports ?? [] : [];
  const failing = reports.filter(r => r.summary?.status !== 'success');
  const acks = acknowledgements(manifest);
  const verdict = (plugin: RegExp) => (failing.some(r => plugin.test(r.summary?.pluginName ?? '')) ? 'FAILED' : 'passed');
  console.log('\nchecks:');
  console.log(`  ${verdict(/AwsSolutions|NIST/)}  cdk-nag AwsSolutions and NIST 800-53 R5: 0 unacknowledged, ${acks.nag} acknowledged with reasons`);
  console.log(`  ${verdict(/cfn-?guard/i)}  CloudFormation Guard (Control Tower rules): 0 unacknowledged, ${acks.guard} acknowledged with reasons`);
  console.log(`  ${verdict(/DefenceInDepth/)}  DefenceInDepthChecks (policy pack, see RULES.md)`);
  const isolation = isolationSummary();
  console.log(`  ${isolation.ok ? 'passed' : 'FAILED'}  isolation: ${isolation.text}`);

  const costs = estimateMonthlyCost(stacks, STATED_TRAFFIC);
  const total = costs.reduce((sum, c) => sum + c.usd, 0);
  console.log(`\nestimated monthly cost at ${STATED_TRAFFIC.requestsPerMonth / 1e6} M requests/month of ${STATED_TRAFFIC.kibPerRequest} KiB`
    + ` (prices of ${PRICE_TABLE.asOf}, ${PRICE_TABLE.region.split(' (')[0]}; scripts/cost/prices.ts):`);
  for (const c of costs) {
    const top = c.items.slice(0, 3).map(i => `${i.what} $${i.usd.toFixed(2)}`).join('; ');
    console.log(`  ${c.layer.padEnd(31)} ${`$${c.usd.toFixed(2)}`.padStart(9)}   ${top}`);
    for (const note of c.notes) console.log(`  ${''.padEnd(31)} ${''.padStart(9)}   note: ${note}`);
  }
  console.log(`  ${'total'.padEnd(31)} ${`$${total.toFixed(2)}`.padStart(9)}`);
  console.log(`  source: ${PRICE_TABLE.source}`);
  console.log('');
  return isolation.ok && failing.length === 0 ? 0 : 1;
}

/** The synth-time isolation check's verdict, from cdk.out/defence-in-depth/report.json. */
function isolationSummary(): { ok: boolean; text: string } {
  const file = path.join(outdir, 'defence-in-depth', 'report.json');
  if (!fs.existsSync(file)) return { ok: false, text: `no report at ${file}` };
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const { shortCircuits } = report.summary;
  return {
    ok: shortCircuits === 0,
    text: `${shortCircuits} short circuits, ${report.deliveries.length} own delivery edges into the archive, ${(report.protections ?? []).length} protection edges (web ACL → what it guards), `
      + `${report.exemptions.length} exemptions; report: ${path.join(outdir, 'defence-in-depth', 'report.md')}`,
  };
}

/** Acknowledged findings recorded in the assembly's metadata: cdk-nag's and Guard's. */
function acknowledgements(manifest: any): { nag: number; guard: number } {
  const count = { nag: 0, guard: 0 };
  for (const [name, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    // Newer assemblies keep a stack's metadata in <stack>.metadata.json.
    const file = path.join(outdir, `${name}.metadata.json`);
    const metadata = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : artifact.metadata ?? {};
    for (const entries of Object.values<any>(metadata)) {
      for (const e of entries.filter((x: any) => x.type === 'aws:cdk:acknowledged-rules')) {
        for (const id of Object.keys(e.data ?? {})) {
          if (id.startsWith('cdk-validator-cfnguard::')) count.guard++;
          else if (/(^|::)(AwsSolutions|NIST)/.test(id)) count.nag++;
        }
      }
    }
  }
  return count;
}

process.exitCode = main();
