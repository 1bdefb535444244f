import { Duration, Size } from 'aws-cdk-lib';

/** Where the web ACL lives and what it can protect. */
export enum EdgeScope {
  /** Load balancers, API Gateway REST stages, AppSync APIs, Cognito user pools, App Runner, Verified Access: same region as the resource. */
  REGIONAL = 'REGIONAL',
  /** CloudFront distributions. The web ACL (and its log stream) must be in us-east-1. */
  CLOUDFRONT = 'CLOUDFRONT',
}

/** Which address in the forwarded-IP header is the client's. */
export enum ForwardedIpPosition {
  /** The first address (what CloudFront and most proxies put the client at). */
  FIRST = 'FIRST',
  /** The last address (the one the nearest proxy added). */
  LAST = 'LAST',
}

/**
 * Where the client's IP comes from when the edge sits behind CloudFront or
 * another proxy, so that rate limits, IP lists, geo rules and decoys act on
 * the client rather than the proxy.
 */
export interface ForwardedIpOptions {
  /** The header carrying the client IP, e.g. `X-Forwarded-For`. Letters, digits and hyphens. */
  readonly headerName: string;
  /**
   * Which address of the header is the client's (for IP sets; rate limits and
   * geo rules always use the first, as WAF does).
   * @default ForwardedIpPosition.FIRST
   */
  readonly position?: ForwardedIpPosition;
  /**
   * What a request whose header holds no valid IP counts as for IP-based
   * rules: `true` matches (so it is blocked by deny rules and rate limits and
   * not let through by allow rules), `false` does not match.
   * @default true - fail closed
   */
  readonly matchInvalidHeader?: boolean;
}

/** A rate limit: at most `limit` requests per evaluation window from one client IP. */
export interface RateLimit {
  /** Requests per client IP and evaluation window. From 10 to 2,000,000,000. */
  readonly limit: number;
  /**
   * The window WAF counts requests in: 1, 2, 5 or 10 minutes.
   * @default Duration.minutes(5)
   */
  readonly evaluationWindow?: Duration;
}

/** A rate limit on the requests to some paths (e.g. a login page). */
export interface PathRateLimit extends RateLimit {
  /** The rule's name in the web ACL and its metrics. Letters, digits, hyphens and underscores, up to 40 characters. */
  readonly name: string;
  /** The URI path prefixes the limit counts (each starting with `/`), e.g. `['/login', '/api/auth/']`. */
  readonly pathPrefixes: string[];
  /**
   * Count only these HTTP methods.
   * @default - every method
   */
  readonly methods?: string[];
}

/** One entry of the allowlisting mode: a path prefix and the methods allowed on it. */
export interface AllowedRoute {
  /** URI path prefix, starting with `/` (exact match when `exact` is set). */
  readonly pathPrefix: string;
  /** Match the path exactly rather than as a prefix. @default false */
  readonly exact?: boolean;
  /**
   * The HTTP methods allowed on it.
   * @default ['GET', 'HEAD']
   */
  readonly methods?: string[];
}

/** What the edge writes to its log path. */
export enum WafLogFilter {
  /** Every request (the default: what the edge let through matters when the host layer has to explain a block). */
  ALL_REQUESTS = 'ALL_REQUESTS',
  /** Only requests a rule blocked, challenged or counted (cheaper; allowed requests are not archived). */
  ACTED_ON_ONLY = 'ACTED_ON_ONLY',
}

/** Decoy paths: nobody legitimate asks for them, so whoever does is an attacker probing. */
export interface DecoyOptions {
  /**
   * URI path prefixes that are decoys, each starting with `/`.
   * @default EdgeFilter.DEFAULT_DECOY_PATHS
   */
  readonly paths?: string[];
  /**
   * How long a caller's IP stays blocked after touching a decoy, from 5 minutes to 24 hours.
   * The caller is blocked for between this long and twice this long.
   * `Duration.minutes(0)` blocks only the decoy requests themselves (no Lambda is deployed).
   * @default Duration.hours(1)
   */
  readonly quarantine?: Duration;
}

/** Limits on the request body the edge inspects. */
export interface BodySizeOptions {
  /**
   * Block requests whose body is larger. WAF sees at most the resource's
   * inspection limit (8 KiB for a load balancer, 16 KiB by default elsewhere);
   * a body larger than that limit is blocked when this is at or above it.
   */
  readonly maxBodySize: Size;
}

/** The edge layer's heartbeat (`EdgeFilter.addHeartbeat`). */
export interface EdgeHeartbeatOptions {
  /** The public endpoint the edge protects, e.g. `https://app.example.com`. */
  readonly endpoint: string;
  /**
   * Path and query of the canary attack: the edge alone must block it. Avoid
   * the decoy paths (the heartbeat would quarantine itself).
   * @default EdgeFilter.CANARY_PATH (a SQL injection in the query)
   */
  readonly canaryPath?: string;
  /** Path of the benign request that must pass. @default '/' */
  readonly benignPath?: string;
  /** Headers for both requests (e.g. a token the service expects). @default - none */
  readonly headers?: Record<string, string>;
  /** How often it runs. @default Duration.minutes(1) */
  readonly interval?: Duration;
  /**
   * Requests per 5 minutes below which the WAF's allowed and blocked counts
   * are an alarm. The heartbeat itself sends one of each per run.
   * @default 1
   */
  readonly chatterFloor?: number;
}

