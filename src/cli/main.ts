#!/usr/bin/env node
// The package's command line: `npx cdk-defence-in-depth host-filter render|serve ...`.
// Renders the host filter from the same props as the HostFilter construct and runs
// it on this machine's Debian packages, so users try their rules before deploying.
import * as fs from 'fs';
import { HostFilterOptions } from '../host/host-filter-options';
import { LocalHostFilter } from '../host/runtime/local-host-filter';

const USAGE = `usage:
  cdk-defence-in-depth host-filter render --out DIR [--props props.json] [--listen 127.0.0.1:8080] [--upstream http://127.0.0.1:9000]
  cdk-defence-in-depth host-filter serve --listen 127.0.0.1:8080 --upstream http://127.0.0.1:9000 [--props props.json] [--dir DIR] [--workers N]

props.json holds HostFilterOptions (the HostFilter construct's props), e.g. {"profile": "json-api", "paranoiaLevel": 2}.`;

function parseFlags(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z]+)$/.exec(args[i]);
    if (!m || args[i + 1] === undefined) throw new Error(`unexpected argument '${args[i]}'\n${USAGE}`);
    flags[m[1]] = args[++i];
  }
  return flags;
}

function readProps(file?: string): HostFilterOptions {
  return file ? JSON.parse(fs.readFileSync(file, 'utf-8')) : {};
}

export async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group !== 'host-filter' || !['render', 'serve'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const flags = parseFlags(rest);
  const options = readProps(flags.props);
  const listen = flags.listen ?? '127.0.0.1:8080';
  const upstream = flags.upstream ?? 'http://127.0.0.1:9000';
  if (command === 'render') {
    if (!flags.out) throw new Error(`--out DIR is required\n${USAGE}`);
    const files = LocalHostFilter.render({ options, dir: flags.out, listen, upstream });
    console.log(`rendered ${files.length} files and the CRS rules into ${flags.out}: ${files.join(', ')}`);
    return 0;
  }
  const dir = flags.dir ?? fs.mkdtempSync('/tmp/host-filter-');
  const filter = new LocalHostFilter({ options, dir, listen, upstream, workers: flags.workers });
  await filter.start();
  console.log(`host filter listening on http://${listen}, forwarding to ${upstream}; files in ${dir}. Ctrl-C stops it.`);
  await new Promise<void>(resolve => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  await filter.stop();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code; }, (e: Error) => {
    console.error(e.message);
    process.exitCode = 1;
  });
}
