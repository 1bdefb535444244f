// What a heartbeat construct hands its function (the HEARTBEAT_CONFIG environment
// variable) and the names of what the function reports. No SDK import here:
// construct code loads this file, never the handler.

/** Namespace of every heartbeat metric. */
export const HEARTBEAT_NAMESPACE = 'DefenceInDepth/Heartbeat';
/** Metric names (EMF). */
export const HEARTBEAT_METRICS = {
  healthy: 'Healthy',
  checkPassed: 'CheckPassed',
  peerSilent: 'PeerSilent',
  silentPeers: 'SilentPeers',
} as const;
/** The `heartbeat` field of a run's result line: peers find results by it. */
export const RESULT_MARKER = 'result';
/** The header both filters put on their block responses; its value names the layer. */
export const BLOCK_HEADER = 'x-defence-layer';
/** The user agent of every probe, so logs and dashboards can tell heartbeat traffic apart. */
export const PROBE_USER_AGENT = 'cdk-defence-in-depth-heartbeat/1';

/** Where a probe finds its targets at run time, instead of one URL. */
export interface ProbeTargets {
  /** EC2 web hosts: every running instance of these groups, by private address. */
  readonly autoScalingGroupNames?: string[];
  /** Fargate: every running task of this service, by private address. */
  readonly ecsService?: { readonly cluster: string; readonly service: string };
  /** Port of the filter on each target. */
  readonly port: number;
  /** Path and query of the request. */
  readonly path: string;
  /** Probe at most this many targets per run (the first ones, by address). */
  readonly maxTargets: number;
}

export interface ProbeCheck {
  readonly kind: 'probe';
  readonly name: string;
  /** `block`: the expected layer must answer with its block; `pass`: no layer may block. */
  readonly expect: 'block' | 'pass';
  /** The layer whose block is expected (or, for `pass`, whose layer the probe belongs to). */
  readonly layer: string;
  readonly url?: string;
  readonly targets?: ProbeTargets;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The status of the expected block. */
  readonly blockStatus: number;
  readonly timeoutMs: number;
}

export interface LogsArrivingCheck {
  readonly kind: 'logs-arriving';
  readonly name: string;
  readonly logGroupName: string;
  readonly maxSilenceSeconds: number;
  readonly filterPattern?: string;
}

export interface DeliveryStreamCheck {
  readonly kind: 'delivery-stream';
  readonly name: string;
  readonly streamName: string;
  /** The oldest record may wait this long before it is delivered. */
  readonly maxFreshnessSeconds: number;
}

export interface WebAclRule {
  readonly name: string;
  /** `block`, `allow`, `count`, `captcha`, `challenge` for a rule; `none` for a rule group that keeps its rules' actions. */
  readonly action: string;
}

export interface WebAclCheck {
  readonly kind: 'web-acl';
  readonly name: string;
  readonly webAclName: string;
  readonly webAclId: string;
  readonly webAclArn: string;
  readonly scope: 'REGIONAL' | 'CLOUDFRONT';
  /** The rules the web ACL must still have, with their actions. */
  readonly rules: WebAclRule[];
  readonly defaultAction: 'allow' | 'block';
}

export interface WebAclAssociationCheck {
  readonly kind: 'web-acl-association';
  readonly name: string;
  readonly webAclArn: string;
  /** A resource that must still be associated with the web ACL (regional web ACLs). */
  readonly resourceArn: string;
}

export interface MirrorSessionsCheck {
  readonly kind: 'mirror-sessions';
  readonly name: string;
  readonly autoScalingGroupNames: string[];
  readonly targetId: string;
}

export interface SensorsHealthyCheck {
  readonly kind: 'sensors-healthy';
  readonly name: string;
  readonly targetGroupArn: string;
  readonly minHealthy: number;
}

export interface SensorCanaryCheck {
  readonly kind: 'sensor-canary';
  readonly name: string;
  /** Sends this request first (through the web tier, so the mirrored traffic carries it). */
  readonly url?: string;
  readonly logGroupName: string;
  readonly signatureId: number;
  readonly windowSeconds: number;
  readonly timeoutMs: number;
}

export type CheckConfig = ProbeCheck | LogsArrivingCheck | DeliveryStreamCheck | WebAclCheck | WebAclAssociationCheck
  | MirrorSessionsCheck | SensorsHealthyCheck | SensorCanaryCheck;

export interface PeerConfig {
  readonly control: string;
  readonly heartbeat: string;
  readonly logGroupName: string;
}

export interface HeartbeatConfig {
  readonly control: string;
  readonly heartbeat: string;
  readonly checks: CheckConfig[];
  readonly peers: PeerConfig[];
  /** A peer without a result for this long is silent. */
  readonly peerSilenceSeconds: number;
  /** The run reports and returns before this (the function's timeout minus a margin). */
  readonly deadlineMs: number;
}
