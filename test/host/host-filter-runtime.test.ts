import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { CustomRuleAction, HostFilterOptions, HostFilterProfile } from '../../src/host';
import { LocalHostFilter, missingRuntime } from '../../src/host/runtime/local-host-filter';
import { freePort, request, startUpstream } from '../helpers/loopback';

// The rendered filter, for real: nginx + ModSecurity v3 + OWASP CRS 3.3.4 from
// Debian's packages, on loopback, in front of a small upstream. CI installs the
// packages (.ci/run); without them the suite says why and fails rather than pass.

const missing = missingRuntime();
if (missing) {
  test('the host filter runtime is installed', () => { throw new Error(missing); });
}
const run = missing ? describe.skip : describe;

const SQLI = '/search?q=1%27%20OR%20%271%27%3D%271%27--';
const XSS_FORM = 'title=%3Cscript%3Ealert(1)%3C%2Fscript%3E';

/** Starts an upstream and a filter with `options`, hands both ports to `body`, always stops both. */
async function withFilter(options: HostFilterOptions, body: (port: number, filter: LocalHostFilter) => Promise<void>): Promise<void> {
  const [appPort, port] = [await freePort(), await freePort()];
  const upstream: http.Server = await startUpstream(appPort);
  const filter = new LocalHostFilter({
    options, dir: fs.mkdtempSync(path.join(os.tmpdir(), 'hf-')), listen: `127.0.0.1:${port}`, upstream: `http://127.0.0.1:${appPort}`,
  });
  try {
    await filter.start();
    await body(port, filter);
  } finally {
    await filter.stop();
    await new Promise(resolve => upstream.close(resolve));
  }
}

