export * from './defence-layer';
export * from './isolation-metadata';
export * from './log-destination';
// validation-error.ts, metadata-aspect.ts and nag-acknowledgements.ts are internal:
// jsii cannot export subclasses of Error, and drops free functions.
export * from './heartbeat';
