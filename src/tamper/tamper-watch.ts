import {
  Annotations, ArnFormat, AspectPriority, Aspects, CfnResource, Duration, IAspect, Names, Reference, RemovalPolicy, Stack,
  Token, Tokenization, Validations,
} from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { renderRules, RenderedRule, WatchedResource, watchedResourceOf } from './event-patterns';
import { MIRROR_SESSION_CALLS, WATCHED_RESOURCE_TYPES } from './watched-calls';
import { alarmTopic, allowServiceToPublish } from '../core/alarm-topic';
import { DefenceLayer, IDefenceLayer } from '../core/defence-layer';
import { IsolationMetadata } from '../core/isolation-metadata';
import { layerKey } from '../core/key-policy';
import { ILogDeliveryPath, ILogDestination } from '../core/log-destination';
import { allowCloudWatchLogsToUse } from '../core/log-group-key';
import { markSubtree } from '../core/metadata-aspect';
import { acknowledgeGuardRule } from '../core/nag-acknowledgements';
import { PropValidator } from '../core/validation-error';

/** What a composite (the watch layer) passes through to its tamper watch. */
export interface TamperWatchOptions {
  /**
   * An organization trail (or another trail of the account) already logs this
   * account's management events in every region: the tamper watch creates no
   * trail of its own and relies on that one, which it can neither see nor watch
   * (the synth warns).
   * @default false - the tamper watch creates a multi-region trail with log file validation, delivering into the log destination
   */
  readonly useOrganizationTrail?: boolean;
}

export interface TamperWatchProps extends TamperWatchOptions {
  /**
   * Each tamper event is notified here, and each layer's tamper alarm notifies here.
   * Give `encryptionKey` with it when the topic is encrypted.
   * @default - a new topic, encrypted with `encryptionKey`, with `emails` subscribed
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Email addresses subscribed to the new topic (without `alarmTopic`).
   * @default - none (then `alarmTopic` is required: somebody must be told)
   */
  readonly emails?: string[];
  /**
   * The key the topic is encrypted with (EventBridge is allowed to use it); it
   * also encrypts the tamper-event log groups (CloudWatch Logs is allowed to use it).
   * @default - a new key of the enclosing layer
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where the trail delivers (its own prefix of the archive, with the archive's key).
   * @default - none: only with `useOrganizationTrail`
   */
  readonly logDestination?: ILogDestination;
  /**
   * The watching layer's own delivery path: the tamper-event log groups are shipped through it.
   * @default - the tamper events stay in their log groups only
   */
  readonly deliveryPath?: ILogDeliveryPath;
}

/** The calls watched on one layer's resources, as the report lists them. */
export interface WatchedCalls {
  /** The layer whose resources are watched. */
  readonly layer: string;
  /** In words, e.g. "key". */
  readonly what: string;
  /** The CloudTrail event names (an entry ending in `*` is a prefix). */
  readonly eventNames: string[];
}

/** The namespace of the tamper watch's metrics: `DefenceInDepth/TamperWatch/<layer>`, metric `TamperEvents`. */
export const TAMPER_METRIC_NAMESPACE = 'DefenceInDepth/TamperWatch';

function tamperNamespace(layer: string): string {
  return `${TAMPER_METRIC_NAMESPACE}/${layer}`;
}

/**
 * Sees the *act* of switching a control off: EventBridge rules on CloudTrail
 * management events, matched to this app's own resources (by ARN, name or id),
 * for every call that disables, detaches, weakens or deletes a control of any
 * layer, the watching layer and the archive included (see `WATCHED_CALLS` in
 * the README).
 *
 * Every match is notified at once on the alarm topic (who did what, to which
 * layer) and counted in the `TamperEvents` metric of its layer, with an alarm
 * at 1. EventBridge sees these events only while a trail logs them: the tamper
 * watch creates one (multi-region, log file validation, encrypted with the
 * archive's key, into the archive under `cloudtrail/`), and watches it too.
 *
 * It must be created inside a layer (the watch layer). The resources it
 * watches are collected when the app is synthesized: resources added after it
 * are watched too. Only resources in its own account and region are watched
 * (CloudTrail events reach EventBridge only there): a warning names the others.
 */
