import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { LogArchive } from '../../src/archive';
import { DefenceInDepthChecks } from '../../src/checks';
import { CustomRuleAction, HostFilter, HostFilterProfile } from '../../src/host';
import { reportingApp } from '../helpers/isolation';

function stackWithHosts(props: ConstructorParameters<typeof HostFilter>[2] = {}, app: App = reportingApp()) {
  const stack = new Stack(app, 'Web', { env: { account: '111111111111', region: 'eu-west-1' } });
  const archive = new LogArchive(stack, 'Archive');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const filter = new HostFilter(stack, 'Host', { logDestination: archive, ...props });
  const hosts = filter.addEc2Hosts('Web', { vpc, appCommands: ['systemctl start my-app'] });
  return { app, stack, filter, hosts };
}

function userDataOf(template: Template): string {
  const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;
  const parts = lt.Properties.LaunchTemplateData.UserData['Fn::Base64'];
  return typeof parts === 'string' ? parts : parts['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '${token}')).join('');
}

describe('HostFilter on EC2', () => {
  const { stack, filter } = stackWithHosts();
  const template = Template.fromStack(stack);
  const userData = userDataOf(template);

  test('is the host layer, with its own log group shipped through its own delivery path', () => {
    expect(filter.layerName).toBe('host');
    template.hasResource('AWS::EC2::LaunchTemplate', { Metadata: { 'cdk-defence-in-depth:layer': 'host', 'cdk-defence-in-depth:host-filter': { ruleEngine: 'On', layer: 'host' } } });
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', { LogGroupName: { Ref: stack.getLogicalId(filter.logGroup.node.defaultChild as any) } });
  });

  test('official Debian 12 AMI, IMDSv2, encrypted root volume, SSM instead of SSH', () => {
    expect(JSON.stringify(template.toJSON().Parameters)).toContain('/aws/service/debian/release/12/latest/amd64');
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.absent(), GroupDescription: Match.stringLikeRegexp('no SSH') });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
  });

  test('user data installs the Debian packages, writes and validates the files, and fails closed', () => {
    expect(userData).toContain('apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs libtcmalloc-minimal4 nftables curl');
    expect(userData).toContain('rm -f /etc/nginx/sites-enabled/default');
    // nginx runs with tcmalloc preloaded, as in the sidecar, locally and in the benchmark.
    expect(userData).toContain('Environment=LD_PRELOAD=libtcmalloc_minimal.so.4');
    expect(userData).toContain('sh /etc/nginx/defence-in-depth/prepare-crs.sh');
    expect(userData).toMatch(/set -euxo pipefail[\s\S]*nginx -t -c \/etc\/nginx\/defence-in-depth\/nginx.conf[\s\S]*systemctl restart nginx[\s\S]*systemctl start my-app/);
    expect(userData).toContain('SecRuleEngine On');
    for (const name of Object.keys(filter.files)) expect(userData).toContain(`cat > /etc/nginx/defence-in-depth/${name} <<'DEFENCE_IN_DEPTH_EOF'`);
    // Only the filter reaches the app port; the filter listens on 80 for the load balancer.
    expect(userData).toContain('iifname != "lo" tcp dport 8080 drop');
    expect(filter.files['nginx.conf']).toContain('listen 0.0.0.0:80 default_server;');
    expect(filter.files['nginx.conf']).toContain('server 127.0.0.1:8080;');
  });

  test('the CloudWatch agent ships the access, audit and error logs to the host layer\'s log group', () => {
    expect(userData).toMatch(/"file_path":"\/var\/log\/nginx\/modsec_audit.json","log_group_name":"\$\{token\}"/);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ShipLogsToTheHostLayerLogGroup', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] })]) },
    });
  });

  test('passes the policy pack and the isolation check', () => {
    const { app } = stackWithHosts({}, reportingApp());
    app.synth();
    const report = new DefenceInDepthChecks(app).validateScope(app);
    expect(report.violations.filter(v => /HostFilterEnforcing|RemoteLoggingPerLayer|NoSharedDependency|NoAdminIngress/.test(v.ruleName))).toEqual([]);
  });
});

describe('HostFilter as a Fargate sidecar', () => {
  function task() {
    const stack = new Stack(reportingApp(), 'Svc');
    const filter = new HostFilter(stack, 'Host', { profile: HostFilterProfile.JSON_API, appPort: 3000, listenPort: 8080 });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    return { stack, filter, taskDefinition };
  }

  test('adds the filter container in front of the app: image from the rendered files, only the filter port, logs to the layer', () => {
    const { stack, filter, taskDefinition } = task();
    const app = taskDefinition.addContainer('App', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22') });
    filter.addSidecar(taskDefinition, { appContainer: app });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({
        Name: 'HostFilter',
        Essential: true,
        PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
        DependsOn: [{ Condition: 'START', ContainerName: 'App' }],
        LogConfiguration: Match.objectLike({ LogDriver: 'awslogs', Options: Match.objectLike({ 'awslogs-group': { Ref: stack.getLogicalId(filter.logGroup.node.defaultChild as any) } }) }),
      })]),
    });
    t.hasResource('AWS::ECS::TaskDefinition', { Metadata: Match.objectLike({ 'cdk-defence-in-depth:host-filter': { ruleEngine: 'On', layer: 'host' } }) });
  });

  test('the sidecar image is Debian 12 slim with the same packages, and its build fails if the files do not load', () => {
    const { sidecarDockerfile } = jest.requireActual('../../src/host/host-filter-sidecar');
    const dockerfile: string = sidecarDockerfile(8080);
    expect(dockerfile).toMatch(/^FROM debian:bookworm-slim$/m);
    expect(dockerfile).toContain('apt-get install -y --no-install-recommends nginx libnginx-mod-http-modsecurity modsecurity-crs');
    expect(dockerfile).toContain('nginx -t -c /etc/nginx/defence-in-depth/nginx.conf');
    expect(dockerfile).toMatch(/^ENV LD_PRELOAD=libtcmalloc_minimal.so.4$/m);
    const { filter } = task();
    expect(filter._render('container')['nginx.conf']).toContain('daemon off;');
    expect(filter.files['nginx.conf']).toContain('daemon on;');
  });

  test('refuses an app container that publishes a port of its own', () => {
    const { filter, taskDefinition } = task();
    const app = taskDefinition.addContainer('App', { image: ecs.ContainerImage.fromRegistry('nginx'), portMappings: [{ containerPort: 3000 }] });
    expect(() => filter.addSidecar(taskDefinition, { appContainer: app })).toThrow(/appContainer: 'Svc\/Task\/App' \(publishes ports 3000\) is not allowed; allowed: a container without port mappings/);
  });
});

