/**
 * Resolves the CloudFormation intrinsics of a synthesized template (the JSON of
 * `Template.fromStack(stack).toJSON()`) into concrete strings, so that its IAM
 * policies can be handed to an IAM policy simulator.
 *
 * Physical names and ids are made up, deterministically, from logical ids; the
 * account, region and stack name are fixed by the caller; the partition is `aws`.
 * Anything the resolver does not know (an intrinsic, a pseudo parameter, a
 * resource type or attribute) throws: a wrong ARN would make a simulation pass
 * or fail for the wrong reason.
 */

/** A CloudFormation template, as far as the resolver reads it. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  readonly [key: string]: unknown;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly [key: string]: unknown;
}

/** An IAM policy document with every intrinsic resolved. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Array<Record<string, unknown>>;
}

/** Where the template is deployed. */
export interface ResolverEnvironment {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
  /**
   * Values of `Fn::ImportValue`, by export name (see `exportsOf`): CDK turns
   * references between stacks of one environment into exports and imports.
   * @default - no imports: `Fn::ImportValue` throws
   */
  readonly imports?: Record<string, string>;
}

const PARTITION = 'aws';
const URL_SUFFIX = 'amazonaws.com';

export class TemplateResolver {
  public readonly resources: Record<string, CfnResource>;

  constructor(public readonly template: CfnTemplate, public readonly env: ResolverEnvironment) {
    this.resources = template.Resources ?? {};
  }

