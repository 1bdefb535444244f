/**
 * Template metadata keys the isolation analysis reads. Everything the analysis
 * knows about a resource is written on the resource itself, so it works on the
 * synthesized templates of the whole app and any other tool can read it too.
 */
export class IsolationMetadata {
  /** The resource's layer (same as `DefenceLayer.METADATA_KEY`). */
  public static readonly LAYER = 'cdk-defence-in-depth:layer';
  /** `{ reason, layers? }`: the resource may be shared by layers (an explicit exemption). */
  public static readonly SHARED = 'cdk-defence-in-depth:shared';
  /** `[{ layer, reason }]`: layers that watch this resource read-only (observes edges). */
  public static readonly OBSERVED_BY = 'cdk-defence-in-depth:observed-by';
  /** `true`: a resource of the log archive; layers reach it only through their own delivery path. */
  public static readonly LOG_SINK = 'cdk-defence-in-depth:log-sink';
  /** `"<layer>"`: a resource whose references to the log archive are its layer's own log delivery. */
  public static readonly LOG_DELIVERY = 'cdk-defence-in-depth:log-delivery';
  /**
   * `"<layer>"`: a web ACL association of the layer. Its reference to the resource it protects (a load
   * balancer, an API stage) is what the layer guards, not a dependency; it is reported, not followed.
   */
  public static readonly PROTECTS = 'cdk-defence-in-depth:protects';
  /** `{ ruleEngine, layer }`: a resource that runs the host filter, and its ModSecurity rule engine mode. */
  public static readonly HOST_FILTER = 'cdk-defence-in-depth:host-filter';
  /** `"<role>"`: what a resource does for its layer (e.g. `heartbeat`, `going-dark-alarm`, `web-host`). */
  public static readonly ROLE = 'cdk-defence-in-depth:role';

  /**
   * `{ layer, calls: [{ what, eventNames, resources }] }`: an EventBridge rule of a
   * tamper watch and the calls it watches on the resources of `layer` (listed in the report).
   */
  public static readonly TAMPER_WATCH = 'cdk-defence-in-depth:tamper-watch';

  /** `{ control, signal }`: a going-dark alarm of the watch layer on a control's `heartbeat`, `chatter` or `peers` signal. */
  public static readonly GOING_DARK = 'cdk-defence-in-depth:going-dark';

  /**
   * `{ layer, mirrored, coverage? }`: a web host's coverage by a monitor layer:
   * mirrored to its sensors, or (`mirrored: false`) declared unmirrorable with
   * what covers it instead (Fargate: flow logs, GuardDuty Runtime Monitoring).
   */
  public static readonly MONITORING = 'cdk-defence-in-depth:monitoring';

  private constructor() {}
}
