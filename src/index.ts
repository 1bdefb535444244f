export * from './core';
export * from './archive';
export * from './checks';
