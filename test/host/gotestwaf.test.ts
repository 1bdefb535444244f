// The GoTestWAF test cases replayed against the real host filter (nginx +
// ModSecurity v3 + CRS 3.3.4 from Debian) on loopback, in front of an
// application that answers 200. Results go to test-reports/gotestwaf.json.
//
// Measured (2 cores, 820 cases: 679 true positives, 141 false positives; 2 gRPC
// cases excluded; 0 connection errors; about 4 s per run, 25 s for the file):
//
//   run           TP block rate       FP pass rate
//   website PL1   39.8% (270/679)     90.8% (128/141)  78.0% (110/141) with strictCrs (rule 932150)
//   json-api PL1  65.5% (445/679)     29.8% (42/141)   forms are not an allowed content type (920420)
//   forum PL1     39.8% (270/679)     90.8% (128/141)  GoTestWAF's random parameter names never hit the code fields
//   website PL2   52.1% (354/679)     42.6% (60/141)
// Stock Debian CRS at PL1 (scripts/benchmark-host-filter.ts): 39.3% (267/679), 78.0% (110/141).
//
// Why the TP rates are low: a third of the owasp cases are Base64Flat-encoded (CRS
// does not decode base64), CRS 3.3 does not inspect custom headers (Header) or look
// for injections in the path (URLPath) at PL1, and misses XXE at PL1-2. 4 cases per
// run get a 400, not a 403 (LF-only multipart body, unparsable XML, %00 in the path):
// they count as passed here, though they never reach the application.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  formatGoTestWafTable, GoTestWafCases, GoTestWafResult, loadGoTestWafCases, replayGoTestWaf, startOkUpstream,
} from './corpus/gotestwaf';
import { HostFilterProfile } from '../../src/host/host-filter-options';
import { LocalHostFilter, missingRuntime } from '../../src/host/runtime/local-host-filter';
import { freePort } from '../helpers/loopback';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const REPORT = path.resolve(__dirname, '../../test-reports/gotestwaf.json');
const skipReason = !fs.existsSync(CORPUS) ? `corpus not found at ${CORPUS}` : missingRuntime();
if (skipReason) console.log(`GoTestWAF replay skipped: ${skipReason}`);
// A skipped test whose name carries the reason, so the skip shows in jest's output and the junit report.
if (skipReason) test.skip(`GoTestWAF replay skipped: ${skipReason}`, () => undefined);

/** Measured figures (see the top of the file); the test allows MARGIN below them. */
const RUNS: Array<{ profile: HostFilterProfile; paranoiaLevel: number; tpBlockRate: number; fpPassRate: number }> = [
  { profile: HostFilterProfile.WEBSITE, paranoiaLevel: 1, tpBlockRate: 0.398, fpPassRate: 0.908 },
  { profile: HostFilterProfile.JSON_API, paranoiaLevel: 1, tpBlockRate: 0.655, fpPassRate: 0.298 },
  { profile: HostFilterProfile.FORUM, paranoiaLevel: 1, tpBlockRate: 0.398, fpPassRate: 0.908 },
  { profile: HostFilterProfile.WEBSITE, paranoiaLevel: 2, tpBlockRate: 0.521, fpPassRate: 0.426 },
];
const MARGIN = 0.02;
/** Loaded from the corpus: 820; fewer means cases went missing. */
const MIN_CASES = 800;
/** Placeholders whose payload CRS sees as a request argument. */
const ARG_PLACEHOLDERS = ['URLParam', 'HTMLForm', 'HTMLMultipartForm', 'JSONRequest'];

(skipReason ? describe.skip : describe)('GoTestWAF corpus against the host filter', () => {
  let corpus: GoTestWafCases;
  let upstream: { url: string; close: () => Promise<void> } | undefined;
  const results: Record<string, GoTestWafResult> = {};

  beforeAll(async () => {
    corpus = loadGoTestWafCases(CORPUS);
    upstream = await startOkUpstream();
  });

  afterAll(async () => {
    await upstream?.close();
    if (corpus) {
      fs.mkdirSync(path.dirname(REPORT), { recursive: true });
      fs.writeFileSync(REPORT, JSON.stringify({ cases: corpus.cases.length, excluded: corpus.excluded, runs: results }, null, 2));
    }
  });

  test('the corpus loads: every payload × encoder × placeholder, only gRPC left out', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(MIN_CASES);
    expect(new Set(corpus.cases.map(c => c.set))).toEqual(new Set(['owasp', 'owasp-api', 'community', 'false-pos']));
    expect(corpus.cases.filter(c => c.kind === 'false-positive').length).toBeGreaterThanOrEqual(140);
    expect(corpus.excluded.map(e => `${e.set}/${e.class}`)).toEqual(['owasp-api/grpc']);
  });

  test.each(RUNS)('$profile at paranoia level $paranoiaLevel', async run => {
    const label = `${run.profile} PL${run.paranoiaLevel}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gotestwaf-test-'));
    const port = await freePort();
    const filter = new LocalHostFilter({
      options: { profile: run.profile, paranoiaLevel: run.paranoiaLevel },
      dir,
      listen: `127.0.0.1:${port}`,
      upstream: upstream!.url,
      workers: '2',
    });
    let result: GoTestWafResult;
    try {
      await filter.start();
      result = await replayGoTestWaf(`http://127.0.0.1:${port}`, corpus.cases, { concurrency: 8 });
    } finally {
      await filter.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    results[label] = result;
    console.log(formatGoTestWafTable(result, label));

    // Every case was sent and answered: no vacuous pass.
    expect(result.cases).toBeGreaterThanOrEqual(MIN_CASES);
    expect(result.errors).toBe(0);
    expect(result.answered).toBe(result.cases);
    expect(result.truePositives.rate!).toBeGreaterThanOrEqual(run.tpBlockRate - MARGIN);
    expect(result.falsePositives.rate!).toBeGreaterThanOrEqual(run.fpPassRate - MARGIN);

    // Every 403 is the filter's (names the layer), not the application's.
    expect(result.blocksWithLayerHeader).toBe(result.statuses['403']);
    // The community set (large bodies, plain XSS/SQLi/RCE) is mostly blocked.
    const community = result.perSet.find(s => s.set === 'community')!;
    expect(community.rate!).toBeGreaterThanOrEqual(0.9);
    expect(result.perClass.find(c => c.class === 'community-sqli')!.rate).toBe(1);
    // URL-encoded SQL injection in an argument is blocked, except the JSON-function
    // payloads (JSON_EXTRACT, JSON_DEPTH), which CRS 3.3's SQLi rules do not know.
    const missedSqli = result.missedTruePositives
      .filter(m => m.class === 'sql-injection' && m.encoder === 'URL' && ARG_PLACEHOLDERS.includes(m.placeholder));
    expect(missedSqli.filter(m => !/JSON_(EXTRACT|DEPTH)/.test(m.payload))).toEqual([]);

    if (run.profile === HostFilterProfile.JSON_API) {
      // Forms are not an allowed content type of a JSON API: even benign ones are refused.
      const forms = result.perPlaceholder.filter(p => p.kind === 'false-positive' && p.placeholder !== 'URLParam');
      expect(forms.map(p => p.rate)).toEqual([0, 0]);
    }
    const pl1 = results[`${run.profile} PL1`];
    if (run.paranoiaLevel > 1 && pl1) {
      // A higher paranoia level blocks more attacks and more benign text.
      expect(result.truePositives.rate!).toBeGreaterThan(pl1.truePositives.rate!);
      expect(result.falsePositives.rate!).toBeLessThan(pl1.falsePositives.rate!);
    }
  }, 180_000);
});