run('host filter on loopback', () => {
  test('website (defaults): benign passes, SQL injection is blocked with the layer header, a request id and a JSON audit entry', async () => {
    await withFilter({}, async (port, filter) => {
      const ok = await request(port, '/products?id=42&sort=price');
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ method: 'GET', url: '/products?id=42&sort=price' });
      expect(ok.headers['x-defence-layer']).toBeUndefined();

      const blocked = await request(port, SQLI);
      expect(blocked.status).toBe(403);
      expect(blocked.headers['x-defence-layer']).toBe('host');
      const id = blocked.headers['x-request-id'] as string;
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const audit = await filter.auditEntry(id);
      expect(audit.transaction.response.http_code).toBe(403);
      expect(audit.transaction.messages.map((m: any) => m.details.ruleId)).toEqual(expect.arrayContaining(['942100', '949110']));
      // nginx runs with tcmalloc preloaded, as deployed.
      const worker = fs.readFileSync(path.join(filter.dir, 'run', 'nginx.pid'), 'utf-8').trim();
      expect(fs.readFileSync(`/proc/${worker}/maps`, 'utf-8')).toContain('libtcmalloc_minimal.so.4');
      // Benign requests are not audited (RelevantOnly).
      expect(filter.auditLog()).toHaveLength(1);
    });
  });

  test('the app cannot claim a block: its own x-defence-layer and x-request-id headers are hidden, its 403 passes unnamed', async () => {
    const [appPort, port] = [await freePort(), await freePort()];
    // An app that answers 403 and claims to be the host layer.
    const upstream = http.createServer((_req, res) => {
      res.writeHead(403, { 'x-defence-layer': 'host', 'x-request-id': 'forged-by-the-app', 'content-type': 'text/plain' });
      res.end('denied by the app');
    });
    await new Promise<void>(resolve => upstream.listen(appPort, '127.0.0.1', resolve));
    const filter = new LocalHostFilter({
      options: {}, dir: fs.mkdtempSync(path.join(os.tmpdir(), 'hf-')), listen: `127.0.0.1:${port}`, upstream: `http://127.0.0.1:${appPort}`,
    });
    try {
      await filter.start();
      const reply = await request(port, '/account');
      expect(reply.status).toBe(403);
      expect(reply.body).toBe('denied by the app');
      expect(reply.headers['x-defence-layer']).toBeUndefined();
      expect(reply.headers['x-request-id']).toBeUndefined();
      // The filter's own block still names the layer.
      const blocked = await request(port, SQLI);
      expect([blocked.status, blocked.headers['x-defence-layer']]).toEqual([403, 'host']);
    } finally {
      await filter.stop();
      await new Promise(resolve => upstream.close(resolve));
    }
  });

  test('website: a method outside the profile (PUT) and a form XSS are blocked; the health check passes with an IP as Host', async () => {
    // Threshold 3, so that rule 920350 (Host is an IP address, 3 points) blocks on its own.
    await withFilter({ profile: HostFilterProfile.WEBSITE, inboundAnomalyThreshold: 3 }, async port => {
      expect((await request(port, '/items/1', { method: 'PUT', body: '{}', headers: { 'Content-Type': 'application/json' } })).status).toBe(403);
      expect((await request(port, '/post', { method: 'POST', body: XSS_FORM, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(403);
      expect((await request(port, '/post', { method: 'POST', body: 'title=hello', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
      // Load balancers send the host's IP as Host: rule 920350 would block the health check.
      expect((await request(port, '/healthz', { headers: { Host: '10.0.1.23' } })).status).toBe(200);
      expect((await request(port, '/other', { headers: { Host: '10.0.1.23' } })).status).toBe(403);
    });
  });

  test('json-api: PUT and DELETE with JSON pass, a form body is refused, SQL injection inside JSON is blocked', async () => {
    await withFilter({ profile: HostFilterProfile.JSON_API }, async port => {
      const json = { 'Content-Type': 'application/json' };
      expect((await request(port, '/items/1', { method: 'PUT', body: '{"name":"chair","price":42}', headers: json })).status).toBe(200);
      expect((await request(port, '/items/1', { method: 'DELETE' })).status).toBe(200);
      expect((await request(port, '/items', { method: 'POST', body: 'name=chair', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(403);
      expect((await request(port, '/items', { method: 'POST', body: '{"name":"x\' UNION SELECT password FROM users--"}', headers: json })).status).toBe(403);
    });
  });

  test('forum: code in a post field passes, the same code in another field is blocked', async () => {
    await withFilter({ profile: HostFilterProfile.FORUM }, async port => {
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const snippet = encodeURIComponent('Use <script>alert(1)</script> or SELECT * FROM users WHERE id=1 OR 1=1');
      expect((await request(port, '/post', { method: 'POST', body: `content=${snippet}`, headers: form })).status).toBe(200);
      expect((await request(port, '/post', { method: 'POST', body: `title=${snippet}`, headers: form })).status).toBe(403);
    });
  });

  test('paranoia level 2 blocks what level 1 lets through; detection at 2 with blocking at 1 only logs it', async () => {
    // 920320 (missing User-Agent) is a PL2 rule (score 2); with the threshold at 2 it blocks at PL2 only.
    const noUserAgent = { 'User-Agent': null as unknown as string };
    await withFilter({ paranoiaLevel: 1, inboundAnomalyThreshold: 2 }, async port => {
      expect((await request(port, '/', { headers: noUserAgent })).status).toBe(200);
    });
    await withFilter({ paranoiaLevel: 2, inboundAnomalyThreshold: 2 }, async port => {
      expect((await request(port, '/', { headers: noUserAgent })).status).toBe(403);
    });
    await withFilter({ paranoiaLevel: 1, detectionParanoiaLevel: 2, inboundAnomalyThreshold: 2 }, async port => {
      expect((await request(port, '/', { headers: noUserAgent })).status).toBe(200);
    });
  });

  test('rule 932150 (a command word opening any argument) is left out at PL1 unless strictCrs', async () => {
    const text = '/?note=time%20he%20came.';
    await withFilter({}, async port => { expect((await request(port, text)).status).toBe(200); });
    await withFilter({ strictCrs: true }, async port => { expect((await request(port, text)).status).toBe(403); });
    // Command injection is still caught by the other RCE rules.
    await withFilter({}, async port => { expect((await request(port, '/?host=example.org%3Bcat%20/etc/passwd')).status).toBe(403); });
  });

  test('detectionOnly logs the attack and lets it through', async () => {
    await withFilter({ detectionOnly: true }, async (port, filter) => {
      const r = await request(port, SQLI);
      expect(r.status).toBe(200);
      expect(fs.readFileSync(path.join(filter.dir, 'modsecurity.conf'), 'utf-8')).toMatch(/^SecRuleEngine DetectionOnly$/m);
    });
  });

  test('inbound anomaly threshold: a high threshold lets a single critical match through', async () => {
    await withFilter({ inboundAnomalyThreshold: 100 }, async port => {
      expect((await request(port, '/?file=../../etc/passwd')).status).toBe(200);
    });
    await withFilter({}, async port => {
      expect((await request(port, '/?file=../../etc/passwd')).status).toBe(403);
    });
  });

  test('custom rules: BLOCK answers 403 on its own, SCORE counts towards the threshold, LOG only logs', async () => {
    await withFilter({
      customRules: [
        { id: 10001, variables: 'REQUEST_HEADERS:X-Scanner', pattern: '(?i)evilscan', message: 'known scanner', action: CustomRuleAction.BLOCK, phase: 1 },
        { id: 10002, variables: 'ARGS:promo', pattern: '^FREE', message: 'promo abuse', action: CustomRuleAction.SCORE },
        { id: 10003, variables: 'ARGS:note', pattern: 'watch', message: 'watched word', action: CustomRuleAction.LOG },
      ],
    }, async port => {
      expect((await request(port, '/', { headers: { 'X-Scanner': 'EvilScan/1.0' } })).status).toBe(403);
      expect((await request(port, '/?promo=FREE100')).status).toBe(403);
      expect((await request(port, '/?promo=SAVE10')).status).toBe(200);
      expect((await request(port, '/?note=watch')).status).toBe(200);
    });
  });

  test('exclusions: a rule switched off for a path, and for one parameter', async () => {
    const traversal = '../../etc/passwd';
    await withFilter({
      exclusions: [
        { pathPrefix: '/files', ruleIds: [930100, 930110, 930120, 932160], reason: 'the file browser takes relative paths' },
        { parameter: 'template', ruleIds: [930100, 930110, 930120, 932160], reason: 'templates reference parent directories' },
      ],
    }, async port => {
      expect((await request(port, `/files/view?p=${traversal}`)).status).toBe(200);
      // A parameter exclusion covers the parameter only (rules that read the raw URI still see a query string).
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      expect((await request(port, '/other', { method: 'POST', body: `template=${traversal}`, headers: form })).status).toBe(200);
      expect((await request(port, '/other', { method: 'POST', body: `p=${traversal}`, headers: form })).status).toBe(403);
    });
  });

  test('request bodies above maxRequestBodyBytes are refused', async () => {
    await withFilter({ maxRequestBodyBytes: 1024 }, async port => {
      const big = 'a='.concat('x'.repeat(4096));
      const r = await request(port, '/post', { method: 'POST', body: big, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      expect(r.status).toBe(413);
      // Refused by the filter itself (no upstream answered): the refusal names the layer too.
      expect(r.headers['x-defence-layer']).toBe('host');
      expect((await request(port, '/post', { method: 'POST', body: 'a=small', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
    });
  });

  test("the derived CRS copy leaves out 901's default rules only because crs-setup sets every one of them to CRS's own value", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-setup-'));
    LocalHostFilter.render({ dir, listen: '127.0.0.1:1', upstream: 'http://127.0.0.1:2', options: { allowedMethods: ['GET', 'PUT'] } });
    const stock = fs.readFileSync('/usr/share/modsecurity-crs/rules/REQUEST-901-INITIALIZATION.conf', 'utf8');
    // Each 9011xx rule: SecRule &TX:<name> "@eq 0" ... setvar:'tx.<name>=<value>'
    const defaults = [...stock.matchAll(/SecRule &TX:(\w+) "@eq 0"[\s\S]*?setvar:'tx\.\1=([^']*)'/g)].map(m => [m[1], m[2]]);
    expect(defaults.length).toBe(19); // CRS 3.3.4: 901100 to 901168
    const setup = fs.readFileSync(path.join(dir, 'crs-setup.conf'), 'utf8');
    const set = new Map([...setup.matchAll(/setvar:'tx\.(\w+)=([^']*)'/g)].map(m => [m[1], m[2]]));
    const overridden = new Map([['allowed_methods', 'GET PUT'], ['allowed_request_content_type', expect.any(String)],
      ['executing_paranoia_level', '1'], ['enforce_bodyproc_urlencoded', '1']]);
    for (const [name, value] of defaults) {
      expect([name, set.get(name)]).toEqual([name, overridden.get(name) ?? value]);
    }
    const derived = fs.readFileSync(path.join(dir, 'crs-rules', 'REQUEST-901-INITIALIZATION.conf'), 'utf8');
    expect(derived).not.toMatch(/id:9011\d\d,|id:901001,|id:9014[0-5]0,/);
    expect(derived).toMatch(/id:901200,/); // the score initialisation stays
    for (const f of fs.readdirSync(path.join(dir, 'crs-rules')).filter(n => n.endsWith('.conf'))) {
      expect([f, fs.readFileSync(path.join(dir, 'crs-rules', f), 'utf8')]).not.toEqual([f, expect.stringMatching(/EXECUTING_PARANOIA_LEVEL "@lt 1"/)]);
    }
  });

  test('fails closed: files that do not load keep nginx down; nothing is served', async () => {
    const [appPort, port] = [await freePort(), await freePort()];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-broken-'));
    const props = { dir, listen: `127.0.0.1:${port}`, upstream: `http://127.0.0.1:${appPort}` };
    LocalHostFilter.render(props);
    expect(LocalHostFilter.test(dir)).toBeUndefined();
    // A broken directive, or a rule file gone (as a bad edit on a host would leave them): nginx refuses to start.
    fs.appendFileSync(path.join(dir, 'custom-rules.conf'), 'SecRule ARGS "@rx x" "id:10009,phase:2,bogusaction"\n');
    expect(LocalHostFilter.test(dir)).toMatch(/bogusaction|emerg/i);
    fs.writeFileSync(path.join(dir, 'custom-rules.conf'), '');
    expect(LocalHostFilter.test(dir)).toBeUndefined();
    fs.rmSync(path.join(dir, 'crs-rules', 'REQUEST-942-APPLICATION-ATTACK-SQLI.conf'));
    expect(LocalHostFilter.test(dir)).toMatch(/REQUEST-942|emerg|No such file/i);
    // Nothing listens: a load balancer sees the host as unhealthy, no request is served unfiltered.
    await expect(request(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
