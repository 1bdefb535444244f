import { awscdk, javascript, JsonFile } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';

// The single source of project configuration. Regenerate with `npx projen`.
//
// aws-cdk-lib floor: 2.267.0. It is the first release where cdk-nag v3's
// policy-validation plugins run during `app.synth()` / `cdk synth`
// (`Validations.of(app).addPlugins(...)`), which the isolation checks and the
// policy pack rely on. The newest integ-runner reads cloud-assembly schema <= 53
// (aws-cdk-lib <= 2.257), so integration tests use an equivalent runner; the
// README explains the trade-off.
const CDK_FLOOR = '2.267.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-defence-in-depth',
  description: 'AWS CDK constructs that deploy a web service behind independent layers of defence and prove at synth time that the layers share no dependency.',
  author: 'cdk-defence-in-depth maintainers',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-defence-in-depth/cdk-defence-in-depth.git',
  defaultReleaseBranch: 'main',
  keywords: ['cdk', 'aws-cdk', 'waf', 'modsecurity', 'defence-in-depth', 'security', 'object-lock'],
  license: 'Apache-2.0',
  cdkVersion: CDK_FLOOR,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  // Other languages (Go is optional and left out: its module path needs a repo of its own).
  publishToPypi: { distName: 'cdk-defence-in-depth', module: 'cdk_defence_in_depth' },
  publishToMaven: {
    javaPackage: 'io.github.cdkdefenceindepth',
    mavenGroupId: 'io.github.cdk-defence-in-depth',
    mavenArtifactId: 'cdk-defence-in-depth',
  },
  publishToNuget: { dotNetNamespace: 'CdkDefenceInDepth', packageId: 'CdkDefenceInDepth' },

  docgen: true,
  eslint: true,
  jest: true,
  jestOptions: {
    // Snapshots are a complement to assertions and never rewritten by a test run.
    updateSnapshot: UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      testTimeout: 120_000,
      // Synthesizing full example apps under coverage is slow on 2 cores; coverage is
      // reported, the suite is not gated on it.
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
    },
  },

  // cdk-nag v3 is how users gate pipelines; the library acknowledges its own by-design
  // findings with reasons, and (issue 3) ships its checks as a cdk-nag pack.
  peerDeps: ['cdk-nag@^3.0.2'],
  devDeps: [
    'aws-cdk@^2',
    // AGPL: dev-only, used by tests to simulate the synthesized IAM policies.
    '@cloud-copilot/iam-simulate',
    // Reads the FTW (CRS regression) and GoTestWAF YAML corpora in the host-layer tests.
    'yaml',
    // Lambda handlers call AWS through the SDK v3 clients (the Node.js runtime provides them;
    // esbuild leaves them out of the bundle). Tests mock them with aws-sdk-client-mock.
    '@aws-sdk/client-wafv2',
    '@aws-sdk/client-ec2',
    '@aws-sdk/client-auto-scaling',
    '@aws-sdk/client-cloudwatch',
    '@aws-sdk/client-cloudwatch-logs',
    '@aws-sdk/client-ecs',
    '@aws-sdk/client-elastic-load-balancing-v2',
    '@aws-sdk/client-firehose',
    // Classifies throttling and transient errors for the handlers' own retries (bundled by esbuild).
    '@smithy/core',
    'aws-sdk-client-mock',
    // CloudFormation Guard (the Control Tower rules) as a policy-validation plugin for the examples.
    '@cdklabs/cdk-validator-cfnguard',
    // Integration-test apps: assertions that run after deploy (the newest integ-runner cannot read this
    // aws-cdk-lib's assemblies; see README "Integration tests").
    '@aws-cdk/integ-tests-alpha',
  ],

  // src/**/*.lambda.ts are bundled with esbuild into assets/ with a generated XxxFunction construct.
  // cdk-nag's latest-runtime rule wants the newest Node.js runtime.
  lambdaOptions: { runtime: awscdk.LambdaRuntime.NODEJS_24_X },
  // projen's own integ tasks drive integ-runner, which cannot read this aws-cdk-lib's assemblies:
  // test/integ/*.integ.ts are run by scripts/integ.ts instead (integ:snapshot|update|deploy).
  integrationTestAutoDiscover: false,

  // The CLI: `npx cdk-defence-in-depth host-filter render|serve` (src/cli/main.ts).
  bin: { 'cdk-defence-in-depth': 'lib/cli/main.js' },

  githubOptions: { mergify: false },
  depsUpgrade: false,
  gitignore: ['cdk.out/', '/examples/**/cdk.out/', '*.d.ts.map'],
});

