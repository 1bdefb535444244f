export * from './host-filter-options';
export * from './host-filter';
export * from './filtered-ec2-hosts';
export * from './filtered-fargate-service';
// render/, runtime/, ec2-user-data.ts and host-filter-sidecar.ts are internal (the CLI and tests use them).
