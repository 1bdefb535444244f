import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnDynamicReference, CfnDynamicReferenceService, CfnOutput, Duration, Fn, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { LogArchive } from '../../src/archive';
import { DefenceLayer } from '../../src/core';
import { analyse, chainText, circuitAt } from '../helpers/isolation';

// Every scenario builds a small app in which two (or more) layers share a
// dependency, written one way or another, and asserts the analysis reports
// exactly that resource with each layer's chain to it.

const code = lambda.Code.fromInline('exports.handler = async () => {}');
const fn = (scope: Construct, id: string, props: Partial<lambda.FunctionProps> = {}) =>
  new lambda.Function(scope, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, ...props });
const layers = (stack: Stack) => ({
  a: new DefenceLayer(stack, 'A', { layerName: 'edge' }),
  b: new DefenceLayer(stack, 'B', { layerName: 'host' }),
});

describe('short circuits', () => {
  test('1. direct: a layer\'s role policy grants on another layer\'s bucket', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const bucket = new s3.Bucket(a, 'Data');
      bucket.grantRead(new iam.Role(b, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    });
    expect(r.summary).toEqual(['AWS::S3::Bucket S/A/Data/Resource [edge,host]']);
    const c = circuitAt(r, 'S/A/Data');
    expect(chainText(c, 'edge')).toBe('S/A/Data/Resource');
    expect(chainText(c, 'host')).toMatch(/^S\/B\/Reader\/DefaultPolicy\/Resource \[Fn::GetAtt Arn in PolicyDocument \(grants s3:GetObject\*/);
  });

  test('2. transitive through a key: one layer\'s log group and another layer\'s function use the same key', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const key = new kms.Key(s, 'SharedKey');
      new logs.LogGroup(a, 'Logs', { encryptionKey: key });
      fn(b, 'Fn', { environment: { X: '1' }, environmentEncryption: key });
    });
    expect(r.summary).toEqual(['AWS::KMS::Key S/SharedKey/Resource [edge,host]']);
    const c = circuitAt(r, 'S/SharedKey');
    expect(chainText(c, 'edge')).toBe('S/A/Logs/Resource [Fn::GetAtt Arn in KmsKeyId] S/SharedKey/Resource');
    expect(chainText(c, 'host')).toContain('[Fn::GetAtt Arn in KmsKeyArn] S/SharedKey/Resource');
  });

  test('3. root cause only: the key behind another layer\'s bucket is part of the bucket\'s finding', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const bucket = new s3.Bucket(a, 'Data', { encryptionKey: new kms.Key(a, 'Key') });
      fn(b, 'Fn', { environment: { BUCKET: bucket.bucketName } });
    });
    expect(r.summary).toEqual(['AWS::S3::Bucket S/A/Data/Resource [edge,host]']);
    // The key is reached by both layers too, through the bucket.
    const key = r.analysis.isolation.model.resources.find(n => n.path === 'S/A/Key/Resource')!;
    expect([...r.analysis.isolation.dependents.get(key)!].sort()).toEqual(['edge', 'host']);
  });

  test('4. through a role policy: a layer\'s function role may publish to another layer\'s topic', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const topic = new sns.Topic(b, 'Alerts');
      topic.grantPublish(fn(a, 'Fn'));
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic S/B/Alerts/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/B/Alerts'), 'edge')).toMatch(/S\/A\/Fn\/ServiceRole\/DefaultPolicy\/Resource \[Ref in PolicyDocument \(grants sns:Publish\)\] S\/B\/Alerts\/Resource/);
  });

  test('5. a role outside every layer used by two layers\' functions', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const role = new iam.Role(s, 'SharedRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      fn(a, 'Fn', { role });
      fn(b, 'Fn', { role });
    });
    expect(r.summary).toEqual(['AWS::IAM::Role S/SharedRole/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/SharedRole'), 'host')).toBe('S/B/Fn/Resource [Fn::GetAtt Arn in Role] S/SharedRole/Resource');
  });

  test('6. cross-stack export: a layer in one stack reads another layer\'s bucket in another stack', () => {
    const r = analyse(app => {
      const one = new Stack(app, 'One');
      const two = new Stack(app, 'Two');
      const bucket = new s3.Bucket(new DefenceLayer(one, 'A', { layerName: 'edge' }), 'Data');
      fn(new DefenceLayer(two, 'B', { layerName: 'host' }), 'Fn', { environment: { BUCKET: bucket.bucketName } });
    });
    expect(r.summary).toEqual(['AWS::S3::Bucket One/A/Data/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'One/A/Data'), 'host')).toMatch(/^Two\/B\/Fn\/Resource \[Fn::ImportValue One:ExportsOutputRef\w+ → Ref in Environment\] One\/A\/Data\/Resource$/);
  });

  test('7. SSM parameter defined in the app, read by two layers through template parameters', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      new ssm.StringParameter(s, 'Config', { parameterName: '/app/config', stringValue: 'x' });
      fn(a, 'Fn', { environment: { C: ssm.StringParameter.valueForStringParameter(a, '/app/config') } });
      fn(b, 'Fn', { environment: { C: ssm.StringParameter.valueForStringParameter(b, '/app/config') } });
    });
    expect(r.summary).toEqual(['AWS::SSM::Parameter S/Config/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/Config'), 'edge')).toMatch(/\[SSM parameter \/app\/config \(template parameter \w+\) in Environment\] S\/Config\/Resource$/);
  });

  test('8. SSM parameter outside the app, named by dynamic references in two layers', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const value = () => new CfnDynamicReference(CfnDynamicReferenceService.SSM, '/shared/flag').toString();
      fn(a, 'Fn', { environment: { F: value() } });
      fn(b, 'Fn', { environment: { F: value() } });
    });
    expect(r.summary).toEqual(['AWS::SSM::Parameter (not in this app) AWS::SSM::Parameter shared/flag [edge,host]']);
  });

  test('9. plain-string ARN: a policy names another layer\'s bucket by a literal ARN', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      new s3.Bucket(a, 'Data', { bucketName: 'edge-data-bucket' });
      const role = new iam.Role(b, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::edge-data-bucket/*'] }));
    });
    expect(r.summary).toEqual(['AWS::S3::Bucket S/A/Data/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/A/Data'), 'host')).toContain('[ARN string arn:aws:s3:::edge-data-bucket/* in PolicyDocument (grants s3:GetObject)]');
  });

  test('10. plain-string ARN across accounts: another account\'s stack names the topic of a layer', () => {
    const r = analyse(app => {
      const one = new Stack(app, 'One', { env: { account: '111111111111', region: 'eu-west-1' } });
      const two = new Stack(app, 'Two', { env: { account: '222222222222', region: 'eu-west-1' } });
      new sns.Topic(new DefenceLayer(one, 'A', { layerName: 'edge' }), 'Alerts', { topicName: 'edge-alerts' });
      const role = new iam.Role(new DefenceLayer(two, 'B', { layerName: 'host' }), 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['arn:aws:sns:eu-west-1:111111111111:edge-alerts'] }));
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic One/A/Alerts/Resource [edge,host]']);
  });

  test('11. a security group outside every layer used by two layers', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const vpc = new ec2.CfnVPC(s, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      const subnetA = new ec2.CfnSubnet(a, 'Subnet', { vpcId: vpc.ref, cidrBlock: '10.0.1.0/24' });
      const subnetB = new ec2.CfnSubnet(b, 'Subnet', { vpcId: vpc.ref, cidrBlock: '10.0.2.0/24' });
      const sg = new ec2.CfnSecurityGroup(s, 'SharedSg', { vpcId: vpc.ref, groupDescription: 'shared' });
      new ec2.CfnInstance(a, 'Host', { imageId: 'ami-12345678', subnetId: subnetA.ref, securityGroupIds: [sg.attrGroupId] });
      new ec2.CfnInstance(b, 'Host', { imageId: 'ami-12345678', subnetId: subnetB.ref, securityGroupIds: [sg.attrGroupId] });
    });
    expect(r.summary).toEqual(['AWS::EC2::SecurityGroup S/SharedSg [edge,host]']);
  });

  test('12. a subnet shared by two layers\' hosts', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const vpc = new ec2.CfnVPC(s, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      const subnet = new ec2.CfnSubnet(s, 'Subnet', { vpcId: vpc.ref, cidrBlock: '10.0.1.0/24' });
      new ec2.CfnInstance(a, 'Host', { imageId: 'ami-12345678', subnetId: subnet.ref });
      new ec2.CfnInstance(b, 'Host', { imageId: 'ami-12345678', subnetId: subnet.ref });
    });
    expect(r.summary).toEqual(['AWS::EC2::Subnet S/Subnet [edge,host]']);
  });

  test('13. CDK singleton: the bucket-notifications handler serves two layers', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      for (const layer of [a, b]) {
        new s3.Bucket(layer, 'Uploads').addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn(layer, 'OnUpload')));
      }
    });
    expect(r.summary).toEqual([expect.stringMatching(/^AWS::Lambda::Function S\/BucketNotificationsHandler\w+\/Resource \[edge,host\]$/)]);
  });

  test('14. CDK singleton: the log-retention function serves two layers', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      fn(a, 'Fn', { logRetention: logs.RetentionDays.ONE_YEAR });
      fn(b, 'Fn', { logRetention: logs.RetentionDays.ONE_YEAR });
    });
    expect(r.summary).toEqual([expect.stringMatching(/^AWS::Lambda::Function S\/LogRetention\w+\/Resource \[edge,host\]$/)]);
    const c = r.circuits[0];
    expect(chainText(c, 'edge')).toMatch(/^S\/A\/Fn\/LogRetention\/Resource \[Fn::GetAtt Arn in ServiceToken\]/);
  });

  test('15. a shared SNS topic for two layers\' alarms', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const topic = new sns.Topic(s, 'Pager');
      for (const layer of [a, b]) {
        new cloudwatch.Alarm(layer, 'Alarm', {
          metric: new cloudwatch.Metric({ namespace: 'X', metricName: 'Y', period: Duration.minutes(1) }), threshold: 1, evaluationPeriods: 1,
        }).addAlarmAction(new actions.SnsAction(topic));
      }
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic S/Pager/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/Pager'), 'edge')).toBe('S/A/Alarm/Resource [Ref in AlarmActions] S/Pager/Resource');
  });

  test('16. a VPC endpoint (and its policy) that both layers\' subnets route through', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const vpc = new ec2.CfnVPC(s, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      const tables = [a, b].map((layer, i) => {
        const subnet = new ec2.CfnSubnet(layer, 'Subnet', { vpcId: vpc.ref, cidrBlock: `10.0.${i}.0/24` });
        const table = new ec2.CfnRouteTable(layer, 'Routes', { vpcId: vpc.ref });
        new ec2.CfnSubnetRouteTableAssociation(layer, 'Assoc', { subnetId: subnet.ref, routeTableId: table.ref });
        new ec2.CfnInstance(layer, 'Host', { imageId: 'ami-12345678', subnetId: subnet.ref });
        return table;
      });
      new ec2.CfnVPCEndpoint(s, 'S3Endpoint', {
        vpcId: vpc.ref,
        serviceName: 'com.amazonaws.eu-west-1.s3',
        routeTableIds: tables.map(t => t.ref),
        policyDocument: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }] },
      });
    });
    expect(r.summary).toEqual(['AWS::EC2::VPCEndpoint S/S3Endpoint [edge,host]']);
    expect(chainText(circuitAt(r, 'S/S3Endpoint'), 'host')).toBe('S/B/Routes [Ref in RouteTableIds] S/S3Endpoint');
  });

  test('17. DependsOn: a layer\'s resource waits for another layer\'s resource', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const queue = new sns.Topic(a, 'Topic');
      new sns.Topic(b, 'Other').node.addDependency(queue);
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic S/A/Topic/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/A/Topic'), 'host')).toBe('S/B/Other/Resource [DependsOn] S/A/Topic/Resource');
  });

  test('18. another layer\'s key encrypts this layer\'s log group', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      new logs.LogGroup(b, 'Logs', { encryptionKey: new kms.Key(a, 'Key') });
    });
    expect(r.summary).toEqual(['AWS::KMS::Key S/A/Key/Resource [edge,host]']);
  });

  test('19. trust policy: a layer\'s role may assume another layer\'s role', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const bRole = new iam.Role(b, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      new iam.Role(a, 'Role', { assumedBy: new iam.ArnPrincipal(bRole.roleArn) });
    });
    expect(r.summary).toEqual(['AWS::IAM::Role S/A/Role/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/A/Role'), 'host')).toBe('S/B/Role/Resource [Fn::GetAtt Arn in AssumeRolePolicyDocument (grants sts:AssumeRole)] S/A/Role/Resource');
  });

  test('20. resource policy: a layer\'s bucket policy lets another layer\'s role in', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const reader = new iam.Role(b, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      new s3.Bucket(a, 'Data').addToResourcePolicy(new iam.PolicyStatement({
        principals: [reader], actions: ['s3:GetObject'], resources: ['*'],
      }));
    });
    expect(r.summary).toEqual(['AWS::S3::BucketPolicy S/A/Data/Policy/Resource [edge,host]']);
  });

  test('21. an observes edge that grants writing is a dependency', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const logGroup = new logs.LogGroup(b, 'Heartbeat');
      a.observe(logGroup, { reason: 'reads the host heartbeat' });
      logGroup.grantWrite(new iam.Role(a, 'Watcher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    });
    expect(r.summary).toEqual(['AWS::Logs::LogGroup S/B/Heartbeat/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/B/Heartbeat'), 'edge')).toContain('grants logs:CreateLogStream, logs:PutLogEvents');
  });

  test('22. an exemption limited to two layers does not cover a third', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const c = new DefenceLayer(s, 'C', { layerName: 'monitor' });
      const topic = new sns.Topic(s, 'Pager');
      DefenceLayer.allowShared(topic, { reason: 'paging is fire-and-forget for edge and host', layers: ['edge', 'host'] });
      for (const layer of [a, b, c]) topic.grantPublish(new iam.Role(layer, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic S/Pager/Resource [edge,host,monitor]']);
  });

  test('23. three layers share one topic: one finding naming all three', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const c = new DefenceLayer(s, 'C', { layerName: 'monitor' });
      const topic = new sns.Topic(s, 'Pager');
      for (const layer of [a, b, c]) topic.grantPublish(new iam.Role(layer, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic S/Pager/Resource [edge,host,monitor]']);
    expect(Object.keys(r.circuits[0].chains)).toEqual(['edge', 'host', 'monitor']);
  });

  test('24. nested stack: a layer in a nested stack gets another layer\'s key through a stack parameter', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const key = new kms.Key(new DefenceLayer(s, 'A', { layerName: 'edge' }), 'Key');
      const nested = new NestedStack(s, 'Nested');
      new logs.LogGroup(new DefenceLayer(nested, 'B', { layerName: 'host' }), 'Logs', { encryptionKey: key });
    });
    expect(r.summary).toEqual(['AWS::KMS::Key S/A/Key/Resource [edge,host]']);
    expect(chainText(circuitAt(r, 'S/A/Key'), 'host')).toMatch(/^S\/Nested\/B\/Logs\/Resource \[nested stack parameter \w+ → Fn::GetAtt Arn in KmsKeyId\] S\/A\/Key\/Resource$/);
  });

  test('25. wildcard ARN: a policy on arn:aws:s3:::edge-* covers another layer\'s bucket', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      new s3.Bucket(a, 'Data', { bucketName: 'edge-data' });
      new iam.Role(b, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') })
        .addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: ['arn:aws:s3:::edge-*/*'] }));
    });
    expect(r.summary).toEqual(['AWS::S3::Bucket S/A/Data/Resource [edge,host]']);
  });

  test('26. writing into the archive other than through the layer\'s delivery path', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const archive = new LogArchive(s, 'Archive');
      const { b } = layers(s);
      archive.bucket.grantPut(fn(b, 'Fn'));
    });
    // The bucket, and the archive key the grant names directly: two root causes.
    expect(r.summary).toEqual([
      'AWS::KMS::Key S/Archive/Key/Resource [archive,host]',
      'AWS::S3::Bucket S/Archive/Archive/Bucket/Resource [archive,host]',
    ]);
  });

  test('27. Fn::Sub with ${Resource.Arn} in a policy', () => {
    const r = analyse(app => {
      const s = new Stack(app, 'S');
      const { a, b } = layers(s);
      const topic = new sns.Topic(a, 'Topic');
      new iam.CfnPolicy(b, 'Policy', {
        policyName: 'p',
        roles: [new iam.CfnRole(b, 'Role', { assumeRolePolicyDocument: {} }).ref],
        policyDocument: { Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: Fn.sub('${T}', { T: topic.topicArn }) }] },
      });
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic S/A/Topic/Resource [edge,host]']);
  });

  test('28. stacks inside a Stage are analysed with the rest of the app', () => {
    const r = analyse(app => {
      const stage = new Stage(app, 'Prod');
      const s = new Stack(stage, 'S');
      const { a, b } = layers(s);
      const topic = new sns.Topic(a, 'Topic');
      new CfnOutput(b, 'Out', { value: topic.topicArn });
      topic.grantPublish(new iam.Role(b, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
    });
    expect(r.summary).toEqual(['AWS::SNS::Topic Prod/S/A/Topic/Resource [edge,host]']);
  });
});

