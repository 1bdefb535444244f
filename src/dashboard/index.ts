export * from './defence-dashboard';
