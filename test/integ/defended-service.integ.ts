// Integration test app: the whole service deployed for real, then assertions that send
// the canary through the public endpoint (the edge must block it, naming itself) and
// directly to every web host (through the host layer's heartbeat, which runs inside the
// VPC and bypasses the edge: the host filter must block it, naming itself), and that
// the monitor and the log delivery prove themselves too.
//
// `npx projen integ:deploy` deploys it with the cdk CLI into the account of your
// credentials and destroys it afterwards; `npx projen integ:snapshot` (part of
// `npm test`) checks the committed snapshot offline. See README, "Integration tests".
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { LogArchive } from '../../src/archive';
import { DefenceLayer } from '../../src/core';
import { EdgeFilter } from '../../src/edge';
import { DefendedWebService } from '../../src/service';

export const INTEG_NAME = 'defended-service';

export function buildIntegApp(app: App): IntegTest {
  // The assertions' provider (one role that invokes every layer's heartbeat) joins the layers, and the
  // isolation check rightly says so. It exists only in this test, so here the check reports instead of
  // failing the synth; the service itself is checked in enforce mode by test/service.
  app.node.setContext(DefenceLayer.ISOLATION_CONTEXT_KEY, 'report');
  const stack = new Stack(app, 'DefendedServiceInteg');
  const service = new DefendedWebService(stack, 'Web', {
    // No domain in a throwaway account: plain HTTP to the load balancer's name (the synth warns).
    allowHttpOnlyForDemo: true,
    loadBalancerDeletionProtection: false,
    // The shortest lock: the archive's buckets outlive the test (Object Lock, compliance mode) and expire in a day.
    logArchive: new LogArchive(stack, 'Archive', { retention: Duration.days(1) }),
    hosts: {
      minCapacity: 1,
      appCommands: [
        'mkdir -p /srv/www && echo ok > /srv/www/index.html && echo ok > /srv/www/healthz',
        'nohup python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv/www >/var/log/app.log 2>&1 &',
      ],
    },
    monitor: { deletionProtection: false },
  });

  const integ = new IntegTest(app, 'DefendedServiceIntegTest', {
    testCases: [stack],
    diffAssets: false,
    cdkCommandOptions: { destroy: { args: { force: true } } },
  });
  const patience = { totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) };

  // Through the public endpoint: the edge blocks the canary itself, and a benign request reaches the app.
  integ.assertions.httpApiCall(`${service.endpoint}${EdgeFilter.CANARY_PATH}`)
    .expect(ExpectedResult.objectLike({ status: 403, headers: Match.objectLike({ 'x-defence-layer': ['edge'] }) }))
    .waitForAssertions(patience);
  integ.assertions.httpApiCall(`${service.endpoint}/`)
    .expect(ExpectedResult.objectLike({ status: 200 }))
    .waitForAssertions(patience);

  // Straight to every web host, bypassing the edge: each layer's heartbeat is invoked and must report its checks passed.
  for (const heartbeat of service.heartbeats) {
    const checks = heartbeat.control === 'host'
      ? [Match.objectLike({ name: 'canary-blocked', passed: true }), Match.objectLike({ name: 'benign-passes', passed: true })]
      : [Match.objectLike({ passed: true })];
    integ.assertions.invokeFunction({ functionName: heartbeat.function.functionName })
      .expect(ExpectedResult.objectLike({
        Payload: Match.serializedJson(Match.objectLike({ control: heartbeat.control, checks: Match.arrayWith(checks) })),
      }))
      .waitForAssertions(patience);
  }
  return integ;
}

if (require.main === module) {
  const app = new App();
  buildIntegApp(app);
  app.synth();
}
