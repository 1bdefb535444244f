// Prints a short summary of a synthesized cloud assembly: layers, resources per
// layer, resources outside every layer, the isolation report and the policy checks that ran.
import * as fs from 'fs';
import * as path from 'path';

const LAYER_KEY = 'cdk-defence-in-depth:layer';
const outdir = process.argv[2] ?? 'cdk.out';

interface Row { layer: string; stack: string; resources: number }

function main(): number {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  const rows: Row[] = [];
  const outside: string[] = [];
  let stacks = 0;
  for (const [name, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    stacks++;
    const template = JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties.templateFile), 'utf8'));
    const account = artifact.environment?.replace('aws://', '') ?? '';
    for (const [logicalId, resource] of Object.entries<any>(template.Resources ?? {})) {
      if (resource.Type === 'AWS::CDK::Metadata') continue;
      const layer = resource.Metadata?.[LAYER_KEY];
      if (!layer) { outside.push(`${name}/${logicalId} (${resource.Type})`); continue; }
      const stack = `${name} (${account})`;
      const row = rows.find(r => r.layer === layer && r.stack === stack);
      if (row) row.resources++; else rows.push({ layer, stack, resources: 1 });
    }
  }

  console.log(`\ncdk-defence-in-depth: ${stacks} stacks synthesized into ${outdir}/\n`);
  console.log(`  ${'layer'.padEnd(10)} ${'stack (environment)'.padEnd(44)} resources`);
  for (const r of rows) console.log(`  ${r.layer.padEnd(10)} ${r.stack.padEnd(44)} ${String(r.resources).padStart(9)}`);
  console.log(`  ${'(none)'.padEnd(10)} ${'resources outside every layer'.padEnd(44)} ${String(outside.length).padStart(9)}`);
  for (const o of outside) console.log(`      ${o}`);

  // Policy validation plugins (cdk-nag) make `cdk synth` fail on any finding, so
  // reaching this script means none was left; the report lists failing plugins only.
  const reportFile = path.join(outdir, 'policy-validation-report.json');
  const failing = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')).pluginReports ?? [] : [];
  const acknowledged = countAcknowledgements(manifest);
  console.log('\nchecks:');
  console.log(`  ${failing.length === 0 ? 'passed' : 'FAILED'}  cdk-nag AwsSolutions and NIST 800-53 R5: ${failing.length} failing plugins, ${acknowledged} findings acknowledged with reasons`);
  console.log(`  ${failing.length === 0 ? 'passed' : 'FAILED'}  DefenceInDepthChecks (policy pack, see RULES.md)`);
  console.log(`  ${outside.length === 0 ? 'passed' : 'FAILED'}  layer membership: every resource belongs to exactly one layer`);
  const isolation = isolationSummary();
  console.log(`  ${isolation.ok ? 'passed' : 'FAILED'}  isolation: ${isolation.text}`);
  console.log('');
  return outside.length === 0 && isolation.ok ? 0 : 1;
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

function countAcknowledgements(manifest: any): number {
  let count = 0;
  for (const [name, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    // Newer assemblies keep a stack's metadata in <stack>.metadata.json.
    const file = path.join(outdir, `${name}.metadata.json`);
    const metadata = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : artifact.metadata ?? {};
    for (const entries of Object.values<any>(metadata)) {
      count += entries.filter((e: any) => e.type === 'aws:cdk:acknowledged-rules').length;
    }
  }
  return count;
}

process.exitCode = main();
