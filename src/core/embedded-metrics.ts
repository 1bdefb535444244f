/**
 * CloudWatch metrics from a Lambda handler through the embedded metric format:
 * one JSON log line, no API call, no permission. Shared code for the handlers
 * of every layer (each writes into its own log group, under its own namespace).
 */
export function emitMetrics(namespace: string, dimensions: Record<string, string>, values: Record<string, number>): void {
  console.log(JSON.stringify(metricsDocument(namespace, dimensions, values)));
}

/** The EMF document for `values` under `dimensions` (every value a count). */
export function metricsDocument(namespace: string, dimensions: Record<string, string>, values: Record<string, number>): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: [Object.keys(dimensions)],
        Metrics: Object.keys(values).map(name => ({ Name: name, Unit: 'Count' })),
      }],
    },
    ...dimensions,
    ...values,
  };
}
