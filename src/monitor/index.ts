export * from './traffic-monitor';
export * from './traffic-monitor-options';
// Internal: mirror-target.ts, sensor-fleet.ts, mirror-sessions.ts, web-tier-flow-logs.ts,
// exfiltration-alarms.ts and render/ are wired by TrafficMonitor and not part of the API.
