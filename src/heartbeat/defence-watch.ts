import { Annotations, Lazy, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { GoingDarkAlarms } from './going-dark-alarms';
import { alarmTopic } from '../core/alarm-topic';
import { DefenceLayer } from '../core/defence-layer';
import { IHeartbeat } from '../core/heartbeat';
import { layerKey } from '../core/key-policy';
import { ILogDeliveryPath, ILogDestination } from '../core/log-destination';
import { acknowledgeAlarmWithoutAction } from '../core/nag-acknowledgements';
import { PropValidator } from '../core/validation-error';
import { DefenceDashboard } from '../dashboard/defence-dashboard';
import { TamperWatch, TamperWatchOptions } from '../tamper/tamper-watch';

/** A Slack channel that receives the watch layer's alarms through AWS Chatbot. */
export interface SlackChannel {
  /** The Slack workspace id, authorized in the AWS Chatbot console first. */
  readonly workspaceId: string;
  /** The channel id (e.g. C0123456789). */
  readonly channelId: string;
}

export interface DefenceWatchProps {
  /** The layer's name. @default 'watch' */
  readonly layerName?: string;

  /** Email addresses subscribed to the alarm topic (each confirms by email). @default - none */
  readonly emails?: string[];

  /**
   * A Slack channel for the alarms (AWS Chatbot). Its guardrail denies every
   * action: the channel receives alarms, nobody runs commands from it.
   * @default - none
   */
  readonly slack?: SlackChannel;

  /** Width of the chatter bands, in standard deviations, from 1 to 10. @default 3 */
  readonly bandWidth?: number;

  /**
   * Failed or missing heartbeat runs, out of the last `heartbeatEvaluationPeriods`,
   * that raise a heartbeat alarm.
   * @default 2
   */
  readonly heartbeatDatapointsToAlarm?: number;

  /** Runs looked at by a heartbeat alarm, from 1 to 10. @default 3 */
  readonly heartbeatEvaluationPeriods?: number;

  /** Name of the dashboard. @default - generated */
  readonly dashboardName?: string;

  /**
   * Where every alarm notification is archived: the topic delivers each one,
   * through the watch layer's own path, under `watch/notifications/`. Who went
   * dark, and when, can then never be erased.
   * @default - notifications are not archived (DefenceInDepth-RemoteLoggingPerLayer fails for the watch layer)
   */
  readonly logDestination?: ILogDestination;

  /**
   * The tamper watch: EventBridge rules on CloudTrail that alarm on every call
   * disabling, detaching, weakening or deleting a control of this app. It needs
   * `logDestination` (its trail delivers there) or `useOrganizationTrail`.
   * @default - a tamper watch with its own trail whenever `logDestination` is given; without one, a warning says there is none
   */
  readonly tamperWatch?: TamperWatchOptions;
}

/**
 * The watch layer: independent of every control it watches. It holds each
 * control's going-dark alarms (heartbeat failed or silent, peers report it
 * silent, log chatter below its band or floor; missing data is breaching on
 * every one), a composite alarm per layer and one overall, the encrypted alarm
 * topic, and the defence dashboard.
 *
 * `watch(heartbeat)` adds a control; the heartbeats it watches also watch
 * each other (each reads the others' results, declared as observes edges).
 * Every layer composite notifies the topic: when a second control goes dark
 * while the first is still in alarm, the second layer's composite still
 * notifies. The overall composite is for the dashboard and paging tools
 * (`overallAlarm`); it does not notify, so nothing is sent twice.
 */
export class DefenceWatch extends DefenceLayer {
  /** The alarm topic (encrypted with the layer's key). */
  public readonly topic: sns.Topic;
  /** The layer's own key. */
  public readonly encryptionKey: kms.Key;
  /** In alarm when any watched layer is. */
  public readonly overallAlarm: cloudwatch.CompositeAlarm;
  /** The defence dashboard: a row per layer and the isolation summary. */
  public readonly dashboard: DefenceDashboard;
  /** The watch layer's own path into the archive (alarm notifications), when `logDestination` is given. */
  public readonly deliveryPath?: ILogDeliveryPath;
  /** The tamper watch (see `tamperWatch`). */
  public readonly tamperWatch?: TamperWatch;
  private readonly heartbeats: IHeartbeat[] = [];
  private readonly layerAlarms = new Map<string, { composite: cloudwatch.CompositeAlarm; members: cloudwatch.IAlarm[] }>();
  private readonly settings: { bandWidth: number; datapoints: number; periods: number };

  constructor(scope: Construct, id: string, props: DefenceWatchProps = {}) {
    super(scope, id, { layerName: props.layerName ?? 'watch' });
    const bandWidth = props.bandWidth ?? 3;
    const periods = props.heartbeatEvaluationPeriods ?? 3;
    const datapoints = props.heartbeatDatapointsToAlarm ?? 2;
    const v = new PropValidator(this);
    v.check(bandWidth >= 1 && bandWidth <= 10, 'bandWidth', bandWidth, 'from 1 to 10 standard deviations');
    v.integerInRange('heartbeatEvaluationPeriods', periods, 1, 10);
    v.integerInRange('heartbeatDatapointsToAlarm', datapoints, 1, periods, `(at most heartbeatEvaluationPeriods, ${periods})`);
    (props.emails ?? []).forEach((email, i) => v.matches(`emails[${i}]`, email, /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address'));
    if (props.slack) {
      v.matches('slack.workspaceId', props.slack.workspaceId, /^[0-9A-Z]{1,255}$/, 'a Slack workspace id (capital letters and digits, e.g. T0123ABCD)');
      v.matches('slack.channelId', props.slack.channelId, /^[A-Za-z0-9]+$/, 'a Slack channel id (e.g. C0123456789)');
    }
    v.checkDescribed(props.emails === undefined || props.emails.length > 0 || props.slack !== undefined, 'emails', '[] (and no slack)',
      'at least one address, or a Slack channel: with neither, nobody would ever be told (leave emails out to subscribe to `topic` yourself)');
    v.throwIfInvalid();
    this.settings = { bandWidth, datapoints, periods };
    if (props.emails === undefined && props.slack === undefined) {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:watch-without-subscribers',
        'The watch layer\'s alarm topic has no subscriber (no emails, no slack): subscribe to `topic` yourself, or nobody is told when a control goes dark.');
    }

    this.encryptionKey = layerKey(this, 'Key', 'Watch layer: encrypts the alarm topic');
    // Alarms publish to the encrypted topic: CloudWatch needs the key, for this account's alarms only.
    this.topic = alarmTopic(this, 'Topic', 'Defence in depth: a control went dark', this.encryptionKey, props.emails ?? []);
    if (props.logDestination) {
      const path = props.logDestination.addDeliveryPath(this, 'NotificationDelivery', { pathName: 'notifications', steady: false });
      this.deliveryPath = path;
      // SNS puts each notification into the layer's own stream with a role that may do nothing else.
      const role = new iam.Role(this, 'NotificationDeliveryRole', {
        assumedBy: new iam.ServicePrincipal('sns.amazonaws.com', { conditions: { ArnEquals: { 'aws:SourceArn': this.topic.topicArn } } }),
        description: 'Watch layer: lets the alarm topic put notifications into the layer\'s own delivery stream',
      });
      const policy = new iam.ManagedPolicy(this, 'NotificationDeliveryPolicy', {
        description: 'The alarm topic may put records into the watch layer\'s delivery stream only',
        roles: [role],
        statements: [new iam.PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [path.deliveryStreamArn] })],
      });
      const subscription = new sns.Subscription(this, 'NotificationArchive', {
        topic: this.topic,
        protocol: sns.SubscriptionProtocol.FIREHOSE,
        endpoint: path.deliveryStreamArn,
        subscriptionRoleArn: role.roleArn,
      });
      subscription.node.addDependency(policy);
    }
    if (props.slack) {
      new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: `${Stack.of(this).stackName}-defence-watch`.slice(0, 128),
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [this.topic],
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AWSDenyAll')],
      });
    }

    this.overallAlarm = new cloudwatch.CompositeAlarm(this, 'Overall', {
      alarmDescription: 'A layer of defence went dark or was tampered with (see the layer and tamper alarms on the defence dashboard).',
      alarmRule: lazyAnyOf(
        () => [...[...this.layerAlarms.values()].map(l => l.composite), ...this.tamperWatch?.alarms ?? []],
        () => this.nothingWatched()),
    });
    this.dashboard = new DefenceDashboard(this, 'Dashboard', { dashboardName: props.dashboardName, overallAlarm: this.overallAlarm });

    if (props.logDestination || props.tamperWatch?.useOrganizationTrail) {
      this.tamperWatch = new TamperWatch(this, 'TamperWatch', {
        ...props.tamperWatch,
        alarmTopic: this.topic,
        encryptionKey: this.encryptionKey,
        logDestination: props.logDestination,
        deliveryPath: this.deliveryPath,
      });
      const tamper = this.tamperWatch;
      tamper._onLayerAlarm((layer, alarm) => this.dashboard.addTamperWidget(layer, tamper.metricTamperEvents(layer), alarm));
    } else {
      Annotations.of(this).addWarningV2('cdk-defence-in-depth:no-tamper-watch',
        'The watch layer has no tamper watch: nothing alarms when a control is switched off, only the silence afterwards. '
        + 'Give it a logDestination (its trail delivers there) or tamperWatch: { useOrganizationTrail: true }.');
    }
    this.node.addValidation({ validate: () => (this.heartbeats.length === 0 ? [this.nothingWatched()] : []) });
  }

  /**
   * Watches a control's heartbeat: its going-dark alarms, its layer's
   * composite, its dashboard row, and mutual watch with every heartbeat
   * watched before.
   */
  public watch(heartbeat: IHeartbeat): GoingDarkAlarms {
    const owner = DefenceLayer.of(heartbeat);
    const v = new PropValidator(this);
    v.checkDescribed(owner !== undefined && owner.layerName !== this.layerName, 'watch(heartbeat)',
      `'${heartbeat.node.path}' (${owner ? `in layer '${owner.layerName}'` : 'outside every layer'})`,
      'a heartbeat inside the control layer it proves, not in the watch layer');
    v.checkDescribed(!this.heartbeats.includes(heartbeat), 'watch(heartbeat)', `'${heartbeat.node.path}' (watched already)`, 'each heartbeat once');
    v.throwIfInvalid();

    for (const peer of this.heartbeats) {
      peer.watchPeer(heartbeat);
      heartbeat.watchPeer(peer);
    }
    this.heartbeats.push(heartbeat);

    const alarms = new GoingDarkAlarms(this, `GoingDark${this.heartbeats.length}-${heartbeat.control}`, {
      heartbeat,
      bandWidth: this.settings.bandWidth,
      heartbeatDatapoints: this.settings.datapoints,
      heartbeatEvaluationPeriods: this.settings.periods,
    });
    // The alarms and the dashboard name the control's resources (log groups, web ACL, streams): read-only.
    for (const signal of [...heartbeat.chatter, ...heartbeat.traffic]) {
      for (const source of signal.sources) {
        const sourceLayer = DefenceLayer.of(source);
        if (sourceLayer && sourceLayer.layerName !== this.layerName) {
          this.observe(source, { reason: `the watch layer alarms on and charts ${signal.label} of the ${sourceLayer.layerName} layer` });
        }
      }
    }
    // A mutual-watch alarm notifies on its own: it is the second opinion when a heartbeat's own metric is gone.
    alarms.silentPeersAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    for (const alarm of alarms.alarms.filter(a => a !== alarms.silentPeersAlarm)) {
      acknowledgeAlarmWithoutAction(alarm,
        'A member of its layer\'s composite alarm, which notifies the watch layer\'s topic on alarm and on OK; an action here too would notify twice.');
    }

    const layer = this.layerComposite(heartbeat.control);
    layer.members.push(...alarms.alarms);
    this.dashboard.addLayerRow({ heartbeat, alarms, layerAlarm: layer.composite });
    return alarms;
  }

  /** The composite alarm of a watched layer, or undefined if no heartbeat of that layer is watched. */
  public layerAlarm(layerName: string): cloudwatch.IAlarm | undefined {
    return this.layerAlarms.get(layerName)?.composite;
  }

  /** The heartbeats watched, in order. */
  public get watchedHeartbeats(): IHeartbeat[] {
    return [...this.heartbeats];
  }

  private nothingWatched(): string {
    return `${this.node.path}: the watch layer watches no heartbeat: call watch(heartbeat) for each control (edge, host, monitor, log delivery)`;
  }

  private layerComposite(layerName: string) {
    let entry = this.layerAlarms.get(layerName);
    if (!entry) {
      const members: cloudwatch.IAlarm[] = [];
      const composite = new cloudwatch.CompositeAlarm(this, `Layer-${layerName}`, {
        alarmDescription: `The ${layerName} layer went dark: its heartbeat failed or stopped, a peer reports it silent, or its log chatter dropped.`,
        alarmRule: lazyAnyOf(() => members, () => `${this.node.path}: the ${layerName} layer has no alarm`),
      });
      const action = new cloudwatchActions.SnsAction(this.topic);
      composite.addAlarmAction(action);
      composite.addOkAction(action);
      entry = { composite, members };
      this.layerAlarms.set(layerName, entry);
    }
    return entry;
  }
}

/** ANY of alarms known only at synth (layers and heartbeats are added after the composite). */
function lazyAnyOf(alarms: () => cloudwatch.IAlarm[], whenEmpty: () => string): cloudwatch.IAlarmRule {
  return {
    renderAlarmRule: () => Lazy.string({
      produce: () => {
        const members = alarms();
        if (members.length === 0) throw new Error(whenEmpty());
        return cloudwatch.AlarmRule.anyOf(...members).renderAlarmRule();
      },
    }),
  };
}