// Examples and scripts are type-checked (and found by eslint's project service)
// through a tsconfig of their own, like test/.
for (const dir of ['examples', 'scripts']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..', isolatedModules: true },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    },
  });
  project.eslint?.addLintPattern(dir);
  // Examples and scripts run from the repository, with its dev dependencies (the CLI, cdk-validator-cfnguard).
  project.eslint?.allowDevDeps(`${dir}/**`);
}

// ts-jest compiles tests one file at a time (isolatedModules) and skips type errors:
// type-check tests, examples and scripts as a whole before the tests run.
const typecheck = project.addTask('typecheck', { description: 'Type-check tests, examples and scripts' });
for (const dir of ['test', 'examples', 'scripts']) typecheck.exec(`tsc --noEmit -p ${dir}/tsconfig.json`);
project.testTask.prependSpawn(typecheck);

// The README's main job: synthesize the minimal example with the real CLI (every policy-validation
// plugin runs: cdk-nag, CloudFormation Guard, DefenceInDepthChecks) and print a summary with costs.
// `npm run example -- fargate` or `-- two-account` synthesizes the others.
const example = project.addTask('example', {
  description: 'Synthesize an example app under examples/ (default minimal-ec2) into cdk.out/ and print a summary',
});
example.exec('cdk synth --app "ts-node --transpile-only --project examples/tsconfig.json examples/${EXAMPLE:-minimal-ec2}/app.ts" '
  + '--output cdk.out --quiet --no-notices');
example.exec('ts-node --transpile-only --project scripts/tsconfig.json scripts/summarize-assembly.ts cdk.out');

// The Lambda handlers (src/**/*.lambda.ts) are bundled into assets/ (not committed): the example
// and the tests synthesize functions from those bundles, so a fresh clone bundles them first.
const bundle = project.tasks.tryFind('bundle')!;
example.prependSpawn(bundle);
project.testTask.prependSpawn(bundle);

// Integration tests (test/integ/*.integ.ts): snapshots checked offline by `npm test`; deploy by hand.
for (const [mode, description] of [
  ['snapshot', 'Check the integration test apps against their committed snapshots (offline)'],
  ['update', 'Rewrite the integration test snapshots (review the diff before committing)'],
  ['deploy', 'Deploy each integration test app with the cdk CLI, run its assertions, destroy it (needs AWS credentials)'],
]) {
  const task = project.addTask(`integ:${mode}`, { description, receiveArgs: mode === 'deploy' });
  task.spawn(bundle);
  task.exec(`ts-node --transpile-only --project scripts/tsconfig.json scripts/integ.ts ${mode}`);
}

// RULES.md is generated from the rules themselves; a test fails when it is stale.
project.addTask('rules-doc', { description: 'Write RULES.md from the rules of DefenceInDepthChecks' })
  .exec('ts-node --transpile-only --project scripts/tsconfig.json scripts/rules-doc.ts');

// Performance: synth with and without the isolation check, at growing app sizes (run by hand).
project.addTask('benchmark', {
  description: 'Measure what the isolation check adds to synth time (args: resource counts, default 500 5000 50000)',
  receiveArgs: true,
}).exec('node --max-old-space-size=6144 -r ts-node/register/transpile-only scripts/benchmark-isolation.ts', { env: { TS_NODE_PROJECT: 'scripts/tsconfig.json' } } as any);

// The host filter against a plain proxy and stock CRS (needs nginx, ModSecurity, CRS and wrk; run by hand).
project.addTask('benchmark-host-filter', {
  description: 'Throughput of the host filter vs plain nginx and stock CRS PL1, and detection on the GoTestWAF corpus',
}).exec('ts-node --transpile-only --project scripts/tsconfig.json scripts/benchmark-host-filter.ts');

// The bundled heartbeat handler against a minimal handler: bundle size and cold module-load time (run by hand).
project.addTask('benchmark-heartbeat', {
  description: 'Bundle size and cold module-load time of the heartbeat handler vs a minimal handler (args: rounds, default 31)',
  receiveArgs: true,
}).exec('ts-node --transpile-only --project scripts/tsconfig.json scripts/benchmark-heartbeat.ts');

// The tamper watch's share of a whole service's synth: with and without its rules (run by hand).
project.addTask('benchmark-tamper-watch', {
  description: 'Synth time of the minimal service with and without the tamper watch\'s rules (args: rounds, default 7)',
  receiveArgs: true,
}).exec('ts-node --transpile-only --project scripts/tsconfig.json scripts/benchmark-tamper-watch.ts');

project.synth();
