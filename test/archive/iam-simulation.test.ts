// Simulates the synthesized IAM policies of the example apps with
// @cloud-copilot/iam-simulate (AGPL, dev dependency only): who may delete,
// unlock or overwrite archived logs, and where each layer may write.
//
// Every simulation asserts an exact decision. A simulator input error, a
// wildcard result or a context key the simulator dropped throws, so it can
// never pass as a decision.
import { Simulation, runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { LogArchive, LogDeliveryPath } from '../../src';
import { ALARM_EMAIL, ARCHIVE_BUCKET_NAME, ARCHIVE_ENV, WORKLOAD_ENDPOINT, WORKLOAD_ENV, WORKLOAD_LOAD_BALANCER_ARN } from '../fixtures/log-archive/config';
import { ArchiveStack, WorkloadStack } from '../fixtures/log-archive/stacks';
import {
  PolicyDocument, TemplateResolver, bucketPolicyOf, exportsOf, keyPolicyOf, rolesOf,
} from '../helpers/template-resolver';

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

const ACCOUNT = ARCHIVE_ENV.account; // 111111111111, the archive's account
const REGION = ARCHIVE_ENV.region; // eu-west-1

/** Who makes a request: a principal ARN and its identity policies. */
interface Caller {
  readonly arn: string;
  readonly policies: PolicyDocument[];
}

/** Allow `*` on `*`: an administrator; for the root user it stands for its implicit full access. */
const ALLOW_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const ADMIN: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, policies: [ALLOW_ALL] };
const ROOT: Caller = { arn: `arn:aws:iam::${ACCOUNT}:root`, policies: [ALLOW_ALL] };
const BREAK_GLASS: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/BreakGlass`, policies: [ALLOW_ALL] };

/** Actions on an archived object that would delete it or weaken its lock: denied to everyone. */
const OBJECT_WEAKENING = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:BypassGovernanceRetention',
  's3:PutObjectLegalHold',
];
/** Actions on a bucket that would weaken every object in it: denied to everyone. */
const BUCKET_WEAKENING = [
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
];

// ------------------------------------------------------------------ simulation

interface Request {
  readonly caller: Caller;
  readonly action: string;
  readonly resource: string;
  /** The bucket or key policy. */
  readonly resourcePolicy: PolicyDocument;
  /** The resource's account (S3 ARNs carry none); always the archive's here. */
  readonly resourceAccount?: string;
  readonly context?: Record<string, string>;
  /**
   * Context keys that iam-simulate 0.1.x drops although the action has them: it
   * matches variable condition keys only when the variable follows a '/', so it
   * drops `kms:EncryptionContext:<key>`. They must be exactly the dropped keys;
   * the request is then validated without them and evaluated with them.
   */
  readonly unvalidatedContextKeys?: string[];
}

/** Runs one simulation in strict mode, with the context AWS sets on every signed request over TLS. */
async function simulate(request: Request): Promise<Decision> {
  const { caller, action, resource } = request;
  const simulation: Simulation = {
    request: {
      principal: caller.arn,
      action,
      resource: { resource, accountId: request.resourceAccount ?? ACCOUNT },
      contextVariables: {
        'aws:PrincipalArn': caller.arn,
        'aws:PrincipalAccount': caller.arn.split(':')[4],
        'aws:SecureTransport': 'true',
        ...(action.startsWith('s3:') ? { 's3:TlsVersion': '1.3' } : {}),
        ...request.context,
      },
    },
    identityPolicies: caller.policies.map((policy, i) => ({ name: `identity-${i}`, policy })),
    resourcePolicy: request.resourcePolicy,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const what = `${caller.arn} ${action} ${resource} ${JSON.stringify(request.context ?? {})}`;
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') {
    throw new Error(`Simulation error for ${what}: ${JSON.stringify(response.errors)}`);
  }
  if (response.resultType !== 'single') {
    throw new Error(`Expected a single-resource simulation for ${what}, got ${response.resultType}`);
  }
  const ignored = [...response.result.ignoredContextKeys ?? []].sort();
  const unvalidated = [...request.unvalidatedContextKeys ?? []].sort();
  if (ignored.join() !== unvalidated.join()) {
    throw new Error(`The simulator dropped context keys [${ignored}] (expected [${unvalidated}]) for ${what}`);
  }
  if (unvalidated.length === 0) {
    return response.overallResult;
  }
  // Validated above. runUnsafeSimulation loads the resource policy without the name
  // its engine reads; iam-policy's plain "already validated" shape carries one.
  const resourcePolicy = { __validated: true, policyDocument: request.resourcePolicy, metadata: { name: 'resource-policy' }, errors: [] };
  return runUnsafeSimulation({ ...simulation, resourcePolicy }, { simulationMode: 'Strict' });
}

/** Named requests, and the decision expected for each. */
type Cases = Record<string, { request: Request; expected: Decision }>;

/** Simulates every case and compares all decisions at once, so that a failure lists every mismatch. */
async function expectDecisions(cases: Cases): Promise<void> {
  const names = Object.keys(cases);
  expect(names.length).toBeGreaterThan(0);
  const actual = await Promise.all(names.map(name => simulate(cases[name].request)));
  expect(Object.fromEntries(names.map((name, i) => [name, actual[i]])))
    .toEqual(Object.fromEntries(names.map(name => [name, cases[name].expected])));
}

// ------------------------------------------------------------------- synthesis

function resolverOf(stack: Stack, imports?: Record<string, string>): TemplateResolver {
  const env = { account: stack.account, region: stack.region, stackName: stack.stackName, imports };
  return new TemplateResolver(Template.fromStack(stack).toJSON(), env);
}

function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** One bucket of the archive, resolved, with an object as the archive would hold it. */
interface ArchivedBucket {
  readonly name: string;
  readonly arn: string;
  readonly objectArn: string;
  readonly policy: PolicyDocument;
  /** An Object Lock bucket (the server-access-log bucket cannot be one). */
  readonly objectLock: boolean;
}

function bucketsOf(archive: LogArchive, resolver: TemplateResolver): Record<string, ArchivedBucket> {
  const bucket = (construct: IConstruct, objectKey: string, objectLock: boolean): ArchivedBucket => {
    const id = logicalIdOf(construct);
    const name = resolver.ref(id);
    const policy = bucketPolicyOf(resolver, id);
    return { name, arn: resolver.getAtt(id, 'Arn'), objectArn: `arn:aws:s3:::${name}/${objectKey}`, policy, objectLock };
  };
  return {
    archive: bucket(archive.bucket, 'edge/waf/2026/11/22/x.gz', true),
    albAccessLogs: bucket(archive.albAccessLogBucket!, `edge/alb/AWSLogs/${ACCOUNT}/elasticloadbalancing/${REGION}/2026/11/22/x.log.gz`, true),
    serverAccessLogs: bucket(archive.serverAccessLogsBucket, 'archive/2026-11-22-00-00-00-0123456789ABCDEF', false),
  };
}

/** What the simulations need of an app: the archive's buckets and key, and every role. */
function simulationInputs(archiveStack: ArchiveStack, workload: WorkloadStack) {
  // Template.fromStack also fails on a template CloudFormation would refuse for a dependency cycle.
  const archiveResolver = resolverOf(archiveStack);
  // In one environment CDK hands the bucket and key ARNs to the workload as stack exports.
  const workloadResolver = resolverOf(workload, exportsOf(archiveResolver));
  const roles = [...rolesOf(archiveResolver), ...rolesOf(workloadResolver)];
  const keyId = logicalIdOf(archiveStack.archive.encryptionKey);
  const deliveryRoles: Record<string, Caller> = {};
  for (const layer of workload.layers) {
    // The edge layer's path is its WAF log path; the stand-in host layer's is 'LogDelivery'.
    const path = layer.node.tryFindChild('LogDelivery') ?? layer.node.findChild('WafLogs');
    const id = logicalIdOf((path as LogDeliveryPath).deliveryRole);
    const role = roles.find(r => r.stackName === workload.stackName && r.logicalId === id);
    if (!role) throw new Error(`No delivery role ${id} in layer ${layer.layerName}`);
    deliveryRoles[layer.layerName] = { arn: role.arn, policies: role.policies.map(p => p.document) };
  }
  return {
    buckets: bucketsOf(archiveStack.archive, archiveResolver),
    keyArn: archiveResolver.getAtt(keyId, 'Arn'),
    keyPolicy: keyPolicyOf(archiveResolver, keyId),
    /** Every role of both stacks, as a caller. */
    roles: roles.map(r => ({ arn: r.arn, policies: r.policies.map(p => p.document), account: r.account })),
    /** Each layer's delivery role, by layer name. */
    deliveryRoles,
  };
}

/** The example with archive and workload in one account; the archive is the construct itself. */
function sameAccountApp() {
  const app = new App();
  const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', { env: ARCHIVE_ENV });
  const workload = new WorkloadStack(app, 'WorkloadAccount', { env: ARCHIVE_ENV, archive: () => archiveStack.archive, loadBalancerArn: WORKLOAD_LOAD_BALANCER_ARN, endpoint: WORKLOAD_ENDPOINT, alarmEmail: ALARM_EMAIL });
  return simulationInputs(archiveStack, workload);
}

/** The example exactly as test/fixtures/log-archive builds it: archive and workload in two accounts. */
function crossAccountApp() {
  const app = new App();
  const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', {
    env: ARCHIVE_ENV,
    archive: { bucketName: ARCHIVE_BUCKET_NAME, trustedAccounts: [WORKLOAD_ENV.account] },
  });
  const workload = new WorkloadStack(app, 'WorkloadAccount', {
    env: WORKLOAD_ENV,
    loadBalancerArn: WORKLOAD_LOAD_BALANCER_ARN,
    endpoint: WORKLOAD_ENDPOINT,
    alarmEmail: ALARM_EMAIL,
    archive: scope => LogArchive.fromArchiveAttributes(scope, 'LogArchive', {
      bucketName: ARCHIVE_BUCKET_NAME,
      account: ARCHIVE_ENV.account,
      region: ARCHIVE_ENV.region,
      albAccessLogBucketName: `${ARCHIVE_BUCKET_NAME}-alb`,
    }),
  });
  return simulationInputs(archiveStack, workload);
}

// ----------------------------------------------------------------------- cases

/** (a), (c), (e): every weakening action on every bucket, by `caller`, expecting `expected`. */
function weakeningCases(label: string, caller: Caller, buckets: Record<string, ArchivedBucket>, expected: Decision): Cases {
  const cases: Cases = {};
  for (const [bucketName, bucket] of Object.entries(buckets)) {
    const on = (action: string, resource: string) => {
      cases[`${label} ${action} on ${bucketName}`] = { request: { caller, action, resource, resourcePolicy: bucket.policy }, expected };
    };
    OBJECT_WEAKENING.forEach(action => on(action, bucket.objectArn));
    BUCKET_WEAKENING.forEach(action => on(action, bucket.arn));
  }
  return cases;
}

/** Where each layer of the example writes: the edge's WAF logs path, the host stand-in's default path. */
const PREFIX: Record<string, string> = { edge: 'edge/waf/', host: 'host/logs/' };

/** (d): what each layer's delivery role may do in the archive bucket. */
function deliveryCases(deliveryRoles: Record<string, Caller>, archive: ArchivedBucket): Cases {
  const cases: Cases = {};
  for (const [layer, caller] of Object.entries(deliveryRoles)) {
    const other = layer === 'edge' ? 'host' : 'edge';
    const own = `arn:aws:s3:::${archive.name}/${PREFIX[layer]}2026/11/22/x.gz`;
    const table: Array<[string, string, string, Decision]> = [
      ['PutObject in its own prefix', 's3:PutObject', own, 'Allowed'],
      ['AbortMultipartUpload in its own prefix', 's3:AbortMultipartUpload', own, 'Allowed'],
      [`PutObject in ${other}'s prefix`, 's3:PutObject', `arn:aws:s3:::${archive.name}/${PREFIX[other]}2026/11/22/x.gz`, 'ImplicitlyDenied'],
      ['PutObject at the bucket root', 's3:PutObject', `arn:aws:s3:::${archive.name}/archive-root.txt`, 'ImplicitlyDenied'],
      ['GetObject in its own prefix', 's3:GetObject', own, 'ImplicitlyDenied'],
      ['ListBucket', 's3:ListBucket', archive.arn, 'ImplicitlyDenied'],
      // Denied twice over: no grant, and the bucket policy's deny.
      ['DeleteObject in its own prefix', 's3:DeleteObject', own, 'ExplicitlyDenied'],
    ];
    for (const [label, action, resource, expected] of table) {
      cases[`${layer}: ${label}`] = { request: { caller, action, resource, resourcePolicy: archive.policy }, expected };
    }
  }
  return cases;
}

