export * from './heartbeat-check';
export * from './heartbeat';
export * from './going-dark-alarms';
export * from './defence-watch';
