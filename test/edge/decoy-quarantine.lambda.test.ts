import { GetIPSetCommand, UpdateIPSetCommand, WAFOptimisticLockException, WAFV2Client } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { activeSlot, decoyCallers, handler, QuarantineConfig } from '../../src/edge/decoy-quarantine.lambda';

const waf = mockClient(WAFV2Client);

const CONFIG: QuarantineConfig = {
  scope: 'REGIONAL',
  periodSeconds: 3600,
  slots: 3,
  decoyRuleName: 'DecoyPaths',
  ipSets: [0, 1, 2].flatMap(slot => [4, 6].map(version => ({ name: `q-${slot}-v${version}`, id: `id-${slot}-${version}`, slot, version: version as 4 | 6 }))),
};

/** A Firehose record holding WAF log lines, as WAF writes them (one JSON object per line). */
function record(id: string, ...entries: object[]) {
  return { recordId: id, data: Buffer.from(entries.map(e => JSON.stringify(e)).join('\n')).toString('base64') };
}

function wafLog(rule: string, clientIp: string, headers: Array<{ name: string; value: string }> = []) {
  return { terminatingRuleId: rule, action: 'BLOCK', httpRequest: { clientIp, uri: '/.env', headers } };
}

beforeEach(() => {
  waf.reset();
  process.env.QUARANTINE_CONFIG = JSON.stringify(CONFIG);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('reading the WAF logs', () => {
  test('finds the callers the decoy rule terminated, and nobody else', () => {
    const callers = decoyCallers([
      record('1', wafLog('DecoyPaths', '203.0.113.9'), wafLog('RateLimitPerIp', '198.51.100.1'), wafLog('Default_Action', '198.51.100.2')),
      record('2', wafLog('DecoyPaths', '2001:db8::7'), wafLog('DecoyPaths', '203.0.113.9')),
      { recordId: '3', data: Buffer.from('not json\n{"half":').toString('base64') },
    ], CONFIG);
    expect(callers.sort()).toEqual(['2001:db8::7', '203.0.113.9']);
  });

  test('behind a proxy, the client is read from the forwarded header (first or last address)', () => {
    const entry = wafLog('DecoyPaths', '10.0.0.5', [{ name: 'X-Forwarded-For', value: '203.0.113.9, 198.51.100.20' }]);
    expect(decoyCallers([record('1', entry)], { ...CONFIG, forwardedIpHeader: 'x-forwarded-for' })).toEqual(['203.0.113.9']);
    expect(decoyCallers([record('1', entry)], { ...CONFIG, forwardedIpHeader: 'x-forwarded-for', forwardedIpPosition: 'LAST' })).toEqual(['198.51.100.20']);
    const garbage = wafLog('DecoyPaths', '10.0.0.5', [{ name: 'x-forwarded-for', value: 'unknown' }]);
    expect(decoyCallers([record('1', garbage)], { ...CONFIG, forwardedIpHeader: 'x-forwarded-for' })).toEqual([]);
  });
});

describe('as the Firehose record processor', () => {
  test('adds decoy callers to the active slot of their address version and hands every record back unchanged', async () => {
    waf.on(GetIPSetCommand).callsFake(input => ({ IPSet: { Addresses: input.Id.endsWith('-4') ? ['192.0.2.1/32'] : [] }, LockToken: `lock-${input.Id}` }));
    waf.on(UpdateIPSetCommand).resolves({});
    const records = [record('a', wafLog('DecoyPaths', '203.0.113.9')), record('b', wafLog('DecoyPaths', '2001:db8::7'), wafLog('X', '198.51.100.1'))];
    const slot = activeSlot(CONFIG, Date.now());

    const result: any = await handler({ records });

    expect(result.records).toEqual(records.map(r => ({ recordId: r.recordId, result: 'Ok', data: r.data })));
    const updates = waf.commandCalls(UpdateIPSetCommand).map(c => c.args[0].input);
    expect(updates).toEqual([
      { Name: `q-${slot}-v4`, Id: `id-${slot}-4`, Scope: 'REGIONAL', Addresses: ['192.0.2.1/32', '203.0.113.9/32'], LockToken: `lock-id-${slot}-4` },
      { Name: `q-${slot}-v6`, Id: `id-${slot}-6`, Scope: 'REGIONAL', Addresses: ['2001:db8::7/128'], LockToken: `lock-id-${slot}-6` },
    ]);
  });

  test('a caller already in the set causes no write', async () => {
    waf.on(GetIPSetCommand).resolves({ IPSet: { Addresses: ['203.0.113.9/32'] } as any, LockToken: 't' });
    await handler({ records: [record('a', wafLog('DecoyPaths', '203.0.113.9'))] });
    expect(waf.commandCalls(UpdateIPSetCommand)).toHaveLength(0);
  });

  test('retries when another writer changed the set first', async () => {
    waf.on(GetIPSetCommand).resolvesOnce({ IPSet: { Addresses: [] } as any, LockToken: 'old' }).resolves({ IPSet: { Addresses: ['192.0.2.1/32'] } as any, LockToken: 'new' });
    waf.on(UpdateIPSetCommand).rejectsOnce(new WAFOptimisticLockException({ message: 'stale', $metadata: {} })).resolves({});
    await handler({ records: [record('a', wafLog('DecoyPaths', '203.0.113.9'))] });
    const updates = waf.commandCalls(UpdateIPSetCommand).map(c => c.args[0].input);
    expect(updates).toHaveLength(2);
    expect(updates[1]).toMatchObject({ LockToken: 'new', Addresses: ['192.0.2.1/32', '203.0.113.9/32'] });
  });

  test('when WAF refuses, the records still go to the archive and a failure metric is logged (it has an alarm)', async () => {
    waf.on(GetIPSetCommand).rejects(new Error('AccessDenied'));
    const records = [record('a', wafLog('DecoyPaths', '203.0.113.9'))];
    const result: any = await handler({ records });
    expect(result.records).toEqual([{ recordId: 'a', result: 'Ok', data: records[0].data }]);
    const logged = (console.log as jest.Mock).mock.calls.map(c => JSON.parse(c[0]));
    expect(logged).toContainEqual(expect.objectContaining({ QuarantineFailures: 1, _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'DefenceInDepth/Edge' })] }) }));
  });
});

