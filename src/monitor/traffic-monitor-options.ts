import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** Which packets of a mirrored network interface a filter rule looks at. */
export enum MirrorDirection {
  /** Packets the web host receives. */
  INBOUND = 'ingress',
  /** Packets the web host sends. */
  OUTBOUND = 'egress',
}

/** What a mirror filter rule does with the packets it matches. */
export enum MirrorRuleAction {
  /** Mirror them to the sensors. */
  ACCEPT = 'accept',
  /** Do not mirror them. */
  REJECT = 'reject',
}

/** A port range of a mirror filter rule (TCP and UDP only). */
export interface MirrorPortRange {
  /** First port, 0 to 65535. */
  readonly from: number;
  /**
   * Last port, from `from` to 65535.
   * @default - `from` (one port)
   */
  readonly to?: number;
}

/**
 * One rule of the traffic mirror filter. Rules are evaluated in the order
 * given (per direction); the first that matches decides. A packet no rule
 * matches is not mirrored.
 */
export interface MirrorFilterRule {
  /** Inbound or outbound packets. */
  readonly direction: MirrorDirection;
  /**
   * Mirror the matching packets, or leave them out.
   * @default MirrorRuleAction.ACCEPT
   */
  readonly action?: MirrorRuleAction;
  /**
   * IANA protocol number (6 TCP, 17 UDP, 1 ICMP, ...), 0 to 255.
   * @default - every protocol
   */
  readonly protocol?: number;
  /**
   * Source addresses (IPv4 or IPv6 CIDR, same version as `destinationCidr`).
   * @default - every address of the version of `destinationCidr`, or 0.0.0.0/0
   */
  readonly sourceCidr?: string;
  /**
   * Destination addresses (IPv4 or IPv6 CIDR, same version as `sourceCidr`).
   * @default - every address of the version of `sourceCidr`, or 0.0.0.0/0
   */
  readonly destinationCidr?: string;
  /**
   * Source ports; only with `protocol` 6 (TCP) or 17 (UDP).
   * @default - every port
   */
  readonly sourcePorts?: MirrorPortRange;
  /**
   * Destination ports; only with `protocol` 6 (TCP) or 17 (UDP).
   * @default - every port
   */
  readonly destinationPorts?: MirrorPortRange;
}

/** The Suricata sensors that receive the mirrored traffic. */
export interface SensorFleetOptions {
  /**
   * Instance type of the sensors. Suricata with the ET Open rules needs about
   * 2 GiB of memory; give it more CPU for busy web tiers.
   * @default t3.medium
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * Number of sensors, 1 to 20. Two spread the load balancer's targets over two zones.
   * @default 2
   */
  readonly minCapacity?: number;
  /**
   * Largest number of sensors, from `minCapacity` to 20.
   * @default - `minCapacity`
   */
  readonly maxCapacity?: number;
  /**
   * Rule sources `suricata-update` enables besides its default (ET Open),
   * by name, e.g. `oisf/trafficid`, `tgreen/hunting`.
   * @default - ET Open only
   */
  readonly ruleSources?: string[];
  /**
   * Extra Suricata rules of your own, one rule per entry; each needs a `sid`
   * of 1,000,000 or more (lower ones belong to the rule sources) and unique.
   * Loaded with the downloaded rules; a rule that does not load fails the
   * sensor's boot check, and the sensor never turns healthy.
   * @default - none
   */
  readonly localRules?: string[];
}

/** How the monitor alarms on what the web tier sends out. */
export interface ExfiltrationAlarmOptions {
  /**
   * Width of the anomaly detection band on the bytes the web tier sends to
   * addresses outside `internalAddresses`, in standard deviations (1 to 10).
   * The alarm fires above the band.
   * @default 3
   */
  readonly bandWidth?: number;
  /**
   * Distinct destinations outside `internalAddresses` that the web tier may
   * reach in 5 minutes before the destinations alarm fires (1 to 100,000).
   * @default 50
   */
  readonly maxDestinations?: number;
  /**
   * Prefixes (wildcard patterns ending in `*`, e.g. `10.*`, `172.16.*`) of
   * addresses that count as inside: traffic to them is not outbound.
   * @default - the RFC 1918 ranges and link-local (10.*, 172.16.* to 172.31.*, 192.168.*, 169.254.*)
   */
  readonly internalAddresses?: string[];
  /**
   * Number of high and medium severity sensor alerts (Suricata priority 1
   * or 2) in 5 minutes that raise the sensor alarm, 1 to 1,000,000.
   * @default 1
   */
  readonly sensorAlertThreshold?: number;
}

/** How a group of web hosts is mirrored. */
export interface MirrorGroupOptions {
  /**
   * The group's instance type, checked against the types Traffic Mirroring
   * supports (a synth warning names what covers the hosts instead).
   * @default - not checked: unmirrorable hosts show up in the UnmirroredInterfaces alarm
   */
  readonly instanceType?: ec2.InstanceType;
}

/** The monitor layer's heartbeat (`TrafficMonitor.addHeartbeat`). */
export interface MonitorHeartbeatOptions {
  /**
   * The public endpoint of the service, e.g. `https://app.example.com`. Every
   * run sends a GET of the monitor's canary path through it; the request
   * crosses a mirrored web host, and the sensors must alert on it
   * (`TrafficMonitor.CANARY_PATH`, Suricata sid 1990001). The path is benign:
   * the edge and the host let it through.
   * @default - no canary request: the check waits for canary alerts caused by other traffic
   */
  readonly canaryEndpoint?: string;
  /** How recent the sensors' canary alert must be, from 2 to 60 minutes. @default Duration.minutes(5) */
  readonly canaryWindow?: Duration;
  /** How often it runs. @default Duration.minutes(1) */
  readonly interval?: Duration;
  /**
   * Flow log events per 5 minutes below which the flow logs' chatter is an
   * alarm (the sensors' stats lines have the same floor).
   * @default 1
   */
  readonly chatterFloor?: number;
}
