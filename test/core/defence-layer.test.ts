import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DefenceLayer } from '../../src';
import { DefenceValidationError } from '../../src/core/validation-error';

const KEY = DefenceLayer.METADATA_KEY;

function layerOfEveryResource(stack: Stack): Record<string, string | undefined> {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  return Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, r.Metadata?.[KEY]]));
}

describe('DefenceLayer', () => {
  test('writes its name into the metadata of every resource of its subtree, and only there', () => {
    const stack = new Stack(new App(), 'Stack');
    const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
    const nested = new Construct(edge, 'Deep');
    new sns.Topic(nested, 'Topic');
    new sqs.Queue(edge, 'Queue');
    new sqs.Queue(stack, 'Outside');

    const layers = layerOfEveryResource(stack);
    expect(Object.entries(layers).filter(([, l]) => l === 'edge').map(([id]) => id).sort())
      .toEqual([expect.stringMatching(/^EdgeDeepTopic/), expect.stringMatching(/^EdgeQueue/)].sort());
    expect(Object.entries(layers).find(([id]) => id.startsWith('Outside'))![1]).toBeUndefined();
    expect(KEY).toBe('cdk-defence-in-depth:layer');
  });

  test('resources created after the layer, in several stacks, are all tagged', () => {
    const app = new App();
    const a = new Stack(app, 'A');
    const b = new Stack(app, 'B');
    const hostA = new DefenceLayer(a, 'Host', { layerName: 'host' });
    const hostB = new DefenceLayer(b, 'Host', { layerName: 'host' });
    new sqs.Queue(hostA, 'Q');
    new sqs.Queue(hostB, 'Q');
    expect(Object.values(layerOfEveryResource(a))).toEqual(['host']);
    expect(Object.values(layerOfEveryResource(b))).toEqual(['host']);
  });

  test('DefenceLayer.of finds the nearest layer, or undefined outside layers', () => {
    const stack = new Stack(new App(), 'Stack');
    const monitor = new DefenceLayer(stack, 'Monitor', { layerName: 'monitor' });
    const queue = new sqs.Queue(new Construct(monitor, 'Inner'), 'Q');
    const outside = new sqs.Queue(stack, 'Outside');
    expect(DefenceLayer.of(queue)).toBe(monitor);
    expect(DefenceLayer.of(monitor)).toBe(monitor);
    expect(DefenceLayer.of(outside)).toBeUndefined();
    expect(DefenceLayer.isDefenceLayer(monitor)).toBe(true);
    expect(DefenceLayer.isDefenceLayer(queue)).toBe(false);
  });

  test('nesting a layer inside another is an error naming both', () => {
    const stack = new Stack(new App(), 'Stack');
    const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
    const inner = new Construct(edge, 'Inner');
    expect(() => new DefenceLayer(inner, 'Host', { layerName: 'host' }))
      .toThrow(/'Stack\/Edge\/Inner\/Host'[\s\S]*scope: 'Stack\/Edge\/Inner' \(inside layer 'edge' at 'Stack\/Edge'\)[\s\S]*never nested/);
  });

  test.each([
    ['', 'empty'],
    ['Edge', 'upper case'],
    ['1edge', 'starts with a digit'],
    ['edge-', 'ends with a hyphen'],
    ['e', 'one character'],
    ['edge_layer', 'underscore'],
    ['a'.repeat(33), 'too long'],
  ])('layerName %j (%s) is rejected with the prop, value and rule', (layerName) => {
    const stack = new Stack(new App(), 'Stack');
    let error: unknown;
    try {
      new DefenceLayer(stack, 'L', { layerName });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefenceValidationError);
    const e = error as DefenceValidationError;
    expect(e.constructPath).toBe('Stack/L');
    expect(e.problems).toEqual([expect.objectContaining({ prop: 'layerName', value: JSON.stringify(layerName) })]);
    expect(e.message).toContain('lowercase letters, digits and hyphens, 2 to 32 characters');
  });

  test('include() puts a foreign subtree into the layer', () => {
    const stack = new Stack(new App(), 'Stack');
    const watch = new DefenceLayer(stack, 'Watch', { layerName: 'watch' });
    const shared = new Construct(stack, 'ForeignTree');
    new sns.Topic(shared, 'Alarms');
    watch.include(shared);
    new sqs.Queue(shared, 'AddedLater');
    expect(Object.values(layerOfEveryResource(stack))).toEqual(['watch', 'watch']);
    expect(DefenceLayer.of(shared.node.findChild('Alarms'))).toBe(watch);
  });

  test('include() refuses a construct of another layer, and one that contains a layer', () => {
    const stack = new Stack(new App(), 'Stack');
    const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
    const host = new DefenceLayer(stack, 'Host', { layerName: 'host' });
    const edgeQueue = new sqs.Queue(edge, 'Q');
    expect(() => host.include(edgeQueue)).toThrow(/already in layer 'edge'[\s\S]*exactly one layer/);
    expect(() => host.include(stack)).toThrow(/already in layer|contains a DefenceLayer/);
    const wrapper = new Construct(stack, 'Wrapper');
    new DefenceLayer(wrapper, 'Monitor', { layerName: 'monitor' });
    expect(() => host.include(wrapper)).toThrow(/contains a DefenceLayer/);
  });

  test('a layer cannot be created inside an included subtree', () => {
    const stack = new Stack(new App(), 'Stack');
    const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
    const adopted = new Construct(stack, 'Adopted');
    edge.include(adopted);
    expect(() => new DefenceLayer(adopted, 'Host', { layerName: 'host' })).toThrow(/inside layer 'edge'/);
  });

  test('requireOf names what needs a layer when the scope has none', () => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => DefenceLayer.requireOf(stack, 'A widget')).toThrow(/'Stack' \(outside every DefenceLayer\)[\s\S]*A widget must be created inside a DefenceLayer/);
  });
});