/** (d): S3 encrypting for a delivery role with the archive key (bucket keys: the context is the bucket ARN). */
function keyRequest(caller: Caller, keyArn: string, keyPolicy: PolicyDocument, viaService: string, bucketArn: string): Request {
  return {
    caller,
    action: 'kms:GenerateDataKey',
    resource: keyArn,
    resourcePolicy: keyPolicy,
    context: { 'kms:ViaService': viaService, 'kms:EncryptionContext:aws:s3:arn': bucketArn },
    unvalidatedContextKeys: ['kms:EncryptionContext:aws:s3:arn'],
  };
}

// ----------------------------------------------------------------------- tests

describe('IAM simulation of the log archive, archive and workload in one account', () => {
  const example = sameAccountApp();
  const { buckets } = example;

  test('the archive has three buckets, two of them with Object Lock, and the layers two delivery roles', () => {
    expect(Object.keys(buckets)).toEqual(['archive', 'albAccessLogs', 'serverAccessLogs']);
    expect(Object.entries(buckets).filter(([, b]) => b.objectLock).map(([name]) => name)).toEqual(['archive', 'albAccessLogs']);
    expect(Object.keys(example.deliveryRoles)).toEqual(['edge', 'host']);
  });

  test('(a) neither an administrator nor the account root can delete, unlock or re-lifecycle anything', async () => {
    const cases = {
      ...weakeningCases('Admin', ADMIN, buckets, 'ExplicitlyDenied'),
      ...weakeningCases('root', ROOT, buckets, 'ExplicitlyDenied'),
    };
    expect(Object.keys(cases)).toHaveLength(2 * 3 * (OBJECT_WEAKENING.length + BUCKET_WEAKENING.length));
    await expectDecisions(cases);
  });

  test('(b) an administrator cannot upload with a weaker lock than the default, but can upload', async () => {
    const cases: Cases = {};
    for (const name of ['archive', 'albAccessLogs']) {
      const put = (label: string, expected: Decision, context?: Record<string, string>) => {
        const request = { caller: ADMIN, action: 's3:PutObject', resource: buckets[name].objectArn, resourcePolicy: buckets[name].policy, context };
        cases[`${label} into ${name}`] = { request, expected };
      };
      put('GOVERNANCE mode', 'ExplicitlyDenied', { 's3:object-lock-mode': 'GOVERNANCE' });
      put('1 day of retention', 'ExplicitlyDenied', { 's3:object-lock-remaining-retention-days': '1' });
      put('364 days of retention', 'ExplicitlyDenied', { 's3:object-lock-remaining-retention-days': '364' });
      // The denies are scoped: without lock headers (the bucket's default lock applies)
      // or with a lock as strong as the default, the upload goes through.
      put('no lock headers', 'Allowed');
      put('COMPLIANCE mode for 365 days', 'Allowed', { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-remaining-retention-days': '365' });
    }
    await expectDecisions(cases);
  });

  test('(c) no IAM role of the app can delete, unlock or re-lifecycle anything', async () => {
    // A delivery role and a subscription role per path (edge, host, watch, the log delivery heartbeat's), the edge's
    // decoy quarantine role, the edge's and the log delivery's heartbeat roles, and the watch topic's notification role;
    // the archive stack has none.
    expect(example.roles).toHaveLength(4 * 2 + 1 + 2 + 1);
    await expectDecisions(Object.assign({}, ...example.roles.map(role =>
      weakeningCases(role.arn, role, buckets, 'ExplicitlyDenied'))));
  });

  test('(d) each layer\'s delivery role writes its own prefix only, and can neither read nor delete', async () => {
    await expectDecisions(deliveryCases(example.deliveryRoles, buckets.archive));
  });

  test('(d) a delivery role may use the archive key only through S3, for the archive bucket', async () => {
    const viaS3 = `s3.${REGION}.amazonaws.com`;
    const request = (viaService: string, bucketArn: string) =>
      keyRequest(example.deliveryRoles.edge, example.keyArn, example.keyPolicy, viaService, bucketArn);
    await expectDecisions({
      'through S3 for the archive': { request: request(viaS3, buckets.archive.arn), expected: 'Allowed' },
      'through S3 for another bucket': { request: request(viaS3, 'arn:aws:s3:::another-bucket'), expected: 'ImplicitlyDenied' },
      'not through S3': { request: request(`firehose.${REGION}.amazonaws.com`, buckets.archive.arn), expected: 'ImplicitlyDenied' },
    });
  });
});

describe('IAM simulation of the log archive, cross-account as in test/fixtures/log-archive', () => {
  const example = crossAccountApp();
  const { buckets } = example;

  test('(a) neither an administrator nor the account root can delete, unlock or re-lifecycle anything', async () => {
    await expectDecisions({
      ...weakeningCases('Admin', ADMIN, buckets, 'ExplicitlyDenied'),
      ...weakeningCases('root', ROOT, buckets, 'ExplicitlyDenied'),
    });
  });

  test('(c) no IAM role of either account can delete, unlock or re-lifecycle anything', async () => {
    expect(example.roles.map(r => r.account)).toEqual(Array(4 * 2 + 1 + 2 + 1).fill(WORKLOAD_ENV.account));
    await expectDecisions(Object.assign({}, ...example.roles.map(role =>
      weakeningCases(role.arn, role, buckets, 'ExplicitlyDenied'))));
  });

  test('(d) the workload account\'s delivery roles write their own prefix only, and can neither read nor delete', async () => {
    // Cross-account, a write needs both the role's policy and the archive's bucket policy (trustedAccounts).
    expect(Object.values(example.deliveryRoles).map(r => r.arn.split(':')[4])).toEqual([WORKLOAD_ENV.account, WORKLOAD_ENV.account]);
    await expectDecisions(deliveryCases(example.deliveryRoles, buckets.archive));
  });

  test('(d) the workload account\'s delivery role may use the archive key through S3 for the archive only', async () => {
    const viaS3 = `s3.${REGION}.amazonaws.com`;
    const request = (bucketArn: string) =>
      keyRequest(example.deliveryRoles.edge, example.keyArn, example.keyPolicy, viaS3, bucketArn);
    await expectDecisions({
      'for the archive': { request: request(buckets.archive.arn), expected: 'Allowed' },
      'for another bucket': { request: request('arn:aws:s3:::another-bucket'), expected: 'ImplicitlyDenied' },
    });
  });
});

describe('IAM simulation of the break-glass exemption', () => {
  const app = new App();
  const stack = new Stack(app, 'BreakGlassArchive', { env: ARCHIVE_ENV });
  const archive = new LogArchive(stack, 'LogArchive', {
    breakGlassRole: iam.Role.fromRoleArn(stack, 'BreakGlass', BREAK_GLASS.arn),
  });
  const buckets = bucketsOf(archive, resolverOf(stack));

  test('(e) the break-glass role may delete an object version; an administrator still may not', async () => {
    const request = (caller: Caller): Request =>
      ({ caller, action: 's3:DeleteObjectVersion', resource: buckets.archive.objectArn, resourcePolicy: buckets.archive.policy });
    await expectDecisions({
      BreakGlass: { request: request(BREAK_GLASS), expected: 'Allowed' },
      Admin: { request: request(ADMIN), expected: 'ExplicitlyDenied' },
    });
  });

  test('(e) the break-glass role is exempt from every deny of every bucket, and nobody else is', async () => {
    await expectDecisions({
      ...weakeningCases('BreakGlass', BREAK_GLASS, buckets, 'Allowed'),
      ...weakeningCases('Admin', ADMIN, buckets, 'ExplicitlyDenied'),
      ...weakeningCases('root', ROOT, buckets, 'ExplicitlyDenied'),
    });
  });
});
