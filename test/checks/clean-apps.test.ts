import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { LogArchive } from '../../src/archive';
import { DefenceLayer } from '../../src/core';
import { buildLogArchiveExample } from '../fixtures/log-archive/example';
import { analyse, Analysed } from '../helpers/isolation';

// Apps whose layers are independent, or whose sharing is declared: no short
// circuit, and what was allowed shows up in the analysis.

const code = lambda.Code.fromInline('exports.handler = async () => {}');
const fn = (scope: Construct, id: string, props: Partial<lambda.FunctionProps> = {}) =>
  new lambda.Function(scope, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, ...props });
const expectClean = (r: Analysed) => {
  expect(r.summary).toEqual([]);
  // Not vacuous: the app has layers and they were analysed.
  expect(r.analysis.isolation.model.layers.length).toBeGreaterThanOrEqual(2);
};

describe('clean apps', () => {
  test('1. the log-archive example (archive and workload in two accounts): only own delivery edges into the archive', () => {
    const r = analyse(app => buildLogArchiveExample(app));
    expectClean(r);
    const deliveries = r.analysis.isolation.deliveries.map(d => `${d.layer} → ${d.to.path}`);
    expect(new Set(deliveries)).toEqual(new Set([
      ...['edge', 'host', 'watch'].map(l => `${l} → LogArchiveAccount/LogArchive/Archive/Bucket/Resource`),
      // The watch layer's trail names the archive key by its alias (derived from the bucket name) across accounts.
      'watch → LogArchiveAccount/LogArchive/KeyAlias/Resource',
    ]));
  });

  test('2. the same-account variant: delivery paths reach the archive bucket and key by reference', () => {
    const r = analyse(app => buildLogArchiveExample(app, { sameAccount: true }));
    expectClean(r);
    const targets = new Set(r.analysis.isolation.deliveries.map(d => d.to.type));
    expect(targets).toEqual(new Set(['AWS::S3::Bucket', 'AWS::KMS::Key']));
  });

  test('3. observes edge: a layer reads another layer\'s log group read-only, as declared', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const watch = new DefenceLayer(s, 'Watch', { layerName: 'watch' });
      const host = new DefenceLayer(s, 'Host', { layerName: 'host' });
      const heartbeat = new logs.LogGroup(host, 'Heartbeat');
      watch.observe(heartbeat, { reason: 'checks the host heartbeat is still logging' });
      const reader = fn(watch, 'Reader', { environment: { LOG_GROUP: heartbeat.logGroupName } });
      heartbeat.grant(reader, 'logs:FilterLogEvents', 'logs:DescribeLogStreams');
    });
    expectClean(r);
    const observes = r.analysis.isolation.observes.map(o => `${o.layer}: ${o.from.path} → ${o.to.path} (${o.reason})`);
    expect(observes).toEqual(expect.arrayContaining([
      'watch: S/Watch/Reader/Resource → S/Host/Heartbeat/Resource (checks the host heartbeat is still logging)',
      'watch: S/Watch/Reader/ServiceRole/DefaultPolicy/Resource → S/Host/Heartbeat/Resource (checks the host heartbeat is still logging)',
    ]));
  });

  test('4. exemption: a topic both layers page through, allowed with a reason', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const topic = new sns.Topic(s, 'Pager');
      DefenceLayer.allowShared(topic, { reason: 'paging is best effort; each layer also alarms on its own' });
      for (const name of ['edge', 'host']) {
        topic.grantPublish(new iam.Role(new DefenceLayer(s, name, { layerName: name }), 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
      }
    });
    expectClean(r);
    expect(r.analysis.isolation.exemptions.map(e => [e.resource.path, e.sharedBy, e.reason, e.builtIn])).toEqual([
      ['S/Pager/Resource', ['edge', 'host'], 'paging is best effort; each layer also alarms on its own', false],
    ]);
  });

  test('5. unrelated stacks, one layer each', () => {
    const r = analyse(app => {
      for (const name of ['edge', 'host']) {
        const s = new Stack(app, name);
        const layer = new DefenceLayer(s, 'Layer', { layerName: name });
        new s3.Bucket(layer, 'Data').grantRead(fn(layer, 'Fn'));
      }
    });
    expectClean(r);
  });

  test('6. one layer across two stacks, with cross-stack references inside the layer', () => {
    const r = analyse(app => {
      const one = new Stack(app, 'One');
      const two = new Stack(app, 'Two');
      const bucket = new s3.Bucket(new DefenceLayer(one, 'Edge', { layerName: 'edge' }), 'Data');
      fn(new DefenceLayer(two, 'Edge', { layerName: 'edge' }), 'Fn', { environment: { B: bucket.bucketName } });
      new sns.Topic(new DefenceLayer(two, 'Host', { layerName: 'host' }), 'Topic');
    });
    expectClean(r);
  });

  test('7. a resource outside every layer used by one layer only', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      fn(new DefenceLayer(s, 'Edge', { layerName: 'edge' }), 'Fn', { role });
      fn(new DefenceLayer(s, 'Host', { layerName: 'host' }), 'Fn');
    });
    expectClean(r);
  });

  test('8. a Deny statement naming another layer\'s bucket protects, it is no dependency', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const bucket = new s3.Bucket(new DefenceLayer(s, 'Edge', { layerName: 'edge' }), 'Data');
      new iam.Role(new DefenceLayer(s, 'Host', { layerName: 'host' }), 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') })
        .addToPolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:*'], resources: [bucket.arnForObjects('*')] }));
    });
    expectClean(r);
  });

  test('9. the VPC every layer lives in is built in; separate subnets and security groups are clean', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const vpc = new ec2.CfnVPC(s, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      ['edge', 'host'].forEach((name, i) => {
        const layer = new DefenceLayer(s, name, { layerName: name });
        const subnet = new ec2.CfnSubnet(layer, 'Subnet', { vpcId: vpc.ref, cidrBlock: `10.0.${i}.0/24` });
        const sg = new ec2.CfnSecurityGroup(layer, 'Sg', { vpcId: vpc.ref, groupDescription: name });
        new ec2.CfnInstance(layer, 'Host', { imageId: 'ami-12345678', subnetId: subnet.ref, securityGroupIds: [sg.attrGroupId] });
      });
    });
    expectClean(r);
    expect(r.analysis.isolation.exemptions.map(e => [e.resource.type, e.sharedBy, e.builtIn])).toEqual([['AWS::EC2::VPC', ['edge', 'host'], true]]);
  });

  test('10. AWS public SSM parameters (latest AMI) are not the app\'s dependencies', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      for (const name of ['edge', 'host']) {
        const layer = new DefenceLayer(s, name, { layerName: name });
        const ami = ssm.StringParameter.valueForStringParameter(layer, '/aws/service/debian/release/12/latest/amd64');
        new ec2.CfnLaunchTemplate(layer, 'Template', { launchTemplateData: { imageId: ami } });
      }
    });
    expectClean(r);
  });

  test('11. an exemption of a whole subtree, limited to the layers that share it', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const shared = new Construct(s, 'SharedConfig');
      const bucket = new s3.Bucket(shared, 'Config');
      DefenceLayer.allowShared(shared, { reason: 'read-only configuration, versioned, replaced by deployment only', layers: ['edge', 'host'] });
      for (const name of ['edge', 'host']) bucket.grantRead(fn(new DefenceLayer(s, name, { layerName: name }), 'Fn'));
    });
    expectClean(r);
    expect(r.analysis.isolation.exemptions.map(e => e.resource.path)).toContain('S/SharedConfig/Config/Resource');
  });

  test('12. an ARN naming a topic of the same name in another account is not this app\'s topic', () => {
    const r = analyse(app => {
      const one = new Stack(app, 'One', { env: { account: '111111111111', region: 'eu-west-1' } });
      const two = new Stack(app, 'Two', { env: { account: '222222222222', region: 'eu-west-1' } });
      new sns.Topic(new DefenceLayer(one, 'Edge', { layerName: 'edge' }), 'Alerts', { topicName: 'alerts' });
      new iam.Role(new DefenceLayer(two, 'Host', { layerName: 'host' }), 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') })
        .addToPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['arn:aws:sns:eu-west-1:333333333333:alerts'] }));
    });
    expectClean(r);
  });

  test('13. each layer delivers through its own path into one archive in the same stack', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const archive = new LogArchive(s, 'Archive');
      for (const name of ['edge', 'host', 'monitor']) {
        const layer = new DefenceLayer(s, name, { layerName: name });
        const delivery = archive.addDeliveryPath(layer, 'Logs');
        delivery.addLogGroup(new logs.LogGroup(layer, 'App', { encryptionKey: delivery.encryptionKey }));
      }
    });
    expectClean(r);
    expect(new Set(r.analysis.isolation.deliveries.map(d => d.layer))).toEqual(new Set(['edge', 'host', 'monitor']));
  });
});

