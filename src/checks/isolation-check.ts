import * as fs from 'fs';
import * as path from 'path';
import { Annotations, attachCustomSynthesis, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { analyseApp, DefenceAnalysis } from './defence-analysis';
import { DefenceValidationError } from '../core/validation-error';
import { reportJson, reportMarkdown } from './report/defence-report';
import { formatChain } from './rules/no-shared-dependency';

/**
 * Context key that sets what a short circuit does at synth: `enforce` (the
 * default) makes the synth fail; `report` only writes the report and warns,
 * for teams that gate on `DefenceInDepthChecks` in their pipeline instead.
 */
export const ISOLATION_CONTEXT_KEY = 'cdk-defence-in-depth:isolation';
/** The report's folder inside the cloud assembly. */
export const REPORT_DIRECTORY = 'defence-in-depth';

const REGISTERED = Symbol.for('cdk-defence-in-depth.isolationCheck');
/** Internal: lets the benchmark measure a synth without the analysis. Not an API. */
export const SKIP_FOR_BENCHMARK = Symbol.for('cdk-defence-in-depth.isolationCheck.skipForBenchmark');

type Mode = 'enforce' | 'report';

/**
 * Makes the synth of `layer`'s app run the isolation check: once all stacks
 * are written, the templates of the whole app are analysed, the report is
 * written to `<outdir>/defence-in-depth/`, and a short circuit fails the synth.
 * Called by every `DefenceLayer`; the first call per app registers the check.
 */
export function registerIsolationCheck(layer: IConstruct): void {
  const mode = isolationMode(layer);
  if (mode === 'report') {
    Annotations.of(layer).addWarningV2('cdk-defence-in-depth:isolation-report-only',
      `The isolation check only reports (context ${ISOLATION_CONTEXT_KEY}=report): a short circuit does not fail the synth. Gate on DefenceInDepthChecks in the pipeline.`);
  }
  const root = layer.node.root;
  if ((root as any)[REGISTERED] || !Stage.isStage(root)) return;
  Object.defineProperty(root, REGISTERED, { value: true });
  attachCustomSynthesis(root, {
    onSynthesize: session => {
      if ((root as any)[SKIP_FOR_BENCHMARK]) return;
      runIsolationCheck(root, session.outdir, mode);
    },
  });
}

function isolationMode(scope: IConstruct): Mode {
  const value = scope.node.tryGetContext(ISOLATION_CONTEXT_KEY) ?? 'enforce';
  if (value !== 'enforce' && value !== 'report') {
    throw new DefenceValidationError(scope.node.path, [{
      prop: `context '${ISOLATION_CONTEXT_KEY}'`, value: JSON.stringify(value), allowed: '"enforce" (default) or "report"',
    }]);
  }
  return value;
}

/** Analyses the app, writes the report and fails on a short circuit (unless in report mode). */
function runIsolationCheck(root: IConstruct, outdir: string, mode: Mode): void {
  const analysis = analyseApp(root, undefined, true);
  const dir = path.join(outdir, REPORT_DIRECTORY);
  fs.mkdirSync(dir, { recursive: true });
  const input = { ...analysis, enforcement: mode };
  fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify(reportJson(input), undefined, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'report.md'), reportMarkdown(input));
  if (mode === 'enforce' && analysis.isolation.shortCircuits.length > 0) {
    throw new Error(shortCircuitMessage(analysis, path.join(dir, 'report.md')));
  }
}

/** The synth error: every short circuit with both layers, the resource and each layer's chain. */
export function shortCircuitMessage(analysis: DefenceAnalysis, reportPath: string): string {
  const circuits = analysis.isolation.shortCircuits;
  const lines = [
    `Defence-in-depth isolation check failed: ${circuits.length} short circuit(s), resources that two or more layers depend on, so the layers can fail together.`,
  ];
  circuits.forEach((sc, i) => {
    const r = sc.resource;
    lines.push('',
      `${i + 1}. ${r.type} '${r.logicalId}'${r.stack ? ` in stack '${r.stack.name}'` : ' (not in this app)'} at '${r.path}' is shared by layers ${sc.layers.map(l => `'${l}'`).join(' and ')}:`);
    for (const layer of sc.layers) lines.push(`   - ${layer}: ${formatChain(sc.chains[layer])}`);
  });
  lines.push('',
    'Fix: give each layer its own resource. If sharing it cannot make the layers fail together, say why with '
    + 'DefenceLayer.allowShared(construct, { reason }); for read-only watching use layer.observe(target, { reason }).',
    `Report: ${reportPath}`);
  return lines.join('\n');
}
