// Physical names a template gives its resources explicitly, and how ARNs and
// plain-string names written elsewhere point back at them. This is how a
// policy that names another layer's bucket in a literal ARN, or another
// account's stack, is followed.

/** Resource type → the property that holds its explicit name, and the ARN service/resource form. */
interface NameForm {
  readonly property: string;
  /** ARN service (`s3`, `iam`, ...). */
  readonly service: string;
  /** Extracts the name from the resource part of an ARN, or undefined if the ARN names another kind of resource. */
  readonly fromArnResource: (resource: string) => string | undefined;
  /** Whether CloudFormation properties commonly name this resource by its plain name. */
  readonly byPlainName: boolean;
}

const after = (prefix: string, stripFrom?: RegExp) => (resource: string): string | undefined => {
  if (!resource.startsWith(prefix)) return undefined;
  const rest = resource.slice(prefix.length);
  return stripFrom ? rest.replace(stripFrom, '') : rest;
};
const lastPathSegment = (prefix: string) => (resource: string): string | undefined =>
  resource.startsWith(prefix) ? resource.slice(prefix.length).split('/').pop() : undefined;

export const NAME_FORMS: Record<string, NameForm> = {
  'AWS::S3::Bucket': { property: 'BucketName', service: 's3', fromArnResource: r => r.split('/')[0], byPlainName: true },
  'AWS::IAM::Role': { property: 'RoleName', service: 'iam', fromArnResource: lastPathSegment('role/'), byPlainName: true },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', service: 'iam', fromArnResource: lastPathSegment('policy/'), byPlainName: false },
  'AWS::IAM::User': { property: 'UserName', service: 'iam', fromArnResource: lastPathSegment('user/'), byPlainName: true },
  'AWS::Lambda::Function': { property: 'FunctionName', service: 'lambda', fromArnResource: after('function:', /:.*$/), byPlainName: true },
  'AWS::SNS::Topic': { property: 'TopicName', service: 'sns', fromArnResource: r => r, byPlainName: false },
  'AWS::SQS::Queue': { property: 'QueueName', service: 'sqs', fromArnResource: r => r, byPlainName: false },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', service: 'logs', fromArnResource: after('log-group:', /:.*$/), byPlainName: true },
  'AWS::SSM::Parameter': { property: 'Name', service: 'ssm', fromArnResource: after('parameter'), byPlainName: true },
  'AWS::KMS::Alias': { property: 'AliasName', service: 'kms', fromArnResource: r => (r.startsWith('alias/') ? r : undefined), byPlainName: true },
  'AWS::SecretsManager::Secret': { property: 'Name', service: 'secretsmanager', fromArnResource: after('secret:', /-[A-Za-z0-9]{6}$/), byPlainName: true },
  'AWS::DynamoDB::Table': { property: 'TableName', service: 'dynamodb', fromArnResource: r => after('table/')(r)?.split('/')[0], byPlainName: true },
  'AWS::KinesisFirehose::DeliveryStream': { property: 'DeliveryStreamName', service: 'firehose', fromArnResource: after('deliverystream/'), byPlainName: true },
  'AWS::Kinesis::Stream': { property: 'Name', service: 'kinesis', fromArnResource: after('stream/'), byPlainName: true },
  'AWS::Events::EventBus': { property: 'Name', service: 'events', fromArnResource: after('event-bus/'), byPlainName: true },
  'AWS::StepFunctions::StateMachine': { property: 'StateMachineName', service: 'states', fromArnResource: after('stateMachine:'), byPlainName: false },
  'AWS::ECR::Repository': { property: 'RepositoryName', service: 'ecr', fromArnResource: after('repository/'), byPlainName: true },
};

const TYPES_BY_SERVICE = new Map<string, string[]>();
for (const [type, form] of Object.entries(NAME_FORMS)) {
  TYPES_BY_SERVICE.set(form.service, [...TYPES_BY_SERVICE.get(form.service) ?? [], type]);
}

/** The explicit physical name of a resource, when its template gives one as a literal string. */
export function explicitName(type: string, properties: any): string | undefined {
  const form = NAME_FORMS[type];
  const name = form && properties ? properties[form.property] : undefined;
  if (typeof name !== 'string' || name.length === 0) return undefined;
  // SSM parameter names appear in ARNs without their leading slash.
  return type === 'AWS::SSM::Parameter' ? name.replace(/^\//, '') : name;
}

export interface ArnTarget {
  readonly type: string;
  readonly name: string;
  /** Account in the ARN, if literal. */
  readonly account?: string;
  /** Region in the ARN, if literal. */
  readonly region?: string;
}

const PLACEHOLDER = /\$\{[^}]*\}/g;

/**
 * The resources an ARN string may name: one candidate per resource type of
 * the ARN's service whose name form matches. Placeholders (`${...}`) and
 * unknown parts count as wildcards.
 */
export function parseArn(arn: string): ArnTarget[] {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return [];
  const [, , service, region, account] = parts;
  const resource = parts.slice(5).join(':');
  const out: ArnTarget[] = [];
  for (const type of TYPES_BY_SERVICE.get(service) ?? []) {
    let name = NAME_FORMS[type].fromArnResource(resource);
    if (name === undefined) continue;
    name = name.replace(PLACEHOLDER, '*');
    if (type === 'AWS::SSM::Parameter') name = name.replace(/^\//, '');
    if (name.length === 0 || /^[*?]*$/.test(name)) continue;
    out.push({ type, name, account: literalOrUndefined(account), region: literalOrUndefined(region) });
  }
  return out;
}

function literalOrUndefined(x: string | undefined): string | undefined {
  return x && /^[a-z0-9-]+$/.test(x) ? x : undefined;
}

/** Whether a name written with IAM wildcards (`*`, `?`) is a pattern rather than a name. */
export function isPattern(name: string): boolean {
  return /[*?]/.test(name);
}

/** Matches `name` against an IAM-style pattern (`*` any run, `?` one character). */
export function globMatcher(pattern: string): (name: string) => boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`);
  return name => re.test(name);
}

/** The types whose resources property values name by their plain name (e.g. `LogGroupName: "app"`). */
export function typesNamedByPlainName(): string[] {
  return Object.entries(NAME_FORMS).filter(([, f]) => f.byPlainName).map(([t]) => t);
}
