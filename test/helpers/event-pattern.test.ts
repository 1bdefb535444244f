import { matchesEventPattern } from './event-pattern';

// Cases from the Amazon EventBridge user guide: "Event pattern syntax"
// (eb-create-pattern), "Arrays in event patterns" (eb-event-patterns-arrays),
// "Content filtering" (eb-event-patterns-content-based-filtering and the older
// content-filtering-with-event-patterns), "Comparison operators"
// (eb-create-pattern-operators), "Matching events on event field values"
// (eb-filtering-data-types); and, where the guide only names a behaviour, from
// the README of aws/event-ruler, the library EventBridge matches with.

/** The EC2 state-change event of the guide's content-filtering examples. */
const EC2_EVENT = {
  'version': '0',
  'id': '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '123456789012',
  'time': '2015-11-11T21:29:54Z',
  'region': 'us-east-1',
  'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  'detail': { 'instance-id': 'i-abcd1111', 'state': 'pending' },
};

/** The event-ruler README's sample event (the guide's numeric and complex examples are written for it). */
const RULER_EVENT = {
  'version': '0',
  'id': 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '012345679012',
  'time': '2017-10-02T16:24:49Z',
  'region': 'us-east-1',
  'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  'detail': {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    'state': 'running',
  },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...RULER_EVENT, detail: { ...RULER_EVENT.detail, ...detail } });

describe('matchesEventPattern: values', () => {
  test('a field matches any value of its array; every field must match', () => {
    const pattern = {
      'source': ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      'detail': { state: ['terminated'] },
    };
    expect(matchesEventPattern(pattern, { ...EC2_EVENT, detail: { ...EC2_EVENT.detail, state: 'terminated' } })).toBe(true);
    expect(matchesEventPattern(pattern, EC2_EVENT)).toBe(false); // state is "pending"
    expect(matchesEventPattern({ ...pattern, source: ['aws.s3'] }, { ...EC2_EVENT, detail: { state: 'terminated' } })).toBe(false);
  });

  test('multiple values: source is aws.ec2 or aws.fargate', () => {
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };
    expect(matchesEventPattern(pattern, { source: 'aws.fargate' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.ec2' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.s3' })).toBe(false);
  });

  test('AND: Location is "New York" and Day is "Monday"', () => {
    const pattern = { Location: ['New York'], Day: ['Monday'] };
    expect(matchesEventPattern(pattern, { Location: 'New York', Day: 'Monday' })).toBe(true);
    expect(matchesEventPattern(pattern, { Location: 'New York', Day: 'Tuesday' })).toBe(false);
  });

  test('a field named by the pattern but missing from the event does not match', () => {
    expect(matchesEventPattern({ detail: { state: ['running'] } }, { source: 'aws.ec2' })).toBe(false);
    expect(matchesEventPattern({ detail: { state: ['running'] } }, { detail: { other: 'running' } })).toBe(false);
    expect(matchesEventPattern({ detail: { state: ['running'] } }, { detail: { other: 'running', state: 'running' } })).toBe(true);
  });

  test('matching is case-sensitive and by JSON type', () => {
    expect(matchesEventPattern({ source: ['aws.ec2'] }, { source: 'AWS.EC2' })).toBe(false);
    expect(matchesEventPattern({ detail: { count: [5] } }, { detail: { count: '5' } })).toBe(false);
    expect(matchesEventPattern({ detail: { count: [5] } }, { detail: { count: 5 } })).toBe(true);
    expect(matchesEventPattern({ detail: { enabled: [false] } }, { detail: { enabled: false } })).toBe(true);
    expect(matchesEventPattern({ detail: { enabled: [false] } }, { detail: { enabled: 'false' } })).toBe(false);
  });

  test('null value: the Auto Scaling example matches "responseElements": [null]', () => {
    const event = {
      'version': '0',
      'id': '3e3c153a-8339-4e30-8c35-687ebef853fe',
      'detail-type': 'EC2 Instance Launch Successful',
      'source': 'aws.autoscaling',
      'account': '123456789012',
      'time': '2015-11-11T21:31:47Z',
      'region': 'us-east-1',
      'resources': [],
      'detail': { eventVersion: '', responseElements: null },
    };
    const pattern = { 'source': ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Successful'], 'detail': { responseElements: [null] } };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, { ...event, detail: { responseElements: { instanceId: 'i-1' } } })).toBe(false);
    expect(matchesEventPattern(pattern, { ...event, detail: {} })).toBe(false);
  });

  test('empty value: LastName is ""', () => {
    expect(matchesEventPattern({ LastName: [''] }, { LastName: '' })).toBe(true);
    expect(matchesEventPattern({ LastName: [''] }, { LastName: 'Doe' })).toBe(false);
    expect(matchesEventPattern({ LastName: [''] }, {})).toBe(false);
  });
});