describe('exemptions and observes edges', () => {
  test('allowShared writes the reason (and the allowed layers) on every resource of the subtree', () => {
    const stack = new Stack(new App(), 'Stack');
    const shared = new Construct(stack, 'Shared');
    new sns.Topic(shared, 'A');
    DefenceLayer.allowShared(shared, { reason: '  status page, best effort  ', layers: ['host', 'edge'] });
    new sqs.Queue(shared, 'AddedLater');
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
    const entries = Object.values(resources).map(r => r.Metadata?.['cdk-defence-in-depth:shared']);
    expect(entries).toEqual([
      { reason: 'status page, best effort', layers: ['edge', 'host'] },
      { reason: 'status page, best effort', layers: ['edge', 'host'] },
    ]);
  });

  test('allowShared refuses a missing reason, one layer, a bad and a repeated layer name, all at once', () => {
    const stack = new Stack(new App(), 'Stack');
    const topic = new sns.Topic(stack, 'T');
    expect(() => DefenceLayer.allowShared(topic, { reason: 'because', layers: ['Edge'] })).toThrow(new RegExp([
      "Invalid configuration of 'Stack/T':",
      '  - reason: "because" is not allowed; allowed: a sentence of at least 10 characters',
      '  - layers: 1 is not allowed; allowed: at least 2 layer names',
      '  - layers\\[0\\]: "Edge" is not allowed',
    ].join('[\\s\\S]*')));
    expect(() => DefenceLayer.allowShared(topic, { reason: 'a good enough reason', layers: ['edge', 'edge'] })).toThrow(/layers: "edge, edge" is not allowed; allowed: distinct layer names/);
  });

  test('observe records every observing layer on the target, sorted, without duplicates', () => {
    const stack = new Stack(new App(), 'Stack');
    const host = new DefenceLayer(stack, 'Host', { layerName: 'host' });
    const log = new sns.Topic(host, 'Heartbeat');
    new DefenceLayer(stack, 'Watch', { layerName: 'watch' }).observe(log, { reason: 'reads the heartbeat' });
    const edge = new DefenceLayer(stack, 'Edge', { layerName: 'edge' });
    edge.observe(log, { reason: 'first reason here' });
    edge.observe(log, { reason: 'second reason wins' });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
    const topic = Object.values(resources).find(r => r.Type === 'AWS::SNS::Topic');
    expect(topic.Metadata['cdk-defence-in-depth:observed-by']).toEqual([
      { layer: 'edge', reason: 'second reason wins' },
      { layer: 'watch', reason: 'reads the heartbeat' },
    ]);
  });

  test('observe refuses the layer\'s own resources and a missing reason', () => {
    const stack = new Stack(new App(), 'Stack');
    const host = new DefenceLayer(stack, 'Host', { layerName: 'host' });
    expect(() => host.observe(new sns.Topic(host, 'Own'), { reason: '' })).toThrow(new RegExp([
      "Invalid configuration of 'Stack/Host':",
      '  - reason: "" is not allowed',
      "  - observe\\(target\\): 'Stack/Host/Own' \\(in this layer, 'host'\\) is not allowed; allowed: a construct of another layer, or outside every layer",
    ].join('[\\s\\S]*')));
  });
});
