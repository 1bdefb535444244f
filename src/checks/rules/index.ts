import { EveryWebHostMirrored } from './every-web-host-mirrored';
import { GoingDarkAlarmPerControl } from './going-dark-alarm-per-control';
import { HeartbeatPerControl } from './heartbeat-per-control';
import { HostFilterEnforcing } from './host-filter-enforcing';
import { ImmutableArchive } from './immutable-archive';
import { NoAdminIngressFromInternet } from './no-admin-ingress-from-internet';
import { NoSharedDependency } from './no-shared-dependency';
import { RemoteLoggingPerLayer } from './remote-logging-per-layer';
import { DefenceRule } from './rule';
import { TamperWatchPerControl } from './tamper-watch-per-control';
import { WafNotCountOnly } from './waf-not-count-only';

/** Every rule of the defence-in-depth pack, in the order of RULES.md. */
export const ALL_RULES: DefenceRule[] = [
  new NoSharedDependency(),
  new RemoteLoggingPerLayer(),
  new ImmutableArchive(),
  new NoAdminIngressFromInternet(),
  new WafNotCountOnly(),
  new HostFilterEnforcing(),
  new HeartbeatPerControl(),
  new GoingDarkAlarmPerControl(),
  new TamperWatchPerControl(),
  new EveryWebHostMirrored(),
];
