import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import * as ts from 'typescript';

// A user installs the library with its dependencies only (aws-cdk-lib, constructs, cdk-nag).
// Handlers (*.lambda.ts) load SDK clients that only the Lambda runtime provides, so nothing the
// package's entry point loads may require a handler module or an SDK client. The files are
// transpiled as the compiler emits them, so type-only imports (elided) do not count.

const SRC = path.resolve(__dirname, '../../src');

function requiresOf(file: string): string[] {
  const js = ts.transpileModule(fs.readFileSync(file, 'utf-8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  return [...js.matchAll(/require\("([^"]+)"\)/g)].map(m => m[1]);
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`cannot resolve '${spec}' from ${from}`);
}

/** Every module loaded by requiring `entry`, with the chain that loads it. */
function loadedModules(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of requiresOf(file)) {
      const key = spec.startsWith('.') ? resolveLocal(file, spec) : spec;
      if (seen.has(key)) continue;
      seen.set(key, [...seen.get(file)!, key]);
      if (spec.startsWith('.')) queue.push(key);
    }
  }
  return seen;
}

test('the package entry point loads no handler module and no SDK client', () => {
  const loaded = loadedModules(path.join(SRC, 'index.ts'));
  // The walk found the library (sanity: it would be vacuous otherwise).
  expect([...loaded.keys()].filter(k => k.startsWith(SRC)).length).toBeGreaterThan(40);
  const offending = [...loaded.entries()]
    .filter(([key]) => /\.lambda\.ts$/.test(key) || /^@aws-sdk\/|^@smithy\//.test(key))
    .map(([, chain]) => chain.map(c => path.relative(SRC, c) || c).join(' -> '));
  expect(offending).toEqual([]);
});

test('the dependencies loaded are the package\'s own dependencies', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(SRC, '../package.json'), 'utf-8'));
  const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const external = [...loadedModules(path.join(SRC, 'index.ts')).keys()]
    .filter(k => !k.startsWith('/'))
    .map(k => (k.startsWith('@') ? k.split('/').slice(0, 2).join('/') : k.split('/')[0]))
    .filter(name => !name.startsWith('node:') && !builtinModules.includes(name));
  expect([...new Set(external)].filter(name => !allowed.has(name))).toEqual([]);
});
