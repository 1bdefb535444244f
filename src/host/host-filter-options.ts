import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { FilteredEc2Hosts } from './filtered-ec2-hosts';

/** Sensible defaults for a kind of application (allowed methods, content types, exclusions). */
export enum HostFilterProfile {
  /** Server-rendered pages and forms: GET, HEAD, POST, OPTIONS; forms, multipart and JSON bodies. */
  WEBSITE = 'website',
  /** A JSON API: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS; JSON bodies only. */
  JSON_API = 'json-api',
  /**
   * A forum or wiki whose posts must accept code snippets: like WEBSITE, but the
   * post fields (`codeFields`) are not inspected by the code-injection rule
   * groups (RCE, PHP, XSS, SQLi, Java, Node.js). Everything else still is.
   */
  FORUM = 'forum',
}

/** What a custom rule does when it matches. */
export enum CustomRuleAction {
  /** Answer 403 at once (the rule does not wait for the anomaly score). */
  BLOCK = 'block',
  /** Add the rule's severity to the anomaly score (CRITICAL, 5 points). */
  SCORE = 'score',
  /** Log only. */
  LOG = 'log',
}

/** Rules switched off for part of the application. At least one of `pathPrefix` and `parameter`. */
export interface RuleExclusion {
  /**
   * Only for requests whose path starts with this (e.g. `/api/upload`).
   * @default - every path
   */
  readonly pathPrefix?: string;
  /**
   * Only for this request parameter (query or body field, e.g. `comment`).
   * @default - every part of the request
   */
  readonly parameter?: string;
  /** The CRS rule ids to switch off (e.g. 942100), 900000 to 999999. */
  readonly ruleIds: number[];
  /** Why (kept as a comment in the rendered file). At least 10 characters. */
  readonly reason: string;
}

/** A rule of your own, rendered as a ModSecurity `SecRule` and checked at synth. */
export interface CustomRule {
  /** Rule id, unique, in the range for local rules: 10000 to 99999. */
  readonly id: number;
  /** ModSecurity variables, e.g. `ARGS|REQUEST_HEADERS:User-Agent`. */
  readonly variables: string;
  /** A PCRE regular expression (`@rx`); it must compile. */
  readonly pattern: string;
  /** What it does on a match. @default CustomRuleAction.BLOCK */
  readonly action?: CustomRuleAction;
  /** Logged message. */
  readonly message: string;
  /**
   * Processing phase: 1 (headers) or 2 (body).
   * @default 2
   */
  readonly phase?: number;
}

/**
 * Everything the host filter is rendered from: the same typed props give the
 * same files on EC2, in a Fargate sidecar and on a developer's machine.
 */
export interface HostFilterOptions {
  /** Kind of application. @default HostFilterProfile.WEBSITE */
  readonly profile?: HostFilterProfile;
  /** Paranoia level that blocks, 1 to 4. @default 1 */
  readonly paranoiaLevel?: number;
  /**
   * Paranoia level that is evaluated and logged (>= `paranoiaLevel`); rules above
   * `paranoiaLevel` only log.
   * @default - the same as `paranoiaLevel`
   */
  readonly detectionParanoiaLevel?: number;
  /** Inbound anomaly score that blocks, 1 to 1000. @default 5 */
  readonly inboundAnomalyThreshold?: number;
  /** Outbound anomaly score that blocks (with `inspectResponses`), 1 to 1000. @default 4 */
  readonly outboundAnomalyThreshold?: number;
  /**
   * Inspect response bodies with the data-leakage rules (RESPONSE-95x).
   * Off by default: it costs throughput and the attacks this layer stops are in requests.
   * @default false
   */
  readonly inspectResponses?: boolean;
  /** Allowed HTTP methods. @default - from the profile */
  readonly allowedMethods?: string[];
  /** Allowed request content types (e.g. `application/json`). @default - from the profile */
  readonly allowedContentTypes?: string[];
  /** Largest request body, in bytes, 1 to 1073741824. @default 13107200 (12.5 MiB); JSON_API 1048576 */
  readonly maxRequestBodyBytes?: number;
  /** Post fields that may hold code (FORUM profile only). @default ['content', 'body', 'message', 'snippet', 'code'] */
  readonly codeFields?: string[];
  /** Rules switched off for paths or parameters. @default - none */
  readonly exclusions?: RuleExclusion[];
  /** Rules of your own. @default - none */
  readonly customRules?: CustomRule[];
  /**
   * Log instead of blocking (`SecRuleEngine DetectionOnly`). Emits a warning and
   * fails the `DefenceInDepth-HostFilterEnforcing` rule of the policy pack.
   * @default false
   */
  readonly detectionOnly?: boolean;
  /**
   * Keep every CRS 3.3.4 rule of the paranoia level as shipped. By default, at
   * paranoia level 1, rule 932150 (a Unix command word at the start of any
   * argument: "time", "more", "select" ...) is left out: it blocked 18 of the 31
   * benign texts the GoTestWAF corpus sends and caught no attack that other RCE
   * rules miss. CRS 4 reworked it for the same reason.
   * @default false
   */
  readonly strictCrs?: boolean;
  /** Port the filter listens on (the only port the load balancer reaches). @default 80 */
  readonly listenPort?: number;
  /** Port of the application on localhost (never reachable from outside). @default 8080 */
  readonly appPort?: number;
  /** Health-check path: proxied to the app through the filter, so an unhealthy filter fails it. @default '/healthz' */
  readonly healthCheckPath?: string;
}

/** The host layer's heartbeat (`HostFilter.addHeartbeat`): where the web hosts are. */
export interface HostHeartbeatOptions {
  /**
   * The EC2 web hosts to probe (from `addEc2Hosts`): every running host is
   * probed on the filter's port, inside the VPC, bypassing the edge.
   * @default - none
   */
  readonly ec2Hosts?: FilteredEc2Hosts;
  /**
   * A Fargate service whose tasks run the filter as a sidecar (`addSidecar`):
   * every running task is probed on the filter's port. Give `vpc` too.
   * @default - none
   */
  readonly fargateService?: ecs.FargateService;
  /** The VPC of the Fargate service. @default - the EC2 hosts' VPC */
  readonly vpc?: ec2.IVpc;
  /** Subnets for the heartbeat function. @default - the EC2 hosts' subnets, else private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Path and query of the canary attack. @default HostFilter.CANARY_PATH (a SQL injection in the query) */
  readonly canaryPath?: string;
  /** Path of the benign request. @default '/' */
  readonly benignPath?: string;
  /** The Host header of both requests (an IP address as Host costs CRS anomaly points). @default 'localhost' */
  readonly hostHeader?: string;
  /** Probe at most this many hosts per run, from 1 to 50. @default 10 */
  readonly maxHosts?: number;
  /** How often it runs. @default Duration.minutes(1) */
  readonly interval?: Duration;
  /**
   * Log events of the host layer per 5 minutes below which its chatter is an
   * alarm. The heartbeat's own requests log two lines per host per run.
   * @default 1
   */
  readonly chatterFloor?: number;
}
