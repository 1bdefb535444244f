import * as fs from 'fs';
import * as path from 'path';
import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { DefenceInDepthChecks } from '../../src/checks';
import { analyseApp } from '../../src/checks/defence-analysis';
import { DefendedWebService, DefendedWebServiceProps, ROUTE_NOT_ALLOWED_BODY, RouteAuthentication } from '../../src/service';
import { reportingApp } from '../helpers/isolation';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const CERT = 'arn:aws:acm:eu-west-1:111111111111:certificate/0d3c4c2e-1111-2222-3333-444455556666';
const TRUST_STORE = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:truststore/clients/0123456789abcdef';
const APP_IMAGE = 'public.ecr.aws/docker/library/httpd:2.4';

function service(props: (stack: Stack) => Partial<DefendedWebServiceProps>, app: App = reportingApp()) {
  const stack = new Stack(app, 'Service', { env: ENV });
  const web = new DefendedWebService(stack, 'Web', {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
    domainName: 'app.example.com',
    watch: { emails: ['security@example.com'] },
    ...props(stack),
  });
  return { app, stack, web };
}

/** No short circuit, no finding of the policy pack, nothing unacknowledged by cdk-nag AwsSolutions and NIST 800-53 R5. */
function expectNothingFound(app: App, stack: Stack): void {
  app.synth();
  expect(analyseApp(app).isolation.shortCircuits.map(c => c.resource.path)).toEqual([]);
  expect(new DefenceInDepthChecks(app).validateScope(app).violations.map(v => `${v.ruleName}: ${v.description}`)).toEqual([]);
  for (const pack of [new AwsSolutionsChecks(app), new NIST80053R5Checks(app)]) {
    expect(pack.validateScope(stack).violations.map(v => `${v.ruleName} ${v.violatingResources.map(r => r.constructPath).join(', ')}`)).toEqual([]);
  }
}

describe('DefendedWebService on Fargate: the filter as a sidecar, mirroring replaced by flow logs and GuardDuty', () => {
  const { app, stack, web } = service(() => ({
    fargate: { appImage: ecs.ContainerImage.fromRegistry(APP_IMAGE), desiredCount: 3 },
    monitor: { enableGuardDuty: true },
  }));
  const template = Template.fromStack(stack);

  test('no EC2 web hosts: a Fargate service of the host layer whose app publishes no port, behind the filter sidecar', () => {
    expect(web.hosts).toBeUndefined();
    expect(web.fargateService).toBeDefined();
    // The only Auto Scaling group left is the monitor's sensor fleet.
    expect(Object.keys(template.findResources('AWS::AutoScaling::AutoScalingGroup'))).toEqual([expect.stringMatching(/^WebMonitorSensors/)]);
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 3,
      LaunchType: 'FARGATE',
      EnableExecuteCommand: true,
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      LoadBalancers: [{ ContainerName: 'HostFilter', ContainerPort: web.host.listenPort, TargetGroupArn: Match.anyValue() }],
    });
    const task = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any;
    const containers = task.Properties.ContainerDefinitions;
    expect(containers.map((c: any) => [c.Name, c.PortMappings?.map((p: any) => p.ContainerPort) ?? []])).toEqual([['App', []], ['HostFilter', [web.host.listenPort]]]);
    expect(containers[1].DependsOn).toEqual([{ ContainerName: 'App', Condition: 'START' }]);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { TargetType: 'ip', Port: web.host.listenPort });
    // ECS Exec (SSM) is the only admin path, and its sessions are logged into the host layer's log group.
    template.hasResourceProperties('AWS::ECS::Cluster', {
      Configuration: { ExecuteCommandConfiguration: Match.objectLike({ Logging: 'OVERRIDE' }) },
    });
  });

  test('the tasks admit the load balancer and the host heartbeat on the filter port only', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties)
      .filter(p => JSON.stringify(p.GroupId).includes('WebService'));
    expect(ingress.map(p => [p.FromPort, p.ToPort, JSON.stringify(p.SourceSecurityGroupId).match(/FrontDoor|Heartbeat/)?.[0]]).sort())
      .toEqual([[80, 80, 'FrontDoor'], [80, 80, 'Heartbeat']]);
    // The host heartbeat finds the tasks through ECS (every running task of the service) and probes each on the filter port.
    const functions = JSON.stringify(template.findResources('AWS::Lambda::Function'));
    expect(functions).toMatch(/ecsService\\":\{\\"cluster\\":\\"",\{"Ref":"WebHostWebServiceCluster[0-9A-F]+"\},"\\",\\"service\\":\\"",\{"Fn::GetAtt":\["WebHostWebService[0-9A-F]+","Name"\]\}/);
  });

  test('the monitor layer says what covers the tasks instead of mirroring, and the report shows it', () => {
    Annotations.fromStack(stack).hasWarning('/Service/Web/Host/WebService/Service', Match.stringLikeRegexp('Traffic Mirroring cannot mirror it.*GuardDuty Runtime Monitoring'));
    template.resourceCountIs('AWS::GuardDuty::Detector', 1);
    app.synth();
    const report = fs.readFileSync(path.join(app.outdir, 'defence-in-depth', 'report.md'), 'utf-8');
    expect(report).toMatch(/## Monitoring coverage[\s\S]*AWS::ECS::Service.*Web\/Host\/WebService\/Service.*\| host \| monitor \| not mirrorable; The Fargate web service: the web tier's flow logs .* and GuardDuty Runtime Monitoring/);
  });

  test('isolation, the policy pack and cdk-nag (AwsSolutions, NIST 800-53 R5): nothing', () => {
    expectNothingFound(app, stack);
  });
});

