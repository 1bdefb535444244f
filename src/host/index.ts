export * from './host-filter-options';
