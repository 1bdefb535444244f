import { CustomRuleAction, HostFilterProfile } from '../host-filter-options';
import { ResolvedHostFilterOptions } from './resolve-options';

/** Where the rendered files live and how nginx runs, on a host, in a container or locally. */
export interface FilterLayout {
  /** Directory of the rendered files (absolute). */
  readonly configDir: string;
  /** Directory of the logs: `access.json`, `modsec_audit.json`, `error.log`. */
  readonly logDir: string;
  /** Directory for the pid file and temporary files. */
  readonly runDir: string;
  /** Address the filter listens on: `0.0.0.0` on a host, `127.0.0.1` locally. */
  readonly listenAddress: string;
  /** Host of the application: `127.0.0.1` (same host or task). */
  readonly appHost: string;
  /** User of the worker processes, when started as root (hosts); unset locally. */
  readonly user?: string;
  /** Run in the foreground (`daemon off`), for systemd, containers and the CLI. */
  readonly foreground: boolean;
  /** Worker processes: a number or `auto`. */
  readonly workers: string;
  /** The ModSecurity connector module of Debian's `libnginx-mod-http-modsecurity`. */
  readonly modulePath: string;
  /** Write every transaction to the audit log, not only relevant ones (corpus replays). @default false */
  readonly auditEveryRequest?: boolean;
}

export const DEBIAN_MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so';
/**
 * libmodsecurity3 spends about a quarter of its time in malloc and free (measured with perf).
 * nginx runs with gperftools' tcmalloc preloaded (Debian's libtcmalloc-minimal4): about 1.3x the
 * throughput, the same rules and verdicts. A bare soname, so LD_PRELOAD finds it on any architecture.
 */
export const PRELOAD_ALLOCATOR = 'libtcmalloc_minimal.so.4';
/** The Debian 12 packages the filter runs on. */
export const DEBIAN_PACKAGES = ['nginx', 'libnginx-mod-http-modsecurity', 'modsecurity-crs', 'libtcmalloc-minimal4'];
export const DEBIAN_CRS_RULES = '/usr/share/modsecurity-crs/rules';

/**
 * The layout on a Debian 12 host (`systemd`: nginx forks, as Debian's unit expects)
 * or in the sidecar image (`container`: nginx in the foreground, logs on stdout).
 */
export function hostLayout(kind: 'systemd' | 'container' = 'systemd'): FilterLayout {
  return {
    configDir: '/etc/nginx/defence-in-depth',
    logDir: '/var/log/nginx',
    runDir: '/var/lib/nginx-defence',
    listenAddress: '0.0.0.0',
    appHost: '127.0.0.1',
    user: 'www-data',
    foreground: kind === 'container',
    workers: 'auto',
    modulePath: DEBIAN_MODULE,
  };
}

/**
 * The CRS 3.3 rule files the filter loads. Left out:
 * 903.x (exclusion packs for Drupal, WordPress, ...: only ever remove checks),
 * 910 (IP reputation: needs a GeoIP database, off in CRS by default),
 * 912 (DoS protection: off in CRS by default, and the ALB and WAF rate-limit),
 * 980 (correlation: logging only). Response rules only with `inspectResponses`.
 */
export function crsRuleFiles(o: ResolvedHostFilterOptions): string[] {
  const request = ['901-INITIALIZATION', '905-COMMON-EXCEPTIONS', '911-METHOD-ENFORCEMENT', '913-SCANNER-DETECTION',
    '920-PROTOCOL-ENFORCEMENT', '921-PROTOCOL-ATTACK', '922-MULTIPART-ATTACK', '930-APPLICATION-ATTACK-LFI',
    '931-APPLICATION-ATTACK-RFI', '932-APPLICATION-ATTACK-RCE', '933-APPLICATION-ATTACK-PHP', '934-APPLICATION-ATTACK-NODEJS',
    '941-APPLICATION-ATTACK-XSS', '942-APPLICATION-ATTACK-SQLI', '943-APPLICATION-ATTACK-SESSION-FIXATION',
    '944-APPLICATION-ATTACK-JAVA', '949-BLOCKING-EVALUATION'].map(f => `REQUEST-${f}.conf`);
  const response = ['950-DATA-LEAKAGES', '951-DATA-LEAKAGES-SQL', '952-DATA-LEAKAGES-JAVA', '953-DATA-LEAKAGES-PHP',
    '954-DATA-LEAKAGES-IIS', '959-BLOCKING-EVALUATION'].map(f => `RESPONSE-${f}.conf`);
  return o.inspectResponses ? [...request, ...response] : request;
}

