import * as http from 'http';
import * as net from 'net';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** An application on loopback that answers 200 with what it received (method, url, body length). */
export async function startUpstream(port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', chunk => { size += chunk.length; });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, bodyBytes: size }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', () => resolve()));
  return server;
}

export interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

/** One request to 127.0.0.1 (only loopback is ever used), with `Host: localhost` unless given. */
export interface RequestOptions { method?: string; headers?: Record<string, string>; body?: string | Buffer }

export function request(port: number, path: string, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      method: opts.method ?? 'GET',
      // A header given as null is left out (e.g. to send no User-Agent).
      headers: Object.fromEntries(Object.entries({
        'Host': 'localhost', 'User-Agent': 'Mozilla/5.0 (test)', 'Accept': 'text/html,application/json', ...opts.headers,
      }).filter(([, value]) => value !== null)),
      agent: false,
    }, res => {
      let body = '';
      res.setEncoding('utf-8');
      res.on('data', d => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
