// Simulates the synthesized IAM policies of the example apps with
// @cloud-copilot/iam-simulate (AGPL, dev dependency only): who may delete,
// unlock or overwrite archived logs, who may destroy the archive key or change
// what protects the buckets, who may upload where and with which key, in the
// same-account, two-account (trustedAccounts) and organization cases.
//
// Every simulation asserts an exact decision. A simulator input error, a
// wildcard result or a context key the simulator dropped throws, so it can
// never pass as a decision.
//
// AWS service principals (CloudTrail, ELB log delivery, S3 server access
// logging) are callers too: iam-simulate takes a service principal's name
// (`cloudtrail.amazonaws.com`) as the request principal and decides on the
// resource policy alone, as AWS does. It does not fill in
// aws:PrincipalServiceName itself (its README: "coming soon"), so `simulate`
// sets the context AWS sets on a service principal's request:
// aws:PrincipalServiceName and aws:PrincipalIsAWSService, and no
// aws:PrincipalArn or aws:PrincipalAccount (a service principal has neither).
import { Simulation, runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { LogArchive, LogArchiveProps, LogDeliveryPath } from '../../src';
import { ALARM_EMAIL, ARCHIVE_BUCKET_NAME, ARCHIVE_ENV, WORKLOAD_ENDPOINT, WORKLOAD_ENV, WORKLOAD_LOAD_BALANCER_ARN } from '../fixtures/log-archive/config';
import { ArchiveStack, WorkloadStack } from '../fixtures/log-archive/stacks';
import {
  PolicyDocument, TemplateResolver, bucketPolicyOf, exportsOf, keyPolicyOf, rolesOf,
} from '../helpers/template-resolver';

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

const ACCOUNT = ARCHIVE_ENV.account; // 111111111111, the archive's account
const REGION = ARCHIVE_ENV.region; // eu-west-1
const WORKLOAD = WORKLOAD_ENV.account; // 222222222222, the workload's account
/** An account the archive trusts in no case. */
const STRANGER = '333333333333';
/** The organization of the organization case (the archive's and the workload's accounts are in it). */
const ORG = 'o-a1b2c3d4e5';

/**
 * Who makes a request: a principal ARN and its identity policies, or an AWS
 * service principal's name (no ARN, no identity policies). `context` holds what
 * AWS adds about the principal, such as aws:PrincipalOrgID.
 */
interface Caller {
  readonly arn: string;
  readonly policies: PolicyDocument[];
  readonly context?: Record<string, string>;
}

/** Allow `*` on `*`: an administrator; for the root user it stands for its implicit full access. */
const ALLOW_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const ADMIN: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, policies: [ALLOW_ALL] };
const ROOT: Caller = { arn: `arn:aws:iam::${ACCOUNT}:root`, policies: [ALLOW_ALL] };
const BREAK_GLASS: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/BreakGlass`, policies: [ALLOW_ALL] };
/** The role CloudFormation deploys the archive's stack with: the default synthesizer's, as the CDK bootstrap names it. */
const DEPLOYMENT: Caller = { arn: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`, policies: [ALLOW_ALL] };

/** An AWS service principal as the caller. */
function service(name: string): Caller {
  return { arn: name, policies: [] };
}
const CLOUDTRAIL = service('cloudtrail.amazonaws.com');
const ELB_LOG_DELIVERY = service('logdelivery.elasticloadbalancing.amazonaws.com');
const S3_SERVER_ACCESS_LOGGING = service('logging.s3.amazonaws.com');

function isService(caller: Caller): boolean {
  return !caller.arn.startsWith('arn:');
}

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
/** Actions that would destroy the archive key or hand it over (crypto-shredding): the break-glass and deployment roles only. */
const KEY_DESTROYING = [
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'kms:DeleteImportedKeyMaterial',
  'kms:DisableKeyRotation',
];
/**
 * Actions that change what protects a bucket: the break-glass and deployment roles only.
 * S3 lets the bucket owner's root user call PutBucketPolicy and DeleteBucketPolicy
 * whatever the bucket policy says (so that an account cannot lock itself out of
 * its bucket); iam-simulate does not model that exception and would report them
 * ExplicitlyDenied for root. The root cases below therefore leave them out:
 * what root can still do is the README's "What remains possible", not a test.
 */
const PROTECTION_CHANGING = [
  's3:PutEncryptionConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketOwnershipControls',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketLogging',
];
const BUCKET_POLICY_ACTIONS = ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy'];
const PROTECTION_CHANGING_BUT_THE_POLICY = PROTECTION_CHANGING.filter(a => !BUCKET_POLICY_ACTIONS.includes(a));

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

