// What the mirror sessions construct and its handler share. No SDK import here:
// construct code loads this file, never the handler (whose SDK clients only the
// Lambda runtime provides).

export interface MirrorSessionsConfig {
  readonly targetId: string;
  readonly filterId: string;
  /** Evaluation order among sessions on the same interface (1 to 32,766). */
  readonly sessionNumber: number;
  readonly virtualNetworkId: number;
  readonly groupNames: string[];
}

/** Tags on the sessions this function creates: only those it ever deletes. */
export const SESSION_TAG_TARGET = 'cdk-defence-in-depth:mirror-target';
export const SESSION_TAG_INSTANCE = 'cdk-defence-in-depth:instance-id';
export const METRIC_NAMESPACE = 'DefenceInDepth/Monitor';
