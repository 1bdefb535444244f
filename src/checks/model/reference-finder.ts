import { StackTemplate } from './app-templates';
import { isPattern, parseArn } from './physical-names';

/** A resource of the app, or an external one the app names (an SSM parameter, a secret). */
export interface ResourceNode {
  /** Unique key: `<template path>#<logical id>`, or `external:<type>:<name>`. */
  readonly key: string;
  /** The stack that defines it; undefined for external resources. */
  readonly stack?: StackTemplate;
  readonly logicalId: string;
  readonly type: string;
  /** Construct path (`aws:cdk:path` metadata), or `<stack path>/<logical id>`. */
  readonly path: string;
  /** The layer that owns it, from the template metadata. */
  readonly layer?: string;
  readonly metadata: Record<string, any>;
  readonly properties: any;
  readonly external: boolean;
}

/** How a reference was written, and what a policy statement grants through it. */
export interface Reference {
  readonly target: ResourceNode;
  /** Human-readable: `Ref`, `Fn::GetAtt Arn`, `ARN string in PolicyDocument`, `Fn::ImportValue X → Ref`, ... */
  readonly via: string;
  /** Actions of the IAM statement the reference sits in, if any. */
  readonly actions?: string[];
  /** The reference points the other way: the target depends on the referring resource. */
  readonly reverse: boolean;
}

/** What the finder needs to know about the rest of the app. */
export interface ReferenceLookup {
  resource(stackKey: string, logicalId: string): ResourceNode | undefined;
  stack(key: string): StackTemplate | undefined;
  nestedChild(parentKey: string, logicalId: string): StackTemplate | undefined;
  exported(stack: StackTemplate, name: string): { stack: StackTemplate; value: unknown } | undefined;
  byArn(type: string, name: string, account?: string, region?: string): ResourceNode[];
  byPlainName(name: string): ResourceNode[];
  external(type: string, name: string): ResourceNode;
}

interface Context {
  readonly stack: StackTemplate;
  readonly key: string;
  readonly top: string;
  readonly actions?: string[];
  readonly reverse: boolean;
  readonly via: string;
  readonly depth: number;
}

/**
 * Resource types whose listed properties attach the resource to its target:
 * the target's behaviour is defined by the attachment (a role by its policies,
 * a security group by its rules), so the target depends on what the
 * attachment depends on. These references are followed in reverse.
 */
const ATTACHMENTS: Record<string, string[]> = {
  'AWS::IAM::Policy': ['Roles', 'Users', 'Groups'],
  'AWS::IAM::ManagedPolicy': ['Roles', 'Users', 'Groups'],
  'AWS::IAM::RolePolicy': ['RoleName'],
  'AWS::S3::BucketPolicy': ['Bucket'],
  'AWS::SNS::TopicPolicy': ['Topics'],
  'AWS::SQS::QueuePolicy': ['Queues'],
  'AWS::KMS::Alias': [],
  'AWS::EC2::SecurityGroupIngress': ['GroupId'],
  'AWS::EC2::SecurityGroupEgress': ['GroupId'],
  'AWS::Lambda::Permission': ['FunctionName'],
  'AWS::Lambda::EventInvokeConfig': ['FunctionName'],
  'AWS::Lambda::EventSourceMapping': ['FunctionName'],
  'AWS::SecretsManager::ResourcePolicy': ['SecretId'],
  'AWS::EC2::SubnetRouteTableAssociation': ['SubnetId'],
  'AWS::EC2::SubnetNetworkAclAssociation': ['SubnetId'],
  'AWS::EC2::Route': ['RouteTableId'],
  'AWS::EC2::VPCEndpoint': ['SubnetIds', 'RouteTableIds'],
  'AWS::Logs::ResourcePolicy': [],
};

const NAME_LIKE_KEY = /(Name|Names|Id|Ids|Bucket|Arn|Arns|Topics|Queues|Resource|Resources|Target|Destination)$/;
const DYNAMIC_REFERENCE = /\{\{resolve:(ssm|ssm-secure|secretsmanager):([^}]+)\}\}/g;
const MAX_DEPTH = 64;

/** Finds every reference a resource's template makes to other resources of the app. */
export class ReferenceFinder {
  constructor(private readonly lookup: ReferenceLookup) {}