/** The context AWS sets about the caller: its ARN and account, or for a service principal its name. */
function principalContext(caller: Caller): Record<string, string> {
  const principal: Record<string, string> = isService(caller)
    ? { 'aws:PrincipalServiceName': caller.arn, 'aws:PrincipalIsAWSService': 'true' }
    : { 'aws:PrincipalArn': caller.arn, 'aws:PrincipalAccount': caller.arn.split(':')[4], 'aws:PrincipalIsAWSService': 'false' };
  return { ...principal, ...caller.context };
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
        ...principalContext(caller),
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

/** The archive key's alias ARN, where the archive has one (with `bucketName`), read from the template. */
function aliasArnOf(resolver: TemplateResolver): string | undefined {
  const aliases = Object.values(resolver.resources).filter(r => r.Type === 'AWS::KMS::Alias');
  if (aliases.length > 1) throw new Error(`Expected at most one key alias, found ${aliases.length}`);
  return aliases.length === 0 ? undefined : `arn:aws:kms:${REGION}:${ACCOUNT}:${resolver.resolveString(aliases[0].Properties!.AliasName)}`;
}

/**
 * What the simulations need of an app: the archive's buckets and key, and every
 * role. `context` is what AWS adds about every principal of the app's accounts
 * (aws:PrincipalOrgID in the organization case).
 */
function simulationInputs(archiveStack: ArchiveStack, workload: WorkloadStack, context?: Record<string, string>) {
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
    deliveryRoles[layer.layerName] = { arn: role.arn, policies: role.policies.map(p => p.document), context };
  }
  return {
    buckets: bucketsOf(archiveStack.archive, archiveResolver),
    keyArn: archiveResolver.getAtt(keyId, 'Arn'),
    aliasArn: aliasArnOf(archiveResolver),
    keyPolicy: keyPolicyOf(archiveResolver, keyId),
    /** Every role of both stacks, as a caller. */
    roles: roles.map(r => ({ arn: r.arn, policies: r.policies.map(p => p.document), account: r.account, context })),
    /** Each layer's delivery role, by layer name. */
    deliveryRoles,
    /** The account of the workload's roles. */
    workloadAccount: workload.account,
    /** What AWS adds about every principal of the app's accounts. */
    context,
  };
}

type Example = ReturnType<typeof simulationInputs>;

/** How the archive is shared. */
type Sharing = 'same-account' | 'two-account' | 'organization';

/**
 * The example of test/fixtures/log-archive in one of three shapes:
 * - same-account: archive and workload in one account, the archive handed over as the construct;
 * - two-account: exactly as the fixture builds it (`trustedAccounts`, the workload imports the archive by name);
 * - organization: `organizationId` instead of `trustedAccounts`, the workload in another account of the organization.
 * `breakGlass` gives the archive a break-glass role.
 */
function exampleApp(sharing: Sharing, options: { breakGlass?: boolean } = {}): Example {
  const app = new App();
  const archiveProps = (stack: Stack): LogArchiveProps => ({
    ...(sharing === 'two-account' ? { bucketName: ARCHIVE_BUCKET_NAME, trustedAccounts: [WORKLOAD] } : {}),
    ...(sharing === 'organization' ? { bucketName: ARCHIVE_BUCKET_NAME, organizationId: ORG } : {}),
    ...(options.breakGlass ? { breakGlassRole: iam.Role.fromRoleArn(stack, 'BreakGlass', BREAK_GLASS.arn) } : {}),
  });
  const archiveStack = new ArchiveStack(app, 'LogArchiveAccount', { env: ARCHIVE_ENV, archive: archiveProps });
  const workload = new WorkloadStack(app, 'WorkloadAccount', {
    env: sharing === 'same-account' ? ARCHIVE_ENV : WORKLOAD_ENV,
    loadBalancerArn: WORKLOAD_LOAD_BALANCER_ARN,
    endpoint: WORKLOAD_ENDPOINT,
    alarmEmail: ALARM_EMAIL,
    archive: sharing === 'same-account'
      ? () => archiveStack.archive
      : scope => LogArchive.fromArchiveAttributes(scope, 'LogArchive', {
        bucketName: ARCHIVE_BUCKET_NAME,
        account: ARCHIVE_ENV.account,
        region: ARCHIVE_ENV.region,
        albAccessLogBucketName: `${ARCHIVE_BUCKET_NAME}-alb`,
      }),
  });
  return simulationInputs(archiveStack, workload, sharing === 'organization' ? { 'aws:PrincipalOrgID': ORG } : undefined);
}

