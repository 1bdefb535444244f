export * from './tamper-watch';
