export * from './core';
export * from './archive';
export * from './checks';
export * from './host';
export * from './edge';
export * from './monitor';
export * from './heartbeat';
export * from './dashboard';