export class TamperWatch extends Construct {
  /** The trail, unless `useOrganizationTrail`. */
  public readonly trail?: cloudtrail.CfnTrail;
  /** Where tamper events and alarms are notified. */
  public readonly alarmTopic: sns.ITopic;
  /** The key of the tamper-event log groups (and of the topic, when the tamper watch made it). */
  public readonly encryptionKey: kms.IKey;
  private readonly layer: IDefenceLayer;
  private readonly props: TamperWatchProps;
  private readonly layerAlarms = new Map<string, cloudwatch.Alarm>();
  private readonly watched: WatchedCalls[] = [];
  private readonly listeners: Array<(layer: string, alarm: cloudwatch.IAlarm) => void> = [];
  private built = false;

  constructor(scope: Construct, id: string, props: TamperWatchProps) {
    super(scope, id);
    this.layer = DefenceLayer.requireOf(this, 'A tamper watch');
    this.props = props;
    const v = new PropValidator(this);
    v.checkDescribed(props.logDestination !== undefined || props.useOrganizationTrail === true, 'logDestination',
      'undefined (without useOrganizationTrail)', 'a log destination for the trail, or `useOrganizationTrail: true` when an organization trail exists');
    v.checkDescribed(props.alarmTopic !== undefined || (props.emails ?? []).length > 0, 'alarmTopic, emails', 'neither given',
      'an alarm topic, or at least one email address: a tamper event nobody is told of is a silent failure');
    v.checkDescribed(props.alarmTopic === undefined || props.emails === undefined, 'emails', 'given with alarmTopic', 'emails only for a new topic (subscribe them to alarmTopic yourself)');
    (props.emails ?? []).forEach((email, i) => v.matches(`emails[${i}]`, email, /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address'));
    v.throwIfInvalid();

    this.encryptionKey = props.encryptionKey ?? layerKey(this, 'Key', `Tamper watch of the ${this.layer.layerName} layer: its topic and event log groups`);
    this.alarmTopic = props.alarmTopic ?? this.newTopic(props.emails ?? []);
    allowCloudWatchLogsToUse(this.encryptionKey, 'AllowCloudWatchLogsForTamperEvents');
    // EventBridge publishes each tamper event to the encrypted topic, for this account's rules only.
    allowServiceToPublish(this.alarmTopic, this.encryptionKey, 'events.amazonaws.com',
      { keySid: 'EventBridgePublishesTamperEvents', topicSid: 'EventBridgeTamperRulesOfThisAccount' });

    if (props.useOrganizationTrail) {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:tamper-watch-organization-trail',
        'The tamper watch relies on an organization trail (useOrganizationTrail): EventBridge sees this account\'s management events only while '
        + 'that trail logs them in every region. This app cannot see or watch that trail: StopLogging or a narrowed event selector on it blinds the '
        + 'tamper watch without an alarm here. Watch it from the organization\'s management account.');
    } else {
      this.trail = this.newTrail(props.logDestination!);
    }
    // The rules need every resource of the app: they are made once the app is built, before layer membership is written.
    Aspects.of(this.node.root).add(new BuildOnce(this), { priority: AspectPriority.MUTATING - 100 });
  }

  /** The number of tamper events of `layer` (sum per 5 minutes). */
  public metricTamperEvents(layer: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: tamperNamespace(layer),
      metricName: 'TamperEvents',
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** The tamper alarm of each watched layer (known once the app is synthesized). */
  public get alarms(): cloudwatch.IAlarm[] {
    return [...this.layerAlarms.values()];
  }

  /** The calls watched on each layer's resources (known once the app is synthesized). */
  public get watchedCalls(): WatchedCalls[] {
    return [...this.watched];
  }

  /** Called for each layer's tamper alarm when it is made (the watch layer adds it to its dashboard and overall alarm). @internal */
  public _onLayerAlarm(listener: (layer: string, alarm: cloudwatch.IAlarm) => void): void {
    this.listeners.push(listener);
  }

  /** Makes the log groups, metrics, alarms and rules, for every watched resource of the app. @internal */
  public _build(): void {
    if (this.built) return;
    this.built = true;
    const stack = Stack.of(this);
    const byLayer = this.collect(stack);
    // The watching layer's own resources (the trail, the topic, its alarms) are watched too.
    if (!byLayer.has(this.layer.layerName)) byLayer.set(this.layer.layerName, []);

    const logGroups = new Map<string, logs.LogGroup>();
    for (const layerName of [...byLayer.keys()].sort()) {
      logGroups.set(layerName, this.newLayerCounter(layerName));
    }
    this.allowEventBridgeToLog([...logGroups.values()]);

    // Collect again: the counters' own log groups and alarms are resources of the watching layer.
    const resources = this.collect(stack);
    const ruleNames: string[] = [];
    for (const [layerName, list] of [...resources.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const owner = list[0] && DefenceLayer.of(list[0].resource);
      const hasMirrorTarget = list.some(r => r.resource.cfnResourceType === 'AWS::EC2::TrafficMirrorTarget');
      // Mirror sessions are the layer's own run-time work: its roles' calls on them are not tamper events.
      const roles = owner && hasMirrorTarget ? rolesAllowedTo(owner, MIRROR_SESSION_CALLS.eventNames.map(e => `ec2:${e}`)) : [];
      const ownRoles = roles.map(r => r.getAtt('Arn').toString());
      const rules = renderRules(list.filter(r => r.resource.cfnResourceType !== 'AWS::Events::Rule' || !this.isOwnRule(r.resource)),
        ownRoles, hasMirrorTarget);
      const counts = new Map<string, number>();
      list.forEach(r => counts.set(r.type.what, (counts.get(r.type.what) ?? 0) + 1));
      rules.forEach((rendered, i) => ruleNames.push(this.newRule(`${layerName}-${i + 1}`, layerName, rendered, logGroups.get(layerName)!, counts)));
      // The patterns only name the resources they reference (the watched ones, the layer's own roles, what an
      // association protects): read-only, declared as observes edges.
      for (const target of referencedResources(rules.map(r => r.pattern))) {
        const targetLayer = DefenceLayer.of(target);
        if (targetLayer?.layerName !== this.layer.layerName) {
          (this.layer as DefenceLayer).observe(target, {
            reason: `the ${this.layer.layerName} layer's tamper watch names ${targetLayer ? `the ${targetLayer.layerName} layer's` : 'this'} resource in its event patterns`,
          });
        }
      }
    }
    // The rules are watched by name, by rules that watch each other and themselves too: names are literal,
    // since a reference between two rules would be a cycle. Their own names are made first, so they can be in their patterns.
    const selfRules: events.CfnRule[] = [];
    let self: RenderedRule[] = [];
    do {
      selfRules.push(this.newRuleResource(`rules-${selfRules.length + 1}`));
      const names = [...ruleNames, ...selfRules.map(r => r.name!)];
      self = renderRules(names.map(name => ({ resource: undefined as unknown as CfnResource, type: RULE_TYPE, literalName: name })), [], false);
    } while (self.length > selfRules.length);
    const selfCounts = new Map([[RULE_TYPE.what, ruleNames.length + selfRules.length]]);
    selfRules.forEach((rule, i) => {
      if (self[i]) this.configureRule(rule, this.layer.layerName, self[i], logGroups.get(this.layer.layerName)!, selfCounts);
      else rule.node.scope!.node.tryRemoveChild(rule.node.id);
    });
  }

  private newTopic(emails: string[]): sns.Topic {
    return alarmTopic(this, 'Topic', `Defence in depth: a control of the ${this.layer.layerName} layer was tampered with`, this.encryptionKey, emails);
  }

  private newTrail(destination: ILogDestination): cloudtrail.CfnTrail {
    const delivery = destination.cloudTrailDelivery();
    const trail = new cloudtrail.CfnTrail(this, 'Trail', {
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      s3BucketName: delivery.bucket.bucketName,
      s3KeyPrefix: delivery.objectKeyPrefix,
      kmsKeyId: delivery.encryptionKeyArn,
      // Every call that can switch a control off is a write: read-only calls would only add cost.
      eventSelectors: [{ includeManagementEvents: true, readWriteType: 'WriteOnly' }],
    });
    // Its references to the archive are the watching layer's own log delivery.
    markSubtree(trail, IsolationMetadata.LOG_DELIVERY, () => this.layer.layerName);
    if (delivery.bucket.policy && Stack.of(delivery.bucket) === Stack.of(this)) {
      // CloudTrail checks its write access when the trail is created.
      trail.addResourceDependency(delivery.bucket.policy.node.defaultChild as CfnResource);
    }
    const cwl = 'The trail feeds EventBridge, whose rules match the tamper events of this app\'s resources; every event is also archived '
      + 'under cloudtrail/ with log file validation. Sending all management events to CloudWatch Logs too would add cost and another copy, not a control.';
    Validations.of(trail).acknowledge({ id: 'NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled', reason: cwl });
    acknowledgeGuardRule(trail, 'cloud_trail_cloud_watch_logs_enabled_check', cwl);
    return trail;
  }

  /** The layer's tamper-event log group, its `TamperEvents` metric filter and its alarm at 1. */
  private newLayerCounter(layerName: string): logs.LogGroup {
    const scope = new Construct(this, `Layer-${layerName}`);
    const logGroup = new logs.LogGroup(scope, 'Events', {
      encryptionKey: this.encryptionKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.props.deliveryPath?.addLogGroup(logGroup);
    // A metric filter's dimensions can only be read from the events: the layer is in the namespace instead.
    new logs.MetricFilter(scope, 'Count', {
      logGroup,
      filterPattern: logs.FilterPattern.allEvents(),
      metricNamespace: tamperNamespace(layerName),
      metricName: 'TamperEvents',
      metricValue: '1',
    });
    const alarm = new cloudwatch.Alarm(scope, 'Alarm', {
      alarmDescription: `A control of the ${layerName} layer was disabled, detached, weakened or deleted (tamper watch: see the notification for who and what).`,
      metric: this.metricTamperEvents(layerName),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No event is the normal state: a period without tamper events has no data point.
      // The tamper watch's own blindness (trail stopped, rule disabled) is itself a tamper event.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic));
    this.layerAlarms.set(layerName, alarm);
    this.listeners.forEach(l => l(layerName, alarm));
    return logGroup;
  }

  /** EventBridge may write the matched events into the tamper-event log groups (one resource policy for all). */
  private allowEventBridgeToLog(logGroups: logs.LogGroup[]): void {
    new logs.ResourcePolicy(this, 'EventsToLogs', {
      policyStatements: [new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: logGroups.map(g => `${g.logGroupArn}`),
      })],
    });
  }

  private newRule(id: string, layerName: string, rendered: RenderedRule, logGroup: logs.LogGroup, counts: Map<string, number>): string {
    const rule = this.newRuleResource(id);
    this.configureRule(rule, layerName, rendered, logGroup, counts);
    return rule.name!;
  }

  /** A rule with its literal name, not yet configured. */
  private newRuleResource(id: string): events.CfnRule {
    const rule = new events.CfnRule(this, `Rule-${id}`, { state: 'ENABLED' });
    rule.name = Names.uniqueResourceName(rule, { maxLength: 64, separator: '-' });
    return rule;
  }

  private configureRule(rule: events.CfnRule, layerName: string, rendered: RenderedRule, logGroup: logs.LogGroup, counts: Map<string, number>): void {
    const stack = Stack.of(this);
    rule.description = `Tamper watch: calls that weaken the ${layerName} layer's ${rendered.calls.map(c => c.what).join(', ')} (${rendered.source})`;
    rule.eventPattern = rendered.pattern;
    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    rule.targets = [
      {
        id: 'Notify',
        arn: this.alarmTopic.topicArn,
        inputTransformer: {
          inputPathsMap: {
            call: '$.detail.eventName',
            service: '$.detail.eventSource',
            who: '$.detail.userIdentity.arn',
            when: '$.detail.eventTime',
            account: '$.account',
            region: '$.region',
            error: '$.detail.errorCode',
          },
          inputTemplate: JSON.stringify(`Tamper watch, ${layerName} layer: <call> (<service>) by <who> at <when> in <account> <region>; `
            + 'error code, if the call failed: <error>. A call that disables, detaches, weakens or deletes a control of this layer.'),
        },
      },
      // The whole event is kept in the layer's own log group, whose metric filter counts it.
      { id: 'Count', arn: logGroupArn },
    ];
    const calls = rendered.calls.map(c => ({ ...c, resources: counts.get(c.what) ?? c.resources }));
    rule.addMetadata(IsolationMetadata.TAMPER_WATCH, { layer: layerName, source: rendered.source, calls });
    for (const c of rendered.calls) {
      const existing = this.watched.find(w => w.layer === layerName && w.what === c.what);
      if (existing) existing.eventNames.push(...c.eventNames.filter(e => !existing.eventNames.includes(e)));
      else this.watched.push({ layer: layerName, what: c.what, eventNames: [...c.eventNames] });
    }
  }

  /** Every watched resource of every layer in this account and region, by layer; a warning names layers elsewhere. */
  private collect(stack: Stack): Map<string, WatchedResource[]> {
    const byLayer = new Map<string, WatchedResource[]>();
    const elsewhere = new Set<string>();
    const all = this.node.root.node.findAll();
    // Environments that have a tamper watch of their own.
    const watchedElsewhere = new Set(all.filter(c => c instanceof TamperWatch).map(c => envOf(Stack.of(c))));
    for (const node of all) {
      if (!CfnResource.isCfnResource(node)) continue;
      const layer = DefenceLayer.of(node);
      if (!layer) continue;
      const watched = watchedResourceOf(node, stack);
      if (watched) {
        byLayer.set(layer.layerName, [...byLayer.get(layer.layerName) ?? [], watched]);
      } else if (WATCHED_RESOURCE_TYPES.some(t => t.cfnType === node.cfnResourceType) && !watchedElsewhere.has(envOf(Stack.of(node)))) {
        elsewhere.add(`${layer.layerName} (stack ${Stack.of(node).stackName})`);
      }
    }
    if (elsewhere.size > 0) {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:tamper-watch-other-environment',
        `The tamper watch sees CloudTrail events of its own account and region only; these layers have resources elsewhere and are not watched by it: ${[...elsewhere].sort().join(', ')}. `
        + 'Give that account and region a tamper watch of its own.');
    }
    return byLayer;
  }

  private isOwnRule(resource: CfnResource): boolean {
    return resource.node.scopes.includes(this);
  }
}

/** The resources a set of patterns references (`Ref`, `Fn::GetAtt`, in this stack or another). */
function referencedResources(patterns: unknown[]): CfnResource[] {
  const targets = patterns.flatMap(p => findTokens(p)).map(ref => ref.target);
  return [...new Set(targets)].filter((t): t is CfnResource => CfnResource.isCfnResource(t));
}

/** The references (`Reference` tokens) anywhere in a value. */
function findTokens(value: unknown): Reference[] {
  const out: Reference[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string' && Token.isUnresolved(v)) {
      for (const token of Tokenization.reverseString(v).tokens) collect(token);
    } else if (Array.isArray(v)) {
      // A list token (Fn::Split) is a one-element array of an encoded string.
      const list = Tokenization.reverseList(v as string[]);
      if (list) collect(list);
      else v.forEach(visit);
    } else if (v && typeof v === 'object') {
      collect(v);
    }
  };
  const seen = new Set<unknown>();
  const collect = (token: unknown): void => {
    if (!token || typeof token !== 'object' || seen.has(token)) return;
    seen.add(token);
    if (token instanceof Reference) out.push(token);
    else Object.values(token).forEach(visit);
  };
  visit(value);
  return out;
}

function envOf(stack: Stack): string {
  return `${stack.account}/${stack.region}`;
}

/** The catalogue entry for the tamper watch's own rules, named literally. */
const RULE_TYPE = WATCHED_RESOURCE_TYPES.find(t => t.cfnType === 'AWS::Events::Rule')!;

/**
 * The IAM roles of a layer whose own policies name one of `actions` (its run-time
 * callers of them): found in the policies attached to them, read at synth.
 */
function rolesAllowedTo(layer: IConstruct, actions: string[]): CfnResource[] {
  const stack = Stack.of(layer);
  const resources = layer.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c));
  const roles = resources.filter(r => r.cfnResourceType === 'AWS::IAM::Role');
  const names = (doc: unknown) => actions.some(a => JSON.stringify(stack.resolve(doc)).includes(`"${a}"`));
  const allowed = new Set<string>();
  for (const r of resources) {
    const props = r as unknown as { policyDocument?: unknown; roles?: unknown; policies?: unknown };
    if ((r.cfnResourceType === 'AWS::IAM::Policy' || r.cfnResourceType === 'AWS::IAM::ManagedPolicy') && names(props.policyDocument)) {
      for (const ref of (stack.resolve(props.roles) ?? []) as Array<{ Ref?: string }>) if (ref?.Ref) allowed.add(ref.Ref);
    }
    if (r.cfnResourceType === 'AWS::IAM::Role' && props.policies && names(props.policies)) allowed.add(stack.getLogicalId(r));
  }
  return roles.filter(r => allowed.has(stack.getLogicalId(r)));
}


/** Builds the tamper watch once, when the app's tree is complete. */
class BuildOnce implements IAspect {
  constructor(private readonly watch: TamperWatch) {}

  public visit(_node: IConstruct): void {
    this.watch._build();
  }
}
