// Estimated monthly cost per layer of a synthesized app, from its templates and a
// stated traffic level, with the prices of ./prices.ts. An estimate for comparing
// layers and sizing a budget, not a quote: the assumptions are printed with it.
import { HOURS_PER_MONTH as H, PRICES as P } from './prices';

export const LAYER_KEY = 'cdk-defence-in-depth:layer';
const ROLE_KEY = 'cdk-defence-in-depth:role';
const MONITORING_KEY = 'cdk-defence-in-depth:monitoring';
export const OUTSIDE = '(network, outside every layer)';

/** The traffic the estimate assumes. */
export interface TrafficLevel {
  readonly requestsPerMonth: number;
  /** Average request + response size through the load balancer. */
  readonly kibPerRequest: number;
}

export const STATED_TRAFFIC: TrafficLevel = { requestsPerMonth: 10_000_000, kibPerRequest: 20 };

/** The volumes derived from the traffic, and the other assumptions, printed with the estimate. */
export const ASSUMPTIONS = {
  wafLogKibPerRequest: 1.5,
  hostLogKibPerRequest: 1,
  /** Flow-log records: one flow per 5 requests (keep-alive), two directions, ~250 bytes each. */
  flowLogBytesPerRequest: (2 * 250) / 5,
  sensorLogGbPerSensor: 0.25,
  heartbeatLogGbPerFunction: 0.1,
  heartbeatSecondsPerRun: 3,
  otherFunctionSecondsPerRun: 1,
  runsPerMonth: 60 * H,
  heartbeatMetricsPerFunction: 10,
  /**
   * CloudTrail management events, read-only ones (Describe*, Get*, List*), per run of a
   * heartbeat, counted from the checks of the example app: edge 3 (GetWebACL,
   * GetWebACLForResource, DescribeDeliveryStream), host 5 (DescribeAutoScalingGroups
   * and DescribeInstances for each of its 2 probes, DescribeDeliveryStream), monitor 6
   * (DescribeAutoScalingGroups, DescribeNetworkInterfaces, DescribeTrafficMirrorSessions,
   * DescribeTargetHealth, 2 × DescribeDeliveryStream), log delivery 6 (a
   * DescribeDeliveryStream per stream): 20 a minute, 5 a run. Their 14 GetMetricData and
   * FilterLogEvents reads, which CloudTrail may record as management events or not at
   * all, make it 34 a minute, 8.5 a run: 9, to be on the safe side. The heartbeats
   * make no management write.
   */
  managementReadsPerHeartbeatRun: 9,
  /**
   * Every other read-only management event of the account in a month: the KMS data-key
   * calls of Firehose, CloudWatch Logs and CloudTrail (~100 k without S3 bucket keys),
   * the mirror-sessions function every 5 minutes (~26 k), the SSM agents' own reads,
   * role credentials, people and CI: ~150 k counted, 200 k assumed. With the 4
   * heartbeats of the example app (4 × 43,800 runs × 9 = 1.58 M) and the writes below,
   * a trail of all management events records about 1.9 M events a month.
   */
  otherManagementReadsPerMonth: 200_000,
  /**
   * Write management events of the account in a month: the SSM agents of the 4
   * instances (UpdateInstanceInformation every 5 minutes, ~35 k), log streams, role
   * sessions, mirror sessions of new hosts, deployments (a few hundred calls each),
   * people and CI: ~50 k counted, 100 k assumed. This is what a write-only trail, the
   * tamper watch's, records.
   */
  managementWritesPerMonth: 100_000,
  /**
   * Whether the app's trail is a second copy of the management events: the account or
   * its organization already has a trail (Control Tower's organization trail counts).
   * false: priced as the free first copy, with the second-copy amount in the line and
   * the notes. A trail records the whole account, other apps included: an account with
   * more in it has more events.
   */
  trailIsAdditionalCopy: false,
  /** A CloudTrail record is about 2 KiB of JSON; the trail's gzipped log files hold about 0.25 KiB an event. */
  trailRecordKib: 2,
  trailStoredKibPerEvent: 0.25,
  /** Calls matched by the tamper watch's rules (deployments that update watched resources match too), of ~3 KiB each. */
  tamperEventsPerMonth: 1_000,
  tamperEventKib: 3,
};

