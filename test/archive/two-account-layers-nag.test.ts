import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, NagPack } from 'cdk-nag';
import { buildLogArchiveExample } from '../fixtures/log-archive/example';

/** Runs both cdk-nag packs over the synthesized example, returning the unacknowledged findings. */
function findings(app: App, stacks: Stack[]): string[] {
  app.synth(); // runs the library's validations, which record its own acknowledgements
  const packs: NagPack[] = [new AwsSolutionsChecks(app), new NIST80053R5Checks(app)];
  return packs.flatMap(pack => stacks.flatMap(stack => pack.validateScope(stack).violations
    .flatMap(v => v.violatingResources.map(r => `${v.ruleName} at ${r.constructPath}`))));
}

function acknowledgements(stacks: Stack[]): Array<{ id: string; reason: string; path: string }> {
  return stacks.flatMap(stack => stack.node.findAll().flatMap(c => c.node.metadata
    .filter(m => m.type === 'aws:cdk:acknowledged-rules')
    .flatMap(m => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason, path: c.node.path })))));
}

describe('the two-account layers fixture (archive + edge + host layers) under cdk-nag (AwsSolutions, NIST 800-53 R5)', () => {
  test.each([['two accounts', false], ['one account', true]])('%s: zero unacknowledged findings', (_name, sameAccount) => {
    const app = new App();
    const { archiveStack, workloadStack } = buildLogArchiveExample(app, { sameAccount });
    expect(findings(app, [archiveStack, workloadStack])).toEqual([]);
  });

  test('the check is live: without the example\'s acknowledgement, the missing replication is reported', () => {
    const app = new App();
    const { archiveStack, workloadStack } = buildLogArchiveExample(app, { acknowledge: false });
    const found = findings(app, [archiveStack, workloadStack]);
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^NIST\.800\.53\.R5-S3BucketReplicationEnabled at LogArchiveAccount\/LogArchive\/Archive\/Bucket/),
    ]));
    expect(found).toHaveLength(3); // archive, ALB and server-access-log buckets
  });

  test('every acknowledgement carries a reason specific to its resource', () => {
    const app = new App();
    const { archiveStack, workloadStack } = buildLogArchiveExample(app);
    app.synth();
    const acks = acknowledgements([archiveStack, workloadStack]);
    expect(acks.length).toBeGreaterThanOrEqual(6);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(60);
    }
    // A wildcard acknowledgement names the layer's own prefix.
    const prefixAcks = acks.filter(a => /\/(logs|waf)\/\*\]/.test(a.id));
    expect(prefixAcks.map(a => a.reason).sort()).toEqual([
      expect.stringContaining("'edge/waf/*'"),
      expect.stringContaining("'host/logs/*'"),
    ]);
  });
});
