export * from './defended-web-service';
export * from './service-front-door';
export * from './route-authentication';
// service-vpc.ts is internal (the default VPC's layout).
