export * from './defence-layer';
export * from './log-destination';
// validation-error.ts is internal: jsii cannot export subclasses of Error.