/** Rule id prefixes of the CRS groups a FORUM's code fields skip: RCE, PHP, Node.js, XSS, SQLi, Java. */
const CODE_RULE_GROUPS = ['932', '933', '934', '941', '942', '944'];

/** Header naming the layer on every block, and the block body. */
export const BLOCK_HEADER = 'x-defence-layer';

/**
 * Renders the host filter into plain files (name → content): the nginx
 * configuration, ModSecurity's settings, the CRS setup, exclusions, custom
 * rules, and `prepare-crs.sh`, which derives this filter's copy of the CRS
 * rules from the Debian package on the machine that runs it (keeping only the
 * paranoia levels in use). Pure: the same options and layout give the same files.
 */
export function renderHostFilter(o: ResolvedHostFilterOptions, layout: FilterLayout): Record<string, string> {
  const l = layout;
  return {
    'nginx.conf': nginxConf(o, layout),
    'main.conf': mainConf(o, layout),
    'modsecurity.conf': modsecurityConf(o, layout),
    'crs-setup.conf': crsSetup(o),
    'exclusions-before-crs.conf': exclusionsBefore(o),
    'exclusions-after-crs.conf': exclusionsAfter(o, l),
    'custom-rules.conf': customRules(o),
    'prepare-crs.sh': prepareCrs(o),
  };
}

const HEADER = '# Rendered by cdk-defence-in-depth (HostFilter). Do not edit: change the props and render again.\n';

function nginxConf(o: ResolvedHostFilterOptions, l: FilterLayout): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(t => `  ${t}_temp_path ${l.runDir}/${t};`).join('\n');
  return `${HEADER}load_module ${l.modulePath};
${l.user ? `user ${l.user};\n` : ''}worker_processes ${l.workers};
pid ${l.runDir}/nginx.pid;
error_log ${l.logDir}/error.log warn;
daemon ${l.foreground ? 'off' : 'on'};

events { worker_connections 1024; }

http {
  server_tokens off;
${temp}
  log_format defence escape=json '{"time":"$time_iso8601","layer":"host","request_id":"$request_id","remote_addr":"$remote_addr",'
    '"forwarded_for":"$http_x_forwarded_for","method":"$request_method","uri":"$request_uri","status":$status,'
    '"bytes_sent":$body_bytes_sent,"request_time":$request_time,"upstream_status":"$upstream_status","user_agent":"$http_user_agent"}';
  access_log ${l.logDir}/access.json defence;
  client_max_body_size ${o.maxRequestBodyBytes};

  # A 4xx that no upstream answered is the filter's (a ModSecurity block, a body it cannot parse, a
  # body over the limit): only then do the block headers get a value
  # (nginx leaves out a header whose value is empty), so the app's own 403s are not claimed.
  map "$status:$upstream_status" $defence_block { ~^4[0-9][0-9]:$ host; default ""; }
  map $defence_block $defence_block_request_id { host $request_id; default ""; }

  # The application listens on localhost only; this server is the only way in.
  upstream app {
    server ${l.appHost}:${o.appPort};
    keepalive 32;
  }

  server {
    listen ${l.listenAddress}:${o.listenPort} default_server;
    server_name _;

    # Every request, health checks included, goes through ModSecurity. If the rules
    # do not load, nginx does not start: the host fails its health check and gets no traffic.
    modsecurity on;
    modsecurity_rules_file ${l.configDir}/main.conf;
    modsecurity_transaction_id "$request_id";

    # A block names the layer and carries the request id (the audit log's unique_id). No error_page:
    # its internal redirect would start a new transaction and lose the matched rules from the audit log.
    add_header ${BLOCK_HEADER} $defence_block always;
    add_header x-request-id $defence_block_request_id always;

    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-Id $request_id;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # Only the filter names the layer that blocked: the app cannot claim (or fake) a block of the filter's.
      proxy_hide_header ${BLOCK_HEADER};
      proxy_hide_header x-request-id;
    }
  }
}
`;
}

