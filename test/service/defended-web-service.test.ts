import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { LogArchive } from '../../src/archive';
import { DefenceInDepthChecks } from '../../src/checks';
import { analyseApp } from '../../src/checks/defence-analysis';
import { DefendedWebService, DefendedWebServiceProps } from '../../src/service';
import { reportingApp } from '../helpers/isolation';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const CERT = 'arn:aws:acm:eu-west-1:111111111111:certificate/0d3c4c2e-1111-2222-3333-444455556666';

function service(props: Partial<DefendedWebServiceProps> = {}, app: App = reportingApp()) {
  const stack = new Stack(app, 'Service', { env: ENV });
  const web = new DefendedWebService(stack, 'Web', {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
    domainName: 'app.example.com',
    watch: { emails: ['security@example.com'] },
    ...props,
  });
  return { app, stack, web };
}

describe('DefendedWebService with defaults', () => {
  const { app, stack, web } = service();
  const template = Template.fromStack(stack);

  test('every layer is a public property, each in its own layer', () => {
    expect([web.edge, web.host, web.monitor, web.watch, web.logDelivery].map(l => l.layerName)).toEqual(['edge', 'host', 'monitor', 'watch', 'archive']);
    expect(web.heartbeats.map(h => h.control)).toEqual(['edge', 'host', 'monitor', 'archive']);
    expect(web.endpoint).toBe('https://app.example.com');
  });

  test('HTTPS with a modern TLS policy, HTTP redirected, targets on the filter port with its health check', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', Certificates: [{ CertificateArn: CERT }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443', Protocol: 'HTTPS' }) })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: web.host.listenPort, HealthCheckPath: web.host.healthCheckPath });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  test('no administrative ingress: the hosts admit the load balancer and the host heartbeat on the filter port only; IMDSv2', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties)
      .filter(p => JSON.stringify(p.GroupId).includes('WebHosts'));
    const port = web.host.listenPort;
    expect(ingress.map(p => [p.FromPort, p.ToPort])).toEqual([[port, port], [port, port]]);
    // Every launch template (web hosts and sensors): IMDSv2 only, and credentials do not reach a hop further (a container).
    const templates = Object.values(template.findResources('AWS::EC2::LaunchTemplate')).map((r: any) => r.Properties.LaunchTemplateData.MetadataOptions);
    expect(templates).toHaveLength(2);
    for (const options of templates) expect(options).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
  });

  test('isolation: no short circuit across edge, host, monitor, watch and archive', () => {
    app.synth();
    const isolation = analyseApp(app).isolation;
    expect(isolation.shortCircuits.map(c => `${c.resource.type} ${c.resource.path} [${c.layers}]`)).toEqual([]);
  });

  test('the policy pack (DefenceInDepthChecks) finds nothing: remote logging, immutable archive, admin ingress, WAF, host filter, heartbeats, going dark', () => {
    app.synth();
    const report = new DefenceInDepthChecks(app).validateScope(app);
    expect(report.violations.map(v => `${v.ruleName}: ${v.description}`)).toEqual([]);
  });

  test('cdk-nag AwsSolutions and NIST 800-53 R5: nothing unacknowledged', () => {
    app.synth();
    for (const pack of [new AwsSolutionsChecks(app), new NIST80053R5Checks(app)]) {
      const findings = pack.validateScope(stack).violations.map(v => `${v.ruleName} ${v.violatingResources.map(r => r.constructPath).join(', ')}`);
      expect(findings).toEqual([]);
    }
  });
});

describe('DefendedWebService options and invalid input', () => {
  test('HTTP only for a demo: a warning, and the heartbeats probe the load balancer over HTTP', () => {
    const app = reportingApp();
    const stack = new Stack(app, 'Demo', { env: ENV });
    const web = new DefendedWebService(stack, 'Web', { allowHttpOnlyForDemo: true });
    expect(web.endpoint).toMatch(/^http:\/\/\$\{Token/);
    Annotations.fromStack(stack).hasWarning('/Demo/Web/FrontDoor', Match.stringLikeRegexp('plain HTTP'));
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTPS' }, 0);
    // The heartbeats address the load balancer by its DNS name: read-only observes, never a short circuit.
    app.synth();
    expect(analyseApp(app).isolation.shortCircuits.map(c => c.resource.path)).toEqual([]);
  });

  test('no certificate, a certificate without a domain name, a bad domain, a log destination passed to a layer', () => {
    const stack = new Stack(reportingApp(), 'S', { env: ENV });
    expect(() => new DefendedWebService(stack, 'A')).toThrow(/certificate: undefined is not allowed; allowed: a certificate for the HTTPS listener/);
    const cert = acm.Certificate.fromCertificateArn(stack, 'Cert', CERT);
    expect(() => new DefendedWebService(stack, 'B', { certificate: cert })).toThrow(/domainName: undefined \(with a certificate\)/);
    expect(() => new DefendedWebService(stack, 'C', { certificate: cert, domainName: 'App.Example' })).toThrow(/domainName: "App.Example" is not allowed/);
    const elsewhere = acm.Certificate.fromCertificateArn(stack, 'Elsewhere', CERT.replace(':eu-west-1:', ':us-east-1:'));
    expect(() => new DefendedWebService(stack, 'E', { certificate: elsewhere, domainName: 'app.example.com' }))
      .toThrow(/certificate: arn:aws:acm:us-east-1:.* \(in us-east-1\) is not allowed; allowed: a certificate of the load balancer's region, eu-west-1/);
    const other = LogArchive.fromArchiveAttributes(stack, 'Other', { bucketName: 'other-archive' });
    expect(() => new DefendedWebService(stack, 'D', { allowHttpOnlyForDemo: true, edge: { logDestination: other } }))
      .toThrow(/edge.logDestination: "set" is not allowed; allowed: nothing: the edge ships to the service's logArchive/);
  });

  test('layer props pass through: the edge\'s rate limit, the hosts\' capacity, the monitor\'s sensors', () => {
    const { stack } = service({ edge: { rateLimit: { limit: 500 } } as any, hosts: { minCapacity: 3 }, monitor: { sensors: { minCapacity: 2 } } });
    const template = Template.fromStack(stack);
    const asgs = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup')).map((r: any) => r.Properties.MinSize);
    expect(asgs.sort()).toEqual(['2', '3']);
    expect(JSON.stringify(template.findResources('AWS::WAFv2::WebACL'))).toContain('"Limit":500');
  });
});
