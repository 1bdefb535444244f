import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps } from 'aws-cdk-lib';
import { analyseApp, DefenceAnalysis } from '../../src/checks/defence-analysis';
import { ShortCircuit } from '../../src/checks/isolation-analysis';
import { DefenceLayer } from '../../src/core/defence-layer';

/** A fresh app writing into its own temp dir, with the isolation check in report mode (so a test can look at findings). */
export function reportingApp(props: AppProps = {}): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'did-')),
    ...props,
    context: { [DefenceLayer.ISOLATION_CONTEXT_KEY]: 'report', ...props.context },
  });
}

export interface Analysed {
  readonly app: App;
  readonly analysis: DefenceAnalysis;
  readonly circuits: ShortCircuit[];
  /** `<type> <construct path> [layers]` of each short circuit, sorted. */
  readonly summary: string[];
}

/** Builds an app, synthesizes it and returns its analysis. */
export function analyse(build: (app: App) => void, props: AppProps = {}): Analysed {
  const app = reportingApp(props);
  build(app);
  app.synth();
  const analysis = analyseApp(app);
  const circuits = analysis.isolation.shortCircuits;
  return { app, analysis, circuits, summary: circuits.map(c => `${c.resource.type} ${c.resource.path} [${c.layers.join(',')}]`).sort() };
}

/** The one short circuit whose construct path starts with `pathPrefix`, or a failing expectation. */
export function circuitAt(a: Analysed, pathPrefix: string): ShortCircuit {
  const found = a.circuits.filter(c => c.resource.path.startsWith(pathPrefix));
  if (found.length !== 1) throw new Error(`expected one short circuit at '${pathPrefix}', found: ${JSON.stringify(a.summary, undefined, 2)}`);
  return found[0];
}

/** A layer's chain to a short circuit as `logicalId` / `[via]` steps, for readable assertions. */
export function chainText(c: ShortCircuit, layer: string): string {
  return c.chains[layer].map(l => (l.via ? `[${l.via}] ${l.resource.path}` : l.resource.path)).join(' ');
}
