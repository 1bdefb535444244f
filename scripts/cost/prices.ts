// The price table of the cost estimate printed by `npm run example`. Public
// on-demand list prices in USD, region us-east-1, without free tiers, savings plans or
// taxes. Update `asOf` whenever a figure changes.

export const PRICE_TABLE = {
  asOf: '2026-11-22',
  region: 'us-east-1 (eu-west-1 is the same for WAF and up to about 12 % higher for EC2, Fargate, NAT and load balancers)',
  source: 'AWS public pricing pages: aws.amazon.com/{waf, elasticloadbalancing, ec2/pricing/on-demand, vpc, fargate, lambda, cloudwatch, '
    + 'firehose, s3, kms, guardduty, cloudtrail and eventbridge (these two as of 2026-12-02)}/pricing, as known on that date and cross-checked '
    + 'against public price summaries of 2026 '
    + '(the pages themselves were not reachable from the build machine: check them before budgeting)',
} as const;

/** Hours in a month, as AWS's own calculator counts them. */
export const HOURS_PER_MONTH = 730;

export const PRICES = {
  waf: { webAclMonth: 5, ruleMonth: 1, perMillionRequests: 0.6 },
  alb: { hour: 0.0225, lcuHour: 0.008 },
  nlb: { hour: 0.0225, nlcuHour: 0.006 },
  ec2Hour: {
    't3.micro': 0.0104,
    't3.small': 0.0208,
    't3.medium': 0.0416,
    't3.large': 0.0832,
    'm5.large': 0.096,
    'm6i.large': 0.096,
    'c5.large': 0.085,
    'c6i.large': 0.085,
    'r5.large': 0.126,
  } as Record<string, number>,
  ebsGp3GbMonth: 0.08,
  /** Detailed monitoring: 7 one-minute metrics per instance at the first custom-metric tier. */
  detailedMonitoringInstanceMonth: 2.1,
  natGateway: { hour: 0.045, perGb: 0.045 },
  publicIpv4Hour: 0.005,
  trafficMirrorSessionHour: 0.015,
  fargate: { vcpuHour: 0.04048, gbHour: 0.004445 },
  lambda: { perMillionRequests: 0.2, gbSecond: 0.0000166667 },
  cloudwatch: {
    alarmMonth: 0.1,
    anomalyAlarmMonth: 0.3,
    compositeAlarmMonth: 0.5,
    dashboardMonth: 3,
    metricMonth: 0.3,
    logsIngestGb: 0.5,
    vendedLogsIngestGb: 0.5,
    logsStoreGbMonth: 0.03,
    contributorInsightsRuleMonth: 0.5,
  },
  firehosePerGb: 0.029,
  s3StandardGbMonth: 0.023,
  kmsKeyMonth: 1,
  /** GuardDuty Runtime Monitoring for ECS Fargate, per vCPU and month (first 500). */
  guardDutyFargateVcpuMonth: 1.5,
  /**
   * As of 2026-12-02, aws.amazon.com/cloudtrail/pricing as known (the page was not
   * reachable; the AWS price list's `PaidEventsRecorded` rate of 2025, $0.00002 an
   * event, agrees for additional copies). The first copy of the
   * management events of each region is free, whichever trail (an organization trail
   * included) records it; every further copy costs this. Log file validation digests
   * are not charged (their S3 objects are a few KB an hour). Data events and Insights
   * cost extra (not estimated, named in the notes when a trail selects them).
   */
  cloudTrail: {
    managementEventsFirstCopyPer100k: 0,
    managementEventsAdditionalCopyPer100k: 2,
    dataEventsPer100k: 0.1,
    insightsPer100kAnalysed: 0.35,
  },
  /**
   * As of 2026-12-02, aws.amazon.com/eventbridge/pricing as known: events that AWS services
   * put on the default bus, CloudTrail's "AWS API Call via CloudTrail" included, and
   * the rules matching them, are free; custom events cost $1.00 per million put.
   */
  eventBridge: { awsServiceEventsPerMillion: 0, ruleMonth: 0, customEventsPerMillion: 1 },
} as const;
