// The integration tests' runner, standing in for integ-runner (whose newest release
// cannot read the cloud assemblies of aws-cdk-lib 2.267; README, "Integration tests").
//
//   integ.ts snapshot   synthesize every test/integ/*.integ.ts app and compare its templates
//                       with the committed snapshots (offline; part of `npm test`)
//   integ.ts update     rewrite the snapshots (review the diff before committing)
//   integ.ts deploy     deploy each app with the cdk CLI into the account of your credentials:
//                       the assertions (integ-tests-alpha) run as part of the deploy and fail
//                       it when a layer does not block; then destroy it (--keep to keep it)
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

const ROOT = path.join(__dirname, '..');
export const INTEG_DIR = path.join(ROOT, 'test', 'integ');
export const SNAPSHOT_DIR = path.join(INTEG_DIR, 'snapshots');

interface IntegModule { readonly INTEG_NAME: string; buildIntegApp(app: App): unknown }

export function integApps(): Array<{ file: string; name: string; module: IntegModule }> {
  return fs.readdirSync(INTEG_DIR).filter(f => f.endsWith('.integ.ts')).sort().map(f => {
    // The apps are found by file name, so they are loaded by path.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(path.join(INTEG_DIR, f)) as IntegModule;
    return { file: path.join(INTEG_DIR, f), name: module.INTEG_NAME, module };
  });
}

/** Every stack template of an integ app, normalized: asset hashes and the CDK's own metadata left out. */
export function synthesizeInteg(module: IntegModule): Record<string, unknown> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-'));
  try {
    const app = new App({ outdir });
    module.buildIntegApp(app);
    const assembly = app.synth();
    const templates: Record<string, unknown> = {};
    for (const stack of assembly.stacks) templates[`${stack.id}.template.json`] = normalize(stack.template);
    return templates;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Asset hashes change with every bundle rebuild and toolchain, and integ-tests-alpha salts each assertion
 * with the synth time (so it runs on every deploy); the snapshot checks everything else.
 */
export function normalize(template: any): unknown {
  const copy = JSON.parse(JSON.stringify(template));
  delete copy.Resources?.CDKMetadata;
  delete copy.Conditions?.CDKMetadataAvailable;
  return JSON.parse(JSON.stringify(copy).replace(/[0-9a-f]{64}/g, '<asset-hash>').replace(/"salt":"\d+"/g, '"salt":"<synth-time>"'));
}

/** The first differences between two JSON values, as `path: expected → actual`. */
export function differences(expected: unknown, actual: unknown, at = '', out: string[] = [], max = 10): string[] {
  if (out.length >= max) return out;
  if (typeof expected !== typeof actual || Array.isArray(expected) !== Array.isArray(actual) || expected === null || actual === null
    || typeof expected !== 'object') {
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      out.push(`${at || '/'}: ${short(expected)} → ${short(actual)}`);
    }
    return out;
  }
  const keys = new Set([...Object.keys(expected as object), ...Object.keys(actual as object)]);
  for (const key of keys) differences((expected as any)[key], (actual as any)[key], `${at}/${key}`, out, max);
  return out;
}

function short(value: unknown): string {
  const s = value === undefined ? '(missing)' : JSON.stringify(value);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Compares every integ app with its snapshot; returns the problems found (empty: all match). */
export function checkSnapshots(): string[] {
  const problems: string[] = [];
  for (const { name, module } of integApps()) {
    const dir = path.join(SNAPSHOT_DIR, name);
    const actual = synthesizeInteg(module);
    const committed = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith('.template.json')) : [];
    for (const file of new Set([...Object.keys(actual), ...committed])) {
      if (!committed.includes(file)) { problems.push(`${name}/${file}: no snapshot (run: npx projen integ:update)`); continue; }
      if (!(file in actual)) { problems.push(`${name}/${file}: the app no longer has this stack`); continue; }
      const diffs = differences(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf-8')), actual[file]);
      if (diffs.length > 0) problems.push(`${name}/${file} differs from its snapshot:\n    ${diffs.join('\n    ')}`);
    }
  }
  return problems;
}

function updateSnapshots(): void {
  for (const { name, module } of integApps()) {
    const dir = path.join(SNAPSHOT_DIR, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, template] of Object.entries(synthesizeInteg(module))) {
      fs.writeFileSync(path.join(dir, file), JSON.stringify(template, null, 1) + '\n');
    }
    console.log(`snapshot written: ${path.relative(ROOT, dir)}`);
  }
}

function deploy(keep: boolean): void {
  const cdk = path.join(ROOT, 'node_modules', '.bin', 'cdk');
  for (const { file, name } of integApps()) {
    const app = `npx ts-node --transpile-only --project test/tsconfig.json ${path.relative(ROOT, file)}`;
    const outdir = path.join('cdk.out', 'integ', name);
    const run = (args: string[]) => execFileSync(cdk, [...args, '--app', app, '--output', outdir], { cwd: ROOT, stdio: 'inherit' });
    console.log(`== ${name}: deploy (the assertions run in the deploy and fail it when a layer does not block)`);
    try {
      run(['deploy', '--all', '--require-approval', 'never']);
      console.log(`== ${name}: every assertion passed`);
    } finally {
      if (!keep) run(['destroy', '--all', '--force']);
    }
  }
}

if (require.main === module) {
  const [mode = 'snapshot', flag] = process.argv.slice(2);
  if (mode === 'snapshot') {
    const problems = checkSnapshots();
    for (const p of problems) console.error(p);
    console.log(problems.length === 0 ? `integ snapshots match (${integApps().length} apps)` : `${problems.length} snapshot problem(s)`);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } else if (mode === 'update') {
    updateSnapshots();
  } else if (mode === 'deploy') {
    deploy(flag === '--keep');
  } else {
    console.error('usage: integ.ts snapshot | update | deploy [--keep]');
    process.exitCode = 2;
  }
}
