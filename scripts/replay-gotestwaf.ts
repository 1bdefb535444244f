// Replays the GoTestWAF test cases against the host filter for each profile and
// paranoia level, on loopback, and prints the true-positive block rate per class
// and the false-positive pass rate.
//
//   TS_NODE_PROJECT=scripts/tsconfig.json node -r ts-node/register/transpile-only scripts/replay-gotestwaf.ts
//     [--profiles website,json-api,forum] [--levels 1,2,3,4] [--concurrency 8] [--json FILE] [--corpus DIR]
//
// Needs Debian 12's nginx, libnginx-mod-http-modsecurity and modsecurity-crs, and the
// corpus (default ../shared/corpus). Each run renders the filter into a temporary
// directory, starts nginx, replays, stops nginx and removes the directory.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostFilterProfile } from '../src/host/host-filter-options';
import { LocalHostFilter, missingRuntime } from '../src/host/runtime/local-host-filter';
import { freePort } from '../test/helpers/loopback';
import {
  formatGoTestWafMatrix, formatGoTestWafTable, GoTestWafResult, loadGoTestWafCases, replayGoTestWaf, startOkUpstream,
} from '../test/host/corpus/gotestwaf';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const corpus = path.resolve(arg('corpus') ?? path.join(__dirname, '../../shared/corpus'));
  const profiles = (arg('profiles') ?? Object.values(HostFilterProfile).join(',')).split(',') as HostFilterProfile[];
  const levels = (arg('levels') ?? '1,2,3,4').split(',').map(Number);
  const concurrency = Number(arg('concurrency') ?? 8);
  const missing = missingRuntime();
  if (missing) {
    console.error(missing);
    return 2;
  }
  const { cases, excluded } = loadGoTestWafCases(corpus);
  console.log(`${cases.length} GoTestWAF cases from ${corpus}`);
  for (const e of excluded) console.log(`  excluded ${e.count} of ${e.set}/${e.class}: ${e.reason}`);

  const upstream = await startOkUpstream();
  const runs: Array<{ label: string; result: GoTestWafResult }> = [];
  let current: LocalHostFilter | undefined;
  // Ctrl-C must not leave nginx running.
  const onSignal = () => {
    void (current?.stop() ?? Promise.resolve()).then(() => upstream.close()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const profile of profiles) {
      for (const paranoiaLevel of levels) {
        const label = `${profile} PL${paranoiaLevel}`;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-gotestwaf-'));
        const port = await freePort();
        const filter = new LocalHostFilter({
          options: { profile, paranoiaLevel },
          dir,
          listen: `127.0.0.1:${port}`,
          upstream: upstream.url,
          workers: String(Math.max(1, Math.min(4, os.cpus().length))),
        });
        current = filter;
        try {
          await filter.start();
          const result = await replayGoTestWaf(`http://127.0.0.1:${port}`, cases, { concurrency });
          runs.push({ label, result });
          console.log(`\n${formatGoTestWafTable(result, label)}`);
        } finally {
          await filter.stop();
          current = undefined;
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await upstream.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  console.log(`\nTP block rate per class / FP pass rate, by profile and paranoia level:\n${formatGoTestWafMatrix(runs)}`);
  const json = arg('json');
  if (json) fs.writeFileSync(json, JSON.stringify({ excluded, runs }, null, 2));
  return 0;
}

main().then(code => { process.exitCode = code; }, e => {
  console.error(e);
  process.exitCode = 1;
});
