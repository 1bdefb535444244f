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
};

export interface StackTemplate { readonly name: string; readonly template: any }
export interface CostItem { readonly what: string; readonly usd: number }
export interface LayerCost { readonly layer: string; readonly usd: number; readonly items: CostItem[] }

const GB = 1024 * 1024; // KiB per GiB

export function estimateMonthlyCost(stacks: StackTemplate[], traffic: TrafficLevel = STATED_TRAFFIC): LayerCost[] {
  const layers = new Map<string, CostItem[]>();
  const add = (layer: string, what: string, usd: number) => {
    if (usd <= 0) return;
    const items = layers.get(layer) ?? [];
    const same = items.find(i => i.what === what);
    if (same) (same as { usd: number }).usd += usd; else items.push({ what, usd });
    layers.set(layer, items);
  };
  const requestsM = traffic.requestsPerMonth / 1e6;
  const trafficGb = (traffic.requestsPerMonth * traffic.kibPerRequest) / GB;
  const logGb = { edge: 0, host: 0, monitor: 0, heartbeats: 0 };
  let archiveLayer: string | undefined;
  let mirroredHosts = 0;
  let monitorLayer: string | undefined;
  let fargateVcpus = 0;

  for (const { template } of stacks) {
    const resources: Record<string, any> = template.Resources ?? {};
    for (const [, r] of Object.entries(resources)) {
      const layer: string = r.Metadata?.[LAYER_KEY] ?? OUTSIDE;
      const p = r.Properties ?? {};
      switch (r.Type) {
        case 'AWS::WAFv2::WebACL': {
          const rules = (p.Rules ?? []).length;
          add(layer, `web ACL + ${rules} rules`, P.waf.webAclMonth + rules * P.waf.ruleMonth);
          add(layer, `WAF requests (${requestsM} M)`, requestsM * P.waf.perMillionRequests);
          logGb.edge += (traffic.requestsPerMonth * ASSUMPTIONS.wafLogKibPerRequest) / GB;
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
          if (r.Metadata?.[ROLE_KEY] === 'web-host') logGb.host += (traffic.requestsPerMonth * ASSUMPTIONS.hostLogKibPerRequest) / GB;
          else logGb.monitor += n * ASSUMPTIONS.sensorLogGbPerSensor;
          break;
        }
        case 'AWS::ECS::Service': {
          const task = resources[p.TaskDefinition?.Ref]?.Properties ?? {};
          const n = Number(p.DesiredCount ?? 1);
          const vcpu = Number(task.Cpu ?? 256) / 1024;
          const gib = Number(task.Memory ?? 512) / 1024;
          add(layer, `${n} Fargate tasks (${vcpu} vCPU, ${gib} GiB)`, n * H * (vcpu * P.fargate.vcpuHour + gib * P.fargate.gbHour));
          fargateVcpus += n * vcpu;
          logGb.host += (traffic.requestsPerMonth * ASSUMPTIONS.hostLogKibPerRequest) / GB;
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
          logGb.monitor += (traffic.requestsPerMonth * ASSUMPTIONS.flowLogBytesPerRequest) / (1024 * GB) / 2; // two web subnets share the flows
          break;
        case 'AWS::Lambda::Function': {
          const heartbeat = r.Metadata?.[ROLE_KEY] === 'heartbeat';
          const seconds = heartbeat ? ASSUMPTIONS.heartbeatSecondsPerRun : ASSUMPTIONS.otherFunctionSecondsPerRun;
          const runs = ASSUMPTIONS.runsPerMonth;
          const gbSeconds = runs * seconds * (Number(p.MemorySize ?? 128) / 1024);
          add(layer, heartbeat ? 'heartbeat function' : 'functions', (runs / 1e6) * P.lambda.perMillionRequests + gbSeconds * P.lambda.gbSecond);
          if (heartbeat) {
            add(layer, 'heartbeat metrics and logs', ASSUMPTIONS.heartbeatMetricsPerFunction * P.cloudwatch.metricMonth
              + ASSUMPTIONS.heartbeatLogGbPerFunction * P.cloudwatch.logsIngestGb);
            logGb.heartbeats += ASSUMPTIONS.heartbeatLogGbPerFunction;
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
          add(layer, 'metrics (metric filters)', P.cloudwatch.metricMonth);
          break;
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
  const archived = logGb.edge + logGb.host + logGb.monitor + logGb.heartbeats;
  if (archiveLayer) add(archiveLayer, `archive storage, first month (${archived.toFixed(1)} GB; grows by as much each month of retention)`, archived * P.s3StandardGbMonth);

  return [...layers.entries()]
    .map(([layer, items]) => ({
      layer,
      items: items.map(i => ({ what: i.what.replace(' (set below)', ''), usd: round(i.usd) })).sort((a, b) => b.usd - a.usd),
      usd: round(items.reduce((sum, i) => sum + i.usd, 0)),
    }))
    .sort((a, b) => (a.layer === OUTSIDE ? 1 : b.layer === OUTSIDE ? -1 : a.layer.localeCompare(b.layer)));
}

function round(usd: number): number {
  return Math.round(usd * 100) / 100;
}