describe('DefendedWebService routes: allowlisting and authentication on the load balancer, mutual TLS', () => {
  const { app, stack } = service(s => {
    const userPool = cognito.UserPool.fromUserPoolId(s, 'Pool', 'eu-west-1_abcdefghi');
    return {
      routes: [
        { pathPatterns: ['/', '/static/*'], methods: ['GET', 'HEAD'] },
        { pathPatterns: ['/api/*'], methods: ['GET', 'POST'], authentication: RouteAuthentication.jwt({ issuer: 'https://id.example.com', jwksEndpoint: 'https://id.example.com/jwks' }) },
        {
          pathPatterns: ['/admin/*'],
          authentication: RouteAuthentication.oidc({
            issuer: 'https://login.example.com',
            authorizationEndpoint: 'https://login.example.com/authorize',
            tokenEndpoint: 'https://login.example.com/token',
            userInfoEndpoint: 'https://login.example.com/userinfo',
            clientId: 'web',
            clientSecret: SecretValue.secretsManager('web/oidc'),
          }),
        },
        {
          pathPatterns: ['/account/*'],
          authentication: RouteAuthentication.cognito({
            userPool,
            userPoolClient: cognito.UserPoolClient.fromUserPoolClientId(s, 'Client', 'client123'),
            userPoolDomain: cognito.UserPoolDomain.fromDomainName(s, 'Domain', 'example-login'),
          }),
        },
      ],
      mutualTls: { trustStore: elbv2.TrustStore.fromTrustStoreArn(s, 'TrustStore', TRUST_STORE) },
    };
  });
  const template = Template.fromStack(stack);
  const rules = (port: number) => {
    const listener = Object.entries(template.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Port: port } }))[0][0];
    return Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'))
      .map((r: any) => r.Properties).filter(p => p.ListenerArn.Ref === listener)
      .sort((a, b) => a.Priority - b.Priority);
  };

  test('anything outside the routes gets 403 from the load balancer, with a body naming the layer', () => {
    for (const port of [443, 8443]) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: port,
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '403', ContentType: 'application/json', MessageBody: ROUTE_NOT_ALLOWED_BODY } }],
      });
    }
    expect(JSON.parse(ROUTE_NOT_ALLOWED_BODY).layer).toBe('host');
  });

  test('one rule per route with its paths and methods, authentication before forwarding; the heartbeats\' paths always forwarded', () => {
    const https = rules(443);
    const summary = https.map(r => [
      r.Priority,
      r.Conditions.map((c: any) => (c.PathPatternConfig?.Values ?? c.HttpRequestMethodConfig?.Values).join(',')).join(' '),
      r.Actions.map((a: any) => a.Type).join('>'),
    ]);
    expect(summary).toEqual([
      [1, '/ GET', 'forward'],
      [2, '/.well-known/defence-in-depth/monitor-canary GET', 'forward'],
      [10, '/,/static/* GET,HEAD', 'forward'],
      [20, '/api/* GET,POST', 'jwt-validation>forward'],
      [30, '/admin/*', 'authenticate-oidc>forward'],
      [40, '/account/*', 'authenticate-cognito>forward'],
    ]);
    expect(https[3].Actions[0].JwtValidationConfig).toEqual({ Issuer: 'https://id.example.com', JwksEndpoint: 'https://id.example.com/jwks' });
    expect(https[4].Actions[0].AuthenticateOidcConfig).toMatchObject({
      Issuer: 'https://login.example.com',
      ClientId: 'web',
      OnUnauthenticatedRequest: 'authenticate',
      Scope: 'openid',
      SessionTimeout: 28800,
      ClientSecret: '{{resolve:secretsmanager:web/oidc:SecretString:::}}',
    });
    expect(https[5].Actions[0].AuthenticateCognitoConfig).toMatchObject({ UserPoolClientId: 'client123', UserPoolDomain: 'example-login' });
    // The mutual-TLS listener carries the same allowlist.
    expect(rules(8443).map(r => r.Priority)).toEqual(https.map(r => r.Priority));
  });

  test('the mutual-TLS listener verifies client certificates against the trust store; 443 stays for the heartbeats', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 8443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      MutualAuthentication: { Mode: 'verify', TrustStoreArn: TRUST_STORE, IgnoreClientCertificateExpiry: false },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, MutualAuthentication: Match.absent() });
  });

  test('still no short circuit, no policy-pack finding and nothing unacknowledged for cdk-nag', () => {
    expectNothingFound(app, stack);
  });
});

