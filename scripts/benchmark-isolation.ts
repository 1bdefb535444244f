// Benchmark: what the synth-time isolation check adds to `app.synth()`.
//
//   npx projen benchmark                # 500, 5,000 and 50,000 resources
//   npx projen benchmark -- 500 5000    # chosen sizes
//
// For each size it generates the same app (6 layers over 20 stacks, or more
// above 8,000 resources: CloudFormation allows 500 resources per stack;
// cross-stack references inside layers) twice per round: once with the check skipped
// (baseline) and once with it, alternating which goes first, and reports the
// medians and their ratio. Each app is built fresh; only `app.synth()` is timed.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { analyseApp } from '../src/checks/defence-analysis';
import { SKIP_FOR_BENCHMARK } from '../src/checks/isolation-check';
import { DefenceLayer } from '../src/core/defence-layer';

const MIN_STACKS = 20;
/** Keeps every stack under CloudFormation's 500-resource limit. */
const stacksFor = (resources: number) => Math.max(MIN_STACKS, Math.ceil(resources / 400));
const LAYERS = ['edge', 'host', 'monitor', 'watch', 'api', 'data'];
/** Resources one unit adds: topic, queue, key, encrypted log group, role, role policy. */
const RESOURCES_PER_UNIT = 6;

function buildApp(targetResources: number, skipCheck: boolean): App {
  // Path metadata on, as under the cdk CLI.
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'did-bench-')), context: { 'aws:cdk:enable-path-metadata': true } });
  const stacks = stacksFor(targetResources);
  if (skipCheck) Object.defineProperty(app, SKIP_FOR_BENCHMARK, { value: true });
  const units = Math.max(1, Math.round(targetResources / RESOURCES_PER_UNIT / (stacks * LAYERS.length)));
  const firstTopic = new Map<string, sns.Topic>();
  for (let s = 0; s < stacks; s++) {
    const stack = new Stack(app, `Stack${s}`);
    for (const name of LAYERS) {
      const layer = new DefenceLayer(stack, name, { layerName: name });
      for (let u = 0; u < units; u++) {
        const topic = new sns.Topic(layer, `Topic${u}`);
        const queue = new sqs.Queue(layer, `Queue${u}`, { encryption: sqs.QueueEncryption.SQS_MANAGED });
        const key = new kms.Key(layer, `Key${u}`);
        new logs.LogGroup(layer, `Logs${u}`, { encryptionKey: key });
        const role = new iam.Role(layer, `Role${u}`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
        topic.grantPublish(role);
        queue.grantSendMessages(role);
        // One cross-stack reference per layer and stack, inside the layer (an export/import pair).
        if (u === 0 && firstTopic.has(name)) firstTopic.get(name)!.grantPublish(role);
        if (u === 0 && !firstTopic.has(name)) firstTopic.set(name, topic);
      }
    }
  }
  return app;
}

function countResources(app: App): number {
  return app.node.findAll().filter(Stack.isStack).reduce((n, stack) => {
    const template = JSON.parse(fs.readFileSync(path.join(app.outdir, stack.templateFile), 'utf-8'));
    return n + Object.keys(template.Resources ?? {}).length;
  }, 0);
}

function timeSynth(target: number, skip: boolean): { ms: number; resources: number; stacks: number; analysisMs: number } {
  const app = buildApp(target, skip);
  const start = process.hrtime.bigint();
  app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // The analysis alone, on the same templates (for the breakdown only).
  const a0 = process.hrtime.bigint();
  const analysis = analyseApp(app, undefined, true);
  const analysisMs = Number(process.hrtime.bigint() - a0) / 1e6;
  if (analysis.isolation.shortCircuits.length > 0) throw new Error('the benchmark app must be clean');
  const resources = countResources(app);
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return { ms, resources, stacks: stacksFor(target), analysisMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const sizes = process.argv.slice(2).map(Number).filter(n => n > 0);
  const targets = sizes.length > 0 ? sizes : [500, 5_000, 50_000];
  console.log(`isolation-check benchmark: ${LAYERS.length} layers, node ${process.version}, ${os.cpus().length} CPUs\n`);
  console.log('resources  stacks  rounds  synth without (ms)  synth with (ms)  ratio   analysis alone (ms)  analysis ms per 1k resources');
  // Warm-up: JIT and module loading, not measured.
  timeSynth(200, true);
  timeSynth(200, false);
  for (const target of targets) {
    const rounds = target >= 20_000 ? 1 : 3;
    const without: number[] = [];
    const withCheck: number[] = [];
    const analysis: number[] = [];
    let resources = 0;
    let stacks = 0;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [true, false] : [false, true];
      for (const skip of order) {
        const m = timeSynth(target, skip);
        (skip ? without : withCheck).push(m.ms);
        analysis.push(m.analysisMs);
        resources = m.resources;
        stacks = m.stacks;
      }
    }
    const [a, b, c] = [median(without), median(withCheck), median(analysis)];
    console.log(`${String(resources).padStart(9)}  ${String(stacks).padStart(6)}  ${String(rounds).padStart(6)}  ${a.toFixed(0).padStart(18)}  ${b.toFixed(0).padStart(15)}  ${(b / a).toFixed(3)}  ${c.toFixed(0).padStart(19)}  ${(c / (resources / 1000)).toFixed(1).padStart(28)}`);
  }
}

main();
