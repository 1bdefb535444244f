// Simulates the monitor layer's synthesized IAM policies with @cloud-copilot/iam-simulate (AGPL, dev
// dependency only): the mirroring function may create sessions only to the layer's target and filter
// for interfaces of the workload VPC, and delete only the sessions it tagged; the web hosts' own
// statements grant nothing on mirroring, the sensors or the monitor's functions.
import { runSimulation, Simulation } from '@cloud-copilot/iam-simulate';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LogArchive } from '../../src/archive';
import { HostFilter } from '../../src/host';
import { TrafficMonitor } from '../../src/monitor';
import { SESSION_TAG_TARGET } from '../../src/monitor/mirror-sessions.lambda';
import { reportingApp } from '../helpers/isolation';
import { PolicyDocument, TemplateResolver } from '../helpers/template-resolver';
import { workloadVpc } from '../helpers/workload-vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };
type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

function build() {
  const app = reportingApp();
  const stack = new Stack(app, 'Workload', { env: ENV });
  const vpc = workloadVpc(stack, false);
  const archive = new LogArchive(stack, 'Archive');
  const hosts = new HostFilter(stack, 'Host', { logDestination: archive }).addEc2Hosts('Web', { vpc, vpcSubnets: { subnetGroupName: 'web' } });
  const monitor = new TrafficMonitor(stack, 'Monitor', {
    vpc, webSubnets: { subnetGroupName: 'web' }, sensorSubnets: { subnetGroupName: 'sensors' }, logDestination: archive,
  });
  monitor.mirrorAutoScalingGroup(hosts.autoScalingGroup);
  const resolver = new TemplateResolver(Template.fromStack(stack).toJSON(), { account: ENV.account, region: ENV.region, stackName: stack.stackName });
  const id = (c: { node: { defaultChild?: unknown } } | CfnResource) =>
    stack.getLogicalId((CfnResource.isCfnResource(c) ? c : c.node.defaultChild) as CfnResource);
  return { stack, resolver, monitor, hosts, vpcId: resolver.resolveString(stack.resolve(vpc.vpcId)), id };
}

