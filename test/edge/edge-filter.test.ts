import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { LogArchive } from '../../src/archive';
import { DefenceInDepthChecks } from '../../src/checks';
import { analyseApp } from '../../src/checks/defence-analysis';
import { BotControlLevel, EdgeFilter, EdgeFilterProps, EdgeScope, ForwardedIpPosition, ManagedRuleGroup, WafLogFilter } from '../../src/edge';
import { HostFilter } from '../../src/host';
import { reportingApp } from '../helpers/isolation';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function edgeStack(props: EdgeFilterProps = {}, env: { account: string; region: string } | 'agnostic' = ENV, app: App = reportingApp()) {
  const stack = new Stack(app, 'Edge', { env: env === 'agnostic' ? undefined : env });
  const archive = new LogArchive(stack, 'Archive');
  const edge = new EdgeFilter(stack, 'Edge', { logDestination: archive, ...props });
  return { app, stack, edge, archive };
}

function rulesOf(template: Template): any[] {
  return (Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.Rules;
}

function ruleNamed(template: Template, name: string): any {
  const rule = rulesOf(template).find(r => r.Name === name);
  if (!rule) throw new Error(`no rule ${name} in ${rulesOf(template).map(r => r.Name).join(', ')}`);
  return rule;
}

const EDGE_BLOCK = (code: number, key: string) => ({
  Block: { CustomResponse: { ResponseCode: code, CustomResponseBodyKey: key, ResponseHeaders: [{ Name: 'x-defence-layer', Value: 'edge' }] } },
});

describe('EdgeFilter defaults', () => {
  const { stack, edge } = edgeStack();
  const template = Template.fromStack(stack);

  test('a REGIONAL web ACL in the edge layer that allows by default and blocks through its rules', () => {
    expect(edge.layerName).toBe('edge');
    template.hasResource('AWS::WAFv2::WebACL', {
      Metadata: Match.objectLike({ 'cdk-defence-in-depth:layer': 'edge' }),
      Properties: Match.objectLike({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } }),
    });
  });

  test('the four default AWS managed groups, not overridden to count; their blocking rules answer with the edge response', () => {
    const groups = rulesOf(template).filter(r => r.Statement.ManagedRuleGroupStatement);
    expect(groups.map(g => g.Statement.ManagedRuleGroupStatement.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet',
    ]);
    for (const g of groups) {
      expect(g.OverrideAction).toEqual({ None: {} });
      for (const o of g.Statement.ManagedRuleGroupStatement.RuleActionOverrides) expect(o.ActionToUse).toEqual(EDGE_BLOCK(403, 'blocked'));
    }
    const crs = groups[1].Statement.ManagedRuleGroupStatement;
    expect(crs.RuleActionOverrides.map((o: any) => o.Name)).toEqual(expect.arrayContaining(['SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'NoUserAgent_HEADER']));
    // The IP reputation group's DDoS list counts by default and is left alone.
    expect(groups[0].Statement.ManagedRuleGroupStatement.RuleActionOverrides.map((o: any) => o.Name)).not.toContain('AWSManagedIPDDoSList');
  });

  test('a global rate limit per IP (2,000 per 5 minutes) answering 429 with the layer header', () => {
    expect(ruleNamed(template, 'RateLimitPerIp')).toMatchObject({
      Statement: { RateBasedStatement: { Limit: 2000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' } },
      Action: EDGE_BLOCK(429, 'rate-limited'),
    });
  });

  test('decoy paths are blocked and labelled; decoy callers are quarantined through IP sets the ACL blocks', () => {
    const decoy = ruleNamed(template, 'DecoyPaths');
    expect(decoy.Action).toEqual(EDGE_BLOCK(403, 'blocked'));
    expect(decoy.RuleLabels).toEqual([{ Name: 'defence-in-depth:decoy' }]);
    const paths = decoy.Statement.OrStatement.Statements.map((s: any) => s.ByteMatchStatement.SearchString);
    expect(paths).toEqual(EdgeFilter.DEFAULT_DECOY_PATHS);
    expect(decoy.Statement.OrStatement.Statements[0].ByteMatchStatement.TextTransformations).toEqual([{ Priority: 0, Type: 'LOWERCASE' }]);
    const quarantine = ruleNamed(template, 'DecoyQuarantine');
    expect(quarantine.Statement.OrStatement.Statements).toHaveLength(6);
    expect(quarantine.Priority).toBeLessThan(decoy.Priority);
    template.resourceCountIs('AWS::WAFv2::IPSet', 6);
  });

  test('every rule and the ACL publish metrics and sampled requests', () => {
    for (const r of rulesOf(template)) expect(r.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
    template.hasResourceProperties('AWS::WAFv2::WebACL', { VisibilityConfig: Match.objectLike({ CloudWatchMetricsEnabled: true }) });
  });

  test('block bodies name the layer; priorities are unique and ordered', () => {
    const acl = (Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties;
    expect(JSON.parse(acl.CustomResponseBodies.blocked.Content)).toMatchObject({ blockedBy: 'edge' });
    const priorities = acl.Rules.map((r: any) => r.Priority);
    expect(priorities).toEqual([...priorities].sort((a: number, b: number) => a - b));
    expect(new Set(priorities).size).toBe(priorities.length);
  });

  test('capacity is computed from the rules (1,125 WCU of managed groups plus the custom rules)', () => {
    // 1,125 managed + 6 quarantine IP sets + 7 decoys x (2 + 10 LOWERCASE) + rate limit 2
    expect(edge.capacity).toBe(1125 + 6 + 7 * 12 + 2);
  });

  test('WAF logs go to the edge layer\'s own Firehose stream (aws-waf-logs-*), with authorization and cookie redacted', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: Match.stringLikeRegexp('^aws-waf-logs-'),
      ExtendedS3DestinationConfiguration: Match.objectLike({ Prefix: Match.stringLikeRegexp('^edge/waf/') }),
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
      LoggingFilter: Match.absent(),
    });
    template.hasResource('AWS::WAFv2::LoggingConfiguration', { Metadata: Match.objectLike({ 'cdk-defence-in-depth:layer': 'edge' }) });
  });

  test('the quarantine function reads the WAF log stream as its record processor, and may only touch the quarantine sets', () => {
    const stream = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0] as any;
    const processing = stream.Properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration;
    expect(processing.Enabled).toBe(true);
    expect(processing.Processors[0].Parameters[0]).toEqual({ ParameterName: 'LambdaArn', ParameterValue: { 'Fn::GetAtt': [expect.stringMatching(/DecoyQuarantineFunction/), 'Arn'] } });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', ReservedConcurrentExecutions: 5 });
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .find((p: any) => JSON.stringify(p.Properties.PolicyDocument).includes('wafv2:')) as any;
    expect(policy.Properties.PolicyDocument.Statement.map((x: any) => x.Action)).toEqual([['wafv2:GetIPSet', 'wafv2:UpdateIPSet'], ['logs:CreateLogStream', 'logs:PutLogEvents']]);
    expect(policy.Properties.PolicyDocument.Statement[0].Resource).toHaveLength(6);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'QuarantineFailures', Namespace: 'DefenceInDepth/Edge' });
  });

  test('warns when it protects nothing', () => {
    Annotations.fromStack(stack).hasWarning('/Edge/Edge', Match.stringLikeRegexp('associated with nothing'));
  });
});

describe('EdgeFilter options', () => {
  test('protects a load balancer; the association is a protection, not a dependency of the edge', () => {
    const { stack, edge, app } = edgeStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
    edge.protectLoadBalancer(alb);
    const template = Template.fromStack(stack);
    template.hasResource('AWS::WAFv2::WebACLAssociation', {
      Properties: { ResourceArn: { Ref: stack.getLogicalId(alb.node.defaultChild as any) }, WebACLArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
      Metadata: Match.objectLike({ 'cdk-defence-in-depth:protects': 'edge', 'cdk-defence-in-depth:layer': 'edge' }),
    });
    expect(Annotations.fromStack(stack).findWarning('/Edge/Edge', Match.stringLikeRegexp('associated with nothing'))).toHaveLength(0);
    app.synth();
  });

  test('path rate limits with methods and window; IP allow and deny lists split into IPv4 and IPv6 sets', () => {
    const { stack } = edgeStack({
      rateLimit: { limit: 500, evaluationWindow: Duration.minutes(1) },
      pathRateLimits: [{ name: 'login', limit: 20, pathPrefixes: ['/login', '/api/auth/'], methods: ['POST'], evaluationWindow: Duration.minutes(10) }],
      ipDenyList: ['203.0.113.0/24', '2001:db8::/32'],
      ipAllowList: ['198.51.100.0/24'],
    });
    const t = Template.fromStack(stack);
    expect(ruleNamed(t, 'RateLimitPerIp').Statement.RateBasedStatement).toMatchObject({ Limit: 500, EvaluationWindowSec: 60 });
    const login = ruleNamed(t, 'RateLimit-login').Statement.RateBasedStatement;
    expect(login).toMatchObject({ Limit: 20, EvaluationWindowSec: 600, AggregateKeyType: 'IP' });
    expect(login.ScopeDownStatement.AndStatement.Statements[0].OrStatement.Statements.map((s: any) => s.ByteMatchStatement.SearchString)).toEqual(['/login', '/api/auth/']);
    expect(login.ScopeDownStatement.AndStatement.Statements[1].ByteMatchStatement).toMatchObject({ SearchString: 'POST', FieldToMatch: { Method: {} } });
    t.hasResourceProperties('AWS::WAFv2::IPSet', { IPAddressVersion: 'IPV4', Addresses: ['203.0.113.0/24'] });
    t.hasResourceProperties('AWS::WAFv2::IPSet', { IPAddressVersion: 'IPV6', Addresses: ['2001:db8::/32'] });
    t.hasResourceProperties('AWS::WAFv2::IPSet', { IPAddressVersion: 'IPV4', Addresses: ['198.51.100.0/24'] });
    expect(ruleNamed(t, 'IpAllowList').Statement.NotStatement.Statement.IPSetReferenceStatement).toBeDefined();
    expect(ruleNamed(t, 'IpDenyList').Statement.OrStatement.Statements).toHaveLength(2);
  });

  test('geo rules, body size, allowlisting mode', () => {
    const { stack } = edgeStack({
      blockedCountries: ['KP', 'IR'],
      maxBodySize: Size.kibibytes(8),
      allowedRoutes: [{ pathPrefix: '/api/', methods: ['GET', 'POST'] }, { pathPrefix: '/health', exact: true }],
    });
    const t = Template.fromStack(stack);
    expect(ruleNamed(t, 'BlockedCountries').Statement.GeoMatchStatement.CountryCodes).toEqual(['KP', 'IR']);
    expect(ruleNamed(t, 'MaxBodySize')).toMatchObject({
      Statement: { SizeConstraintStatement: { FieldToMatch: { Body: { OversizeHandling: 'MATCH' } }, ComparisonOperator: 'GT', Size: 8192 } },
      Action: EDGE_BLOCK(413, 'too-large'),
    });
    const routes = ruleNamed(t, 'AllowedRoutesOnly').Statement.NotStatement.Statement.OrStatement.Statements;
    expect(routes[0].AndStatement.Statements[0].ByteMatchStatement).toMatchObject({ SearchString: '/api/', PositionalConstraint: 'STARTS_WITH' });
    expect(routes[1].AndStatement.Statements[0].ByteMatchStatement).toMatchObject({ SearchString: '/health', PositionalConstraint: 'EXACTLY' });
    expect(routes[1].AndStatement.Statements[1].OrStatement.Statements.map((s: any) => s.ByteMatchStatement.SearchString)).toEqual(['GET', 'HEAD']);
  });

  test('allowed countries only', () => {
    const { stack } = edgeStack({ allowedCountries: ['DE', 'FR'] });
    expect(ruleNamed(Template.fromStack(stack), 'AllowedCountriesOnly').Statement.NotStatement.Statement.GeoMatchStatement.CountryCodes).toEqual(['DE', 'FR']);
  });

  test('behind a proxy: every IP rule reads the forwarded header, and requests without it are blocked', () => {
    const { stack } = edgeStack({
      forwardedIp: { headerName: 'X-Forwarded-For', position: ForwardedIpPosition.LAST },
      ipDenyList: ['203.0.113.7/32'],
      blockedCountries: ['KP'],
    });
    const t = Template.fromStack(stack);
    expect(rulesOf(t)[0]).toMatchObject({
      Name: 'ForwardedIpHeaderRequired',
      Statement: { NotStatement: { Statement: { SizeConstraintStatement: { FieldToMatch: { SingleHeader: { Name: 'x-forwarded-for' } }, ComparisonOperator: 'GT', Size: 0 } } } },
    });
    expect(ruleNamed(t, 'IpDenyList').Statement.IPSetReferenceStatement.IPSetForwardedIPConfig)
      .toEqual({ HeaderName: 'X-Forwarded-For', Position: 'LAST', FallbackBehavior: 'MATCH' });
    expect(ruleNamed(t, 'RateLimitPerIp').Statement.RateBasedStatement).toMatchObject({
      AggregateKeyType: 'FORWARDED_IP', ForwardedIPConfig: { HeaderName: 'X-Forwarded-For', FallbackBehavior: 'MATCH' },
    });
    expect(ruleNamed(t, 'BlockedCountries').Statement.GeoMatchStatement.ForwardedIPConfig).toEqual({ HeaderName: 'X-Forwarded-For', FallbackBehavior: 'MATCH' });
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Environment?.Variables?.QUARANTINE_CONFIG) as any;
    expect(JSON.stringify(fn.Properties.Environment.Variables.QUARANTINE_CONFIG)).toContain('\\"forwardedIpHeader\\":\\"x-forwarded-for\\"');
  });

  test('optional groups, pinned versions, excluded rules (counted, not overridden to block), Bot Control level', () => {
    const { stack, edge } = edgeStack({
      managedRuleGroups: [
        ManagedRuleGroup.coreRuleSet({ version: 'Version_1.19', excludedRules: ['SizeRestrictions_BODY'] }),
        ManagedRuleGroup.linux(), ManagedRuleGroup.posix(), ManagedRuleGroup.anonymousIpList(),
        ManagedRuleGroup.botControl(BotControlLevel.TARGETED),
      ],
    });
    const t = Template.fromStack(stack);
    const crs = ruleNamed(t, 'AWS-AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement;
    expect(crs.Version).toBe('Version_1.19');
    expect(crs.RuleActionOverrides.filter((o: any) => o.Name === 'SizeRestrictions_BODY')).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    const bot = ruleNamed(t, 'AWS-AWSManagedRulesBotControlRuleSet').Statement.ManagedRuleGroupStatement;
    expect(bot.ManagedRuleGroupConfigs).toEqual([{ AWSManagedRulesBotControlRuleSet: { InspectionLevel: 'TARGETED' } }]);
    expect(edge.capacity).toBe(700 + 200 + 100 + 50 + 50 + 6 + 84 + 2);
    Annotations.fromStack(stack).hasInfo('/Edge/Edge', Match.stringLikeRegexp('AWSManagedRulesBotControlRuleSet costs extra'));
  });

  test('a custom vendor group with its capacity; above 1,500 WCU a cost warning', () => {
    const { stack, edge } = edgeStack({
      managedRuleGroups: [...ManagedRuleGroup.defaults(), ManagedRuleGroup.of({ vendorName: 'Vendor', name: 'Group', capacity: 1000, blockingRules: ['R1'] })],
    });
    expect(edge.capacity).toBeGreaterThan(1500);
    Annotations.fromStack(stack).hasWarning('/Edge/Edge', Match.stringLikeRegexp('charges more'));
    expect(ruleNamed(Template.fromStack(stack), 'Vendor-Group').Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'R1', ActionToUse: EDGE_BLOCK(403, 'blocked') },
    ]);
  });

  test('decoys without quarantine deploy no function and need no log destination', () => {
    const app = reportingApp();
    const stack = new Stack(app, 'S', { env: ENV });
    new EdgeFilter(stack, 'Edge', { decoys: { paths: ['/.env'], quarantine: Duration.minutes(0) } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Lambda::Function', 0);
    t.resourceCountIs('AWS::WAFv2::IPSet', 0);
    expect(ruleNamed(t, 'DecoyPaths')).toBeDefined();
  });

  test('ACTED_ON_ONLY log filter keeps blocked and counted requests only', () => {
    const { stack } = edgeStack({ logFilter: WafLogFilter.ACTED_ON_ONLY, redactedHeaders: ['Authorization', 'x-api-key'] });
    Template.fromStack(stack).hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'x-api-key' } }],
      LoggingFilter: { DefaultBehavior: 'DROP', Filters: [Match.objectLike({ Behavior: 'KEEP', Requirement: 'MEETS_ANY' })] },
    });
  });

  test('CLOUDFRONT scope in us-east-1; an env-agnostic stack gets a template rule that refuses other regions', () => {
    const { stack, edge } = edgeStack({ scope: EdgeScope.CLOUDFRONT }, { account: '111111111111', region: 'us-east-1' });
    Template.fromStack(stack).hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
    expect(() => edge.protect('X', 'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/a/b')).toThrow(/webAclId/);
    const agnostic = edgeStack({ scope: EdgeScope.CLOUDFRONT }, 'agnostic');
    const rules = Template.fromStack(agnostic.stack).toJSON().Rules;
    expect(JSON.stringify(rules)).toContain('us-east-1');
  });

  test('an existing web ACL: associated and logged, rule props refused, a warning says what is not checked', () => {
    const arn = 'arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/mine/0123-abcd';
    const { stack, edge } = edgeStack({ existingWebAclArn: arn });
    edge.protect('Api', 'arn:aws:apigateway:eu-west-1::/restapis/abc/stages/prod');
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: arn });
    t.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { ResourceArn: arn });
    Annotations.fromStack(stack).hasWarning('/Edge/Edge', Match.stringLikeRegexp('cannot check its rules'));
    expect(() => edgeStack({ existingWebAclArn: arn, ipDenyList: ['203.0.113.0/24'] })).toThrow(/ipDenyList: "set" is not allowed; allowed: nothing/);
  });
});

