export * from './edge-filter-options';
export * from './managed-rule-group';
export * from './edge-filter';