/** `caller` with what AWS adds about every principal of the example's accounts. */
function of(example: Example, caller: Caller): Caller {
  return example.context ? { ...caller, context: { ...example.context, ...caller.context } } : caller;
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

/** (f): `actions` on the archive key by `caller`. */
function keyCases(label: string, caller: Caller, example: Example, expected: Decision, actions = KEY_DESTROYING): Cases {
  return Object.fromEntries(actions.map(action => [`${label} ${action} on the archive key`, {
    request: { caller, action, resource: example.keyArn, resourcePolicy: example.keyPolicy }, expected,
  }]));
}

/** (f): `actions` that change a bucket's protection, on every bucket, by `caller`. */
function protectionCases(label: string, caller: Caller, buckets: Record<string, ArchivedBucket>, expected: Decision,
  actions = PROTECTION_CHANGING): Cases {
  const cases: Cases = {};
  for (const [bucketName, bucket] of Object.entries(buckets)) {
    for (const action of actions) {
      cases[`${label} ${action} on ${bucketName}`] = { request: { caller, action, resource: bucket.arn, resourcePolicy: bucket.policy }, expected };
    }
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
      // Denied twice over: no grant in the role's policy, and the bucket policy's deny of writes outside the layer's prefix.
      [`PutObject in ${other}'s prefix`, 's3:PutObject', `arn:aws:s3:::${archive.name}/${PREFIX[other]}2026/11/22/x.gz`, 'ExplicitlyDenied'],
      ['PutObject at the bucket root', 's3:PutObject', `arn:aws:s3:::${archive.name}/archive-root.txt`, 'ExplicitlyDenied'],
      ['PutObject in CloudTrail\'s prefix', 's3:PutObject', `arn:aws:s3:::${archive.name}/cloudtrail/AWSLogs/${caller.arn.split(':')[4]}/x.json.gz`, 'ExplicitlyDenied'],
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

/** Keys of objects in every part of the archive bucket: each layer's prefix, CloudTrail's, the root. */
function archiveKeys(account: string): Record<string, string> {
  return {
    'edge/': 'edge/waf/2026/11/22/x.gz',
    'host/': 'host/logs/2026/11/22/x.gz',
    'cloudtrail/': `cloudtrail/AWSLogs/${account}/CloudTrail/${REGION}/2026/11/22/x.json.gz`,
    'the root': 'junk.bin',
  };
}

/** (g): `caller` uploads anywhere in every bucket, with no headers and with the archive key named. */
function uploadCases(label: string, caller: Caller, example: Example, expected: Decision): Cases {
  const { archive, albAccessLogs, serverAccessLogs } = example.buckets;
  const put = (bucket: ArchivedBucket, key: string, context?: Record<string, string>) =>
    ({ request: { caller, action: 's3:PutObject', resource: `arn:aws:s3:::${bucket.name}/${key}`, resourcePolicy: bucket.policy, context }, expected });
  const cases: Cases = {};
  for (const [where, key] of Object.entries(archiveKeys(caller.arn.split(':')[4]))) {
    cases[`${label} PutObject under ${where} of the archive`] = put(archive, key);
  }
  cases[`${label} PutObject with the archive key into the archive`] = put(archive, 'edge/waf/2026/11/22/x.gz', sseKms(example.keyArn));
  cases[`${label} PutObject into the ALB access-log bucket`] = put(albAccessLogs, `edge/alb/AWSLogs/${ACCOUNT}/x.log.gz`);
  cases[`${label} PutObject into the server-access-log bucket`] = put(serverAccessLogs, 'archive/x');
  return cases;
}

function sseKms(keyId?: string): Record<string, string> {
  return {
    's3:x-amz-server-side-encryption': 'aws:kms',
    ...(keyId ? { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyId } : {}),
  };
}

/** (h): which encryption a delivery role's upload into its own prefix may name. */
function encryptionCases(example: Example): Cases {
  const { archive } = example.buckets;
  const caller = example.deliveryRoles.edge;
  const put = (context: Record<string, string> | undefined, expected: Decision) =>
    ({ request: { caller, action: 's3:PutObject', resource: archive.objectArn, resourcePolicy: archive.policy, context }, expected });
  return {
    'no encryption header (the bucket default: the archive key)': put(undefined, 'Allowed'),
    'aws:kms without a key (the bucket default: the archive key)': put(sseKms(), 'Allowed'),
    'aws:kms with the archive key\'s ARN': put(sseKms(example.keyArn), 'Allowed'),
    'AES256 (SSE-S3)': put({ 's3:x-amz-server-side-encryption': 'AES256' }, 'ExplicitlyDenied'),
    'aws:kms:dsse': put({ 's3:x-amz-server-side-encryption': 'aws:kms:dsse' }, 'ExplicitlyDenied'),
    'aws:kms with another key of the archive account': put(sseKms(`arn:aws:kms:${REGION}:${ACCOUNT}:key/another-key`), 'ExplicitlyDenied'),
    ...(example.workloadAccount !== ACCOUNT
      ? { 'aws:kms with a key of the uploader\'s account': put(sseKms(`arn:aws:kms:${REGION}:${example.workloadAccount}:key/another-key`), 'ExplicitlyDenied') }
      : {}),
    ...(example.aliasArn ? { 'aws:kms with the archive key\'s alias ARN': put(sseKms(example.aliasArn), 'Allowed') } : {}),
  };
}

/** (b): uploads whose lock is weaker than the default, by a legitimate uploader of each Object Lock bucket. */
function lockCases(example: Example): Cases {
  const { archive, albAccessLogs } = example.buckets;
  // The archive takes delivery roles' uploads, the ALB access-log bucket ELB's (nobody else uploads at all, see (g)).
  const uploaders: Array<[string, ArchivedBucket, Caller]> = [
    ['the edge delivery role into archive', archive, example.deliveryRoles.edge],
    ['ELB log delivery into albAccessLogs', albAccessLogs, ELB_LOG_DELIVERY],
  ];
  const cases: Cases = {};
  for (const [label, bucket, caller] of uploaders) {
    const put = (what: string, expected: Decision, context?: Record<string, string>) => {
      cases[`${what}: ${label}`] = { request: { caller, action: 's3:PutObject', resource: bucket.objectArn, resourcePolicy: bucket.policy, context }, expected };
    };
    put('GOVERNANCE mode', 'ExplicitlyDenied', { 's3:object-lock-mode': 'GOVERNANCE' });
    put('1 day of retention', 'ExplicitlyDenied', { 's3:object-lock-remaining-retention-days': '1' });
    put('364 days of retention', 'ExplicitlyDenied', { 's3:object-lock-remaining-retention-days': '364' });
    // The denies are scoped: without lock headers (the bucket's default lock applies)
    // or with a lock as strong as the default, the upload goes through.
    put('no lock headers', 'Allowed');
    put('COMPLIANCE mode for 365 days', 'Allowed', { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-remaining-retention-days': '365' });
  }
  return cases;
}

/** A trail's ARN in `account`. */
function trailArn(account: string): string {
  return `arn:aws:cloudtrail:${REGION}:${account}:trail/tamper-watch`;
}

/** CloudTrail delivering a trail of `account` (its request context, as CloudTrail sends it). */
function cloudTrailContext(account: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'aws:SourceAccount': account, 'aws:SourceArn': trailArn(account), ...extra };
}

/**
 * (i): CloudTrail writes trails of the trusted `accounts` under
 * cloudtrail/AWSLogs/<account>/ only, and encrypts with the archive key for
 * trails of those accounts only. With `organizationId`, every request of
 * CloudTrail for those accounts carries aws:SourceOrgID, as AWS sets it for an
 * account of an organization.
 */
function cloudTrailCases(example: Example, accounts: string[], organizationId?: string): Cases {
  const { archive } = example.buckets;
  const cases: Cases = {};
  const s3 = (label: string, action: string, resource: string, context: Record<string, string>, expected: Decision) => {
    cases[`CloudTrail ${label}`] = { request: { caller: CLOUDTRAIL, action, resource, resourcePolicy: archive.policy, context }, expected };
  };
  const logFile = (account: string, prefix = 'cloudtrail') =>
    `arn:aws:s3:::${archive.name}/${prefix}/AWSLogs/${account}/CloudTrail/${REGION}/2026/11/22/${account}_CloudTrail_${REGION}_x.json.gz`;
  const acl = { 's3:x-amz-acl': 'bucket-owner-full-control' };
  const kms = (label: string, action: string, trail: string, context: Record<string, string>, expected: Decision) => {
    cases[`CloudTrail ${action} ${label}`] = {
      request: {
        caller: CLOUDTRAIL,
        action,
        resource: example.keyArn,
        resourcePolicy: example.keyPolicy,
        context: { ...context, 'kms:EncryptionContext:aws:cloudtrail:arn': trail },
        unvalidatedContextKeys: ['kms:EncryptionContext:aws:cloudtrail:arn'],
      },
      expected,
    };
  };
  const org = (id?: string): Record<string, string> => (id ? { 'aws:SourceOrgID': id } : {});
  for (const account of accounts) {
    const source = cloudTrailContext(account, org(organizationId));
    s3(`GetBucketAcl for a trail of ${account}`, 's3:GetBucketAcl', archive.arn, source, 'Allowed');
    s3(`PutObject under cloudtrail/AWSLogs/${account}/ with the archive key`, 's3:PutObject', logFile(account), { ...source, ...acl, ...sseKms(example.keyArn) }, 'Allowed');
    s3(`PutObject under cloudtrail/AWSLogs/${account}/ without naming a key`, 's3:PutObject', logFile(account), { ...source, ...acl }, 'Allowed');
    s3(`PutObject under cloudtrail/AWSLogs/${account}/ without bucket-owner-full-control`, 's3:PutObject', logFile(account), source, 'ImplicitlyDenied');
    s3(`PutObject under cloudtrail/AWSLogs/${account}/ with another key`, 's3:PutObject', logFile(account),
      { ...source, ...acl, ...sseKms(`arn:aws:kms:${REGION}:${account}:key/another-key`) }, 'ExplicitlyDenied');
    s3(`PutObject under cloudtrail/AWSLogs/${account}/ with SSE-S3`, 's3:PutObject', logFile(account),
      { ...source, ...acl, 's3:x-amz-server-side-encryption': 'AES256' }, 'ExplicitlyDenied');
    s3(`PutObject of a trail of ${account} under edge/`, 's3:PutObject', `arn:aws:s3:::${archive.name}/edge/AWSLogs/${account}/x.json.gz`, { ...source, ...acl }, 'ImplicitlyDenied');
    s3(`PutObject of a trail of ${account} under host/AWSLogs/`, 's3:PutObject', logFile(account, 'host'), { ...source, ...acl }, 'ImplicitlyDenied');
    kms(`for a trail of ${account}`, 'kms:GenerateDataKey', trailArn(account), source, 'Allowed');
    if (!organizationId) {
      // Each account's trails write under that account's own prefix only, not under another trusted account's.
      for (const other of accounts.filter(a => a !== account)) {
        s3(`PutObject of a trail of ${account} under cloudtrail/AWSLogs/${other}/`, 's3:PutObject', logFile(other), { ...source, ...acl }, 'ImplicitlyDenied');
      }
    }
    cases[`CloudTrail kms:DescribeKey for a trail of ${account}`] = {
      request: { caller: CLOUDTRAIL, action: 'kms:DescribeKey', resource: example.keyArn, resourcePolicy: example.keyPolicy, context: source }, expected: 'Allowed',
    };
  }
  // A trail of an account the archive does not trust (in the organization case: of another organization).
  const stranger = cloudTrailContext(STRANGER, org(organizationId ? 'o-z9y8x7w6v5' : undefined));
  s3(`GetBucketAcl for a trail of ${STRANGER}`, 's3:GetBucketAcl', archive.arn, stranger, 'ImplicitlyDenied');
  s3(`PutObject under cloudtrail/AWSLogs/${STRANGER}/`, 's3:PutObject', logFile(STRANGER), { ...stranger, ...acl, ...sseKms(example.keyArn) }, 'ImplicitlyDenied');
  s3(`PutObject of a trail of ${STRANGER} under cloudtrail/AWSLogs/${ACCOUNT}/`, 's3:PutObject', logFile(ACCOUNT), { ...stranger, ...acl, ...sseKms(example.keyArn) }, 'ImplicitlyDenied');
  kms(`for a trail of ${STRANGER}`, 'kms:GenerateDataKey', trailArn(STRANGER), stranger, 'ImplicitlyDenied');
  kms(`for a trail of ${STRANGER}`, 'kms:Decrypt', trailArn(STRANGER), stranger, 'ImplicitlyDenied');
  if (!organizationId) {
    // The encryption context must name a trail of a trusted account, whatever the source account. (With an
    // organization, any trail ARN is accepted from an account of the organization: CloudTrail names the trail it delivers.)
    kms(`for a trail of ${STRANGER}, from ${ACCOUNT}`, 'kms:GenerateDataKey', trailArn(STRANGER), cloudTrailContext(ACCOUNT), 'ImplicitlyDenied');
  }
  return cases;
}

/** (j): who may deliver ALB access logs (ELB, for the archive's and trusted accounts) and server access logs (S3). */
function logDeliveryServiceCases(example: Example, albAccounts: string[], notAlbAccounts: string[]): Cases {
  const { archive, albAccessLogs, serverAccessLogs } = example.buckets;
  const cases: Cases = {};
  const put = (label: string, caller: Caller, bucket: ArchivedBucket, key: string, expected: Decision, context?: Record<string, string>) => {
    cases[label] = { request: { caller, action: 's3:PutObject', resource: `arn:aws:s3:::${bucket.name}/${key}`, resourcePolicy: bucket.policy, context }, expected };
  };
  const albLog = (account: string) => `edge/alb/AWSLogs/${account}/elasticloadbalancing/${REGION}/2026/11/22/x.log.gz`;
  for (const account of albAccounts) {
    put(`ELB PutObject under */AWSLogs/${account}/ of the ALB bucket`, ELB_LOG_DELIVERY, albAccessLogs, albLog(account), 'Allowed');
  }
  for (const account of notAlbAccounts) {
    put(`ELB PutObject under */AWSLogs/${account}/ of the ALB bucket`, ELB_LOG_DELIVERY, albAccessLogs, albLog(account), 'ImplicitlyDenied');
  }
  put('ELB PutObject outside AWSLogs/ of the ALB bucket', ELB_LOG_DELIVERY, albAccessLogs, 'edge/alb/junk.bin', 'ImplicitlyDenied');
  // In regions opened before August 2022 ELB delivers as a principal of the region's ELB account (eu-west-1: 156460612806),
  // whichever principal of that account it signs with.
  const elbAccountRole: Caller = { arn: 'arn:aws:iam::156460612806:role/elb-log-delivery', policies: [ALLOW_ALL] };
  put(`the regional ELB account PutObject under */AWSLogs/${ACCOUNT}/ of the ALB bucket`, elbAccountRole, albAccessLogs, albLog(ACCOUNT), 'Allowed');
  put('ELB PutObject into the archive', ELB_LOG_DELIVERY, archive, albLog(ACCOUNT), 'ImplicitlyDenied');
  const fromBucket = (bucket: ArchivedBucket) => ({ 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': bucket.arn });
  put('S3 server access logging of the archive under archive/', S3_SERVER_ACCESS_LOGGING, serverAccessLogs, 'archive/x', 'Allowed', fromBucket(archive));
  put('S3 server access logging of the ALB bucket under alb-access-logs/', S3_SERVER_ACCESS_LOGGING, serverAccessLogs, 'alb-access-logs/x', 'Allowed', fromBucket(albAccessLogs));
  put('S3 server access logging of the archive under alb-access-logs/', S3_SERVER_ACCESS_LOGGING, serverAccessLogs, 'alb-access-logs/x', 'ImplicitlyDenied', fromBucket(archive));
  put('S3 server access logging of another bucket', S3_SERVER_ACCESS_LOGGING, serverAccessLogs, 'archive/x', 'ImplicitlyDenied',
    { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': 'arn:aws:s3:::another-bucket' });
  // Explicitly: the ALB bucket denies uploads to every service but ELB log delivery.
  put('S3 server access logging into the ALB bucket', S3_SERVER_ACCESS_LOGGING, albAccessLogs, albLog(ACCOUNT), 'ExplicitlyDenied', fromBucket(archive));
  return cases;
}

/**
 * The simulations of one case of the example, registered as tests when the
 * describe block is collected, so that they can be counted whichever tests run.
 */
class SimulationSuite {
  private readonly byTest: Record<string, Cases> = {};

  /** A test that asserts every decision of `cases`, after the synchronous `check`, if any. */
  public test(name: string, cases: Cases, check?: () => void): void {
    if (name in this.byTest) throw new Error(`Two tests named '${name}'`);
    this.byTest[name] = cases;
    test(name, async () => {
      check?.();
      await expectDecisions(cases);
    });
  }

  /** How many simulations the suite asserts. */
  public get count(): number {
    return Object.values(this.byTest).reduce((n, cases) => n + Object.keys(cases).length, 0);
  }
}

/**
 * The number of simulations each case asserts (the report cites them; a change
 * here is a change of coverage, say why).
 */
const SIMULATIONS: Record<Sharing, number> = {
  // (a) 48, (c) 288, (d) 16 + 3; (f) 40 + 48 + 51, (g) 77 + 5, (h) 6, (b) 10, (i) 16, (j) 10
  'same-account': 618,
  // (a) 48, (c) 288, (d) 16 + 3; (f) 63 + 48 + 51, (g) 84 + 5, (h) 8, (b) 10, (i) 28 (two: each account's trails under the other's prefix), (j) 11
  'two-account': 663,
  // (a) 48, (c) 288, (d) 16 + 3 + 2; (f) 63 + 48 + 51, (g) 84 + 5, (h) 8, (b) 10, (i) 25, (j) 11
  'organization': 662,
};

/** (a), (c), (d): nobody deletes or unlocks; delivery roles write their own prefix, with the archive key through S3 only. */
function baseTests(suite: SimulationSuite, sharing: Sharing, example: Example): void {
  const { buckets } = example;
  const viaS3 = `s3.${REGION}.amazonaws.com`;
  const keyUse = (caller: Caller, viaService: string, bucketArn: string) =>
    keyRequest(caller, example.keyArn, example.keyPolicy, viaService, bucketArn);

  const weakening = {
    ...weakeningCases('Admin', of(example, ADMIN), buckets, 'ExplicitlyDenied'),
    ...weakeningCases('root', of(example, ROOT), buckets, 'ExplicitlyDenied'),
  };
  suite.test('(a) neither an administrator nor the account root can delete, unlock or re-lifecycle anything', weakening,
    () => expect(Object.keys(weakening)).toHaveLength(2 * 3 * (OBJECT_WEAKENING.length + BUCKET_WEAKENING.length)));

  // A delivery role and a subscription role per path (edge, host, watch, the log delivery heartbeat's), the edge's
  // decoy quarantine role, the edge's and the log delivery's heartbeat roles, and the watch topic's notification role;
  // the archive stack has none.
  suite.test('(c) no IAM role of the app can delete, unlock or re-lifecycle anything',
    Object.assign({}, ...example.roles.map(role => weakeningCases(role.arn, role, buckets, 'ExplicitlyDenied'))),
    () => expect(example.roles.map(r => r.account)).toEqual(Array(4 * 2 + 1 + 2 + 1).fill(example.workloadAccount)));

  // Cross-account, a write needs both the role's policy and the archive's bucket policy (trustedAccounts, organizationId).
  suite.test('(d) each layer\'s delivery role writes its own prefix only, and can neither read nor delete',
    deliveryCases(example.deliveryRoles, buckets.archive));

  suite.test('(d) a delivery role may use the archive key only through S3, for the archive bucket', {
    'through S3 for the archive': { request: keyUse(example.deliveryRoles.edge, viaS3, buckets.archive.arn), expected: 'Allowed' },
    'through S3 for another bucket': { request: keyUse(example.deliveryRoles.edge, viaS3, 'arn:aws:s3:::another-bucket'), expected: 'ImplicitlyDenied' },
    'not through S3': { request: keyUse(example.deliveryRoles.edge, `firehose.${REGION}.amazonaws.com`, buckets.archive.arn), expected: 'ImplicitlyDenied' },
  });

  if (sharing === 'organization') {
    // The same role, its request with another organization's id: an account outside the organization.
    const outside: Caller = { ...example.deliveryRoles.edge, context: { 'aws:PrincipalOrgID': 'o-z9y8x7w6v5' } };
    suite.test('(d) a delivery role outside the organization may not write, nor use the key', {
      'PutObject in its own prefix': {
        request: { caller: outside, action: 's3:PutObject', resource: buckets.archive.objectArn, resourcePolicy: buckets.archive.policy }, expected: 'ImplicitlyDenied',
      },
      'GenerateDataKey through S3 for the archive': { request: keyUse(outside, viaS3, buckets.archive.arn), expected: 'ImplicitlyDenied' },
    });
  }
}

/**
 * (b), (f) to (j): the archive's hardening: nobody but the break-glass and
 * deployment roles may destroy the key or change what protects the buckets;
 * nobody but delivery roles and log delivery services uploads, each where it
 * belongs, with the archive key and a lock as strong as the default.
 */
function hardeningTests(suite: SimulationSuite, sharing: Sharing, example: Example, withBreakGlass: Example,
  trusted: { accounts: string[]; organizationId?: string; albAccounts: string[] }): void {
  const { buckets } = example;
  const otherAccount = sharing !== 'same-account';
  // A principal of the workload account that is not a delivery role (in the same-account case: ADMIN).
  const workloadAdmin = of(example, { arn: `arn:aws:iam::${example.workloadAccount}:role/Admin`, policies: [ALLOW_ALL] });
  const deployment = of(example, DEPLOYMENT);

  const forbidden = {
    ...keyCases('root', of(example, ROOT), example, 'ExplicitlyDenied'),
    ...keyCases('Admin', of(example, ADMIN), example, 'ExplicitlyDenied'),
    // See PROTECTION_CHANGING: S3 lets the owner's root user replace or delete the bucket policy whatever it says.
    ...protectionCases('root', of(example, ROOT), buckets, 'ExplicitlyDenied', PROTECTION_CHANGING_BUT_THE_POLICY),
    ...protectionCases('Admin', of(example, ADMIN), buckets, 'ExplicitlyDenied'),
    ...(otherAccount ? {
      ...keyCases('workload Admin', workloadAdmin, example, 'ExplicitlyDenied'),
      ...protectionCases('workload Admin', workloadAdmin, buckets, 'ExplicitlyDenied'),
    } : {}),
  };
  suite.test('(f) neither root nor an administrator can destroy the archive key or change what protects a bucket', forbidden,
    () => expect(Object.keys(forbidden)).toHaveLength((otherAccount ? 2 : 1) * (5 + 3 * 6) + 5 + 3 * 4));

  suite.test('(f) the deployment role may change the key\'s policy and the buckets\' protection, and nothing more', {
    ...keyCases('deployment role', deployment, example, 'Allowed'),
    ...protectionCases('deployment role', deployment, buckets, 'Allowed'),
    // Its exemption is from those two denies only.
    ...weakeningCases('deployment role', deployment, buckets, 'ExplicitlyDenied'),
    'deployment role PutObject into the archive': {
      request: { caller: deployment, action: 's3:PutObject', resource: buckets.archive.objectArn, resourcePolicy: buckets.archive.policy }, expected: 'ExplicitlyDenied',
    },
  });

  suite.test('(f) the break-glass role may destroy the key and change the protection; an administrator still may not', {
    ...keyCases('BreakGlass', of(withBreakGlass, BREAK_GLASS), withBreakGlass, 'Allowed'),
    ...protectionCases('BreakGlass', of(withBreakGlass, BREAK_GLASS), withBreakGlass.buckets, 'Allowed'),
    ...keyCases('Admin', of(withBreakGlass, ADMIN), withBreakGlass, 'ExplicitlyDenied'),
    ...protectionCases('Admin', of(withBreakGlass, ADMIN), withBreakGlass.buckets, 'ExplicitlyDenied'),
    // The deployment role keeps its exemption next to the break-glass role's.
    ...keyCases('deployment role', of(withBreakGlass, DEPLOYMENT), withBreakGlass, 'Allowed'),
  });

  suite.test('(g) no principal but a delivery role uploads anywhere, in any bucket', {
    ...uploadCases('Admin', of(example, ADMIN), example, 'ExplicitlyDenied'),
    ...uploadCases('root', of(example, ROOT), example, 'ExplicitlyDenied'),
    ...(otherAccount ? uploadCases('workload Admin', workloadAdmin, example, 'ExplicitlyDenied') : {}),
    ...uploadCases('stranger', { arn: `arn:aws:iam::${STRANGER}:role/Admin`, policies: [ALLOW_ALL] }, example, 'ExplicitlyDenied'),
    // Every role of the app that is not a delivery role (subscription, heartbeat, quarantine, notification roles).
    ...Object.assign({}, ...example.roles
      .filter(role => !role.arn.includes(':role/defence-in-depth-delivery/'))
      .map(role => uploadCases(role.arn, role, example, 'ExplicitlyDenied'))),
  });

  // What remains possible: whoever may create IAM roles in the archive's or a trusted account (in the organization
  // case: in any account of the organization) can create a role under /defence-in-depth-delivery/<layer>/ and write
  // that layer's prefix; the bucket policy cannot tell it from the layer's real delivery role.
  const forged = of(example, { arn: `arn:aws:iam::${example.workloadAccount}:role/defence-in-depth-delivery/edge/Forged`, policies: [ALLOW_ALL] });
  const unknownLayer = of(example, { arn: `arn:aws:iam::${example.workloadAccount}:role/defence-in-depth-delivery/nosuchlayer/Forged`, policies: [ALLOW_ALL] });
  const strangerUnderPath: Caller = { arn: `arn:aws:iam::${STRANGER}:role/defence-in-depth-delivery/edge/Forged`, policies: [ALLOW_ALL] };
  const put = (caller: Caller, key: string, expected: Decision) => ({
    request: { caller, action: 's3:PutObject', resource: `arn:aws:s3:::${buckets.archive.name}/${key}`, resourcePolicy: buckets.archive.policy }, expected,
  });
  suite.test('(g) delivery roles are known by their role path: a role under a layer\'s path writes that layer\'s prefix only', {
    'a role under the edge path, under edge/': put(forged, 'edge/forged.gz', 'Allowed'),
    'a role under the edge path, under host/': put(forged, 'host/forged.gz', 'ExplicitlyDenied'),
    'a role under the path of a layer nobody declared, under its own prefix': put(unknownLayer, 'nosuchlayer/x.gz', 'ExplicitlyDenied'),
    'a role under the path of a layer nobody declared, under edge/': put(unknownLayer, 'edge/x.gz', 'ExplicitlyDenied'),
    // An untrusted account's role under the delivery path: nothing allows it.
    [`a role of ${STRANGER} under the edge path, under edge/`]: put(strangerUnderPath, 'edge/forged.gz', 'ImplicitlyDenied'),
  });

  suite.test('(h) an upload naming another encryption or another key is denied, even a delivery role\'s into its own prefix', encryptionCases(example));
  suite.test('(b) no upload may set a weaker lock than the default, not even a legitimate uploader\'s', lockCases(example));
  suite.test('(i) CloudTrail writes trails of the archive\'s own and trusted accounts under cloudtrail/AWSLogs/<account>/ only, with the archive key',
    cloudTrailCases(example, trusted.accounts, trusted.organizationId));
  const notAlbAccounts = [STRANGER, ...(otherAccount && !trusted.albAccounts.includes(example.workloadAccount) ? [example.workloadAccount] : [])];
  suite.test('(j) only ELB writes the ALB access-log bucket, only S3 server access logging the server-access-log bucket',
    logDeliveryServiceCases(example, trusted.albAccounts, notAlbAccounts));
}

// ----------------------------------------------------------------------- tests

describe('IAM simulation of the log archive, archive and workload in one account', () => {
  const example = exampleApp('same-account');
  const suite = new SimulationSuite();

  test('the archive has three buckets, two of them with Object Lock, and the layers two delivery roles', () => {
    const { buckets } = example;
    expect(Object.keys(buckets)).toEqual(['archive', 'albAccessLogs', 'serverAccessLogs']);
    expect(Object.entries(buckets).filter(([, b]) => b.objectLock).map(([name]) => name)).toEqual(['archive', 'albAccessLogs']);
    expect(Object.values(example.deliveryRoles).map(r => r.arn)).toEqual([
      expect.stringMatching(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/defence-in-depth-delivery/edge/`)),
      expect.stringMatching(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/defence-in-depth-delivery/host/`)),
    ]);
    expect(example.aliasArn).toBeUndefined();
  });

  baseTests(suite, 'same-account', example);
  hardeningTests(suite, 'same-account', example, exampleApp('same-account', { breakGlass: true }), { accounts: [ACCOUNT], albAccounts: [ACCOUNT] });

  test('the number of simulations', () => {
    expect(suite.count).toBe(SIMULATIONS['same-account']);
  });
});

describe('IAM simulation of the log archive, cross-account as in test/fixtures/log-archive (trustedAccounts)', () => {
  const example = exampleApp('two-account');
  const suite = new SimulationSuite();

  test('the workload account\'s delivery roles carry the delivery path, and the archive key has an alias', () => {
    expect(Object.values(example.deliveryRoles).map(r => r.arn)).toEqual([
      expect.stringMatching(new RegExp(`^arn:aws:iam::${WORKLOAD}:role/defence-in-depth-delivery/edge/`)),
      expect.stringMatching(new RegExp(`^arn:aws:iam::${WORKLOAD}:role/defence-in-depth-delivery/host/`)),
    ]);
    expect(example.aliasArn).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:alias/defence-in-depth-archive/${ARCHIVE_BUCKET_NAME}`);
  });

  baseTests(suite, 'two-account', example);
  hardeningTests(suite, 'two-account', example, exampleApp('two-account', { breakGlass: true }),
    { accounts: [ACCOUNT, WORKLOAD], albAccounts: [ACCOUNT, WORKLOAD] });

  test('the number of simulations', () => {
    expect(suite.count).toBe(SIMULATIONS['two-account']);
  });
});

describe('IAM simulation of the log archive, shared with an organization (organizationId)', () => {
  const example = exampleApp('organization');
  const suite = new SimulationSuite();

  test('the workload is in another account of the organization, and the archive key has an alias', () => {
    expect(Object.values(example.deliveryRoles).map(r => [r.arn.split(':')[4], r.context])).toEqual([
      [WORKLOAD, { 'aws:PrincipalOrgID': ORG }], [WORKLOAD, { 'aws:PrincipalOrgID': ORG }],
    ]);
    expect(example.aliasArn).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:alias/defence-in-depth-archive/${ARCHIVE_BUCKET_NAME}`);
  });

  baseTests(suite, 'organization', example);
  // ALB access logs of the organization's accounts still need trustedAccounts: only the archive's own account's here.
  hardeningTests(suite, 'organization', example, exampleApp('organization', { breakGlass: true }),
    { accounts: [ACCOUNT, WORKLOAD], organizationId: ORG, albAccounts: [ACCOUNT] });

  test('the number of simulations', () => {
    expect(suite.count).toBe(SIMULATIONS.organization);
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
      ...weakeningCases('root', ROOT, buckets, 'ExplicitlyDenied'),
      ...weakeningCases('Admin', ADMIN, buckets, 'ExplicitlyDenied'),
    });
  });
});
