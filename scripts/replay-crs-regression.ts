// Replays the OWASP CRS 3.3.4 regression tests against the host filter on this
// machine (nginx + ModSecurity v3 + CRS from Debian) and prints the summary.
//
//   TS_NODE_PROJECT=scripts/tsconfig.json node -r ts-node/register/transpile-only scripts/replay-crs-regression.ts [options]
//
//   --corpus DIR     the corpus (default: ../shared/corpus/crs-v3.3.4-regression)
//   --only PATTERN   only YAML files whose "rule-file/yaml" path matches (a regular expression, e.g. 942|9201)
//   --json FILE      also write the full result as JSON
//   --failures N     print at most N failures (default: all)
//   --keep           keep the rendered filter and its logs (default: removed)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { missingRuntime } from '../src/host/runtime/local-host-filter';
import { CrsRegressionTarget, formatCrsRegressionSummary, replayCrsRegression, startCrsRegressionTarget } from '../test/host/corpus/crs-regression';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const corpusDir = path.resolve(arg('corpus') ?? path.join(__dirname, '../../shared/corpus/crs-v3.3.4-regression'));
  if (!fs.existsSync(corpusDir)) {
    console.error(`corpus not found: ${corpusDir}`);
    return 2;
  }
  const missing = missingRuntime();
  if (missing) {
    console.error(`cannot run the host filter here: ${missing}`);
    return 2;
  }
  const only = arg('only') === undefined ? undefined : new RegExp(arg('only')!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crs-regression-'));
  let target: CrsRegressionTarget | undefined;
  const stop = () => target?.stop();
  // Never leave nginx behind on Ctrl-C.
  process.once('SIGINT', () => void Promise.resolve(stop()).finally(() => process.exit(130)));
  try {
    target = await startCrsRegressionTarget(dir);
    console.error(`filter on 127.0.0.1:${target.port}, rendered into ${dir}`);
    let last = 0;
    const result = await replayCrsRegression({
      corpusDir,
      filter: target.filter,
      port: target.port,
      filterOptions: target.filterOptions,
      include: only ? (ruleFile, yamlFile) => only.test(`${ruleFile}/${yamlFile}`) : undefined,
      onProgress: (done, total) => {
        if (done === total || Date.now() - last > 2_000) {
          last = Date.now();
          process.stderr.write(`  ${done}/${total}\n`);
        }
      },
    });
    const json = arg('json');
    if (json) fs.writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
    const maxFailures = arg('failures') === undefined ? Infinity : Number(arg('failures'));
    console.log(formatCrsRegressionSummary(result, maxFailures));
    return 0;
  } finally {
    await stop();
    if (process.argv.includes('--keep')) console.error(`rendered files and logs kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(code => process.exit(code), e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
