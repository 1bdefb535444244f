import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DefenceLayer, LogArchive, LogDeliveryOptions } from '../../src';
import { DefenceValidationError } from '../../src/core/validation-error';

const ENV = { account: '111111111111', region: 'eu-west-1' };

/** An archive and two layers (edge, host) that each deliver a log group through their own path. */
function twoLayers(options: LogDeliveryOptions = {}) {
  const app = new App();
  const archiveStack = new Stack(app, 'Archive', { env: ENV });
  const archive = new LogArchive(archiveStack, 'LogArchive');
  const stack = new Stack(app, 'Workload', { env: ENV });
  const paths = ['edge', 'host'].map(layerName => {
    const layer = new DefenceLayer(stack, layerName, { layerName });
    const path = archive.addDeliveryPath(layer, 'LogDelivery', options);
    path.addLogGroup(new logs.LogGroup(layer, 'Logs', { encryptionKey: path.encryptionKey }));
    return path;
  });
  return { archive, stack, paths, template: Template.fromStack(stack) };
}

function resourcesOfLayer(template: Template, type: string, layer: string): Record<string, any> {
  return Object.fromEntries(Object.entries(template.findResources(type))
    .filter(([, r]) => r.Metadata?.[DefenceLayer.METADATA_KEY] === layer));
}

