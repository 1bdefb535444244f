import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { LogArchive, LogDeliveryHeartbeat } from '../../src/archive';
import { DefenceWatch, DefenceWatchProps } from '../../src/heartbeat';
import { DefendedWebService, DefendedWebServiceProps } from '../../src/service';
import { reportingApp } from '../helpers/isolation';

export const ENV = { account: '111111111111', region: 'eu-west-1' };
export const CERT = 'arn:aws:acm:eu-west-1:111111111111:certificate/0d3c4c2e-1111-2222-3333-444455556666';

/** The metadata keys the tamper watch writes and reads. */
export const TAMPER_WATCH_METADATA = 'cdk-defence-in-depth:tamper-watch';
export const LAYER_METADATA = 'cdk-defence-in-depth:layer';

/** A DefendedWebService as test/service/defended-web-service.test.ts builds it. */
export function service(props: Partial<DefendedWebServiceProps> = {}, app: App = reportingApp()) {
  const stack = new Stack(app, 'Service', { env: ENV });
  const web = new DefendedWebService(stack, 'Web', {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
    domainName: 'app.example.com',
    watch: { emails: ['security@example.com'] },
    ...props,
  });
  return { app, stack, web };
}

/**
 * The smallest app with a watch layer: a LogArchive, a DefenceWatch (with the
 * archive as its logDestination unless `logDestination: false`) and the
 * log-delivery heartbeat it watches (a watch layer must watch a heartbeat).
 */
export function watchApp(options: { watch?: DefenceWatchProps; logDestination?: boolean; app?: App; env?: typeof ENV } = {}) {
  const app = options.app ?? reportingApp();
  const stack = new Stack(app, 'Small', { env: options.env ?? ENV });
  const archive = new LogArchive(stack, 'Archive');
  const watch = new DefenceWatch(stack, 'Watch', {
    emails: ['security@example.com'],
    ...options.watch,
    ...(options.logDestination === false ? {} : { logDestination: archive }),
  });
  const delivery = new LogDeliveryHeartbeat(stack, 'LogDelivery', { destination: archive });
  watch.watch(delivery.heartbeat);
  return { app, stack, archive, watch, delivery };
}