describe('HostFilter props', () => {
  test('detectionOnly warns, and fails DefenceInDepth-HostFilterEnforcing', () => {
    const { app, stack } = stackWithHosts({ detectionOnly: true });
    Annotations.fromStack(stack).hasWarning('/Web/Host', Match.stringLikeRegexp('only logs \\(detectionOnly: true\\)'));
    app.synth();
    const v = new DefenceInDepthChecks(app).validateScope(app).violations.filter(x => x.ruleName === 'DefenceInDepth-HostFilterEnforcing');
    expect(v.map(x => x.violatingResources[0].constructPath)).toEqual(expect.arrayContaining([expect.stringMatching(/^Web\/Host\/Web\/LaunchTemplate/)]));
    expect(v[0].description).toMatch(/SecRuleEngine DetectionOnly/);
  });

  test('every bad prop is reported at once, with the construct path, the value and what is allowed', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => new HostFilter(stack, 'Host', {
      paranoiaLevel: 5,
      detectionParanoiaLevel: 1,
      inboundAnomalyThreshold: 0,
      allowedMethods: ['get'],
      allowedContentTypes: [],
      exclusions: [{ ruleIds: [42], reason: 'short' }, { pathPrefix: '/', ruleIds: [942100, 949110], reason: 'turns off blocking for the whole site' }],
      customRules: [
        { id: 10001, variables: 'ARGS', pattern: '(unclosed', message: 'bad regex' },
        { id: 10001, variables: 'ARGS" "id:1,ctl:ruleEngine=Off', pattern: 'x', message: 'injection attempt' },
        { id: 942100, variables: 'ARGS', pattern: 'x', message: 'it\'s mine', action: CustomRuleAction.LOG },
      ],
      listenPort: 8080,
      appPort: 8080,
    })).toThrow(new RegExp([
      "Invalid configuration of 'S/Host':",
      '  - paranoiaLevel: 5 is not allowed; allowed: a whole number from 1 to 4',
      '  - detectionParanoiaLevel: 1 is not allowed; allowed: at least paranoiaLevel \\(5\\)',
      '  - inboundAnomalyThreshold: 0 is not allowed',
      '  - allowedMethods\\[0\\]: "get" is not allowed; allowed: an HTTP method in capitals',
      '  - allowedContentTypes: "\\[\\]" is not allowed; allowed: at least one media type',
      '  - exclusions\\[0\\]: "neither pathPrefix nor parameter" is not allowed',
      '  - exclusions\\[0\\].ruleIds\\[0\\]: 42 is not allowed; allowed: a whole number from 900000 to 999999',
      '  - exclusions\\[0\\].reason: "short" is not allowed',
      '  - exclusions\\[1\\].ruleIds\\[1\\]: 949110 is not allowed; allowed: any rule but the blocking evaluation \\(949110, 949111, 959100, 959101\\)',
      '  - customRules\\[0\\].pattern: "\\(unclosed" \\(Invalid regular expression.*\\) is not allowed; allowed: a regular expression that compiles \\(a rule that cannot compile would never match: the filter would fail open\\)',
      '  - customRules\\[1\\].id: 10001 is not allowed; allowed: an id used by no other custom rule',
      '  - customRules\\[1\\].variables: .* is not allowed; allowed: ModSecurity variables',
      '  - customRules\\[2\\].id: 942100 is not allowed; allowed: a whole number from 10000 to 99999',
      "  - customRules\\[2\\].message: \"it's mine\" is not allowed",
      '  - appPort: 8080 is not allowed; allowed: a port other than listenPort \\(8080\\)',
    ].join('[\\s\\S]*')));
  });

  test('rendering is pure: the same props give the same files', () => {
    const props = { profile: HostFilterProfile.FORUM, paranoiaLevel: 2, customRules: [{ id: 12345, variables: 'ARGS:q', pattern: '^bad', message: 'bad' }] };
    const a = new HostFilter(new Stack(new App(), 'A'), 'Host', props).files;
    const b = new HostFilter(new Stack(new App(), 'B'), 'Host', props).files;
    expect(a).toEqual(b);
    expect(a['crs-setup.conf']).toContain("setvar:'tx.paranoia_level=2'");
    expect(a['custom-rules.conf']).toContain('SecRule ARGS:q "@rx ^bad"');
    expect(a['prepare-crs.sh']).toContain('code-field-exclusions.conf');
  });
});