  /** Deeply resolves every intrinsic in `value`; plain values are copied as they are. */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map(v => this.resolve(v));
    }
    if (value === null || typeof value !== 'object') {
      return value;
    }
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.intrinsic(keys[0], (value as Record<string, unknown>)[keys[0]]);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  /** Resolves `value` and requires a string. */
  public resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') {
      throw new Error(`Expected a string, got ${JSON.stringify(resolved)} from ${JSON.stringify(value)}`);
    }
    return resolved;
  }

  /** `{ Ref: logicalIdOrPseudoParameter }`. */
  public ref(name: string): string {
    switch (name) {
      case 'AWS::Partition': return PARTITION;
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::Region': return this.env.region;
      case 'AWS::URLSuffix': return URL_SUFFIX;
      case 'AWS::StackName': return this.env.stackName;
    }
    if (name.startsWith('AWS::')) {
      throw new Error(`Unsupported pseudo parameter ${name}`);
    }
    const resource = this.resource(name);
    switch (resource.Type) {
      case 'AWS::S3::Bucket': return this.bucketName(name);
      // Resources whose Ref is a generated id: the logical id stands for it.
      case 'AWS::KMS::Key':
      case 'AWS::EC2::VPC':
      case 'AWS::EC2::TrafficMirrorTarget':
      case 'AWS::EC2::TrafficMirrorFilter':
        return name;
      case 'AWS::IAM::Role': return this.physicalName(name, 'RoleName');
      case 'AWS::IAM::ManagedPolicy': return this.managedPolicyArn(name);
      case 'AWS::KinesisFirehose::DeliveryStream': return this.physicalName(name, 'DeliveryStreamName');
      case 'AWS::Logs::LogGroup': return this.physicalName(name, 'LogGroupName');
      case 'AWS::Logs::LogStream': return this.physicalName(name, 'LogStreamName');
      case 'AWS::Lambda::Function': return this.physicalName(name, 'FunctionName');
    }
    throw new Error(`Unsupported Ref of ${name} (${resource.Type})`);
  }

  /** `{ 'Fn::GetAtt': [logicalId, attribute] }`. */
  public getAtt(logicalId: string, attribute: string): string {
    const { account, region } = this.env;
    const type = this.resource(logicalId).Type;
    switch (`${type}.${attribute}`) {
      case 'AWS::S3::Bucket.Arn': return `arn:${PARTITION}:s3:::${this.bucketName(logicalId)}`;
      case 'AWS::KMS::Key.Arn': return `arn:${PARTITION}:kms:${region}:${account}:key/${logicalId}`;
      case 'AWS::KMS::Key.KeyId': return logicalId;
      // A role's ARN carries its path (`/` unless the role sets one).
      case 'AWS::IAM::Role.Arn': return `arn:${PARTITION}:iam::${account}:role${this.iamPath(logicalId)}${this.ref(logicalId)}`;
      case 'AWS::KinesisFirehose::DeliveryStream.Arn':
        return `arn:${PARTITION}:firehose:${region}:${account}:deliverystream/${this.ref(logicalId)}`;
      case 'AWS::Logs::LogGroup.Arn': return `arn:${PARTITION}:logs:${region}:${account}:log-group:${this.ref(logicalId)}:*`;
      case 'AWS::Lambda::Function.Arn': return `arn:${PARTITION}:lambda:${region}:${account}:function:${this.ref(logicalId)}`;
      case 'AWS::WAFv2::IPSet.Arn': return `arn:${PARTITION}:wafv2:${region}:${account}:regional/ipset/${logicalId}/${logicalId}`;
      case 'AWS::WAFv2::WebACL.Arn': return `arn:${PARTITION}:wafv2:${region}:${account}:regional/webacl/${logicalId}/${logicalId}`;
    }
    throw new Error(`Unsupported Fn::GetAtt ${logicalId}.${attribute} (${type})`);
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(this.requireString(name, arg));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof arg === 'string' ? splitOnce(arg, '.') : this.requireArray(name, arg, 2);
        return this.getAtt(this.requireString(name, logicalId), this.resolveString(attribute));
      }
      case 'Fn::Join': {
        const [delimiter, list] = this.requireArray(name, arg, 2);
        return this.resolveList(name, list).map(v => this.requireString(name, v)).join(this.requireString(name, delimiter));
      }
      case 'Fn::Select': {
        const [index, list] = this.requireArray(name, arg, 2);
        const items = this.resolveList(name, list);
        const i = Number(this.resolve(index));
        if (!Number.isInteger(i) || i < 0 || i >= items.length) {
          throw new Error(`Fn::Select index ${JSON.stringify(index)} out of range of ${JSON.stringify(items)}`);
        }
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.requireArray(name, arg, 2);
        return this.resolveString(source).split(this.requireString(name, delimiter));
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::ImportValue': {
        const exportName = this.resolveString(arg);
        const imported = this.env.imports?.[exportName];
        if (imported === undefined) {
          throw new Error(`Fn::ImportValue of unknown export ${exportName}`);
        }
        return imported;
      }
    }
    throw new Error(`Unsupported intrinsic ${name}: ${JSON.stringify(arg)}`);
  }

  private sub(arg: unknown): string {
    const [template, variables] = typeof arg === 'string'
      ? [arg, {}]
      : this.requireArray('Fn::Sub', arg, 2) as [unknown, Record<string, unknown>];
    const text = this.requireString('Fn::Sub', template);
    return text.replace(/\$\{([^}]*)\}/g, (_match, expression: string) => {
      if (expression.startsWith('!')) {
        return `\${${expression.slice(1)}}`; // ${!Literal} is written as ${Literal}
      }
      if (expression in variables) {
        return this.resolveString(variables[expression]);
      }
      if (expression.startsWith('AWS::')) {
        return this.ref(expression);
      }
      const [logicalId, attribute] = splitOnce(expression, '.');
      return attribute === undefined ? this.ref(logicalId) : this.getAtt(logicalId, attribute);
    });
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.resources[logicalId];
    if (!resource) {
      throw new Error(`No resource ${logicalId} in stack ${this.env.stackName}`);
    }
    return resource;
  }

  /** The physical name of a bucket: its `BucketName` if plain, else as CloudFormation would make one up (lower-case). */
  private bucketName(logicalId: string): string {
    const given = this.resource(logicalId).Properties?.BucketName;
    if (given !== undefined) {
      return this.requireString('BucketName', given);
    }
    return `${this.env.stackName}-${logicalId}`.toLowerCase().slice(0, 63);
  }

  private physicalName(logicalId: string, nameProperty: string): string {
    const given = this.resource(logicalId).Properties?.[nameProperty];
    return given === undefined ? logicalId : this.resolveString(given);
  }

  private managedPolicyArn(logicalId: string): string {
    const properties = this.resource(logicalId).Properties ?? {};
    const name = properties.ManagedPolicyName === undefined ? logicalId : this.resolveString(properties.ManagedPolicyName);
    return `arn:${PARTITION}:iam::${this.env.account}:policy${this.iamPath(logicalId)}${name}`;
  }

  private iamPath(logicalId: string): string {
    const path = this.resource(logicalId).Properties?.Path;
    return path === undefined ? '/' : this.resolveString(path);
  }

  private resolveList(fn: string, list: unknown): unknown[] {
    const resolved = this.resolve(list);
    if (!Array.isArray(resolved)) {
      throw new Error(`${fn} expects a list, got ${JSON.stringify(resolved)}`);
    }
    return resolved;
  }

  private requireArray(fn: string, arg: unknown, length: number): unknown[] {
    if (!Array.isArray(arg) || arg.length !== length) {
      throw new Error(`${fn} expects ${length} arguments, got ${JSON.stringify(arg)}`);
    }
    return arg;
  }

  /** A plain string argument; intrinsics inside are resolved first. */
  private requireString(fn: string, arg: unknown): string {
    const resolved = this.resolve(arg);
    if (typeof resolved !== 'string') {
      throw new Error(`${fn} expects a string, got ${JSON.stringify(arg)}`);
    }
    return resolved;
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/** The exports of the given resolvers' templates, by export name, resolved (for `ResolverEnvironment.imports`). */
export function exportsOf(...resolvers: TemplateResolver[]): Record<string, string> {
  const exported: Record<string, string> = {};
  for (const resolver of resolvers) {
    for (const output of Object.values(resolver.template.Outputs ?? {})) {
      if (output.Export) {
        exported[resolver.resolveString(output.Export.Name)] = resolver.resolveString(output.Value);
      }
    }
  }
  return exported;
}

/** An IAM role of a template and the identity policies attached to it. */
export interface ResolvedRole {
  readonly logicalId: string;
  readonly stackName: string;
  readonly account: string;
  readonly arn: string;
  readonly policies: Array<{ readonly name: string; readonly document: PolicyDocument }>;
}

/**
 * Every `AWS::IAM::Role` of the template with its resolved ARN and identity
 * policies: inline `Policies`, `AWS::IAM::Policy` / `AWS::IAM::RolePolicy` and
 * `AWS::IAM::ManagedPolicy` of the template attached to it. Throws on what it
 * cannot see (managed policies from outside the template, permission boundaries).
 */
export function rolesOf(resolver: TemplateResolver): ResolvedRole[] {
  const entries = Object.entries(resolver.resources);
  const managedPolicyArns = new Map(entries
    .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy')
    .map(([id]) => [resolver.ref(id), id]));

  return entries.filter(([, r]) => r.Type === 'AWS::IAM::Role').map(([roleId, role]) => {
    const props = role.Properties ?? {};
    const roleName = resolver.ref(roleId);
    if (props.PermissionsBoundary !== undefined) {
      throw new Error(`Role ${roleId} has a permissions boundary, which rolesOf does not model`);
    }
    const policies: Array<{ name: string; document: PolicyDocument }> = [];
    for (const inline of (props.Policies ?? []) as Array<{ PolicyName: unknown; PolicyDocument: unknown }>) {
      policies.push({ name: resolver.resolveString(inline.PolicyName), document: resolver.resolve(inline.PolicyDocument) as PolicyDocument });
    }
    const attachedById = new Set<string>();
    for (const arnValue of (props.ManagedPolicyArns ?? []) as unknown[]) {
      const arn = resolver.resolveString(arnValue);
      const id = managedPolicyArns.get(arn);
      if (!id) {
        throw new Error(`Role ${roleId} has managed policy ${arn}, which is not defined in the template`);
      }
      attachedById.add(id);
    }
    for (const [id, resource] of entries) {
      const p = resource.Properties ?? {};
      const attachedByRoles = ((resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') &&
        ((p.Roles ?? []) as unknown[]).some(r => resolver.resolveString(r) === roleName)) ||
        (resource.Type === 'AWS::IAM::RolePolicy' && resolver.resolveString(p.RoleName) === roleName);
      if (attachedByRoles || attachedById.has(id)) {
        policies.push({ name: id, document: resolver.resolve(p.PolicyDocument) as PolicyDocument });
      }
    }
    return {
      logicalId: roleId,
      stackName: resolver.env.stackName,
      account: resolver.env.account,
      arn: resolver.getAtt(roleId, 'Arn'),
      policies,
    };
  });
}

/** The resolved policy document of the `AWS::S3::BucketPolicy` of the bucket `bucketLogicalId` (exactly one). */
export function bucketPolicyOf(resolver: TemplateResolver, bucketLogicalId: string): PolicyDocument {
  const policies = Object.values(resolver.resources).filter(r =>
    r.Type === 'AWS::S3::BucketPolicy' && (r.Properties?.Bucket as { Ref?: string } | undefined)?.Ref === bucketLogicalId);
  if (policies.length !== 1) {
    throw new Error(`Expected one bucket policy for ${bucketLogicalId}, found ${policies.length}`);
  }
  return resolver.resolve(policies[0].Properties!.PolicyDocument) as PolicyDocument;
}

/** The resolved key policy of the `AWS::KMS::Key` `keyLogicalId`. */
export function keyPolicyOf(resolver: TemplateResolver, keyLogicalId: string): PolicyDocument {
  const key = resolver.resources[keyLogicalId];
  if (key?.Type !== 'AWS::KMS::Key') {
    throw new Error(`No AWS::KMS::Key ${keyLogicalId} in stack ${resolver.env.stackName}`);
  }
  return resolver.resolve(key.Properties?.KeyPolicy) as PolicyDocument;
}