describe('enforcement', () => {
  test('a short circuit makes app.synth() throw, naming both layers, the resource, its stack and path, and each chain', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'did-')) });
    const s = new Stack(app, 'Workload', { stackName: 'workload-prod' });
    const { a, b } = layers(s);
    const key = new kms.Key(s, 'SharedKey');
    new logs.LogGroup(a, 'Logs', { encryptionKey: key });
    new logs.LogGroup(b, 'Logs', { encryptionKey: key });
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('1 short circuit(s)');
    expect(message).toMatch(/AWS::KMS::Key 'SharedKey\w+' in stack 'workload-prod' at 'Workload\/SharedKey\/Resource' is shared by layers 'edge' and 'host'/);
    expect(message).toMatch(/- edge: AWS::Logs::LogGroup A\w+ \(Workload\/A\/Logs\/Resource\) --\[Fn::GetAtt Arn in KmsKeyId\]--> AWS::KMS::Key SharedKey/);
    expect(message).toMatch(/- host: AWS::Logs::LogGroup B\w+ \(Workload\/B\/Logs\/Resource\) --\[Fn::GetAtt Arn in KmsKeyId\]--> AWS::KMS::Key SharedKey/);
    expect(message).toContain('DefenceLayer.allowShared');
    expect(message).toMatch(/Report: .*defence-in-depth\/report\.md/);
  });
});