describe('matchesEventPattern: arrays', () => {
  test('an array in the event matches if it intersects the pattern array', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, { resources: [event.resources[0]] })).toBe(false);
    expect(matchesEventPattern(pattern, { resources: [] })).toBe(false);
  });

  // event-ruler README, "JSON Array Matching": the array structure is crushed out,
  // but one match never takes its fields from different elements of the same array.
  test('an array of objects matches a nested pattern if one object matches all of it', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matchesEventPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
    expect(matchesEventPattern({ employees: { firstName: ['Mary'] } }, event)).toBe(false);
  });

  test('arrays of arrays are crushed out too', () => {
    const event = { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] };
    expect(matchesEventPattern({ employees: { firstName: ['Peter'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Paul'] } }, event)).toBe(false);
  });

  test('CloudTrail resources: detail.resources.ARN matches the ARN of any resource', () => {
    const event = {
      detail: {
        resources: [
          { accountId: '111122223333', type: 'AWS::KMS::Key', ARN: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
        ],
      },
    };
    expect(matchesEventPattern({ detail: { resources: { ARN: ['arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { resources: { ARN: ['arn:aws:kms:us-west-2:111122223333:key/other'] } } }, event)).toBe(false);
  });
});

describe('matchesEventPattern: content filters', () => {
  test('prefix: "time" starts with "2017-10-02"', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matchesEventPattern(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matchesEventPattern(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
    expect(matchesEventPattern({ region: [{ prefix: 'eu-' }] }, { region: 'eu-west-1' })).toBe(true);
    expect(matchesEventPattern({ region: [{ prefix: 'eu-' }] }, { region: 'us-east-1' })).toBe(false);
  });

  test('prefix only works on strings', () => {
    expect(matchesEventPattern({ detail: { n: [{ prefix: '12' }] } }, { detail: { n: 123 } })).toBe(false);
    expect(matchesEventPattern({ detail: { n: [{ prefix: '12' }] } }, { detail: { n: '123' } })).toBe(true);
  });

  test('prefix ignoring case: "service" begins with "eventb" in any case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matchesEventPattern(pattern, { detail: { service: 'eventbridge' } })).toBe(true);
    expect(matchesEventPattern(pattern, { detail: { service: 'EVENTBRIDGE' } })).toBe(true);
    expect(matchesEventPattern(pattern, { detail: { service: 'kinesis' } })).toBe(false);
  });

  test('suffix: FileName ends with ".png" (case-sensitive unless equals-ignore-case)', () => {
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' })).toBe(false);
    const ignoreCase = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesEventPattern(ignoreCase, { detail: { FileName: 'image.PNG' } })).toBe(true);
    expect(matchesEventPattern(ignoreCase, { detail: { FileName: 'image.gif' } })).toBe(false);
  });

  test('equals-ignore-case: Name is "alice" in any case', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(matchesEventPattern(pattern, { Name: 'Alice' })).toBe(true);
    expect(matchesEventPattern(pattern, { Name: 'ALICE' })).toBe(true);
    expect(matchesEventPattern(pattern, { Name: 'Alicia' })).toBe(false);
  });

  test('wildcard: "*" matches any run of characters, "\\*" a star', () => {
    const pattern = { source: [{ wildcard: 'Simple*Service' }] };
    expect(matchesEventPattern(pattern, { source: 'SimpleQueueService' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'SimpleService' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'SimpleQueueServices' })).toBe(false);
    expect(matchesEventPattern({ key: [{ wildcard: 'a\\*b' }] }, { key: 'a*b' })).toBe(true);
    expect(matchesEventPattern({ key: [{ wildcard: 'a\\*b' }] }, { key: 'axb' })).toBe(false);
    expect(matchesEventPattern({ key: [{ wildcard: 'dir/*.png' }] }, { key: 'dir/a.b.png' })).toBe(true);
    expect(matchesEventPattern({ key: [{ wildcard: 'dir/*.png' }] }, { key: 'dir/apng' })).toBe(false);
  });

  test('anything-but a string: state is anything but "initializing"', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    // The field must be there.
    expect(matchesEventPattern(pattern, { detail: {} })).toBe(false);
  });

  test('anything-but a number: x-limit is anything but 123', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 123 }))).toBe(false);
  });

  test('anything-but a list of strings or of numbers', () => {
    const states = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesEventPattern(states, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(states, withDetail({ state: 'overloaded' }))).toBe(false);
    const limits = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesEventPattern(limits, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(limits, withDetail({ 'x-limit': 200 }))).toBe(false);
    const sources = { source: [{ 'anything-but': ['aws.ec2', 'aws.s3'] }] };
    expect(matchesEventPattern(sources, { source: 'aws.lambda' })).toBe(true);
    expect(matchesEventPattern(sources, { source: 'aws.s3' })).toBe(false);
  });

  test('anything-but a prefix: state does not start with "init"; source not "aws."', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    const own = { source: [{ 'anything-but': { prefix: 'aws.' } }] };
    expect(matchesEventPattern(own, { source: 'com.example.orders' })).toBe(true);
    expect(matchesEventPattern(own, { source: 'aws.ec2' })).toBe(false);
  });

  test('anything-but a suffix, ignoring case, or a wildcard', () => {
    expect(matchesEventPattern({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.jpg' })).toBe(true);
    expect(matchesEventPattern({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' })).toBe(false);
    const ignoreCase = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matchesEventPattern(ignoreCase, { state: 'running' })).toBe(true);
    expect(matchesEventPattern(ignoreCase, { state: 'INITIALIZING' })).toBe(false);
    const noLib = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matchesEventPattern(noLib, { FilePath: '/usr/bin/env' })).toBe(true);
    expect(matchesEventPattern(noLib, { FilePath: '/usr/lib/libc.so' })).toBe(false);
  });

  test('anything-but excludes a detail-type: every event but CloudTrail API calls', () => {
    const pattern = { 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] };
    expect(matchesEventPattern(pattern, EC2_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, { 'detail-type': 'AWS API Call via CloudTrail' })).toBe(false);
  });

  test('numeric: every comparison must hold, on JSON numbers only', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 6 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 0 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'd-count': 10 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 301.9 }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': '5' }))).toBe(false);
  });

  test('exists: true needs the leaf, so detail.state exists in one event and not the other', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    expect(matchesEventPattern(pattern, EC2_EVENT)).toBe(true);
    const withoutState = {
      'detail-type': ['EC2 Instance State-change Notification'],
      'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      'detail': { 'c-count': { c1: 100 } },
    };
    expect(matchesEventPattern(pattern, withoutState)).toBe(false);
    // exists only works on leaves: an object-valued field does not "exist".
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, withoutState)).toBe(false);
  });

  test('exists: false matches an absent field, and a field that is not a leaf', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const noCount = {
      'detail-type': ['EC2 Instance State-change Notification'],
      'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      'detail': { state: ['initializing', 'running'] },
    };
    expect(matchesEventPattern(pattern, noCount)).toBe(true);
    expect(matchesEventPattern(pattern, { ...noCount, detail: { ...noCount.detail, 'c-count': { c1: 100 } } })).toBe(true);
    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(false); // c-count is 5
  });

  test('complex example: prefix, anything-but and numeric together', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        'state': [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    };
    expect(matchesEventPattern(pattern, RULER_EVENT)).toBe(true);
    expect(matchesEventPattern(pattern, { ...RULER_EVENT, time: '2017-10-03T16:24:49Z' })).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    expect(matchesEventPattern(pattern, withDetail({ 'x-limit': 300 }))).toBe(false);
  });

  test('a filter EventBridge has that this matcher does not implement throws', () => {
    expect(() => matchesEventPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, RULER_EVENT)).toThrow(/cidr/);
  });
});

