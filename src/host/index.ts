export * from './host-filter-options';
export * from './host-filter';
export { FilteredEc2Hosts, FilteredEc2HostsProps, HostFilterRuntime } from './filtered-ec2-hosts';
export { HostFilterSidecarProps } from './host-filter-sidecar';
// render/ and runtime/ are internal (the CLI and tests use them); jsii drops free functions.
