export * from './defended-web-service';
