import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { missingRuntime } from '../../src/host/runtime/local-host-filter';
import { freePort, request, startUpstream } from '../helpers/loopback';

// The CLI users run before deploying: `npx cdk-defence-in-depth host-filter render|serve`.
const root = path.resolve(__dirname, '..', '..');
const cli = [path.join(root, 'node_modules', '.bin', 'ts-node'), '--transpile-only', '--project', path.join(root, 'test', 'tsconfig.json'), path.join(root, 'src', 'cli', 'main.ts')];
const missing = missingRuntime();
if (missing) test('the host filter runtime is installed', () => { throw new Error(missing); });
const run = missing ? describe.skip : describe;

run('cdk-defence-in-depth host-filter', () => {
  test('render writes the files and the CRS rules for the props in a JSON file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    fs.writeFileSync(path.join(dir, 'props.json'), JSON.stringify({ profile: 'json-api', paranoiaLevel: 2 }));
    const r = spawnSync(cli[0], [...cli.slice(1), 'host-filter', 'render', '--out', path.join(dir, 'out'), '--props', path.join(dir, 'props.json')], { encoding: 'utf-8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/rendered 8 files and the CRS rules/);
    expect(fs.readFileSync(path.join(dir, 'out', 'crs-setup.conf'), 'utf-8')).toContain("setvar:'tx.paranoia_level=2'");
    expect(fs.existsSync(path.join(dir, 'out', 'crs-rules', 'REQUEST-942-APPLICATION-ATTACK-SQLI.conf'))).toBe(true);
  });

  test('bad props and non-loopback addresses are refused with the prop, the value and what is allowed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    fs.writeFileSync(path.join(dir, 'props.json'), JSON.stringify({ paranoiaLevel: 9 }));
    const bad = spawnSync(cli[0], [...cli.slice(1), 'host-filter', 'render', '--out', dir, '--props', path.join(dir, 'props.json')], { encoding: 'utf-8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('paranoiaLevel: 9 is not allowed; allowed: a whole number from 1 to 4');
    const remote = spawnSync(cli[0], [...cli.slice(1), 'host-filter', 'render', '--out', dir, '--listen', '0.0.0.0:80'], { encoding: 'utf-8' });
    expect(remote.stderr).toContain('listen: "0.0.0.0:80" is not allowed; allowed: 127.0.0.1:PORT (loopback only)');
  });

  test('serve without the Debian packages says which are missing and the apt command', () => {
    const r = spawnSync(cli[0], [...cli.slice(1), 'host-filter', 'serve', '--listen', '127.0.0.1:18999', '--upstream', 'http://127.0.0.1:18998'], {
      encoding: 'utf-8', env: { ...process.env, NGINX_BINARY: '/nonexistent/nginx' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing Debian package(s) nginx: run `apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs libtcmalloc-minimal4` (Debian 12)');
  });

  test('serve runs the filter in the foreground until stopped, and stops nginx with it', async () => {
    const [appPort, port] = [await freePort(), await freePort()];
    const upstream = await startUpstream(appPort);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-serve-'));
    const child = spawn(cli[0], [...cli.slice(1), 'host-filter', 'serve', '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${appPort}`, '--dir', dir]);
    try {
      let out = '';
      child.stdout.on('data', d => { out += d; });
      const deadline = Date.now() + 60_000;
      while (!out.includes('host filter listening') && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
      expect(out).toContain(`host filter listening on http://127.0.0.1:${port}`);
      expect((await request(port, '/')).status).toBe(200);
      expect((await request(port, '/?q=%3Cscript%3Ealert(1)%3C/script%3E')).headers['x-defence-layer']).toBe('host');
    } finally {
      const exited = new Promise(r => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await new Promise(r => upstream.close(r));
    }
    expect(fs.existsSync(path.join(dir, 'run', 'nginx.pid'))).toBe(false);
    await expect(request(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