describe('LogDeliveryPath', () => {
  test('each layer gets its own stream, roles and key, inside its own subtree', () => {
    const { template } = twoLayers();
    for (const type of ['AWS::KinesisFirehose::DeliveryStream', 'AWS::KMS::Key', 'AWS::Logs::SubscriptionFilter']) {
      expect(Object.keys(resourcesOfLayer(template, type, 'edge'))).toHaveLength(1);
      expect(Object.keys(resourcesOfLayer(template, type, 'host'))).toHaveLength(1);
    }
    const roles = (layer: string) => Object.keys(resourcesOfLayer(template, 'AWS::IAM::Role', layer));
    expect(roles('edge')).toHaveLength(2); // delivery role + CloudWatch Logs subscription role
    expect(roles('host')).toHaveLength(2);
    expect(roles('edge').filter(r => roles('host').includes(r))).toEqual([]);

    // Nothing a stream refers to belongs to the other layer.
    for (const [layer, other] of [['edge', 'host'], ['host', 'edge']]) {
      const stream = Object.values(resourcesOfLayer(template, 'AWS::KinesisFirehose::DeliveryStream', layer))[0];
      const refs = JSON.stringify(stream.Properties);
      for (const id of Object.keys(template.toJSON().Resources)) {
        if (template.toJSON().Resources[id].Metadata?.[DefenceLayer.METADATA_KEY] === other) {
          expect(refs).not.toContain(`"${id}"`);
        }
      }
    }
  });

  test('the stream writes under <layer>/<path>/ by date, encrypted at rest with the layer key, reporting errors', () => {
    const { template, stack, paths } = twoLayers();
    const [edgeStream] = Object.values(resourcesOfLayer(template, 'AWS::KinesisFirehose::DeliveryStream', 'edge'));
    const keyId = stack.getLogicalId(paths[0].encryptionKey.node.defaultChild as any);
    expect(edgeStream.Properties).toMatchObject({
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      ExtendedS3DestinationConfiguration: {
        Prefix: 'edge/logs/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        ErrorOutputPrefix: 'edge/logs/delivery-errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 5 },
        CompressionFormat: 'UNCOMPRESSED',
        EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
        CloudWatchLoggingOptions: { Enabled: true },
      },
    });
    expect(edgeStream.Properties.DeliveryStreamName).toBeUndefined();
    expect(paths[0].prefix).toBe('edge/logs/');
    expect(paths[1].prefix).toBe('host/logs/');
    expect(paths.map(p => p.layerName)).toEqual(['edge', 'host']);
  });

  test('the delivery role may write its own prefix only, never read', () => {
    const { template } = twoLayers();
    const [policy] = Object.values(resourcesOfLayer(template, 'AWS::IAM::ManagedPolicy', 'edge'))
      .filter(p => JSON.stringify(p).includes('WriteOwnPrefixOnly'));
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    const write = statements.find(s => s.Sid === 'WriteOwnPrefixOnly');
    expect(write.Action).toEqual(['s3:PutObject', 's3:AbortMultipartUpload']);
    expect(JSON.stringify(write.Resource)).toMatch(/"\/edge\/logs\/\*"\]/);
    const actions = statements.flatMap(s => [s.Action].flat());
    expect(actions.filter(a => /^s3:(Get|List)(Object|Bucket$)|Delete|^s3:\*$/.test(a))).toEqual([]);
    expect(statements.find(s => s.Sid === 'EncryptThroughS3ForTheArchiveOnly').Condition.StringLike['kms:ViaService']).toBe('s3.*.amazonaws.com');
    // The role trusts Firehose of this account only.
    const [role] = Object.values(resourcesOfLayer(template, 'AWS::IAM::Role', 'edge'))
      .filter(r => JSON.stringify(r).includes('firehose.amazonaws.com'));
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  test('the delivery role is known to the archive by its path, /defence-in-depth-delivery/<layer>/; no other role has one', () => {
    const { template } = twoLayers();
    for (const layer of ['edge', 'host']) {
      const paths = Object.values(resourcesOfLayer(template, 'AWS::IAM::Role', layer)).map(r => r.Properties.Path);
      // The delivery role, and the CloudWatch Logs subscription role (which never writes into the archive).
      expect(paths.sort()).toEqual([`/defence-in-depth-delivery/${layer}/`, undefined]);
    }
    const [edgeDelivery] = Object.values(resourcesOfLayer(template, 'AWS::IAM::Role', 'edge')).filter(r => r.Properties.Path);
    expect(JSON.stringify(edgeDelivery.Properties.AssumeRolePolicyDocument)).toContain('firehose.amazonaws.com');
  });

  test('log groups subscribe through the layer\'s own CloudWatch Logs role', () => {
    const { template, stack, paths } = twoLayers();
    const [filter] = Object.values(resourcesOfLayer(template, 'AWS::Logs::SubscriptionFilter', 'host'));
    const hostRoles = Object.keys(resourcesOfLayer(template, 'AWS::IAM::Role', 'host'));
    expect(hostRoles).toContain(filter.Properties.RoleArn['Fn::GetAtt'][0]);
    expect(filter.Properties.DestinationArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(paths[1].node.findChild('Stream') as any), 'Arn'] });
    expect(filter.Properties.FilterPattern).toBe('');
  });

  test('WAF paths are named aws-waf-logs-* within 64 characters and gzip', () => {
    const { template } = twoLayers({ pathName: 'waf', carriesWafLogs: true, bufferingInterval: Duration.seconds(60), bufferingSize: Size.mebibytes(64) });
    const streams = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'));
    const names = streams.map(s => s.Properties.DeliveryStreamName);
    for (const name of names) {
      expect(name).toMatch(/^aws-waf-logs-[A-Za-z0-9-]+$/);
      expect(name.length).toBeLessThanOrEqual(64);
    }
    expect(new Set(names).size).toBe(2);
    expect(streams[0].Properties.ExtendedS3DestinationConfiguration).toMatchObject({
      CompressionFormat: 'GZIP', BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 }, Prefix: expect.stringMatching(/^(edge|host)\/waf\//),
    });
  });

  test('the layer key lets CloudWatch Logs of this account encrypt the layer\'s log groups', () => {
    const { template } = twoLayers();
    const [key] = Object.values(resourcesOfLayer(template, 'AWS::KMS::Key', 'edge'));
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'AllowCloudWatchLogsOfThisAccount');
    expect(JSON.stringify(statement.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
  });

  describe('invalid use', () => {
    function errorOf(fn: () => void): DefenceValidationError {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(DefenceValidationError);
        return e as DefenceValidationError;
      }
      throw new Error('expected a DefenceValidationError');
    }
    const setup = () => {
      const stack = new Stack(new App(), 'S', { env: ENV });
      const archive = new LogArchive(stack, 'LogArchive');
      const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
      return { stack, archive, edge };
    };

    test('a path outside every layer', () => {
      const { stack, archive } = setup();
      expect(errorOf(() => archive.addDeliveryPath(stack, 'Orphan')).message).toMatch(/'S\/Orphan'[\s\S]*must be created inside a DefenceLayer/);
    });

    test.each<[string, LogDeliveryOptions, string, RegExp]>([
      ['bad path name', { pathName: 'WAF_logs' }, 'pathName', /"WAF_logs"/],
      ['interval above 900 s', { bufferingInterval: Duration.seconds(901) }, 'bufferingInterval', /901 seconds[\s\S]*0 to 900 seconds/],
      ['buffer above 128 MiB', { bufferingSize: Size.mebibytes(129) }, 'bufferingSize', /129 MiB[\s\S]*1 to 128 MiB/],
      ['buffer of 0', { bufferingSize: Size.mebibytes(0) }, 'bufferingSize', /0 MiB/],
    ])('%s', (_name, options, prop, message) => {
      const { archive, edge } = setup();
      const error = errorOf(() => archive.addDeliveryPath(edge, 'Delivery', options));
      expect(error.constructPath).toBe('S/Edge/Delivery');
      expect(error.problems.map(p => p.prop)).toEqual([prop]);
      expect(error.message).toMatch(message);
    });

    test('two paths of one layer with the same name', () => {
      const { archive, edge } = setup();
      archive.addDeliveryPath(edge, 'A', { pathName: 'waf' });
      expect(errorOf(() => archive.addDeliveryPath(edge, 'B', { pathName: 'waf' })).message).toMatch(/taken by 'S\/Edge\/A'/);
    });

    test('a layer subscribing another layer\'s log group', () => {
      const { stack, archive, edge } = setup();
      const host = new DefenceLayer(stack, 'Host', { layerName: 'host' });
      const path = archive.addDeliveryPath(edge, 'Delivery');
      const hostLogs = new logs.LogGroup(host, 'Logs');
      expect(errorOf(() => path.addLogGroup(hostLogs)).message).toMatch(/in layer 'host'[\s\S]*a layer ships only its own logs/);
    });
  });
});