describe('EdgeFilter refuses bad input with the construct path, the prop, the value and what is allowed', () => {
  const cases: Array<[string, EdgeFilterProps, RegExp]> = [
    ['bad CIDR', { ipDenyList: ['203.0.113.0/33'] }, /ipDenyList\[0\]: "203.0.113.0\/33" is not allowed; allowed: an IPv4 or IPv6 CIDR/],
    ['bad IPv6', { ipAllowList: ['2001:db8:::1/64'] }, /ipAllowList\[0\]: "2001:db8:::1\/64" is not allowed/],
    ['octet out of range', { ipDenyList: ['256.1.1.1/32'] }, /ipDenyList\[0\]/],
    ['empty allow list', { ipAllowList: [] }, /ipAllowList: \[\] is not allowed; allowed: at least one CIDR/],
    ['limit too low', { rateLimit: { limit: 5 } }, /rateLimit.limit: 5 requests is not allowed; allowed: a whole number from 10 to 2000000000 requests/],
    ['limit too high', { rateLimit: { limit: 3_000_000_000 } }, /rateLimit.limit/],
    ['window', { rateLimit: { limit: 100, evaluationWindow: Duration.minutes(3) } }, /rateLimit.evaluationWindow: 180 seconds is not allowed; allowed: 1, 2, 5 or 10 minutes/],
    ['path limit without paths', { pathRateLimits: [{ name: 'x', limit: 10, pathPrefixes: [] }] }, /pathRateLimits\[0\].pathPrefixes/],
    ['duplicate path limit', { pathRateLimits: [{ name: 'x', limit: 10, pathPrefixes: ['/a'] }, { name: 'x', limit: 10, pathPrefixes: ['/b'] }] }, /pathRateLimits\[1\].name: "x"/],
    ['path without slash', { allowedRoutes: [{ pathPrefix: 'api' }] }, /allowedRoutes\[0\].pathPrefix: "api"/],
    ['lowercase method', { allowedRoutes: [{ pathPrefix: '/api', methods: ['get'] }] }, /allowedRoutes\[0\].methods\[0\]: "get"/],
    ['country', { blockedCountries: ['Germany'] }, /blockedCountries\[0\]: "Germany" is not allowed; allowed: an ISO 3166-1 alpha-2/],
    ['both geo lists', { blockedCountries: ['KP'], allowedCountries: ['DE'] }, /allowedCountries: \["DE"\] is not allowed; allowed: either allowedCountries or blockedCountries/],
    ['decoy in capitals', { decoys: { paths: ['/.ENV'] } }, /decoys.paths\[0\]: "\/.ENV" is not allowed; allowed: lowercase/],
    ['decoy root', { decoys: { paths: ['/'] } }, /decoys.paths\[0\]: "\/"/],
    ['decoy inside an allowed route', { allowedRoutes: [{ pathPrefix: '/.env' }] }, /decoys.paths: "\/.env" is not allowed; allowed: a decoy outside the allowed route/],
    ['quarantine too short', { decoys: { quarantine: Duration.minutes(1) } }, /decoys.quarantine: 60 seconds/],
    ['forwarded header', { forwardedIp: { headerName: 'X Forwarded' } }, /forwardedIp.headerName: "X Forwarded"/],
    ['duplicate group', { managedRuleGroups: [ManagedRuleGroup.coreRuleSet(), ManagedRuleGroup.coreRuleSet()] }, /managedRuleGroups\[1\]: "AWS\/AWSManagedRulesCommonRuleSet"/],
    ['capacity overflow', {
      managedRuleGroups: [...ManagedRuleGroup.defaults(), ManagedRuleGroup.of({ vendorName: 'V', name: 'Big', capacity: 4000 })],
    }, /managedRuleGroups: rules needing 5\d{3} WCU .* is not allowed; allowed: at most 5000 WCU/],
    ['body size', { maxBodySize: Size.bytes(0) }, /maxBodySize: 0 bytes/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => edgeStack(props)).toThrow(/Invalid configuration of 'Edge\/Edge'/);
    expect(() => edgeStack(props)).toThrow(message);
  });

  test('CLOUDFRONT scope outside us-east-1', () => {
    expect(() => edgeStack({ scope: EdgeScope.CLOUDFRONT })).toThrow(/scope: CLOUDFRONT in a stack of region eu-west-1 is not allowed; allowed: CLOUDFRONT only in a stack in us-east-1/);
  });

  test('quarantine without a log destination', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    expect(() => new EdgeFilter(stack, 'Edge')).toThrow(/logDestination: undefined is not allowed; allowed: a log destination when decoy callers are quarantined/);
  });

  test('protecting something a web ACL cannot protect', () => {
    const { edge } = edgeStack();
    expect(() => edge.protect('Bucket', 'arn:aws:s3:::my-bucket')).toThrow(/protect\(resourceArn\): "arn:aws:s3:::my-bucket" is not allowed/);
  });
});

