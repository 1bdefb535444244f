import { Stack, StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DefenceLayer, ILogArchive, LogArchive, LogArchiveProps } from '../../src';

/** The log-archive account: the archive and nothing else. */
export class ArchiveStack extends Stack {
  public readonly archive: LogArchive;

  constructor(scope: Construct, id: string, props: StackProps & { readonly archive?: LogArchiveProps }) {
    super(scope, id, props);
    this.archive = new LogArchive(this, 'LogArchive', props.archive);
  }
}

export interface WorkloadStackProps extends StackProps {
  /** The archive: the construct itself in the same account, or `LogArchive.fromArchiveAttributes` from another. */
  readonly archive: (scope: Construct) => ILogArchive;
}

/**
 * A workload with two layers of defence that each ship their logs into the
 * archive through their own path. The later issues replace these stand-ins
 * with the real edge and host layers.
 */
export class WorkloadStack extends Stack {
  public readonly layers: DefenceLayer[];

  constructor(scope: Construct, id: string, props: WorkloadStackProps) {
    super(scope, id, props);
    const archive = props.archive(this);

    this.layers = ['edge', 'host'].map(layerName => {
      const layer = new DefenceLayer(this, `${layerName[0].toUpperCase()}${layerName.slice(1)}Layer`, { layerName });
      const delivery = archive.addDeliveryPath(layer, 'LogDelivery');
      const logGroup = new logs.LogGroup(layer, 'Logs', {
        encryptionKey: delivery.encryptionKey,
        retention: logs.RetentionDays.ONE_MONTH,
      });
      delivery.addLogGroup(logGroup);
      return layer;
    });
  }
}
