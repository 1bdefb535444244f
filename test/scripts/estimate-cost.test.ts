import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { estimateMonthlyCost, OUTSIDE, STATED_TRAFFIC } from '../../scripts/cost/estimate';
import { HOURS_PER_MONTH, PRICES } from '../../scripts/cost/prices';
import { DefendedWebService, DefendedWebServiceProps } from '../../src';

// The cost estimate of `npm run example`: each line follows from the template and the price table.

const ENV = { account: '111111111111', region: 'eu-west-1' };

function estimate(props: Partial<DefendedWebServiceProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Service', { env: ENV });
  new DefendedWebService(stack, 'Web', {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:111111111111:certificate/abc'),
    domainName: 'app.example.com',
    ...props,
  });
  const template = app.synth().getStackByName('Service').template;
  const costs = estimateMonthlyCost([{ name: 'Service', template }]);
  const layer = (name: string) => costs.find(c => c.layer === name)!;
  const item = (name: string, what: RegExp) => layer(name).items.find(i => what.test(i.what))?.usd;
  return { template, costs, layer, item };
}

describe('estimated monthly cost of the minimal EC2 service', () => {
  const { template, costs, layer, item } = estimate();

  test('a row per layer and one for the network outside every layer, each the sum of its items', () => {
    expect(costs.map(c => c.layer)).toEqual(['archive', 'edge', 'host', 'monitor', 'watch', OUTSIDE]);
    for (const c of costs) expect(c.usd).toBeCloseTo(c.items.reduce((s, i) => s + i.usd, 0), 1);
  });

  test('edge: $5 per web ACL, $1 per rule, $0.60 per million requests', () => {
    const acl = Object.values<any>(template.Resources).find(r => r.Type === 'AWS::WAFv2::WebACL');
    expect(item('edge', /^web ACL \+ (\d+) rules$/)).toBe(5 + acl.Properties.Rules.length);
    expect(item('edge', /^WAF requests/)).toBeCloseTo(STATED_TRAFFIC.requestsPerMonth / 1e6 * 0.6, 2);
  });

  test('host: two t3.small web hosts (hours, 16 GB gp3, detailed monitoring) and the load balancer', () => {
    expect(item('host', /^2 × t3.small web hosts$/)).toBeCloseTo(2 * (0.0208 * HOURS_PER_MONTH + 16 * 0.08 + 2.1), 2);
    expect(item('host', /^application load balancer$/)).toBeGreaterThan(PRICES.alb.hour * HOURS_PER_MONTH);
  });

  test('monitor: a mirror session per web host, its sensors and its own NAT gateways', () => {
    expect(item('monitor', /^2 mirror sessions$/)).toBeCloseTo(2 * 0.015 * HOURS_PER_MONTH, 2);
    expect(item('monitor', /NAT gateways/)).toBeCloseTo(2 * (0.045 * HOURS_PER_MONTH + 0.045), 2);
    expect(layer('monitor').items.some(i => /× t3\.\w+ instances/.test(i.what))).toBe(true);
  });

  test('watch and archive: alarms, dashboard, keys; the archive stores the month\'s logs', () => {
    expect(item('watch', /^dashboard$/)).toBe(3);
    expect(item('watch', /^alarms$/)).toBeGreaterThan(28 * 0.1);
    expect(item('archive', /^archive storage, first month/)).toBeGreaterThan(0);
  });
});

test('on Fargate: tasks priced by vCPU and memory, GuardDuty Runtime Monitoring per vCPU, no mirror sessions', () => {
  const { item, layer } = estimate({
    fargate: { appImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'), cpu: 1024, memoryLimitMiB: 2048, desiredCount: 3 },
    monitor: { enableGuardDuty: true },
  });
  expect(item('host', /^3 Fargate tasks \(1 vCPU, 2 GiB\)$/)).toBeCloseTo(3 * HOURS_PER_MONTH * (0.04048 + 2 * 0.004445), 2);
  expect(item('monitor', /^GuardDuty$/)).toBeCloseTo(3 * 1.5, 2);
  expect(layer('monitor').items.some(i => /mirror sessions/.test(i.what))).toBe(false);
});

test('more traffic costs more, in the layers that see it', () => {
  const app = new App();
  const stack = new Stack(app, 'Service', { env: ENV });
  new DefendedWebService(stack, 'Web', { allowHttpOnlyForDemo: true });
  const template = app.synth().getStackByName('Service').template;
  const low = estimateMonthlyCost([{ name: 'S', template }], { requestsPerMonth: 1e6, kibPerRequest: 20 });
  const high = estimateMonthlyCost([{ name: 'S', template }], { requestsPerMonth: 1e8, kibPerRequest: 20 });
  const usd = (rows: typeof low, layer: string) => rows.find(r => r.layer === layer)!.usd;
  expect(usd(high, 'edge') - usd(low, 'edge')).toBeCloseTo(99 * 0.6 + 0.029 * (99e6 * 1.5) / (1024 * 1024), 0);
  expect(usd(high, 'host')).toBeGreaterThan(usd(low, 'host'));
  expect(usd(high, 'watch')).toBe(usd(low, 'watch'));
});
