export * from './defence-in-depth-checks';
// The analysis, rules and report are internal: users meet them through DefenceLayer
// (synth-time check), DefenceInDepthChecks (pipelines) and the report files.