function mainConf(o: ResolvedHostFilterOptions, l: FilterLayout): string {
  const rules = crsRuleFiles(o).map(f => `${l.configDir}/crs-rules/${f}`);
  const before949 = rules.filter(f => !/-(949|95\d)-/.test(f));
  const after = rules.filter(f => /-(949|95\d)-/.test(f));
  return HEADER + [
    'modsecurity.conf', 'crs-setup.conf', 'exclusions-before-crs.conf',
  ].map(f => `Include ${l.configDir}/${f}`).concat(
    before949.map(f => `Include ${f}`),
    // Custom rules run before the blocking evaluation, so scoring rules count.
    [`Include ${l.configDir}/custom-rules.conf`],
    after.map(f => `Include ${f}`),
    [`Include ${l.configDir}/exclusions-after-crs.conf`],
  ).join('\n') + '\n';
}

function modsecurityConf(o: ResolvedHostFilterOptions, l: FilterLayout): string {
  return `${HEADER}
SecRuleEngine ${o.detectionOnly ? 'DetectionOnly' : 'On'}

SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "@rx ^(?:application(?:/soap\\+|/)|text/)xml" \\
  "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" \\
  "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRequestBodyLimit ${o.maxRequestBodyBytes}
SecRequestBodyNoFilesLimit ${Math.min(o.maxRequestBodyBytes, 1_048_576)}
SecRequestBodyLimitAction Reject
SecRequestBodyJsonDepthLimit 512
SecArgumentsLimit 1000
SecRule &ARGS "@ge 1000" \\
  "id:200007,phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2"
SecRule REQBODY_ERROR "!@eq 0" \\
  "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" \\
  "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation'"
SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" \\
  "id:200004,phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'"

# A regular expression that hits the match limit fails closed (rule 200005 denies).
SecPcreMatchLimit 1000
SecPcreMatchLimitRecursion 1000
SecRule TX:/^MSC_/ "!@streq 0" \\
  "id:200005,phase:2,t:none,deny,msg:'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}'"

SecResponseBodyAccess ${o.inspectResponses ? 'On' : 'Off'}
SecResponseBodyMimeType text/plain text/html text/xml application/json
SecResponseBodyLimit 524288
SecResponseBodyLimitAction ProcessPartial

SecTmpDir ${l.runDir}
SecDataDir ${l.runDir}

# JSON audit log of relevant transactions (blocks and server errors).
SecAuditEngine ${l.auditEveryRequest ? 'On' : 'RelevantOnly'}
SecAuditLogRelevantStatus "^(?:5|4(?!04))"
SecAuditLogParts ABFHZ
SecAuditLogType Serial
SecAuditLogFormat JSON
SecAuditLog ${l.logDir}/modsec_audit.json

SecArgumentSeparator &
SecCookieFormat 0
SecUnicodeMapFile /etc/nginx/unicode.mapping 20127
SecStatusEngine Off
`;
}

/**
 * OWASP CRS 3.3.4's defaults, as REQUEST-901-INITIALIZATION sets them when crs-setup leaves a
 * variable unset. The rendered crs-setup sets every one in a single action, so the 21 rules of 901
 * that would test for each one on every request are left out of this filter's copy of the CRS.
 */
const CRS_334_DEFAULTS: Record<string, string> = {
  'tx.sampling_percentage': '100',
  'tx.critical_anomaly_score': '5',
  'tx.error_anomaly_score': '4',
  'tx.warning_anomaly_score': '3',
  'tx.notice_anomaly_score': '2',
  'tx.do_reput_block': '0',
  'tx.reput_block_duration': '300',
  'tx.allowed_request_content_type_charset': 'utf-8|iso-8859-1|iso-8859-15|windows-1252',
  'tx.allowed_http_versions': 'HTTP/1.0 HTTP/1.1 HTTP/2 HTTP/2.0',
  'tx.restricted_extensions': '.asa/ .asax/ .ascx/ .axd/ .backup/ .bak/ .bat/ .cdx/ .cer/ .cfg/ .cmd/ .com/ .config/ .conf/ .cs/ '
    + '.csproj/ .csr/ .dat/ .db/ .dbf/ .dll/ .dos/ .htr/ .htw/ .ida/ .idc/ .idq/ .inc/ .ini/ .key/ .licx/ .lnk/ .log/ .mdb/ .old/ '
    + '.pass/ .pdb/ .pol/ .printer/ .pwd/ .rdb/ .resources/ .resx/ .sql/ .swp/ .sys/ .vb/ .vbs/ .vbproj/ .vsdisco/ .webinfo/ .xsd/ .xsx/',
  'tx.restricted_headers': '/accept-charset/ /content-encoding/ /proxy/ /lock-token/ /content-range/ /if/',
  'tx.static_extensions': '/.jpg/ /.jpeg/ /.png/ /.gif/ /.js/ /.css/ /.ico/ /.svg/ /.webp/',
};