describe('EdgeFilter and the policy pack', () => {
  test('cdk-nag AwsSolutions and NIST 800-53 R5: no finding on the edge layer (by-design ones acknowledged with reasons)', () => {
    const { app, stack, edge } = edgeStack({ pathRateLimits: [{ name: 'login', limit: 20, pathPrefixes: ['/login'] }], ipDenyList: ['203.0.113.0/24'] });
    app.synth();
    for (const pack of [new AwsSolutionsChecks(app), new NIST80053R5Checks(app)]) {
      const edgeFindings = pack.validateScope(stack).violations
        .filter(v => v.violatingResources.some(r => r.constructPath?.startsWith('Edge/Edge/')))
        .map(v => `${v.ruleName} ${v.violatingResources.map(r => r.constructPath).join(', ')}`);
      expect(edgeFindings).toEqual([]);
    }
    // The by-design findings are acknowledged on the function, each with its reason.
    const acks = edge.decoyQuarantineFunction!.node.metadata.filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map(m => m.data);
    const reasons = Object.fromEntries(acks.flatMap(a => Object.entries(a as object)).map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason]));
    expect(reasons['NIST.800.53.R5-LambdaInsideVPC']).toContain('shared by two layers');
    expect(reasons['NIST.800.53.R5-LambdaDLQ']).toContain('QuarantineFailures alarm');
  });

  test('with an alarm action, the quarantine alarm notifies instead of being acknowledged', () => {
    const { stack } = edgeStack({ alarmAction: { bind: () => ({ alarmActionArn: 'arn:aws:sns:eu-west-1:111111111111:security' }) } });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:111111111111:security'] });
  });

  test('edge and host layers behind one load balancer share nothing; the association is reported as a protection', () => {
    const app = reportingApp();
    const { stack, edge } = edgeStack({}, ENV, app);
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const host = new HostFilter(stack, 'Host', { logDestination: stack.node.findChild('Archive') as LogArchive });
    const hosts = host.addEc2Hosts('Web', { vpc });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
    alb.addListener('Http', { port: 80 }).addTargets('Hosts', { port: hosts.port, targets: [hosts.autoScalingGroup] });
    edge.protectLoadBalancer(alb);
    app.synth();
    const analysis = analyseApp(app);
    expect(analysis.isolation.shortCircuits.map(c => `${c.resource.path} [${c.layers}]`)).toEqual([]);
    expect(analysis.isolation.protections.map(p => `${p.layer} ${p.to.type}`)).toEqual(['edge AWS::ElasticLoadBalancingV2::LoadBalancer']);
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'defence-in-depth', 'report.json'), 'utf8'));
    expect(report.protections).toEqual([expect.objectContaining({ layer: 'edge', to: expect.objectContaining({ type: 'AWS::ElasticLoadBalancingV2::LoadBalancer' }) })]);
    expect(fs.readFileSync(path.join(app.outdir, 'defence-in-depth', 'report.md'), 'utf8')).toMatch(/-->\|protects\|/);
  });

  test('an edge that shares a resource with the host layer is still caught (protection is only the association)', () => {
    const app = reportingApp();
    const { stack, edge } = edgeStack({ ipDenyList: ['203.0.113.0/24'] }, ENV, app);
    const host = new HostFilter(stack, 'Host', {});
    // The host layer's log group granted to the edge's quarantine role: the host now depends on nothing of
    // the edge, but an edge resource reading the host's resource is a dependency of two layers.
    host.logGroup.grantWrite(edge.decoyQuarantineFunction!);
    app.synth();
    const circuits = analyseApp(app).isolation.shortCircuits.map(c => c.resource.path);
    expect(circuits).toContain('Edge/Host/Logs/Resource');
  });

  test('passes the defence-in-depth checks with a host layer: nothing shared, WAF not count-only, remote logging', () => {
    const app = reportingApp();
    const { stack, edge } = edgeStack({}, ENV, app);
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
    edge.protectLoadBalancer(alb);
    app.synth();
    const report = new DefenceInDepthChecks(app).validateScope(app);
    expect(report.violations.filter(v => /WafNotCountOnly|RemoteLoggingPerLayer|NoSharedDependency/.test(v.ruleName))).toEqual([]);
  });
});
