export * from './log-archive';
export * from './log-delivery-path';
