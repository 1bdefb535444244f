import { DefenceRule, describe, RuleContext, RuleFinding } from './rule';

const BUCKET = 'AWS::S3::Bucket';

/** The buckets layers deliver their logs into cannot be rewritten. */
export class ImmutableArchive implements DefenceRule {
  public readonly id = 'ImmutableArchive';
  public readonly requirement = 'Every bucket that a layer delivers logs into has S3 Object Lock enabled with a default retention in COMPLIANCE mode of at least the minimum retention (365 days unless configured).';
  public readonly explanation = 'An attacker who gets into a layer tries to erase its tracks. Governance mode and short retentions can be lifted by a privileged principal; compliance mode cannot be lifted by anyone, root included.';
  public readonly fix = 'Use LogArchive with its defaults (Object Lock in COMPLIANCE mode, 365 days), or raise the retention to the minimum.';
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return [...new Set(archiveBuckets(ctx).filter(b => b.layer).map(b => b.layer!))].sort();
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const min = ctx.options.minimumRetentionDays;
    const findings: RuleFinding[] = [];
    for (const bucket of archiveBuckets(ctx)) {
      const p = bucket.properties;
      const retention = p.ObjectLockConfiguration?.Rule?.DefaultRetention;
      const days = typeof retention?.Days === 'number' ? retention.Days : typeof retention?.Years === 'number' ? retention.Years * 365 : undefined;
      const problems: string[] = [];
      if (p.ObjectLockEnabled !== true && p.ObjectLockEnabled !== 'true') problems.push('ObjectLockEnabled is not true');
      if (p.ObjectLockConfiguration?.ObjectLockEnabled !== 'Enabled') problems.push('ObjectLockConfiguration.ObjectLockEnabled is not "Enabled"');
      if (retention?.Mode !== 'COMPLIANCE') problems.push(`default retention mode is ${JSON.stringify(retention?.Mode ?? 'none')}, not "COMPLIANCE"`);
      if (days === undefined || days < min) problems.push(`default retention is ${days ?? 'not set'} days, less than the minimum of ${min} days`);
      if (problems.length > 0) {
        findings.push({
          resource: bucket,
          layers: bucket.layer ? [bucket.layer] : [],
          message: `${describe(bucket)} receives layers' logs but can be rewritten: ${problems.join('; ')}.`,
        });
      }
    }
    return findings;
  }
}

/** The buckets of the app that layers' delivery paths (and load balancers) write into. */
function archiveBuckets(ctx: RuleContext) {
  return [...new Set(ctx.isolation.deliveries.map(d => d.to).filter(n => n.type === BUCKET))];
}
