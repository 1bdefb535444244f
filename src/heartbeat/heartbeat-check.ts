import { Arn, ArnFormat, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { BoundCheck } from './bound-check';
import { ProbeCheck } from './heartbeat-config';
import { ILogDeliveryPath } from '../core/log-destination';
import { PropValidator } from '../core/validation-error';

/** Web hosts a probe reaches directly, found at run time (inside the VPC, bypassing the edge). */
export interface WebHostTargets {
  /** EC2 web hosts: every running instance of these groups. @default - none */
  readonly autoScalingGroups?: autoscaling.IAutoScalingGroup[];
  /** Fargate: every running task of this service. @default - none */
  readonly fargateService?: ecs.IBaseService;
  /** Port of the host filter on each host or task. */
  readonly port: number;
  /** Probe at most this many hosts per run, from 1 to 50. @default 10 */
  readonly maxTargets?: number;
}

/** One HTTP request of a heartbeat and what it must prove. */
export interface HttpProbeOptions {
  /** Name of the check in the results and the `Check` metric dimension. @default - 'canary-blocked' or 'benign-passes' */
  readonly name?: string;
  /**
   * The URL to send the request to (the public endpoint, for the edge). Give
   * either `url` or `hosts`.
   * @default - none
   */
  readonly url?: string;
  /** Send the request to each web host instead (`path` is appended). @default - none */
  readonly hosts?: WebHostTargets;
  /** Path and query for `hosts`. @default '/' */
  readonly path?: string;
  /** HTTP method. @default 'GET' */
  readonly method?: string;
  /** Request headers (lowercase names), e.g. a `host` header for `hosts`. @default - none */
  readonly headers?: Record<string, string>;
  /** Request body. @default - none */
  readonly body?: string;
  /** The layer whose block response is expected (`x-defence-layer: <layer>`). @default - the heartbeat's own layer */
  readonly layer?: string;
  /** Status of the layer's block response. @default 403 */
  readonly blockStatus?: number;
  /** How long to wait for the answer, from 1 to 30 seconds. @default Duration.seconds(5) */
  readonly timeout?: Duration;
}

/** A web ACL rule and the action it must still have. */
export interface ExpectedWebAclRule {
  /** Rule name. */
  readonly name: string;
  /** `block`, `allow`, `captcha`, `challenge` or `count`, or `none` for a rule group that keeps its rules' own actions. */
  readonly action: string;
}

/** What the web ACL check compares against. */
export interface WebAclCheckOptions {
  /** ARN of the web ACL. */
  readonly webAclArn: string;
  /** Rules that must still be there, with their actions. */
  readonly rules: ExpectedWebAclRule[];
  /** The web ACL's default action. @default 'allow' */
  readonly defaultAction?: string;
}

/** A resource that must still be associated with the web ACL. */
export interface WebAclAssociationCheckOptions {
  /** ARN of the web ACL. */
  readonly webAclArn: string;
  /** ARN of the protected resource (a load balancer, an API stage, ...). */
  readonly resourceArn: string;
  /** Name of the check. @default 'web-acl-associated' */
  readonly name?: string;
  /** The protected resource's construct, when it is in this app: the heartbeat declares that it observes it. @default - none */
  readonly resource?: IConstruct;
}

/** The monitor layer's mirroring and sensors. */
export interface MirrorSessionsCheckOptions {
  /** Names of the mirrored Auto Scaling groups. */
  readonly autoScalingGroupNames: string[];
  /** The traffic mirror target every web-host interface must be mirrored to. */
  readonly mirrorTargetId: string;
}

/** The sensors behind the mirror target. */
export interface SensorsHealthyCheckOptions {
  /** The sensors' target group. */
  readonly targetGroupArn: string;
  /** At least this many healthy sensors. @default 1 */
  readonly minHealthy?: number;
}

/** The sensors must have alerted on the monitor's canary request recently. */
export interface SensorCanaryCheckOptions {
  /** Where the sensors write their alerts (Suricata eve.json). */
  readonly sensorLogGroup: logs.ILogGroup;
  /** The Suricata rule id of the canary. */
  readonly signatureId: number;
  /** Sends a GET here first, through the web tier, so the mirrored traffic carries it. @default - nothing is sent */
  readonly url?: string;
  /** The alert must be this recent, from 2 to 60 minutes. @default Duration.minutes(5) */
  readonly window?: Duration;
}

/**
 * One thing a heartbeat proves on every run. Each check is read-only (its IAM
 * statements only describe and read), fails with a sentence saying why, and
 * never throws.
 */
export abstract class HeartbeatCheck {
  /** The control must block this canary attack itself: its block status with `x-defence-layer: <layer>`. */
  public static canaryBlocked(options: HttpProbeOptions): HeartbeatCheck {
    return new ProbeHeartbeatCheck('block', options);
  }

  /** A benign request must pass: no layer may block it, and the service must answer (not 5xx). */
  public static benignPasses(options: HttpProbeOptions): HeartbeatCheck {
    return new ProbeHeartbeatCheck('pass', options);
  }

  /** The log group must have received an event (matching `filterPattern`) within `maxSilence` (1 to 1,440 minutes, default 15). */
  public static logsArriving(logGroup: logs.ILogGroup, maxSilence?: Duration, filterPattern?: logs.IFilterPattern): HeartbeatCheck {
    return new LambdaCheck(scope => {
      const minutes = (maxSilence ?? Duration.minutes(15)).toSeconds() / 60;
      const v = new PropValidator(scope);
      v.integerInRange('logsArriving maxSilence', minutes, 1, 1440, 'minutes');
      v.throwIfInvalid();
      return {
        config: {
          kind: 'logs-arriving',
          name: `logs-arriving-${shortName(logGroup)}`,
          logGroupName: logGroup.logGroupName,
          maxSilenceSeconds: minutes * 60,
          filterPattern: filterPattern?.logPatternString,
        },
        statements: [readLogGroup(scope, logGroup)],
        observes: [{ target: logGroup, reason: 'the heartbeat checks that its logs are still arriving (FilterLogEvents)' }],
      };
    });
  }

  /**
   * The layer's delivery path into the archive: its stream is ACTIVE, its
   * oldest record waits at most `maxFreshness` (60 to 3,600 seconds, default
   * 15 minutes) and no delivery to the archive failed in the last 15 minutes.
   */
  public static deliveryStreamFresh(path: ILogDeliveryPath, maxFreshness?: Duration): HeartbeatCheck {
    return new LambdaCheck(scope => {
      const seconds = (maxFreshness ?? Duration.minutes(15)).toSeconds();
      const v = new PropValidator(scope);
      v.integerInRange('deliveryStreamFresh maxFreshness', seconds, 60, 3600, 'seconds');
      v.throwIfInvalid();
      return {
        config: { kind: 'delivery-stream', name: `delivery-${path.layerName}-${path.prefix.split('/').filter(Boolean).pop()}`, streamName: path.deliveryStreamName, maxFreshnessSeconds: seconds },
        statements: [
          new iam.PolicyStatement({ sid: 'DescribeDeliveryStreams', actions: ['firehose:DescribeDeliveryStream'], resources: [path.deliveryStreamArn] }),
          new iam.PolicyStatement({ sid: 'ReadMetrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
        ],
        observes: [{ target: path, reason: 'the heartbeat reads the delivery stream\'s status and metrics' }],
      };
    });
  }

  /** The web ACL still has its rules with their actions, its default action, and its associations. */
  public static webAclEnforcing(options: WebAclCheckOptions): HeartbeatCheck {
    return new LambdaCheck(scope => {
      const arn = options.webAclArn;
      const v = new PropValidator(scope);
      const parts = Token.isUnresolved(arn) ? undefined : /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:(regional|global)\/webacl\/[\w-]+\/[\w-]+$/.exec(arn);
      v.check(Token.isUnresolved(arn) || parts !== null, 'webAclArn', arn, 'a WAFv2 web ACL ARN: arn:aws:wafv2:<region>:<account>:regional|global/webacl/<name>/<id>');
      const actions = ['block', 'allow', 'captcha', 'challenge', 'count', 'none'];
      options.rules.forEach((r, i) => v.check(actions.includes(r.action), `rules[${i}].action`, r.action, actions.join(', ')));
      v.check(['allow', 'block'].includes(options.defaultAction ?? 'allow'), 'defaultAction', options.defaultAction, "'allow' or 'block'");
      v.throwIfInvalid();
      const split = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
      // webacl/<name>/<id>: the resource name is '<name>/<id>' (tokens are split by CloudFormation).
      const nameAndId = split.resourceName ?? '';
      const name = Token.isUnresolved(arn) ? selectPart(arn, 2) : nameAndId.split('/')[0];
      const id = Token.isUnresolved(arn) ? selectPart(arn, 3) : nameAndId.split('/')[1];
      const scopeValue = Token.isUnresolved(arn) ? 'REGIONAL' : (parts![1] === 'global' ? 'CLOUDFRONT' : 'REGIONAL');
      return {
        config: {
          kind: 'web-acl',
          name: 'web-acl-enforcing',
          webAclArn: arn,
          webAclName: name,
          webAclId: id,
          scope: scopeValue as 'REGIONAL' | 'CLOUDFRONT',
          rules: options.rules.map(r => ({ name: r.name, action: r.action })),
          defaultAction: (options.defaultAction ?? 'allow') as 'allow' | 'block',
        },
        statements: [new iam.PolicyStatement({ sid: 'ReadWebAcl', actions: ['wafv2:GetWebACL'], resources: [arn] })],
        observes: [],
      };
    });
  }

  /** The resource is still associated with the web ACL (the edge was not detached). */
  public static webAclAssociated(options: WebAclAssociationCheckOptions): HeartbeatCheck {
    return new LambdaCheck(() => ({
      config: { kind: 'web-acl-association', name: options.name ?? 'web-acl-associated', webAclArn: options.webAclArn, resourceArn: options.resourceArn },
      statements: [new iam.PolicyStatement({
        sid: 'ReadAssociation', actions: ['wafv2:GetWebACLForResource'], resources: [options.webAclArn, options.resourceArn],
      })],
      observes: options.resource ? [{ target: options.resource, reason: 'the heartbeat reads which web ACL protects it (GetWebACLForResource)' }] : [],
    }));
  }

  /** Every network interface of every in-service web host has a session to the mirror target. */
  public static mirrorSessions(options: MirrorSessionsCheckOptions): HeartbeatCheck {
    return new LambdaCheck(() => ({
      config: { kind: 'mirror-sessions', name: 'web-hosts-mirrored', autoScalingGroupNames: options.autoScalingGroupNames, targetId: options.mirrorTargetId },
      statements: [new iam.PolicyStatement({
        sid: 'DescribeWebHostsAndSessions',
        actions: ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTrafficMirrorSessions'],
        resources: ['*'],
      })],
      observes: [],
    }));
  }

  /** At least `minHealthy` sensors are healthy in their target group. */
  public static sensorsHealthy(options: SensorsHealthyCheckOptions): HeartbeatCheck {
    return new LambdaCheck(scope => {
      const v = new PropValidator(scope);
      v.integerInRange('minHealthy', options.minHealthy, 1, 100);
      v.throwIfInvalid();
      return {
        config: { kind: 'sensors-healthy', name: 'sensors-healthy', targetGroupArn: options.targetGroupArn, minHealthy: options.minHealthy ?? 1 },
        statements: [new iam.PolicyStatement({ sid: 'DescribeSensorHealth', actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] })],
        observes: [],
      };
    });
  }

  /** The sensors alerted on the canary request within `window`: mirroring, detection and log shipping work end to end. */
  public static sensorCanary(options: SensorCanaryCheckOptions): HeartbeatCheck {
    return new LambdaCheck(scope => {
      const minutes = (options.window ?? Duration.minutes(5)).toSeconds() / 60;
      const v = new PropValidator(scope);
      v.integerInRange('window', minutes, 2, 60, 'minutes');
      v.integerInRange('signatureId', options.signatureId, 1, 2 ** 31 - 1);
      if (options.url !== undefined && !Token.isUnresolved(options.url)) v.matches('url', options.url, /^https?:\/\/[^\s/]+/, 'an http(s) URL');
      v.throwIfInvalid();
      return {
        config: {
          kind: 'sensor-canary',
          name: 'sensors-see-canary',
          url: options.url,
          logGroupName: options.sensorLogGroup.logGroupName,
          signatureId: options.signatureId,
          windowSeconds: minutes * 60,
          timeoutMs: 5000,
        },
        statements: [readLogGroup(scope, options.sensorLogGroup)],
        observes: [{ target: options.sensorLogGroup, reason: 'the heartbeat looks for the sensors\' canary alert' }],
      };
    });
  }

  /** @internal */
  public abstract _bind(scope: IConstruct): BoundCheck;
}

class LambdaCheck extends HeartbeatCheck {
  constructor(private readonly binder: (scope: IConstruct) => BoundCheck) {
    super();
  }

  /** @internal */
  public _bind(scope: IConstruct): BoundCheck {
    return this.binder(scope);
  }
}

class ProbeHeartbeatCheck extends HeartbeatCheck {
  constructor(private readonly expect: 'block' | 'pass', private readonly options: HttpProbeOptions) {
    super();
  }

  /** @internal */
  public _bind(scope: IConstruct): BoundCheck {
    const o = this.options;
    const v = new PropValidator(scope);
    const name = o.name ?? (this.expect === 'block' ? 'canary-blocked' : 'benign-passes');
    v.matches('name', name, /^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and hyphens, up to 63 characters');
    v.checkDescribed((o.url !== undefined) !== (o.hosts !== undefined), 'url, hosts',
      `${o.url === undefined ? 'no url' : 'url'} and ${o.hosts === undefined ? 'no hosts' : 'hosts'}`, 'exactly one of url and hosts');
    if (o.url !== undefined && !Token.isUnresolved(o.url)) v.matches('url', o.url, /^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http(s) URL');
    const path = o.path ?? '/';
    v.matches('path', path, /^\/\S*$/, 'a path starting with /, without spaces (encode the query)');
    v.integerInRange('blockStatus', o.blockStatus, 400, 599);
    const timeout = (o.timeout ?? Duration.seconds(5)).toSeconds();
    v.integerInRange('timeout', timeout, 1, 30, 'seconds');
    if (o.hosts) {
      v.integerInRange('hosts.port', o.hosts.port, 1, 65535);
      v.integerInRange('hosts.maxTargets', o.hosts.maxTargets, 1, 50);
      v.check((o.hosts.autoScalingGroups ?? []).length > 0 || o.hosts.fargateService !== undefined, 'hosts', 'no group and no service',
        'at least one Auto Scaling group or a Fargate service');
    }
    const method = o.method ?? 'GET';
    v.matches('method', method, /^[A-Z]{3,10}$/, 'an HTTP method in capitals');
    for (const header of Object.keys(o.headers ?? {})) v.matches('headers', header, /^[a-z0-9-]+$/, 'lowercase header names');
    v.throwIfInvalid();

    const service = o.hosts?.fargateService;
    const config: ProbeCheck = {
      kind: 'probe',
      name,
      expect: this.expect,
      layer: o.layer ?? '',
      url: o.url,
      targets: o.hosts ? {
        autoScalingGroupNames: (o.hosts.autoScalingGroups ?? []).map(g => g.autoScalingGroupName),
        ecsService: service ? { cluster: service.cluster.clusterName, service: service.serviceName } : undefined,
        port: o.hosts.port,
        path,
        maxTargets: o.hosts.maxTargets ?? 10,
      } : undefined,
      method,
      headers: o.headers ?? {},
      body: o.body,
      blockStatus: o.blockStatus ?? 403,
      timeoutMs: timeout * 1000,
    };
    const statements: iam.PolicyStatement[] = [];
    const observes: BoundCheck['observes'] = [];
    if ((o.hosts?.autoScalingGroups ?? []).length > 0) {
      statements.push(new iam.PolicyStatement({
        sid: 'FindWebHosts', actions: ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances'], resources: ['*'],
      }));
    }
    if (service) {
      const stack = Stack.of(scope);
      statements.push(new iam.PolicyStatement({
        sid: 'ListTasksOfTheCluster',
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': service.cluster.clusterArn } },
      }), new iam.PolicyStatement({
        sid: 'DescribeTasksOfTheCluster',
        actions: ['ecs:DescribeTasks'],
        resources: [Arn.format({ service: 'ecs', resource: 'task', resourceName: `${service.cluster.clusterName}/*` }, stack)],
      }));
    }
    return { config, statements, observes, reachesHosts: o.hosts };
  }
}

/** FilterLogEvents on one log group (the ARN without the trailing `:*`). */
function readLogGroup(scope: IConstruct, logGroup: logs.ILogGroup): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['logs:FilterLogEvents'],
    resources: [Stack.of(scope).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
  });
}

/** A short, stable name for a log group in check names: its construct id, lowercased. */
function shortName(logGroup: logs.ILogGroup): string {
  const path = logGroup.node.path.split('/').filter(p => p !== 'Resource');
  return path.slice(-2).join('-').toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
}

/** Part `index` of an ARN token split at '/', resolved by CloudFormation. */
function selectPart(arn: string, index: number): string {
  return Fn.select(index, Fn.split('/', arn));
}
