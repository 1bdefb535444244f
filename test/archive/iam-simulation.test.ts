// Simulates the synthesized IAM policies of the example apps with
// @cloud-copilot/iam-simulate (AGPL, dev dependency only): who may delete,
// unlock or overwrite archived logs, and where each layer may write.
import { Simulation, runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { ARCHIVE_BUCKET_NAME, ARCHIVE_ENV, WORKLOAD_ENV } from '../../examples/log-archive/config';
import { ArchiveStack, WorkloadStack } from '../../examples/log-archive/stacks';
import { LogArchive, LogDeliveryPath } from '../../src';
import {
  PolicyDocument, ResolvedRole, TemplateResolver, bucketPolicyOf, exportsOf, keyPolicyOf, rolesOf,
} from '../helpers/template-resolver';

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

const ACCOUNT = ARCHIVE_ENV.account; // 111111111111
const REGION = ARCHIVE_ENV.region; // eu-west-1
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/BreakGlass`;
/** An administrator's identity policy; it also stands for the root user's implicit full access. */
const ADMIN_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** Actions on an archived object that would delete it or weaken its lock (denied to everyone). */
const OBJECT_WEAKENING = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:BypassGovernanceRetention',
  's3:PutObjectLegalHold',
];
/** Actions on the bucket that would weaken every object (denied to everyone). */
const BUCKET_WEAKENING = [
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
];

// ---------------------------------------------------------------- simulation

interface Request {
  readonly principal: string;
  readonly identityPolicies: PolicyDocument[];
  readonly resourcePolicy?: PolicyDocument;
  readonly action: string;
  readonly resource: string;
  /** Account that owns the resource (S3 ARNs carry none). */
  readonly resourceAccount: string;
  readonly context?: Record<string, string | string[]>;
  /**
   * Context keys the simulator's input validation does not know although the
   * action has them: iam-simulate 0.1.x matches variable condition keys only
   * when the variable follows a '/', so it drops `kms:EncryptionContext:<key>`.
   * These keys must be exactly the ones dropped; the request is then validated
   * without them and evaluated with them by `runUnsafeSimulation`.
   */
  readonly unvalidatedContextKeys?: string[];
}

/**
 * Runs one simulation in strict mode. The request context carries what AWS sets
 * for every signed request over TLS (the policies test these keys). An input
 * error, a wildcard result or a context key the simulator ignored throws: none
 * of them may ever count as a pass.
 */
async function simulate(request: Request): Promise<Decision> {
  const principalAccount = request.principal.split(':')[4];
  const context: Record<string, string | string[]> = {
    'aws:PrincipalArn': request.principal,
    'aws:PrincipalAccount': principalAccount,
    'aws:SecureTransport': 'true',
    ...(request.action.startsWith('s3:') ? { 's3:TlsVersion': '1.3' } : {}),
    ...request.context,
  };
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: context,
    },
    identityPolicies: request.identityPolicies.map((policy, i) => ({ name: `identity-${i}`, policy })),
    resourcePolicy: request.resourcePolicy,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  const what = `${request.principal} ${request.action} ${request.resource} ${JSON.stringify(request.context ?? {})}`;
  if (response.resultType === 'error') {
    throw new Error(`Simulation error for ${what}: ${JSON.stringify(response.errors)}`);
  }
  if (response.resultType !== 'single') {
    throw new Error(`Expected a single-resource simulation for ${what}, got ${response.resultType}`);
  }
  const ignored = response.result.ignoredContextKeys ?? [];
  const unvalidated = request.unvalidatedContextKeys ?? [];
  if (JSON.stringify([...ignored].sort()) !== JSON.stringify([...unvalidated].sort())) {
    throw new Error(`The simulator ignored context keys [${ignored.join(', ')}], expected [${unvalidated.join(', ')}], for ${what}`);
  }
  if (unvalidated.length === 0) {
    return response.overallResult;
  }
  // The inputs were just validated. runUnsafeSimulation loads the resource policy
  // without the name its engine reads, so it gets the policy in iam-policy's plain
  // 'already validated' shape, which carries one.
  const resourcePolicy = request.resourcePolicy && {
    __validated: true, policyDocument: request.resourcePolicy, metadata: { name: 'resource-policy' }, errors: [],
  };
  return runUnsafeSimulation({ ...simulation, resourcePolicy }, { simulationMode: 'Strict' });
}

/** Simulates named requests; returns their decisions by name, so a failure lists every mismatch at once. */
async function decisions(requests: Record<string, Request>): Promise<Record<string, Decision>> {
  const names = Object.keys(requests);
  expect(names.length).toBeGreaterThan(0);
  const results = await Promise.all(names.map(name => simulate(requests[name])));
  return Object.fromEntries(names.map((name, i) => [name, results[i]]));
}

function expectAll(names: Record<string, unknown>, decision: Decision): Record<string, Decision> {
  return Object.fromEntries(Object.keys(names).map(name => [name, decision]));
}

// ---------------------------------------------------------------- synthesis

function resolverOf(stack: Stack, imports?: Record<string, string>): TemplateResolver {
  return new TemplateResolver(Template.fromStack(stack).toJSON(), {
    account: stack.account, region: stack.region, stackName: stack.stackName, imports,
  });
}

function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** One bucket of the archive, resolved: its name, its policy and an object key as the archive would hold. */
interface ArchivedBucket {
  readonly name: string;
  readonly arn: string;
  readonly objectArn: string;
  readonly policy: PolicyDocument;
  /** Object Lock bucket (the server-access-log bucket cannot be one). */
  readonly objectLock: boolean;
}

function bucketsOf(archive: LogArchive, resolver: TemplateResolver): Record<string, ArchivedBucket> {
  const bucket = (construct: IConstruct, objectKey: string, objectLock: boolean): ArchivedBucket => {
    const id = logicalIdOf(construct);
    const name = resolver.ref(id);
    return { name, arn: resolver.getAtt(id, 'Arn'), objectArn: `arn:aws:s3:::${name}/${objectKey}`, policy: bucketPolicyOf(resolver, id), objectLock };
  };
  return {
    archive: bucket(archive.bucket, 'edge/logs/2026/11/22/x.gz', true),
    albAccessLogs: bucket(archive.albAccessLogBucket!, `edge/alb/AWSLogs/${ACCOUNT}/elasticloadbalancing/${REGION}/2026/11/22/x.log.gz`, true),
    serverAccessLogs: bucket(archive.serverAccessLogsBucket, 'archive/2026-11-22-00-00-00-0123456789ABCDEF', false),
  };
}

/** The delivery role of each layer of a workload stack, with its resolved policies. */
function deliveryRolesOf(workload: WorkloadStack, roles: ResolvedRole[]): Record<string, ResolvedRole> {
  return Object.fromEntries(workload.layers.map(layer => {
    const path = layer.node.findChild('LogDelivery') as LogDeliveryPath;
    const id = logicalIdOf(path.deliveryRole);
    const role = roles.find(r => r.stackName === workload.stackName && r.logicalId === id);
    if (!role) throw new Error(`No delivery role ${id} for layer ${layer.layerName}`);
    return [layer.layerName, role];
  }));
}

/** The example with archive and workload in the same account; the archive is the construct itself. */
function sameAccountApp() {
  const app = new App();
  const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', { env: ARCHIVE_ENV });
  const workload = new WorkloadStack(app, 'WorkloadAccount', { env: ARCHIVE_ENV, archive: () => archiveStack.archive });
  const archiveResolver = resolverOf(archiveStack);
  // Same environment: CDK passes the bucket and key ARNs as stack exports.
  const workloadResolver = resolverOf(workload, exportsOf(archiveResolver));
  const roles = [...rolesOf(archiveResolver), ...rolesOf(workloadResolver)];
  return {
    archiveStack,
    workload,
    roles,
    buckets: bucketsOf(archiveStack.archive, archiveResolver),
    keyArn: archiveResolver.getAtt(logicalIdOf(archiveStack.archive.encryptionKey), 'Arn'),
    keyPolicy: keyPolicyOf(archiveResolver, logicalIdOf(archiveStack.archive.encryptionKey)),
    deliveryRoles: deliveryRolesOf(workload, roles),
  };
}

/** The example app exactly as examples/log-archive/app.ts builds it: archive and workload in two accounts. */
function crossAccountApp() {
  const app = new App();
  const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', {
    env: ARCHIVE_ENV,
    archive: { bucketName: ARCHIVE_BUCKET_NAME, trustedAccounts: [WORKLOAD_ENV.account] },
  });
  const workload = new WorkloadStack(app, 'WorkloadAccount', {
    env: WORKLOAD_ENV,
    archive: scope => LogArchive.fromArchiveAttributes(scope, 'LogArchive', {
      bucketName: ARCHIVE_BUCKET_NAME,
      account: ARCHIVE_ENV.account,
      region: ARCHIVE_ENV.region,
      albAccessLogBucketName: `${ARCHIVE_BUCKET_NAME}-alb`,
    }),
  });
  const archiveResolver = resolverOf(archiveStack);
  const workloadResolver = resolverOf(workload);
  const roles = [...rolesOf(archiveResolver), ...rolesOf(workloadResolver)];
  return {
    archiveStack,
    workload,
    roles,
    buckets: bucketsOf(archiveStack.archive, archiveResolver),
    keyArn: archiveResolver.getAtt(logicalIdOf(archiveStack.archive.encryptionKey), 'Arn'),
    keyPolicy: keyPolicyOf(archiveResolver, logicalIdOf(archiveStack.archive.encryptionKey)),
    deliveryRoles: deliveryRolesOf(workload, roles),
  };
}

/** Every weakening action on `bucket`, as `principal` with `identityPolicies`, by name. */
function weakeningRequests(label: string, principal: string, identityPolicies: PolicyDocument[],
  buckets: Record<string, ArchivedBucket>): Record<string, Request> {
  const requests: Record<string, Request> = {};
  for (const [bucketName, bucket] of Object.entries(buckets)) {
    const on = (action: string, resource: string) => {
      requests[`${label} ${action} on ${bucketName}`] = {
        principal, identityPolicies, resourcePolicy: bucket.policy, action, resource, resourceAccount: ACCOUNT,
      };
    };
    OBJECT_WEAKENING.forEach(action => on(action, bucket.objectArn));
    BUCKET_WEAKENING.forEach(action => on(action, bucket.arn));
  }
  return requests;
}

// ---------------------------------------------------------------- tests

describe('IAM simulation of the log archive (same account)', () => {
  const example = sameAccountApp();
  const lockBuckets = Object.fromEntries(Object.entries(example.buckets).filter(([, b]) => b.objectLock));

  test('the archive has three buckets, two of them Object Lock buckets', () => {
    expect(Object.keys(example.buckets)).toEqual(['archive', 'albAccessLogs', 'serverAccessLogs']);
    expect(Object.keys(lockBuckets)).toEqual(['archive', 'albAccessLogs']);
  });

  test('(a) an administrator and the account root cannot delete, unlock or re-lifecycle anything', async () => {
    const requests = {
      ...weakeningRequests('Admin', ADMIN, [ADMIN_POLICY], example.buckets),
      ...weakeningRequests('root', ROOT, [ADMIN_POLICY], example.buckets),
    };
    expect(Object.keys(requests)).toHaveLength(2 * 3 * (OBJECT_WEAKENING.length + BUCKET_WEAKENING.length));
    expect(await decisions(requests)).toEqual(expectAll(requests, 'ExplicitlyDenied'));
  });

  test('(b) an administrator cannot upload with a weaker lock, but can upload with the default one', async () => {
    const requests: Record<string, Request> = {};
    const expected: Record<string, Decision> = {};
    for (const [name, bucket] of Object.entries(lockBuckets)) {
      const put = (label: string, decision: Decision, context?: Record<string, string>) => {
        requests[`${label} into ${name}`] = {
          principal: ADMIN,
          identityPolicies: [ADMIN_POLICY],
          resourcePolicy: bucket.policy,
          action: 's3:PutObject',
          resource: bucket.objectArn,
          resourceAccount: ACCOUNT,
          context,
        };
        expected[`${label} into ${name}`] = decision;
      };
      put('GOVERNANCE lock', 'ExplicitlyDenied', { 's3:object-lock-mode': 'GOVERNANCE' });
      put('1 day of retention', 'ExplicitlyDenied', { 's3:object-lock-remaining-retention-days': '1' });
      put('364 days of retention', 'ExplicitlyDenied', { 's3:object-lock-remaining-retention-days': '364' });
      // The denies are scoped to weaker locks: no lock headers, or the default lock, pass.
      put('no lock headers', 'Allowed');
      put('COMPLIANCE lock for 365 days', 'Allowed', {
        's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-remaining-retention-days': '365',
      });
    }
    expect(await decisions(requests)).toEqual(expected);
  });

  test('(c) no IAM role of the app can delete, unlock or re-lifecycle anything', async () => {
    // Two layers, each with a delivery role and a subscription role; the archive stack has none.
    expect(example.roles.map(r => r.logicalId)).toHaveLength(4);
    const requests = Object.assign({}, ...example.roles.map(role =>
      weakeningRequests(role.arn, role.arn, role.policies.map(p => p.document), example.buckets)));
    expect(await decisions(requests)).toEqual(expectAll(requests, 'ExplicitlyDenied'));
  });

  test('(d) each layer\'s delivery role writes its own prefix only, and cannot read or delete', async () => {
    const archive = example.buckets.archive;
    const requests: Record<string, Request> = {};
    const expected: Record<string, Decision> = {};
    for (const [layer, role] of Object.entries(example.deliveryRoles)) {
      const other = layer === 'edge' ? 'host' : 'edge';
      const as = (label: string, action: string, resource: string, decision: Decision) => {
        requests[`${layer}: ${label}`] = {
          principal: role.arn,
          identityPolicies: role.policies.map(p => p.document),
          resourcePolicy: archive.policy,
          action,
          resource,
          resourceAccount: ACCOUNT,
        };
        expected[`${layer}: ${label}`] = decision;
      };
      const own = `arn:aws:s3:::${archive.name}/${layer}/logs/2026/11/22/x.gz`;
      as('PutObject own prefix', 's3:PutObject', own, 'Allowed');
      as('AbortMultipartUpload own prefix', 's3:AbortMultipartUpload', own, 'Allowed');
      as('PutObject other layer\'s prefix', 's3:PutObject', `arn:aws:s3:::${archive.name}/${other}/logs/2026/11/22/x.gz`, 'ImplicitlyDenied');
      as('PutObject bucket root', 's3:PutObject', `arn:aws:s3:::${archive.name}/archive-root.txt`, 'ImplicitlyDenied');
      as('GetObject own prefix', 's3:GetObject', own, 'ImplicitlyDenied');
      as('ListBucket', 's3:ListBucket', archive.arn, 'ImplicitlyDenied');
      as('DeleteObject own prefix', 's3:DeleteObject', own, 'ExplicitlyDenied');
    }
    expect(Object.keys(example.deliveryRoles)).toEqual(['edge', 'host']);
    expect(await decisions(requests)).toEqual(expected);
  });

  test('(d) a delivery role may use the archive key only through S3, for the archive bucket', async () => {
    const role = example.deliveryRoles.edge;
    const request = (bucketArn: string, viaService: string): Request => ({
      principal: role.arn,
      identityPolicies: role.policies.map(p => p.document),
      resourcePolicy: example.keyPolicy,
      action: 'kms:GenerateDataKey',
      resource: example.keyArn,
      resourceAccount: ACCOUNT,
      context: { 'kms:ViaService': viaService, 'kms:EncryptionContext:aws:s3:arn': bucketArn },
      unvalidatedContextKeys: ['kms:EncryptionContext:aws:s3:arn'],
    });
    expect(await decisions({
      'through S3 for the archive': request(example.buckets.archive.arn, `s3.${REGION}.amazonaws.com`),
      'through S3 for another bucket': request('arn:aws:s3:::another-bucket', `s3.${REGION}.amazonaws.com`),
      'directly, not through S3': request(example.buckets.archive.arn, `firehose.${REGION}.amazonaws.com`),
    })).toEqual({
      'through S3 for the archive': 'Allowed',
      'through S3 for another bucket': 'ImplicitlyDenied',
      'directly, not through S3': 'ImplicitlyDenied',
    });
  });
});

describe('IAM simulation of the log archive (cross account, as in examples/log-archive/app.ts)', () => {
  test('the cross-account archive template has no dependency cycle', () => {
    const app = new App();
    const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', {
      env: ARCHIVE_ENV,
      archive: { bucketName: ARCHIVE_BUCKET_NAME, trustedAccounts: [WORKLOAD_ENV.account] },
    });
    // CloudFormation refuses a template whose resources depend on each other in a cycle.
    expect(() => Template.fromStack(archiveStack)).not.toThrow();
  });

  const example = crossAccountApp();

  test('(a) an administrator and the account root cannot delete, unlock or re-lifecycle anything', async () => {
    const requests = {
      ...weakeningRequests('Admin', ADMIN, [ADMIN_POLICY], example.buckets),
      ...weakeningRequests('root', ROOT, [ADMIN_POLICY], example.buckets),
    };
    expect(await decisions(requests)).toEqual(expectAll(requests, 'ExplicitlyDenied'));
  });

  test('(c) no IAM role of either account can delete, unlock or re-lifecycle anything', async () => {
    expect(example.roles.map(r => r.account)).toEqual(Array(4).fill(WORKLOAD_ENV.account));
    const requests = Object.assign({}, ...example.roles.map(role =>
      weakeningRequests(role.arn, role.arn, role.policies.map(p => p.document), example.buckets)));
    expect(await decisions(requests)).toEqual(expectAll(requests, 'ExplicitlyDenied'));
  });

  test('(d) the workload account\'s delivery roles write their own prefix of the archive only', async () => {
    const archive = example.buckets.archive;
    const requests: Record<string, Request> = {};
    const expected: Record<string, Decision> = {};
    for (const [layer, role] of Object.entries(example.deliveryRoles)) {
      expect(role.arn).toMatch(new RegExp(`^arn:aws:iam::${WORKLOAD_ENV.account}:role/`));
      const other = layer === 'edge' ? 'host' : 'edge';
      const as = (label: string, action: string, resource: string, decision: Decision) => {
        requests[`${layer}: ${label}`] = {
          principal: role.arn,
          identityPolicies: role.policies.map(p => p.document),
          resourcePolicy: archive.policy,
          action,
          resource,
          resourceAccount: ACCOUNT,
        };
        expected[`${layer}: ${label}`] = decision;
      };
      const own = `arn:aws:s3:::${archive.name}/${layer}/logs/2026/11/22/x.gz`;
      as('PutObject own prefix', 's3:PutObject', own, 'Allowed');
      as('PutObject other layer\'s prefix', 's3:PutObject', `arn:aws:s3:::${archive.name}/${other}/logs/2026/11/22/x.gz`, 'ImplicitlyDenied');
      as('PutObject bucket root', 's3:PutObject', `arn:aws:s3:::${archive.name}/archive-root.txt`, 'ImplicitlyDenied');
      as('GetObject own prefix', 's3:GetObject', own, 'ImplicitlyDenied');
      as('ListBucket', 's3:ListBucket', archive.arn, 'ImplicitlyDenied');
      as('DeleteObject own prefix', 's3:DeleteObject', own, 'ExplicitlyDenied');
    }
    expect(await decisions(requests)).toEqual(expected);
  });

  test('(d) the workload account\'s delivery role may use the archive key through S3 for the archive only', async () => {
    const role = example.deliveryRoles.edge;
    const request = (bucketArn: string): Request => ({
      principal: role.arn,
      identityPolicies: role.policies.map(p => p.document),
      resourcePolicy: example.keyPolicy,
      action: 'kms:GenerateDataKey',
      resource: example.keyArn,
      resourceAccount: ACCOUNT,
      context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': bucketArn },
      unvalidatedContextKeys: ['kms:EncryptionContext:aws:s3:arn'],
    });
    expect(await decisions({
      'for the archive': request(example.buckets.archive.arn),
      'for another bucket': request('arn:aws:s3:::another-bucket'),
    })).toEqual({
      'for the archive': 'Allowed',
      'for another bucket': 'ImplicitlyDenied',
    });
  });
});

describe('IAM simulation of the break-glass exemption', () => {
  const app = new App();
  const stack = new Stack(app, 'BreakGlassArchive', { env: ARCHIVE_ENV });
  const archive = new LogArchive(stack, 'LogArchive', {
    breakGlassRole: iam.Role.fromRoleArn(stack, 'BreakGlass', BREAK_GLASS),
  });
  const buckets = bucketsOf(archive, resolverOf(stack));

  test('(e) the break-glass role may delete an object version; an administrator still may not', async () => {
    const request = (principal: string): Request => ({
      principal,
      identityPolicies: [ADMIN_POLICY],
      resourcePolicy: buckets.archive.policy,
      action: 's3:DeleteObjectVersion',
      resource: buckets.archive.objectArn,
      resourceAccount: ACCOUNT,
    });
    expect(await decisions({ BreakGlass: request(BREAK_GLASS), Admin: request(ADMIN) }))
      .toEqual({ BreakGlass: 'Allowed', Admin: 'ExplicitlyDenied' });
  });

  test('(e) the break-glass role is exempt from every deny of every bucket, and no one else is', async () => {
    const breakGlass = weakeningRequests('BreakGlass', BREAK_GLASS, [ADMIN_POLICY], buckets);
    const admin = weakeningRequests('Admin', ADMIN, [ADMIN_POLICY], buckets);
    const root = weakeningRequests('root', ROOT, [ADMIN_POLICY], buckets);
    expect(await decisions(breakGlass)).toEqual(expectAll(breakGlass, 'Allowed'));
    expect(await decisions({ ...admin, ...root })).toEqual(expectAll({ ...admin, ...root }, 'ExplicitlyDenied'));
  });
});
