import { CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, IConstruct } from 'constructs';
import { DefenceLayer } from '../core/defence-layer';
import { ChatterSignal, IHeartbeat } from '../core/heartbeat';
import { IsolationMetadata } from '../core/isolation-metadata';

export interface DefenceDashboardProps {
  /** Name of the dashboard. @default - generated */
  readonly dashboardName?: string;
  /** The overall alarm, shown next to the isolation summary. */
  readonly overallAlarm: cloudwatch.IAlarm;
}

/** The alarms of one control, as the dashboard shows them. */
export interface LayerRowAlarms {
  readonly heartbeatAlarm: cloudwatch.IAlarm;
  readonly silentPeersAlarm: cloudwatch.IAlarm;
  readonly alarms: cloudwatch.IAlarm[];
}

export interface LayerRow {
  readonly heartbeat: IHeartbeat;
  readonly alarms: LayerRowAlarms;
  readonly layerAlarm: cloudwatch.IAlarm;
}

/**
 * One CloudWatch dashboard for the whole defence: the isolation summary and
 * overall alarm on top, then a row per layer with its alarms, its heartbeat
 * (every check), its traffic (blocked, allowed) and its log chatter against
 * the anomaly band and the floor. Part of the watch layer.
 */
export class DefenceDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  private tamperRow?: { graph: cloudwatch.GraphWidget; alarms: cloudwatch.IAlarm[] };

  constructor(scope: Construct, id: string, props: DefenceDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      defaultInterval: undefined,
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: Lazy.string({ produce: () => isolationSummary(this) }), width: 18, height: 8 }),
      new cloudwatch.AlarmStatusWidget({ title: 'All layers', alarms: [props.overallAlarm], width: 6, height: 8 }),
    );
  }

  /**
   * Adds a layer's tamper events (calls that switched a control off) and their alarm
   * to the tamper row, under the rows of the controls.
   */
  public addTamperWidget(layer: string, tamperEvents: cloudwatch.IMetric, alarm: cloudwatch.IAlarm): void {
    if (!this.tamperRow) {
      this.tamperRow = { graph: new cloudwatch.GraphWidget({ title: 'Tamper events (calls that switch a control off)', width: 18, height: 6 }), alarms: [] };
      const row = this.tamperRow;
      // The widget renders the array it is given at synth: alarms added later are listed.
      this.dashboard.addWidgets(row.graph, new cloudwatch.AlarmStatusWidget({ title: 'tampered?', alarms: row.alarms, width: 6, height: 6 }));
    }
    this.tamperRow.graph.addLeftMetric(withLabel(tamperEvents, layer));
    this.tamperRow.alarms.push(alarm);
  }

  /** Adds a control's row. */
  public addLayerRow(row: LayerRow): void {
    const hb = row.heartbeat;
    const title = (what: string) => `${hb.control}: ${what}`;
    const checks = hb.checkNames.map(name => withLabel(hb.metricCheckPassed(name), name));
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: title('going dark?'),
        alarms: [row.layerAlarm, ...row.alarms.alarms],
        width: 6,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: title('heartbeat (1 = proven)'),
        left: [withLabel(hb.metricHealthy(), 'healthy'), ...checks],
        leftYAxis: { min: 0, max: 1 },
        width: 6,
        height: 6,
      }),
      hb.traffic.length > 0
        ? new cloudwatch.GraphWidget({ title: title('blocked / allowed'), left: hb.traffic.map(t => withLabel(t.metric, t.label)), width: 6, height: 6 })
        : new cloudwatch.TextWidget({ markdown: `### ${hb.control}\nNo traffic metrics for this layer.`, width: 6, height: 6 }),
      new cloudwatch.GraphWidget({
        title: title('chatter against its band'),
        left: hb.chatter.flatMap((signal, i) => chatterLines(signal, i)),
        leftAnnotations: hb.chatter.map(signal => ({ value: signal.floor, label: `${signal.label} floor`, color: cloudwatch.Color.RED })),
        width: 6,
        height: 6,
      }),
    );
  }
}

function withLabel(metric: cloudwatch.IMetric, label: string): cloudwatch.IMetric {
  return metric instanceof cloudwatch.Metric || metric instanceof cloudwatch.MathExpression ? metric.with({ label }) : metric;
}

function chatterLines(signal: ChatterSignal, i: number): cloudwatch.IMetric[] {
  return [
    withLabel(signal.metric, signal.label),
    new cloudwatch.MathExpression({
      expression: `ANOMALY_DETECTION_BAND(c${i}, 3)`,
      usingMetrics: { [`c${i}`]: signal.metric },
      label: `${signal.label}: usual band`,
      period: signal.metric.toMetricConfig().metricStat?.period,
    }),
  ];
}

/**
 * The isolation summary, from the whole app's construct tree at synth: each
 * layer's resources, what it observes read-only and what it shares by
 * exemption. The synth itself runs the isolation check; in the default
 * `enforce` mode a short circuit fails it, so a deployed dashboard means none.
 */
function isolationSummary(scope: IConstruct): string {
  const root = scope.node.root;
  const layers = new Map<string, { resources: number; observes: Set<string>; shared: number }>();
  for (const node of root.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    const layer = DefenceLayer.of(node)?.layerName ?? (node.getMetadata(IsolationMetadata.LAYER) as string | undefined);
    if (!layer) continue;
    const entry = layers.get(layer) ?? { resources: 0, observes: new Set<string>(), shared: 0 };
    entry.resources++;
    if (node.getMetadata(IsolationMetadata.SHARED)) entry.shared++;
    layers.set(layer, entry);
    for (const o of (node.getMetadata(IsolationMetadata.OBSERVED_BY) as Array<{ layer: string }> | undefined) ?? []) {
      const watcher = layers.get(o.layer) ?? { resources: 0, observes: new Set<string>(), shared: 0 };
      watcher.observes.add(layer);
      layers.set(o.layer, watcher);
    }
  }
  const mode = scope.node.tryGetContext(DefenceLayer.ISOLATION_CONTEXT_KEY) ?? 'enforce';
  const rows = [...layers.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, l]) =>
    `| ${name} | ${l.resources} | ${[...l.observes].sort().join(', ') || '-'} | ${l.shared || '-'} |`);
  return [
    '## Defence in depth: isolation',
    mode === 'enforce'
      ? 'Every synth of this app runs the isolation check in **enforce** mode: a resource two layers depend on fails the synth, so this deployed app has **no short circuit**.'
      : '**Report-only mode**: the synth does not fail on a short circuit. Read `cdk.out/defence-in-depth/report.md` from the pipeline.',
    `Stack \`${Stack.of(scope).stackName}\`; full report: \`cdk.out/${DefenceLayer.REPORT_DIRECTORY}/report.md\`.`,
    '',
    '| layer | resources | observes (read-only) | shared by exemption |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