describe('matchesEventPattern: $or', () => {
  test('"source" and ("metricName" or "namespace")', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.cloudwatch', metricName: 'Errors', namespace: 'AWS/Lambda' })).toBe(false);
    expect(matchesEventPattern(pattern, { source: 'aws.ec2', metricName: 'CPUUtilization' })).toBe(false);
  });

  test('parallel $or at two levels: both must hold', () => {
    const pattern = {
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      detail: {
        $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
      },
    };
    expect(matchesEventPattern(pattern, { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } })).toBe(true);
    expect(matchesEventPattern(pattern, { namespace: 'AWS/EC2', detail: { 'detail-type': 'Other' } })).toBe(false);
    expect(matchesEventPattern(pattern, { namespace: 'AWS/S3', detail: { source: 'aws.cloudwatch' } })).toBe(false);
  });

  test('an $or branch with an AND inside, and a nested $or', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    const base = { source: 'aws.cloudwatch' };
    expect(matchesEventPattern(pattern, { ...base, metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 })).toBe(true);
    expect(matchesEventPattern(pattern, { ...base, metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1001 })).toBe(false);
    expect(matchesEventPattern(pattern, { ...base, metricType: 'MetricType', spaceId: 1000 })).toBe(false);
    expect(matchesEventPattern(pattern, { ...base, scope: 'Service' })).toBe(true);
  });

  test('EC2 state is "running" or "terminated", with $or inside detail', () => {
    const pattern = { detail: { $or: [{ state: ['running'] }, { state: ['terminated'] }] } };
    expect(matchesEventPattern(pattern, { detail: { state: 'terminated' } })).toBe(true);
    expect(matchesEventPattern(pattern, { detail: { state: 'pending' } })).toBe(false);
  });
});