describe('on the schedule', () => {
  test('empties the slot that becomes active next (holding callers from two periods ago), both address versions', async () => {
    const time = '2026-01-01T10:30:00Z';
    const expiring = (activeSlot(CONFIG, Date.parse(time)) + 1) % 3;
    waf.on(GetIPSetCommand).resolves({ IPSet: { Addresses: ['203.0.113.9/32'] } as any, LockToken: 't' });
    waf.on(UpdateIPSetCommand).resolves({});
    await handler({ 'source': 'aws.events', 'detail-type': 'Scheduled Event', time });
    expect(waf.commandCalls(UpdateIPSetCommand).map(c => [c.args[0].input.Id, c.args[0].input.Addresses]))
      .toEqual([[`id-${expiring}-4`, []], [`id-${expiring}-6`, []]]);
  });

  test('a caller stays quarantined at least one period and at most three', () => {
    const period = CONFIG.periodSeconds * 1000;
    for (let t = 0; t < 10 * period; t += period / 7) {
      const added = activeSlot(CONFIG, t);
      // The first release run that empties the slot: the first period k after t with (k + 1) % 3 == added.
      let k = Math.floor(t / period) + 1;
      while ((k + 1) % 3 !== added) k++;
      const releasedAt = k * period; // at the earliest, at the start of that period
      expect(releasedAt - t).toBeGreaterThanOrEqual(period);
      expect((k + 1) * period - t).toBeLessThanOrEqual(3 * period);
    }
  });

  test('fails the run (EventBridge retries it) when a set cannot be emptied', async () => {
    waf.on(GetIPSetCommand).rejects(new Error('throttled'));
    await expect(handler({ source: 'aws.events', time: '2026-01-01T10:30:00Z' })).rejects.toThrow(/could not empty 2 quarantine set/);
  });
});
