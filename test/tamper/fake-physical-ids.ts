import { createHash } from 'crypto';

/**
 * A small resolver of CloudFormation intrinsics for the tamper watch's event
 * patterns: every resource gets a deterministic, made-up physical identity
 * (its name, id and ARN, in the shape and at a realistic length of the real
 * thing), kept in one table per type so that the same resource yields the same
 * identifier wherever it appears (`Ref`, `Fn::GetAtt`, inside `Fn::Join`...).
 *
 * A resolver is made for one "app": `new FakeIds(template, env, 'app')` gives
 * the app's own identifiers; `new FakeIds(template, env, 'other')` gives, for
 * the same template, the identifiers another app deployed in the same account
 * and region would have (same shapes and lengths, different names, ids and ARNs).
 *
 * Anything it does not know (an intrinsic, a pseudo parameter, a type or an
 * attribute) throws: a made-up value would make a test pass for the wrong reason.
 */

export interface FakeEnv {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly Metadata?: Record<string, any>;
  readonly [key: string]: unknown;
}

/**
 * Length of a name CloudFormation generates when the template gives none
 * (`<stack>-<logical id>-<random>`), capped by each type's own limit below:
 * long on purpose, so that a pattern's size is checked against long names.
 */
export const GENERATED_NAME_LENGTH = 120;

/** What the table knows of one resource: its physical name and a few random parts. */
export interface Physical {
  readonly logicalId: string;
  readonly name: string;
  /** A UUID (KMS key ids, WAF ids). */
  readonly uuid: string;
  /** `n` hex digits. */
  hex(n: number): string;
}

interface Shape {
  /** The property that names the resource, when the template gives a literal name. */
  readonly nameProperty?: string;
  /** The service's limit on the name (a generated name is cut to it). */
  readonly nameMax?: number;
  /** Names the service only accepts in lower case (S3). */
  readonly lowerCase?: boolean;
  /** What `Ref` returns. */
  readonly ref: (p: Physical, ids: FakeIds) => string;
  /** What `Fn::GetAtt` returns, per attribute. */
  readonly attributes: Record<string, (p: Physical, ids: FakeIds) => string>;
}