/** Every policy document attached to a role in the template (inline, AWS::IAM::Policy, customer managed). */
function policiesOf(resolver: TemplateResolver, roleLogicalId: string): PolicyDocument[] {
  const roleName = resolver.ref(roleLogicalId);
  const docs: PolicyDocument[] = [];
  for (const [, r] of Object.entries(resolver.resources)) {
    const p = r.Properties ?? {};
    const attached = ((p.Roles ?? []) as unknown[]).some(x => resolver.resolveString(x) === roleName);
    if ((r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && attached) {
      docs.push(resolver.resolve(p.PolicyDocument) as PolicyDocument);
    }
  }
  for (const inline of (resolver.resources[roleLogicalId].Properties?.Policies ?? []) as any[]) {
    docs.push(resolver.resolve(inline.PolicyDocument) as PolicyDocument);
  }
  return docs;
}

type Context = Record<string, string | string[]>;

async function decide(principal: string, policies: PolicyDocument[], action: string, resource: string, context: Context = {}): Promise<Decision> {
  const simulation: Simulation = {
    request: {
      principal,
      action,
      resource: { resource, accountId: ENV.account },
      contextVariables: { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': ENV.account, 'aws:SecureTransport': 'true', ...context },
    },
    identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType !== 'single') throw new Error(`simulation of ${action} on ${resource}: ${JSON.stringify((response as any).errors ?? response.resultType)}`);
  if ((response.result.ignoredContextKeys ?? []).length > 0) throw new Error(`the simulator dropped ${response.result.ignoredContextKeys} for ${action}`);
  return response.overallResult;
}

describe('IAM simulation of the monitor layer', () => {
  const { resolver, monitor, hosts, vpcId, id } = build();
  const targetId = resolver.ref(id(monitor.node.findChild('MirrorTarget').node.findChild('Target') as CfnResource));
  const filterId = resolver.ref(id(monitor.node.findChild('MirrorTarget').node.findChild('Filter') as CfnResource));
  const arn = (type: string, name: string) => `arn:aws:ec2:${ENV.region}:${ENV.account}:${type}/${name}`;
  const vpcArn = arn('vpc', vpcId);
  const mirrorRoleId = id(monitor.mirrorSessionsFunction.role!.node.defaultChild as CfnResource);
  const mirrorRole = { arn: resolver.getAtt(mirrorRoleId, 'Arn'), policies: policiesOf(resolver, mirrorRoleId) };
  const hostRoleId = id(hosts.role.node.defaultChild as CfnResource);
  const hostRole = { arn: resolver.getAtt(hostRoleId, 'Arn'), policies: policiesOf(resolver, hostRoleId) };

  test('the mirroring function: sessions only from interfaces of the workload VPC, to the layer\'s target and filter, tagged', async () => {
    const tag = { [`aws:RequestTag/${SESSION_TAG_TARGET}`]: targetId, 'aws:TagKeys': [SESSION_TAG_TARGET] };
    const decisions = {
      vpcInterface: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:CreateTrafficMirrorSession', arn('network-interface', 'eni-1'), { 'ec2:Vpc': vpcArn }),
      otherVpcInterface: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:CreateTrafficMirrorSession', arn('network-interface', 'eni-1'), { 'ec2:Vpc': arn('vpc', 'vpc-other') }),
      ownTarget: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:CreateTrafficMirrorSession', arn('traffic-mirror-target', targetId)),
      otherTarget: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:CreateTrafficMirrorSession', arn('traffic-mirror-target', 'tmt-attacker')),
      ownFilter: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:CreateTrafficMirrorSession', arn('traffic-mirror-filter', filterId)),
      taggedSession: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:CreateTrafficMirrorSession', arn('traffic-mirror-session', 'tms-new'), tag),
      untaggedSession: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:CreateTrafficMirrorSession', arn('traffic-mirror-session', 'tms-new'), { 'aws:TagKeys': [] }),
    };
    expect(decisions).toEqual({
      vpcInterface: 'Allowed',
      otherVpcInterface: 'ImplicitlyDenied',
      ownTarget: 'Allowed',
      otherTarget: 'ImplicitlyDenied',
      ownFilter: 'Allowed',
      taggedSession: 'Allowed',
      untaggedSession: 'ImplicitlyDenied',
    });
  });

  test('the mirroring function deletes only the sessions it tagged, and cannot change targets, filters or the sensors', async () => {
    const own = { [`aws:ResourceTag/${SESSION_TAG_TARGET}`]: targetId };
    const decisions = {
      deleteOwn: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:DeleteTrafficMirrorSession', arn('traffic-mirror-session', 'tms-1'), own),
      deleteOther: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:DeleteTrafficMirrorSession', arn('traffic-mirror-session', 'tms-2'), {}),
      deleteTarget: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:DeleteTrafficMirrorTarget', arn('traffic-mirror-target', targetId)),
      modifyFilter: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:ModifyTrafficMirrorFilterNetworkServices', arn('traffic-mirror-filter', filterId)),
      terminateSensor: await decide(mirrorRole.arn, mirrorRole.policies, 'ec2:TerminateInstances', arn('instance', 'i-sensor')),
    };
    expect(decisions).toEqual({
      deleteOwn: 'Allowed', deleteOther: 'ImplicitlyDenied', deleteTarget: 'ImplicitlyDenied', modifyFilter: 'ImplicitlyDenied', terminateSensor: 'ImplicitlyDenied',
    });
  });

  test('the web hosts\' own statements grant nothing on mirroring, the sensors or the monitor\'s function', async () => {
    // (The hosts' other policy is AWS's AmazonSSMManagedInstanceCore: SSM, ec2messages and ssmmessages only.)
    const fnArn = `arn:aws:lambda:${ENV.region}:${ENV.account}:function:mirror-sessions`;
    const decisions = {
      describeSessions: await decide(hostRole.arn, hostRole.policies, 'ec2:DescribeTrafficMirrorSessions', '*'),
      deleteSession: await decide(hostRole.arn, hostRole.policies, 'ec2:DeleteTrafficMirrorSession', arn('traffic-mirror-session', 'tms-1')),
      modifyFilterRule: await decide(hostRole.arn, hostRole.policies, 'ec2:ModifyTrafficMirrorFilterRule', arn('traffic-mirror-filter-rule', 'tmfr-1')),
      sensorCommand: await decide(hostRole.arn, hostRole.policies, 'ssm:SendCommand', arn('instance', 'i-sensor')),
      invokeMirroring: await decide(hostRole.arn, hostRole.policies, 'lambda:InvokeFunction', fnArn),
    };
    expect(decisions).toEqual({
      describeSessions: 'ImplicitlyDenied',
      deleteSession: 'ImplicitlyDenied',
      modifyFilterRule: 'ImplicitlyDenied',
      sensorCommand: 'ImplicitlyDenied',
      invokeMirroring: 'ImplicitlyDenied',
    });
  });
});
