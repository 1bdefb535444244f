export * from './log-archive';
export * from './log-delivery-path';
export * from './log-delivery-heartbeat';