/** The one table: how each type's name, Ref and attributes look. */
const SHAPES: Record<string, Shape> = {
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    nameMax: 512,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:logs:${i.env.region}:${i.env.account}:log-group:${p.name}:*` },
  },
  'AWS::Logs::ResourcePolicy': {
    nameProperty: 'PolicyName',
    nameMax: 255,
    ref: p => p.name,
    attributes: {},
  },
  'AWS::KinesisFirehose::DeliveryStream': {
    nameProperty: 'DeliveryStreamName',
    nameMax: 64,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:firehose:${i.env.region}:${i.env.account}:deliverystream/${p.name}` },
  },
  'AWS::KMS::Key': {
    ref: p => p.uuid,
    attributes: {
      Arn: (p, i) => `arn:aws:kms:${i.env.region}:${i.env.account}:key/${p.uuid}`,
      KeyId: p => p.uuid,
    },
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    nameMax: 63,
    lowerCase: true,
    ref: p => p.name,
    attributes: { Arn: p => `arn:aws:s3:::${p.name}` },
  },
  'AWS::CloudTrail::Trail': {
    nameProperty: 'TrailName',
    nameMax: 128,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:cloudtrail:${i.env.region}:${i.env.account}:trail/${p.name}` },
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    nameMax: 64,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:lambda:${i.env.region}:${i.env.account}:function:${p.name}` },
  },
  // A rule on the default event bus: its ARN ends in `rule/<name>`.
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    nameMax: 64,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:events:${i.env.region}:${i.env.account}:rule/${p.name}` },
  },
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    nameMax: 255,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:cloudwatch:${i.env.region}:${i.env.account}:alarm:${p.name}` },
  },
  'AWS::CloudWatch::CompositeAlarm': {
    nameProperty: 'AlarmName',
    nameMax: 255,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:cloudwatch:${i.env.region}:${i.env.account}:alarm:${p.name}` },
  },
  // Ref of a topic is its ARN.
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    nameMax: 256,
    ref: (p, i) => `arn:aws:sns:${i.env.region}:${i.env.account}:${p.name}`,
    attributes: {
      TopicArn: (p, i) => `arn:aws:sns:${i.env.region}:${i.env.account}:${p.name}`,
      TopicName: p => p.name,
    },
  },
  // Ref of a load balancer, a listener or a listener rule is its ARN.
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    nameProperty: 'Name',
    nameMax: 32,
    ref: (p, i) => `arn:aws:elasticloadbalancing:${i.env.region}:${i.env.account}:loadbalancer/app/${p.name}/${p.hex(16)}`,
    attributes: {
      LoadBalancerArn: (p, i) => `arn:aws:elasticloadbalancing:${i.env.region}:${i.env.account}:loadbalancer/app/${p.name}/${p.hex(16)}`,
      LoadBalancerFullName: p => `app/${p.name}/${p.hex(16)}`,
      LoadBalancerName: p => p.name,
      DNSName: (p, i) => `${p.name}-${p.hex(10)}.${i.env.region}.elb.amazonaws.com`,
    },
  },
  // A listener's ARN extends its load balancer's.
  'AWS::ElasticLoadBalancingV2::Listener': {
    ref: (p, i) => `${i.resolveString(i.resource(p.logicalId).Properties!.LoadBalancerArn).replace(':loadbalancer/', ':listener/')}/${p.hex(16)}`,
    attributes: {
      ListenerArn: (p, i) => i.ref(p.logicalId),
    },
  },
  'AWS::ElasticLoadBalancingV2::ListenerRule': {
    ref: (p, i) => `${i.resolveString(i.resource(p.logicalId).Properties!.ListenerArn).replace(':listener/', ':listener-rule/')}/${p.hex(16)}`,
    attributes: { RuleArn: (p, i) => i.ref(p.logicalId) },
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    nameProperty: 'Name',
    nameMax: 32,
    ref: (p, i) => `arn:aws:elasticloadbalancing:${i.env.region}:${i.env.account}:targetgroup/${p.name}/${p.hex(16)}`,
    attributes: { TargetGroupFullName: p => `targetgroup/${p.name}/${p.hex(16)}`, TargetGroupName: p => p.name },
  },
  'AWS::EC2::SecurityGroup': {
    ref: p => `sg-${p.hex(17)}`,
    attributes: { GroupId: p => `sg-${p.hex(17)}` },
  },
  'AWS::EC2::FlowLog': { ref: p => `fl-${p.hex(17)}`, attributes: { Id: p => `fl-${p.hex(17)}` } },
  'AWS::EC2::TrafficMirrorTarget': { ref: p => `tmt-${p.hex(17)}`, attributes: { Id: p => `tmt-${p.hex(17)}` } },
  'AWS::EC2::TrafficMirrorFilter': { ref: p => `tmf-${p.hex(17)}`, attributes: { Id: p => `tmf-${p.hex(17)}` } },
  'AWS::EC2::TrafficMirrorFilterRule': { ref: p => `tmfr-${p.hex(17)}`, attributes: { Id: p => `tmfr-${p.hex(17)}` } },
  'AWS::WAFv2::WebACL': {
    nameProperty: 'Name',
    nameMax: 128,
    ref: p => `${p.name}|${p.uuid}|REGIONAL`,
    attributes: {
      Id: p => p.uuid,
      Arn: (p, i) => `arn:aws:wafv2:${i.env.region}:${i.env.account}:regional/webacl/${p.name}/${p.uuid}`,
    },
  },
  'AWS::WAFv2::IPSet': {
    nameProperty: 'Name',
    nameMax: 128,
    ref: p => `${p.name}|${p.uuid}|REGIONAL`,
    attributes: {
      Id: p => p.uuid,
      Arn: (p, i) => `arn:aws:wafv2:${i.env.region}:${i.env.account}:regional/ipset/${p.name}/${p.uuid}`,
    },
  },
  // A role's ARN carries its path.
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    nameMax: 64,
    ref: p => p.name,
    attributes: {
      Arn: (p, i) => `arn:aws:iam::${i.env.account}:role${i.resource(p.logicalId).Properties?.Path ?? '/'}${p.name}`,
      RoleId: p => `AROA${p.hex(17).toUpperCase()}`,
    },
  },
  'AWS::ECS::Cluster': {
    nameProperty: 'ClusterName',
    nameMax: 255,
    ref: p => p.name,
    attributes: { Arn: (p, i) => `arn:aws:ecs:${i.env.region}:${i.env.account}:cluster/${p.name}` },
  },
  // Ref of a service is its ARN (long form: with the cluster's name).
  'AWS::ECS::Service': {
    nameProperty: 'ServiceName',
    nameMax: 255,
    ref: (p, i) => `arn:aws:ecs:${i.env.region}:${i.env.account}:service/${i.clusterName(p.logicalId)}/${p.name}`,
    attributes: {
      ServiceArn: (p, i) => `arn:aws:ecs:${i.env.region}:${i.env.account}:service/${i.clusterName(p.logicalId)}/${p.name}`,
      Name: p => p.name,
    },
  },
  'AWS::GuardDuty::Detector': { ref: p => p.hex(32), attributes: { Id: p => p.hex(32) } },
};

/** The types the table knows. */
export const KNOWN_TYPES = Object.keys(SHAPES);

export class FakeIds {
  private readonly resources: Record<string, TemplateResource>;
  private readonly physicals = new Map<string, Physical>();

  /**
   * @param app 'app' for the app's own identifiers; any other word gives another
   * app's identifiers for the same resources (same account and region).
   */
  constructor(template: { Resources?: Record<string, TemplateResource> }, public readonly env: FakeEnv, public readonly app = 'app') {
    this.resources = template.Resources ?? {};
  }

  public resource(logicalId: string): TemplateResource {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`No resource ${logicalId} in the template`);
    return r;
  }

  /** Deeply resolves every intrinsic in `value`. */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(v => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.intrinsic(keys[0], (value as Record<string, unknown>)[keys[0]]);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  public resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`Expected a string from ${JSON.stringify(value)}, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  public ref(name: string): string {
    switch (name) {
      case 'AWS::Partition': return 'aws';
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::Region': return this.env.region;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.env.stackName;
    }
    if (name.startsWith('AWS::')) throw new Error(`Unsupported pseudo parameter ${name}`);
    return this.shape(name).ref(this.physical(name), this);
  }

  public getAtt(logicalId: string, attribute: string): string {
    const fn = this.shape(logicalId).attributes[attribute];
    if (!fn) throw new Error(`Unsupported Fn::GetAtt ${logicalId}.${attribute} (${this.resource(logicalId).Type})`);
    return fn(this.physical(logicalId), this);
  }

  /** The physical name of a resource (the literal name of the template, or a generated one). */
  public nameOf(logicalId: string): string {
    return this.physical(logicalId).name;
  }

  /** The name of the cluster an ECS service runs in. */
  public clusterName(serviceLogicalId: string): string {
    const cluster = this.resource(serviceLogicalId).Properties?.Cluster;
    if (cluster === undefined) return 'default';
    const resolved = this.resolveString(cluster);
    return resolved.startsWith('arn:') ? resolved.split('/').pop()! : resolved;
  }

  private shape(logicalId: string): Shape {
    const type = this.resource(logicalId).Type;
    const shape = SHAPES[type];
    if (!shape) throw new Error(`Unsupported type ${type} (${logicalId})`);
    return shape;
  }

  private physical(logicalId: string): Physical {
    let p = this.physicals.get(logicalId);
    if (!p) {
      p = this.makePhysical(logicalId);
      this.physicals.set(logicalId, p);
    }
    return p;
  }

  private makePhysical(logicalId: string): Physical {
    const type = this.resource(logicalId).Type;
    const shape = this.shape(logicalId);
    const seed = `${this.app}/${type}/${logicalId}`;
    const digest = (salt: string, n: number) => {
      let out = '';
      for (let i = 0; out.length < n; i++) out += createHash('sha256').update(`${seed}/${salt}/${i}`).digest('hex');
      return out.slice(0, n);
    };
    const max = shape.nameMax ?? 128;
    const literal = shape.nameProperty ? this.resource(logicalId).Properties?.[shape.nameProperty] : undefined;
    let name: string;
    if (typeof literal === 'string') {
      // The template's own name; another app in the account cannot have the same one.
      name = this.app === 'app' ? literal : `${this.app}-${literal}`.slice(0, max);
    } else {
      if (literal !== undefined) throw new Error(`${logicalId}: a name that is not a literal (${JSON.stringify(literal)}) is not supported`);
      // `<stack>-<logical id>-<random>`, as long as the type allows up to GENERATED_NAME_LENGTH.
      const stack = this.app === 'app' ? this.env.stackName : `${this.app}-${this.env.stackName}`;
      const length = Math.min(max, GENERATED_NAME_LENGTH);
      const stem = `${stack}-${logicalId}-`;
      name = (stem + digest('name', Math.max(length - stem.length, 12))).slice(0, length);
      if (shape.lowerCase) name = name.toLowerCase();
    }
    const h = digest('uuid', 32);
    return {
      logicalId,
      name,
      uuid: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`,
      hex: (n: number) => digest('hex', n),
    };
  }

  private intrinsic(fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(arg as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg as string[] : (arg as string).split('.');
        return this.getAtt(id, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map(p => {
          if (typeof p !== 'string') throw new Error(`Fn::Join of a non-string ${JSON.stringify(p)}`);
          return p;
        }).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolve(list);
        if (!Array.isArray(items)) throw new Error(`Fn::Select from ${JSON.stringify(items)}`);
        const i = Number(this.resolve(index));
        if (!(i >= 0 && i < items.length)) throw new Error(`Fn::Select index ${i} out of ${JSON.stringify(items)}`);
        return items[i];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return this.resolveString(source).split(separator);
      }
    }
    throw new Error(`Unsupported intrinsic ${fn}: ${JSON.stringify(arg)}`);
  }
}