describe('DefendedWebService options: invalid input names the prop, the value and what is allowed', () => {
  const jwt = RouteAuthentication.jwt({ issuer: 'https://id.example.com', jwksEndpoint: 'https://id.example.com/jwks' });
  const image = ecs.ContainerImage.fromRegistry(APP_IMAGE);
  const attempt = (props: Partial<DefendedWebServiceProps>, withCertificate = true) => () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    new DefendedWebService(stack, 'Web', withCertificate
      ? { certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT), domainName: 'app.example.com', ...props }
      : { allowHttpOnlyForDemo: true, ...props });
  };

  test('compute', () => {
    expect(attempt({ hosts: { minCapacity: 2 }, fargate: { appImage: image } })).toThrow(/hosts, fargate: both set is not allowed; allowed: one of them/);
    expect(attempt({ fargate: { appImage: image, cpu: 300 } })).toThrow(/cpu: 300 is not allowed; allowed: 256, 512, 1024, 2048, 4096/);
    expect(attempt({ fargate: { appImage: image, cpu: 256, memoryLimitMiB: 4096 } })).toThrow(/memoryLimitMiB: 4096 is not allowed; allowed: a Fargate size for cpu 256: 512, 1024, 2048/);
  });

  test('routes', () => {
    expect(attempt({ routes: [] })).toThrow(/routes: "0 routes" is not allowed; allowed: 1 to 90 routes/);
    expect(attempt({ routes: [{ pathPatterns: ['/a', '/b', '/c', '/d'], methods: ['GET', 'POST'] }] }))
      .toThrow(/routes\[0\]: "4 path patterns and 2 methods" is not allowed; allowed: at least one path pattern, and at most 5/);
    expect(attempt({ routes: [{ pathPatterns: ['api/*'] }] })).toThrow(/routes\[0\].pathPatterns: "api\/\*" is not allowed; allowed: a path starting with \//);
    expect(attempt({ routes: [{ pathPatterns: ['/'], methods: ['get'] }] })).toThrow(/routes\[0\].methods: "get" is not allowed; allowed: an upper-case HTTP method/);
    expect(attempt({ routes: [{ pathPatterns: ['/api/*'], authentication: jwt }] }, false))
      .toThrow(/routes\[0\].authentication: jwt without a certificate is not allowed; allowed: authentication on the HTTPS listener only/);
    const plain = RouteAuthentication.jwt({ issuer: 'http://id.example.com', jwksEndpoint: 'https://id.example.com/jwks' });
    expect(attempt({ routes: [{ pathPatterns: ['/api/*'], authentication: plain }] })).toThrow(/routes\[0\].authentication: "http:\/\/id.example.com" is not allowed; allowed: https URLs/);
    expect(attempt({ heartbeatPath: '/health/*' })).toThrow(/heartbeatPath: "\/health\/\*" is not allowed; allowed: a plain path/);
  });

  test('mutual TLS', () => {
    const trustStore = (s: Stack) => elbv2.TrustStore.fromTrustStoreArn(s, 'T', TRUST_STORE);
    expect(() => {
      const stack = new Stack(reportingApp(), 'S', { env: ENV });
      new DefendedWebService(stack, 'Web', { allowHttpOnlyForDemo: true, mutualTls: { trustStore: trustStore(stack) } });
    }).toThrow(/mutualTls: set without a certificate is not allowed; allowed: mutual TLS on an HTTPS listener/);
    expect(() => {
      const stack = new Stack(reportingApp(), 'S', { env: ENV });
      new DefendedWebService(stack, 'Web', {
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT), domainName: 'app.example.com', mutualTls: { trustStore: trustStore(stack), port: 443 },
      });
    }).toThrow(/mutualTls.port: 443 is not allowed; allowed: a port from 1 to 65535 other than 80 and 443/);
  });
});