/**
 * The CRS rules this filter's copy leaves out, as an awk regex over rule ids, and why:
 * 901001 and 901100-901168 give a variable its default when crs-setup did not set it (it sets all);
 * 901400-901450 draw the sampling dice, and sampling is always 100 %;
 * 901318/901321 hash the User-Agent and open the IP and GLOBAL collections for IP reputation and
 * DoS protection (910, 912), which this filter does not load.
 * (Only unchained rules: dropping the head of a chain would leave its tail without an id.)
 */
const ALWAYS_DROPPED_RULES = '901001|9011[0-6][0-9]|9014[0-5]0|901318|901321';

/**
 * 949061-949063 and 959061-959063 add the paranoia level 2-4 scores to the blocking score when the
 * blocking paranoia level reaches them: above it they test a constant on every request.
 */
function scoreRulesAbove(paranoiaLevel: number): string[] {
  const levels = [1, 2, 3].filter(k => k >= paranoiaLevel);
  return levels.length ? [`9[45]906[${levels.join('')}]`] : [];
}

function crsSetup(o: ResolvedHostFilterOptions): string {
  const setvars = {
    'tx.crs_setup_version': '334',
    'tx.paranoia_level': `${o.paranoiaLevel}`,
    'tx.executing_paranoia_level': `${o.detectionParanoiaLevel}`,
    'tx.inbound_anomaly_score_threshold': `${o.inboundAnomalyThreshold}`,
    'tx.outbound_anomaly_score_threshold': `${o.outboundAnomalyThreshold}`,
    'tx.allowed_methods': o.allowedMethods.join(' '),
    'tx.allowed_request_content_type': o.allowedContentTypes.map(t => `|${t}|`).join(' '),
    // Bodies without a Content-Type are parsed as forms, so their arguments are inspected too.
    'tx.enforce_bodyproc_urlencoded': '1',
    ...CRS_334_DEFAULTS,
  };
  return `${HEADER}
# Anomaly scoring: rules add to a score, REQUEST-949 blocks at the threshold.
SecDefaultAction "phase:1,log,auditlog,pass"
SecDefaultAction "phase:2,log,auditlog,pass"

# Every CRS setting in one action (one rule evaluation per request instead of one per setting).
SecAction "id:900990,phase:1,nolog,pass,t:none,\\
${Object.entries(setvars).map(([k, v]) => `  setvar:'${k}=${v}'`).join(',\\\n')}"
`;
}

function exclusionsBefore(o: ResolvedHostFilterOptions): string {
  const lines = [HEADER,
    '# Health checks go through the filter; load balancers send the host\'s IP address as Host (rule 920350).',
    `SecRule REQUEST_FILENAME "@streq ${o.healthCheckPath}" "id:1001,phase:1,pass,nolog,ctl:ruleRemoveById=920350"`];
  o.exclusions.forEach((e, i) => {
    if (e.pathPrefix === undefined) return;
    const ctl = e.ruleIds.map(id => (e.parameter ? `ctl:ruleRemoveTargetById=${id};ARGS:${e.parameter}` : `ctl:ruleRemoveById=${id}`));
    lines.push('', `# ${oneLine(e.reason)}`,
      `SecRule REQUEST_FILENAME "@beginsWith ${e.pathPrefix}" "id:${1100 + i},phase:1,pass,nolog,${ctl.join(',')}"`);
  });
  return lines.join('\n') + '\n';
}