export type Assumptions = typeof ASSUMPTIONS;

export interface StackTemplate { readonly name: string; readonly template: any }
export interface CostItem { readonly what: string; readonly usd: number }
/** `notes`: what the estimate assumed or left out for the layer, with the amounts at stake; print them with the rows. */
export interface LayerCost { readonly layer: string; readonly usd: number; readonly items: CostItem[]; readonly notes: string[] }

const GB = 1024 * 1024; // KiB per GiB

/** Management events a month of an account with this many heartbeat functions, as a trail recording `readWrite` ones sees them. */
export function managementEventsPerMonth(heartbeats: number, readWrite: 'All' | 'ReadOnly' | 'WriteOnly' = 'All', assumptions: Partial<Assumptions> = {}): number {
  const A = { ...ASSUMPTIONS, ...assumptions };
  const reads = heartbeats * A.runsPerMonth * A.managementReadsPerHeartbeatRun + A.otherManagementReadsPerMonth;
  return (readWrite === 'WriteOnly' ? 0 : reads) + (readWrite === 'ReadOnly' ? 0 : A.managementWritesPerMonth);
}

export function estimateMonthlyCost(
  stacks: StackTemplate[],
  traffic: TrafficLevel = STATED_TRAFFIC,
  assumptions: Partial<Assumptions> = {},
): LayerCost[] {
  const A = { ...ASSUMPTIONS, ...assumptions };
  const layers = new Map<string, CostItem[]>();
  const notes = new Map<string, string[]>();
  const add = (layer: string, what: string, usd: number) => {
    if (usd <= 0) return;
    const items = layers.get(layer) ?? [];
    const same = items.find(i => i.what === what);
    if (same) (same as { usd: number }).usd += usd; else items.push({ what, usd });
    layers.set(layer, items);
  };
  /** A line that costs nothing, shown so that the table names what was priced at $0. */
  const free = (layer: string, what: string) => {
    const items = layers.get(layer) ?? [];
    if (!items.some(i => i.what === what)) items.push({ what, usd: 0 });
    layers.set(layer, items);
  };
  const note = (layer: string, text: string) => {
    const list = notes.get(layer) ?? [];
    if (!list.includes(text)) list.push(text);
    notes.set(layer, list);
  };
  const requestsM = traffic.requestsPerMonth / 1e6;
  const trafficGb = (traffic.requestsPerMonth * traffic.kibPerRequest) / GB;
  const logGb = { edge: 0, host: 0, monitor: 0, heartbeats: 0 };
  let archiveLayer: string | undefined;
  let mirroredHosts = 0;
  let monitorLayer: string | undefined;
  let fargateVcpus = 0;
  let heartbeats = 0;
  const appLayers = new Set<string>();
  const trails: Array<{ layer: string; management: boolean; readWrite: 'All' | 'ReadOnly' | 'WriteOnly'; toLogs: boolean; dataEvents: boolean; insights: boolean }> = [];
  const eventRules = new Map<string, { cloudTrail: number; aws: number }>();
  const tamperLogGroups = new Map<string, string>(); // log group id → its layer
  const perLayerMetricFilters: string[] = [];

  for (const { template } of stacks) {
    const resources: Record<string, any> = template.Resources ?? {};
    for (const [id, r] of Object.entries(resources)) {
      const layer: string = r.Metadata?.[LAYER_KEY] ?? OUTSIDE;
      const p = r.Properties ?? {};
      if (layer !== OUTSIDE) appLayers.add(layer);
      switch (r.Type) {
        case 'AWS::WAFv2::WebACL': {
          const rules = (p.Rules ?? []).length;
          add(layer, `web ACL + ${rules} rules`, P.waf.webAclMonth + rules * P.waf.ruleMonth);
          add(layer, `WAF requests (${requestsM} M)`, requestsM * P.waf.perMillionRequests);
          logGb.edge += (traffic.requestsPerMonth * A.wafLogKibPerRequest) / GB;
          break;
        }
        case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
          if (p.Type === 'network') {
            // Mirrored traffic (both directions) through the mirror target's UDP listener.
            add(layer, 'mirror target NLB', P.nlb.hour * H + Math.max(1, (2 * trafficGb) / H) * P.nlb.nlcuHour * H);
          } else {
            const lcu = Math.max(trafficGb / H, traffic.requestsPerMonth / H / 3600 / 25);
            add(layer, 'application load balancer', P.alb.hour * H + lcu * P.alb.lcuHour * H);
            if (p.Scheme !== 'internal') add(layer, 'public IPv4 addresses', (p.Subnets ?? []).length * P.publicIpv4Hour * H);
          }
          break;
        case 'AWS::AutoScaling::AutoScalingGroup': {
          const n = Number(p.MinSize ?? 1);
          const lt = resources[p.LaunchTemplate?.LaunchTemplateId?.Ref]?.Properties?.LaunchTemplateData ?? {};
          const type: string = lt.InstanceType ?? 'unknown';
          const hourly = P.ec2Hour[type];
          const disk = Number(lt.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize ?? 8);
          const role = r.Metadata?.[ROLE_KEY] === 'web-host' ? 'web hosts' : 'instances';
          if (hourly === undefined) add(layer, `${n} ${type} ${role} (price not in the table)`, 0.000001);
          add(layer, `${n} × ${type} ${role}`, n * ((hourly ?? 0) * H + disk * P.ebsGp3GbMonth + (lt.Monitoring?.Enabled ? P.detailedMonitoringInstanceMonth : 0)));
          if (r.Metadata?.[ROLE_KEY] === 'web-host' && r.Metadata?.[MONITORING_KEY]?.mirrored) mirroredHosts += n;
          if (r.Metadata?.[ROLE_KEY] === 'web-host') logGb.host += (traffic.requestsPerMonth * A.hostLogKibPerRequest) / GB;
          else logGb.monitor += n * A.sensorLogGbPerSensor;
          break;
        }
        case 'AWS::ECS::Service': {
          const task = resources[p.TaskDefinition?.Ref]?.Properties ?? {};
          const n = Number(p.DesiredCount ?? 1);
          const vcpu = Number(task.Cpu ?? 256) / 1024;
          const gib = Number(task.Memory ?? 512) / 1024;
          add(layer, `${n} Fargate tasks (${vcpu} vCPU, ${gib} GiB)`, n * H * (vcpu * P.fargate.vcpuHour + gib * P.fargate.gbHour));
          fargateVcpus += n * vcpu;
          logGb.host += (traffic.requestsPerMonth * A.hostLogKibPerRequest) / GB;
          break;
        }
        case 'AWS::EC2::NatGateway':
          add(layer, 'NAT gateways', P.natGateway.hour * H + P.natGateway.perGb); // + 1 GB of updates each
          break;
        case 'AWS::EC2::EIP':
          add(layer, 'public IPv4 addresses', P.publicIpv4Hour * H);
          break;
        case 'AWS::EC2::TrafficMirrorTarget':
          monitorLayer = layer;
          break;
        case 'AWS::EC2::FlowLog':
          logGb.monitor += (traffic.requestsPerMonth * A.flowLogBytesPerRequest) / (1024 * GB) / 2; // two web subnets share the flows
          break;
        case 'AWS::Lambda::Function': {
          const heartbeat = r.Metadata?.[ROLE_KEY] === 'heartbeat';
          const seconds = heartbeat ? A.heartbeatSecondsPerRun : A.otherFunctionSecondsPerRun;
          const runs = A.runsPerMonth;
          const gbSeconds = runs * seconds * (Number(p.MemorySize ?? 128) / 1024);
          add(layer, heartbeat ? 'heartbeat function' : 'functions', (runs / 1e6) * P.lambda.perMillionRequests + gbSeconds * P.lambda.gbSecond);
          if (heartbeat) {
            heartbeats++;
            add(layer, 'heartbeat metrics and logs', A.heartbeatMetricsPerFunction * P.cloudwatch.metricMonth
              + A.heartbeatLogGbPerFunction * P.cloudwatch.logsIngestGb);
            logGb.heartbeats += A.heartbeatLogGbPerFunction;
          }
          break;
        }
        case 'AWS::CloudWatch::Alarm': {
          const anomaly = JSON.stringify(p.Metrics ?? []).includes('ANOMALY_DETECTION_BAND');
          add(layer, 'alarms', anomaly ? P.cloudwatch.anomalyAlarmMonth : P.cloudwatch.alarmMonth);
          break;
        }
        case 'AWS::CloudWatch::CompositeAlarm':
          add(layer, 'alarms', P.cloudwatch.compositeAlarmMonth);
          break;
        case 'AWS::CloudWatch::Dashboard':
          add(layer, 'dashboard', P.cloudwatch.dashboardMonth);
          break;
        case 'AWS::Logs::MetricFilter':
          // A dimension taken from the event (`$.field`) makes a metric per value: priced below, one per layer.
          if ((p.MetricTransformations ?? []).some((t: any) => (t.Dimensions ?? []).some((d: any) => String(d.Value).startsWith('$.')))) {
            perLayerMetricFilters.push(layer);
          } else {
            add(layer, 'metrics (metric filters)', P.cloudwatch.metricMonth);
          }
          break;
        case 'AWS::CloudTrail::Trail': {
          const selectors: any[] = p.EventSelectors ?? [];
          const advanced: any[] = p.AdvancedEventSelectors ?? [];
          const categories = advanced.flatMap(s => (s.FieldSelectors ?? []).filter((f: any) => f.Field === 'eventCategory').flatMap((f: any) => f.Equals ?? []));
          trails.push({
            layer,
            management: advanced.length > 0 ? categories.includes('Management') : selectors.length === 0 || selectors.some(s => s.IncludeManagementEvents !== false),
            readWrite: readWriteOf(selectors, advanced),
            toLogs: p.CloudWatchLogsLogGroupArn !== undefined,
            dataEvents: selectors.some(s => (s.DataResources ?? []).length > 0) || categories.some((c: string) => c !== 'Management'),
            insights: (p.InsightSelectors ?? []).length > 0,
          });
          break;
        }
        case 'AWS::Events::Rule': {
          const pattern = typeof p.EventPattern === 'string' ? JSON.parse(p.EventPattern) : p.EventPattern;
          if (!pattern) break; // a schedule: free, not listed
          const sources: unknown[] = [].concat(pattern.source ?? []);
          const fromAws = sources.length > 0 && sources.every(s => typeof s === 'string' && s.startsWith('aws.'));
          if (!fromAws || (p.EventBusName !== undefined && p.EventBusName !== 'default')) {
            note(layer, `EventBridge rule ${id}: not on AWS service events of the default bus; custom and forwarded events cost $${P.eventBridge.customEventsPerMillion.toFixed(2)} per million put (not estimated)`);
            break;
          }
          const cloudTrail = ([] as unknown[]).concat(pattern['detail-type'] ?? []).includes('AWS API Call via CloudTrail');
          const count = eventRules.get(layer) ?? { cloudTrail: 0, aws: 0 };
          if (cloudTrail) count.cloudTrail++; else count.aws++;
          eventRules.set(layer, count);
          if (!cloudTrail) break;
          // The log group the matched calls are written to (the tamper watch's).
          for (const target of p.Targets ?? []) {
            const arn = JSON.stringify(target.Arn ?? '');
            for (const [groupId, group] of Object.entries<any>(resources)) {
              if (group.Type === 'AWS::Logs::LogGroup' && (arn.includes(`{"Ref":"${groupId}"}`) || arn.includes(`"Fn::GetAtt":["${groupId}"`))) {
                tamperLogGroups.set(groupId, group.Metadata?.[LAYER_KEY] ?? OUTSIDE);
              }
            }
          }
          break;
        }
        case 'AWS::CloudWatch::InsightRule':
          add(layer, 'Contributor Insights rule', P.cloudwatch.contributorInsightsRuleMonth);
          break;
        case 'AWS::KMS::Key':
          add(layer, 'KMS keys', P.kmsKeyMonth);
          break;
        case 'AWS::S3::Bucket':
          if (p.ObjectLockEnabled && p.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm === 'aws:kms') {
            archiveLayer = layer;
          }
          break;
        case 'AWS::GuardDuty::Detector':
          add(layer, 'GuardDuty (set below)', 0.000001);
          break;
      }
      if (r.Type === 'AWS::GuardDuty::Detector') monitorLayer = monitorLayer ?? layer;
    }
  }

  // Log volumes: ingestion in each layer's log group (the edge ships straight to Firehose), delivery by its own stream.
  const ingest = (layer: string | undefined, gb: number, cloudWatch: boolean, what: string) => {
    if (!layer || gb <= 0) return;
    if (cloudWatch) add(layer, `${what} logs in CloudWatch (${gb.toFixed(1)} GB)`, gb * P.cloudwatch.logsIngestGb);
    add(layer, `delivery into the archive (${gb.toFixed(1)} GB)`, gb * P.firehosePerGb);
  };
  const layerOf = (name: string) => (layers.has(name) ? name : undefined);
  ingest(layerOf('edge'), logGb.edge, false, 'WAF');
  ingest(layerOf('host'), logGb.host, true, 'host filter');
  ingest(monitorLayer, logGb.monitor, true, 'flow and sensor');
  if (monitorLayer && mirroredHosts > 0) add(monitorLayer, `${mirroredHosts} mirror sessions`, mirroredHosts * P.trafficMirrorSessionHour * H);
  if (monitorLayer && fargateVcpus > 0 && layers.get(monitorLayer)?.some(i => i.what.startsWith('GuardDuty'))) {
    add(monitorLayer, 'GuardDuty (set below)', fargateVcpus * P.guardDutyFargateVcpuMonth);
  }

  // EventBridge: AWS service events on the default bus and the rules matching them are free; named so that the table shows them.
  for (const [layer, count] of eventRules) {
    if (count.cloudTrail > 0) free(layer, `${count.cloudTrail} EventBridge rule${count.cloudTrail > 1 ? 's' : ''} on CloudTrail API calls (AWS service events: free)`);
    if (count.aws > 0) free(layer, `${count.aws} EventBridge rule${count.aws > 1 ? 's' : ''} on AWS service events (free)`);
  }
  // The matched calls of the whole app, shared among the log groups they are written to (a group per layer).
  for (const layer of tamperLogGroups.values()) {
    const gb = (A.tamperEventsPerMonth * A.tamperEventKib) / GB / tamperLogGroups.size;
    add(layer, `tamper events in CloudWatch Logs (~${A.tamperEventsPerMonth.toLocaleString('en-US')} a month in all, ingested and stored)`,
      gb * (P.cloudwatch.logsIngestGb + P.cloudwatch.logsStoreGbMonth));
  }
  for (const layer of perLayerMetricFilters) {
    add(layer, 'metrics (metric filters)', appLayers.size * P.cloudwatch.metricMonth);
    note(layer, `a metric filter with a dimension from the event: priced as ${appLayers.size} metrics, one per layer, each assumed to have data`);
  }

  // CloudTrail: management events recorded by the app's trails, their log files stored in the archive.
  const copyPrice = P.cloudTrail.managementEventsAdditionalCopyPer100k;
  let trailGb = 0;
  for (const t of trails) {
    if (t.management) {
      const events = managementEventsPerMonth(heartbeats, t.readWrite, A);
      const millions = `${(events / 1e6).toFixed(2)} M`;
      const kind = { All: 'management events', ReadOnly: 'read-only management events', WriteOnly: 'write management events' }[t.readWrite];
      const secondCopy = (events / 1e5) * copyPrice;
      const counted: string[] = [];
      if (t.readWrite !== 'WriteOnly') {
        counted.push(`${heartbeats} heartbeats × ${A.runsPerMonth.toLocaleString('en-US')} runs × ${A.managementReadsPerHeartbeatRun} reads`,
          `${A.otherManagementReadsPerMonth.toLocaleString('en-US')} other reads`);
      }
      if (t.readWrite !== 'ReadOnly') counted.push(`${A.managementWritesPerMonth.toLocaleString('en-US')} writes`);
      const assumed = `assumed: ${counted.join(' + ')}; a trail records the whole account, not only this app`;
      if (A.trailIsAdditionalCopy) {
        add(t.layer, `CloudTrail ${kind}, second copy (${millions} a month)`, secondCopy);
        note(t.layer, `CloudTrail: priced as a second copy of the ${kind} at $${copyPrice.toFixed(2)} per 100,000, ${millions} a month (${assumed});`
          + ' as the account\'s only trail it would be free');
      } else {
        free(t.layer, `CloudTrail ${kind}, first copy (${millions} a month; $${secondCopy.toFixed(2)} if the account already has a trail)`);
        note(t.layer, `CloudTrail: priced as the account's first copy of the ${kind}, which is free. If the account or its organization`
          + ' already has a trail (Control Tower\'s organization trail counts), this trail is a second copy at'
          + ` $${copyPrice.toFixed(2)} per 100,000 events: $${secondCopy.toFixed(2)} a month at ${millions} events (${assumed})`);
      }
      if (t.readWrite !== 'All') {
        const all = managementEventsPerMonth(heartbeats, 'All', A);
        note(t.layer, `CloudTrail: a trail of all management events would record ${(all / 1e6).toFixed(2)} M a month, $${((all / 1e5) * copyPrice).toFixed(2)} as a second copy`);
      }
      trailGb += (events * A.trailStoredKibPerEvent) / GB;
      if (t.toLogs) {
        const gb = (events * A.trailRecordKib) / GB;
        add(t.layer, `trail in CloudWatch Logs (${gb.toFixed(1)} GB)`, gb * P.cloudwatch.logsIngestGb);
      }
    } else {
      free(t.layer, 'CloudTrail trail without management events');
    }
    if (t.dataEvents) note(t.layer, `CloudTrail: data events selected, not estimated ($${P.cloudTrail.dataEventsPer100k.toFixed(2)} per 100,000)`);
    if (t.insights) note(t.layer, `CloudTrail: Insights selected, not estimated ($${P.cloudTrail.insightsPer100kAnalysed.toFixed(2)} per 100,000 events analysed)`);
  }
  if (trailGb > 0 && !archiveLayer) {
    add(trails[0].layer, `trail log files in S3, first month (${trailGb.toFixed(1)} GB; grows by as much each month of retention)`, trailGb * P.s3StandardGbMonth);
  }

  const archived = logGb.edge + logGb.host + logGb.monitor + logGb.heartbeats + (archiveLayer ? trailGb : 0);
  if (archiveLayer) add(archiveLayer, `archive storage, first month (${archived.toFixed(1)} GB; grows by as much each month of retention)`, archived * P.s3StandardGbMonth);

  for (const layer of notes.keys()) if (!layers.has(layer)) layers.set(layer, []);
  return [...layers.entries()]
    .map(([layer, items]) => ({
      layer,
      items: items.map(i => ({ what: i.what.replace(' (set below)', ''), usd: round(i.usd) })).sort((a, b) => b.usd - a.usd),
      usd: round(items.reduce((sum, i) => sum + i.usd, 0)),
      notes: notes.get(layer) ?? [],
    }))
    .sort((a, b) => (a.layer === OUTSIDE ? 1 : b.layer === OUTSIDE ? -1 : a.layer.localeCompare(b.layer)));
}

/** Which management events a trail's selectors record. */
function readWriteOf(selectors: any[], advanced: any[]): 'All' | 'ReadOnly' | 'WriteOnly' {
  if (advanced.length > 0) {
    const readOnly = advanced.flatMap(s => (s.FieldSelectors ?? []).filter((f: any) => f.Field === 'readOnly').flatMap((f: any) => f.Equals ?? []));
    return readOnly.length === 1 ? (readOnly[0] === 'true' ? 'ReadOnly' : 'WriteOnly') : 'All';
  }
  const types = new Set(selectors.filter(s => s.IncludeManagementEvents !== false).map(s => s.ReadWriteType ?? 'All'));
  return types.size === 1 ? [...types][0] : 'All';
}

function round(usd: number): number {
  return Math.round(usd * 100) / 100;
}
