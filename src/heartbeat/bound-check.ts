import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { WebHostTargets } from './heartbeat-check';
import { CheckConfig } from './heartbeat-config';

/** What a check needs once bound to its heartbeat. */
export interface BoundCheck {
  readonly config: CheckConfig;
  readonly statements: iam.PolicyStatement[];
  /** Constructs of other layers the check reads, with what it reads. */
  readonly observes: Array<{ readonly target: IConstruct; readonly reason: string }>;
  /** Probes of private hosts need the function inside the VPC. */
  readonly reachesHosts?: WebHostTargets;
}

