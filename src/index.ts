export * from './core';
export * from './archive';