function exclusionsAfter(o: ResolvedHostFilterOptions, l: FilterLayout): string {
  const lines = [HEADER];
  if (o.profile === HostFilterProfile.FORUM) {
    // libmodsecurity3 takes one id per SecRuleUpdateTargetById: prepare-crs.sh lists the groups' ids.
    lines.push('# FORUM profile: posts may hold code; their fields skip the code-injection rule groups.',
      `Include ${l.configDir}/crs-rules/code-field-exclusions.conf`);
  }
  for (const e of o.exclusions) {
    if (e.pathPrefix !== undefined || e.parameter === undefined) continue;
    lines.push('', `# ${oneLine(e.reason)}`, ...e.ruleIds.map(id => `SecRuleUpdateTargetById ${id} "!ARGS:${e.parameter}"`));
  }
  return lines.join('\n') + '\n';
}

function customRules(o: ResolvedHostFilterOptions): string {
  const act: Record<CustomRuleAction, string> = {
    [CustomRuleAction.BLOCK]: 'deny,status:403,log',
    [CustomRuleAction.SCORE]: 'pass,log,severity:CRITICAL,setvar:\'tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}\'',
    [CustomRuleAction.LOG]: 'pass,log',
  };
  return HEADER + o.customRules.map(r =>
    `SecRule ${r.variables} "@rx ${r.pattern.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}" \\\n`
    + `  "id:${r.id},phase:${r.phase},${act[r.action]},msg:'${r.message}',tag:'custom'"`).join('\n\n') + '\n';
}

function prepareCrs(o: ResolvedHostFilterOptions): string {
  return `#!/bin/sh
# Rendered by cdk-defence-in-depth (HostFilter). Derives this filter's copy of the
# OWASP CRS 3.3.4 rules from Debian's modsecurity-crs package: the rule files in
# use, without the sections of paranoia levels above ${o.detectionParanoiaLevel} (their rules would be
# skipped on every request anyway, at a cost) and without the IP/GLOBAL collection set-up that only
# the rule files left out use. Detection is unchanged.
set -eu
SRC=\${CRS_RULES:-${DEBIAN_CRS_RULES}}
DEST="$(cd "$(dirname "$0")" && pwd)/crs-rules"
if ! grep -q "OWASP_CRS/3.3.4" "$SRC/REQUEST-901-INITIALIZATION.conf" 2>/dev/null; then
  echo "OWASP CRS 3.3.4 not found in $SRC: apt-get install modsecurity-crs (Debian 12)" >&2
  exit 1
fi
rm -rf "$DEST"
mkdir -p "$DEST"
for f in ${crsRuleFiles(o).join(' ')}; do
  awk -v PL=${o.detectionParanoiaLevel} '
    # A block is one directive with its backslash-continued lines (or one comment or blank line).
    { block = block $0 "\\n" }
    /\\\\$/ { next }
    {
      if (block ~ /^SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt [0-9]"/) { n = substr(block, index(block, "@lt ") + 4, 1) + 0; if (n > PL) skip = 1 }
      if (block ~ /^SecMarker/) skip = 0
      # The paranoia level is never below 1: its "@lt 1" skip tests are dead weight on every request.
      if (block ~ /^SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 1"/) { block = ""; next }
      # Defaults crs-setup.conf already set, sampling (always 100 %), IP/GLOBAL collections, scores above the blocking level.${o.droppedRuleIds.length ? `
      # ${o.droppedRuleIds.join(', ')}: left out at paranoia level 1 for false positives (strictCrs keeps them).` : ''}
      if (!skip && block !~ /id:(${[ALWAYS_DROPPED_RULES, ...scoreRulesAbove(o.paranoiaLevel), ...o.droppedRuleIds].join('|')}),/) printf "%s", block
      block = ""
    }
  ' "$SRC/$f" > "$DEST/$f"
done
cp "$SRC"/*.data "$DEST"/
${o.profile === HostFilterProfile.FORUM ? codeFieldExclusions(o) : ''}`;
}

/** Shell lines that write one SecRuleUpdateTargetById per rule of the code-injection groups. */
function codeFieldExclusions(o: ResolvedHostFilterOptions): string {
  const targets = o.codeFields.map(f => `!ARGS:${f}`).join('|');
  return `# FORUM profile: the code fields skip every rule of groups ${CODE_RULE_GROUPS.join(', ')}.
for id in $(grep -ho 'id:\\(${CODE_RULE_GROUPS.join('\\|')}\\)[0-9][0-9][0-9]' "$DEST"/*.conf | cut -d: -f2 | sort -u); do
  echo "SecRuleUpdateTargetById $id \\"${targets}\\""
done > "$DEST/code-field-exclusions.conf"
`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