  /** All references in a resource's definition: properties, `DependsOn`. */
  public referencesOf(node: ResourceNode, definition: any): Reference[] {
    const out: Reference[] = [];
    const emit = (r: Reference) => { if (r.target !== node) out.push(r); };
    const stack = node.stack!;
    const attached = new Set(ATTACHMENTS[node.type] ?? []);
    const props = definition.Properties;
    if (props && typeof props === 'object') {
      for (const [key, value] of Object.entries(props)) {
        this.walk(value, { stack, key, top: key, reverse: attached.has(key), via: '', depth: 0 }, emit);
      }
    }
    const dependsOn = definition.DependsOn === undefined ? [] : [].concat(definition.DependsOn);
    for (const logicalId of dependsOn) {
      const target = this.lookup.resource(stack.key, logicalId);
      if (target) emit({ target, via: 'DependsOn', reverse: false });
    }
    return out;
  }

  private walk(value: unknown, ctx: Context, emit: (r: Reference) => void): void {
    if (ctx.depth > MAX_DEPTH || value === null || value === undefined) return;
    if (typeof value === 'string') return this.inString(value, ctx, emit);
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, { ...ctx, depth: ctx.depth + 1 }, emit);
      return;
    }
    if (typeof value !== 'object') return;
    const obj = value as Record<string, any>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.intrinsic(keys[0], obj[keys[0]], ctx, emit);
    }
    if ('Effect' in obj && ('Action' in obj || 'NotAction' in obj)) return this.statement(obj, ctx, emit);
    for (const key of keys) this.walk(obj[key], { ...ctx, key, depth: ctx.depth + 1 }, emit);
  }

  /** An IAM policy statement: resources it grants on are dependencies; principals it grants to depend on it. */
  private statement(stmt: Record<string, any>, ctx: Context, emit: (r: Reference) => void): void {
    // A Deny protects; it never makes the policy's holder depend on what it names.
    if (stmt.Effect === 'Deny') return;
    const actions: string[] = 'NotAction' in stmt ? ['*'] : ([] as unknown[]).concat(stmt.Action ?? []).filter((a): a is string => typeof a === 'string');
    for (const key of ['Resource', 'NotResource', 'Condition']) {
      if (key in stmt) this.walk(stmt[key], { ...ctx, key, actions, depth: ctx.depth + 1 }, emit);
    }
    for (const key of ['Principal', 'NotPrincipal']) {
      if (key in stmt) this.walk(stmt[key], { ...ctx, key, actions, reverse: !ctx.reverse, depth: ctx.depth + 1 }, emit);
    }
  }

  private intrinsic(fn: string, arg: any, ctx: Context, emit: (r: Reference) => void): void {
    const next = { ...ctx, depth: ctx.depth + 1 };
    switch (fn) {
      case 'Ref':
        if (typeof arg === 'string') this.ref(arg, 'Ref', ctx, emit);
        return;
      case 'Fn::GetAtt': {
        const [logicalId, attr] = Array.isArray(arg) ? arg : typeof arg === 'string' ? [arg.split('.')[0], arg.split('.').slice(1).join('.')] : [];
        if (typeof logicalId === 'string') this.getAtt(logicalId, String(attr), ctx, emit);
        return;
      }
      case 'Fn::Sub': {
        const [template, vars] = Array.isArray(arg) ? arg : [arg, {}];
        if (typeof template !== 'string') return this.walk(arg, next, emit);
        for (const m of template.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = m[1];
          if (vars && typeof vars === 'object' && name in vars) this.walk(vars[name], next, emit);
          else if (name.includes('.')) this.getAtt(name.split('.')[0], name.split('.').slice(1).join('.'), ctx, emit);
          else this.ref(name, 'Fn::Sub', ctx, emit);
        }
        return this.inString(template, ctx, emit);
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || !Array.isArray(arg[1])) return this.walk(arg, next, emit);
        this.walk(arg[1], next, emit);
        const flat = arg[1].map((p: unknown) => (typeof p === 'string' ? p : '${*}')).join(typeof arg[0] === 'string' ? arg[0] : '');
        return this.inString(flat, ctx, emit);
      }
      case 'Fn::ImportValue': {
        const name = literalString(arg);
        const exported = name === undefined ? undefined : this.lookup.exported(ctx.stack, name);
        if (!exported) return this.walk(arg, next, emit);
        return this.walk(exported.value, { ...next, stack: exported.stack, via: `${ctx.via}Fn::ImportValue ${name} → ` }, emit);
      }
      default:
        return this.walk(arg, next, emit);
    }
  }

  private ref(name: string, how: string, ctx: Context, emit: (r: Reference) => void): void {
    if (name.startsWith('AWS::')) return;
    const target = this.lookup.resource(ctx.stack.key, name);
    if (target) return emit(this.reference(target, how, ctx));
    const parameter = ctx.stack.template.Parameters?.[name];
    if (!parameter) return;
    if (typeof parameter.Type === 'string' && parameter.Type.startsWith('AWS::SSM::Parameter::Value') && typeof parameter.Default === 'string') {
      return this.ssmParameter(parameter.Default, `SSM parameter ${parameter.Default} (template parameter ${name})`, ctx, emit);
    }
    // A nested stack's parameter: follow what the parent passes in.
    const parent = ctx.stack.parent && this.lookup.stack(ctx.stack.parent.key);
    const passed = parent?.template.Resources?.[ctx.stack.parent!.logicalId]?.Properties?.Parameters?.[name];
    if (parent && passed !== undefined) {
      this.walk(passed, { ...ctx, stack: parent, via: `${ctx.via}nested stack parameter ${name} → `, depth: ctx.depth + 1 }, emit);
    }
  }

  private getAtt(logicalId: string, attr: string, ctx: Context, emit: (r: Reference) => void): void {
    const target = this.lookup.resource(ctx.stack.key, logicalId);
    if (!target) return;
    if (target.type === 'AWS::CloudFormation::Stack' && attr.startsWith('Outputs.')) {
      const child = this.lookup.nestedChild(ctx.stack.key, logicalId);
      const output = child?.template.Outputs?.[attr.slice('Outputs.'.length)];
      if (child && output) {
        return this.walk(output.Value, { ...ctx, stack: child, via: `${ctx.via}nested stack output ${attr.slice(8)} → `, depth: ctx.depth + 1 }, emit);
      }
    }
    emit(this.reference(target, `Fn::GetAtt ${attr}`, ctx));
  }

  private inString(s: string, ctx: Context, emit: (r: Reference) => void): void {
    if (s.includes('{{resolve:')) {
      for (const m of s.matchAll(DYNAMIC_REFERENCE)) {
        const [kind, rest] = [m[1], m[2]];
        if (kind === 'secretsmanager') {
          const id = rest.startsWith('arn:') ? rest.split(':').slice(0, 7).join(':') : rest.split(':')[0];
          if (id.startsWith('arn:')) this.arn(id, 'dynamic reference', ctx, emit);
          else this.named('AWS::SecretsManager::Secret', id, `dynamic reference {{resolve:secretsmanager:${id}}}`, ctx, emit);
        } else {
          this.ssmParameter(rest.split(':')[0], `dynamic reference {{resolve:${kind}:${rest.split(':')[0]}}}`, ctx, emit);
        }
      }
      return;
    }
    if (s.startsWith('arn:')) return this.arn(s, 'ARN string', ctx, emit);
    if (s.length >= 3 && !s.includes('${') && !isPattern(s) && NAME_LIKE_KEY.test(ctx.key)) {
      for (const target of this.lookup.byPlainName(s)) emit(this.reference(target, `name string '${s}'`, ctx));
    }
  }

  private arn(s: string, how: string, ctx: Context, emit: (r: Reference) => void): void {
    for (const candidate of parseArn(s)) {
      const targets = this.lookup.byArn(candidate.type, candidate.name, candidate.account, candidate.region);
      for (const target of targets) emit(this.reference(target, `${how} ${s}`, ctx));
      if (targets.length === 0 && candidate.type === 'AWS::SSM::Parameter' && !isPattern(candidate.name)) {
        this.ssmParameter(candidate.name, `${how} ${s}`, ctx, emit);
      }
    }
  }

  private ssmParameter(name: string, how: string, ctx: Context, emit: (r: Reference) => void): void {
    // AWS's public parameters (latest AMIs, ...) are not the app's dependencies to isolate.
    if (/^\/?aws\//.test(name)) return;
    this.named('AWS::SSM::Parameter', name.replace(/^\//, ''), how, ctx, emit);
  }

  private named(type: string, name: string, how: string, ctx: Context, emit: (r: Reference) => void): void {
    const defined = this.lookup.byArn(type, name, undefined, undefined);
    const targets = defined.length > 0 ? defined : [this.lookup.external(type, name)];
    for (const target of targets) emit(this.reference(target, how, ctx));
  }

  private reference(target: ResourceNode, how: string, ctx: Context): Reference {
    return { target, via: `${ctx.via}${how} in ${ctx.top}`, actions: ctx.actions, reverse: ctx.reverse };
  }
}

function literalString(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object' && 'Fn::Join' in x) {
    const [delim, parts] = (x as any)['Fn::Join'];
    if (Array.isArray(parts) && parts.every((p: unknown) => typeof p === 'string')) return parts.join(delim);
  }
  return undefined;
}
