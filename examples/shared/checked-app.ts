// How every example app is checked at synth: cdk-nag (AwsSolutions, NIST 800-53 R5),
// CloudFormation Guard's Control Tower rules and the library's own pack run as
// policy-validation plugins, so any unacknowledged finding fails `cdk synth`. The
// isolation check runs by itself and writes cdk.out/defence-in-depth/report.md.
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { DefenceInDepthChecks } from '../../src';

export function checkedApp(props: AppProps = {}): App {
  const app = new App({
    ...props,
    context: { '@aws-cdk/core:validationReportJson': true, ...placeholderLookups(), ...props.context },
  });
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new DefenceInDepthChecks(app),
    // The templates of a whole service are larger than Node's default 1 MB output buffer.
    new CfnGuardValidator({ controlTowerRulesEnabled: true, maxBuffer: 64 * 1024 * 1024 }),
  );
  return app;
}

/** Placeholder values: replace them with yours before `cdk deploy`. */
export const PLACEHOLDERS = {
  env: { account: '111111111111', region: 'eu-west-1' },
  workloadEnv: { account: '222222222222', region: 'eu-west-1' },
  domainName: 'app.example.com',
  certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/0d3c4c2e-1111-2222-3333-444455556666',
  alarmEmail: 'security@example.com',
};

/**
 * What `cdk synth` would look up in the placeholder accounts (their zones), so the
 * examples synthesize without AWS credentials. With real accounts, drop this:
 * the CLI looks the zones up and records them in cdk.context.json.
 */
function placeholderLookups(): Record<string, string[]> {
  const lookups: Record<string, string[]> = {};
  for (const env of [PLACEHOLDERS.env, PLACEHOLDERS.workloadEnv]) {
    lookups[`availability-zones:account=${env.account}:region=${env.region}`] = ['a', 'b', 'c'].map(z => `${env.region}${z}`);
  }
  return lookups;
}