describe('LogArchive.fromArchiveAttributes (cross-account)', () => {
  const workload = () => new Stack(new App(), 'Workload', { env: { account: '222222222222', region: 'eu-west-1' } });

  test('delivery roles use the named key where given, else S3-only use of the archive account\'s keys', () => {
    for (const keyArn of [undefined, 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab']) {
      const stack = workload();
      const archive = LogArchive.fromArchiveAttributes(stack, 'Archive', { bucketName: 'my-archive', account: '111111111111', encryptionKeyArn: keyArn });
      const layer = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
      archive.addDeliveryPath(layer, 'Delivery');
      const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'))
        .find(p => JSON.stringify(p).includes('WriteOwnPrefixOnly'))!;
      const kms = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'EncryptThroughS3ForTheArchiveOnly');
      const resource = JSON.stringify(kms.Resource);
      if (keyArn) expect(kms.Resource).toBe(keyArn); else expect(resource).toContain(':kms:*:111111111111:key/*');
      expect(JSON.stringify(policy)).toContain(':s3:::my-archive/edge/logs/*');
      expect(archive.bucketAccount).toBe('111111111111');
    }
  });

  test('CloudTrail delivers under cloudtrail/ with the archive key, named by its ARN where given, else by the alias derived from the bucket name', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const named = LogArchive.fromArchiveAttributes(workload(), 'Archive', { bucketName: 'my.archive', account: '111111111111', encryptionKeyArn: keyArn });
    expect(named.cloudTrailDelivery()).toMatchObject({ objectKeyPrefix: 'cloudtrail', encryptionKeyArn: keyArn });
    const stack = workload();
    const byAlias = LogArchive.fromArchiveAttributes(stack, 'Archive', { bucketName: 'my.archive', account: '111111111111' }).cloudTrailDelivery();
    expect(byAlias.objectKeyPrefix).toBe('cloudtrail');
    // Aliases allow no dots: the archive names its alias with underscores.
    expect(stack.resolve(byAlias.encryptionKeyArn)).toBe('arn:aws:kms:eu-west-1:111111111111:alias/defence-in-depth-archive/my_archive');
  });

  test.each<[string, any, RegExp]>([
    ['bad bucket name', { bucketName: 'My_Bucket' }, /bucketName: "My_Bucket"/],
    ['bad account', { bucketName: 'ok-bucket', account: '1111' }, /account: "1111"[\s\S]*12-digit/],
    ['bad region', { bucketName: 'ok-bucket', region: 'europe' }, /region: "europe"/],
    ['alias instead of key', { bucketName: 'ok-bucket', encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:alias/archive' }, /not an alias/],
  ])('%s is rejected', (_name, attrs, message) => {
    expect(() => LogArchive.fromArchiveAttributes(workload(), 'Archive', attrs)).toThrow(message);
  });
});

describe('ALB access logs', () => {
  function albIn(stack: Stack, scope: Stack | DefenceLayer) {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    return new elbv2.ApplicationLoadBalancer(scope, 'Alb', { vpc });
  }

  test('land under <layer>/alb/ in the locked SSE-S3 bucket, after its policy exists', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const archive = new LogArchive(stack, 'LogArchive');
    const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
    const alb = albIn(stack, edge as any);
    archive.enableAlbAccessLogs(alb);
    const template = Template.fromStack(stack);
    const [lb] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    expect(lb.Properties.LoadBalancerAttributes).toEqual(expect.arrayContaining([
      { Key: 'access_logs.s3.enabled', Value: 'true' },
      { Key: 'access_logs.s3.bucket', Value: { Ref: stack.getLogicalId(archive.albAccessLogBucket!.node.defaultChild as any) } },
      { Key: 'access_logs.s3.prefix', Value: 'edge/alb' },
    ]));
    expect(lb.DependsOn).toContain(stack.getLogicalId(archive.albAccessLogBucket!.policy!.node.defaultChild as any));
  });

  test('imported archive: uses the named bucket', () => {
    const stack = new Stack(new App(), 'W', { env: { account: '222222222222', region: 'eu-west-1' } });
    const archive = LogArchive.fromArchiveAttributes(stack, 'Archive', { bucketName: 'arch', account: '111111111111', albAccessLogBucketName: 'arch-alb' });
    const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
    archive.enableAlbAccessLogs(albIn(stack, edge as any));
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.bucket', Value: 'arch-alb' }]),
    });
  });

  test.each([
    ['a load balancer outside every layer', false, true, 'eu-west-1', /outside every DefenceLayer/],
    ['an archive without an ALB bucket', true, false, 'eu-west-1', /albAccessLogs: true/],
    ['a load balancer in another region', true, true, 'us-east-1', /only within its region/],
  ])('refuses %s', (_name, inLayer, albBucket, region, message) => {
    const app = new App();
    const archiveStack = new Stack(app, 'A', { env: ENV });
    const archive = new LogArchive(archiveStack, 'LogArchive', { albAccessLogs: albBucket });
    const stack = new Stack(app, 'W', { env: { account: ENV.account, region } });
    const scope = inLayer ? new DefenceLayer(stack, 'Edge', { layerName: 'edge' }) : stack;
    expect(() => archive.enableAlbAccessLogs(albIn(stack, scope as any))).toThrow(message);
  });
});