describe('the check runs by itself', () => {
  test('creating a DefenceLayer is enough: a clean synth writes report.md and report.json', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'did-')) });
    const s = new Stack(app, 'S');
    new sns.Topic(new DefenceLayer(s, 'Edge', { layerName: 'edge' }), 'T');
    app.synth();
    const dir = path.join(app.outdir, DefenceLayer.REPORT_DIRECTORY);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf-8'));
    expect(json.summary).toMatchObject({ stacks: 1, layers: 1, shortCircuits: 0 });
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf-8')).toContain('```mermaid');
  });

  test('report mode: a short circuit does not fail the synth, the report says so and each layer warns', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const topic = new sns.Topic(s, 'Pager');
      for (const name of ['edge', 'host']) topic.grantPublish(fn(new DefenceLayer(s, name, { layerName: name }), 'Fn'));
    });
    expect(r.circuits).toHaveLength(1);
    const json = JSON.parse(fs.readFileSync(path.join(r.app.outdir, 'defence-in-depth', 'report.json'), 'utf-8'));
    expect(json.enforcement).toBe('report');
    expect(json.shortCircuits[0].layers).toEqual(['edge', 'host']);
    const warnings = r.app.synth().getStackByName('S').messages.filter(m => String(m.entry.data).includes('only reports'));
    expect(warnings.map(w => w.id)).toEqual(['/S/edge', '/S/host']);
  });

  test('an unknown enforcement mode is refused', () => {
    const app = new App({ context: { [DefenceLayer.ISOLATION_CONTEXT_KEY]: 'off' } });
    expect(() => new DefenceLayer(new Stack(app, 'S'), 'Edge', { layerName: 'edge' }))
      .toThrow(/context 'cdk-defence-in-depth:isolation': "off" is not allowed; allowed: "enforce" \(default\) or "report"/);
  });
});
