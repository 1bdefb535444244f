import { App, Lazy, Stack } from 'aws-cdk-lib';
import { DefenceValidationError, PropValidator, describeValue } from '../../src/core/validation-error';

describe('PropValidator', () => {
  test('collects every problem and throws one error naming path, prop, value and allowed range', () => {
    const stack = new Stack(new App(), 'Stack');
    const v = new PropValidator(stack);
    v.integerInRange('retention', 0, 1, 36500, 'days');
    v.integerInRange('transitionAfter', 2.5, 1, 10, 'days');
    v.matches('accountId', '12345', /^\d{12}$/, 'a 12-digit AWS account id');
    v.check(true, 'fine', 1, 'anything');
    expect(v.hasProblems).toBe(true);
    expect(() => v.throwIfInvalid()).toThrow(DefenceValidationError);
    try {
      v.throwIfInvalid();
    } catch (e) {
      const err = e as DefenceValidationError;
      expect(err.message).toBe([
        "Invalid configuration of 'Stack':",
        '  - retention: 0 days is not allowed; allowed: a whole number from 1 to 36500 days',
        '  - transitionAfter: 2.5 days is not allowed; allowed: a whole number from 1 to 10 days',
        '  - accountId: "12345" is not allowed; allowed: a 12-digit AWS account id',
      ].join('\n'));
      expect(err.problems).toHaveLength(3);
    }
  });

  test('skips unresolved tokens and undefined values, and does not throw without problems', () => {
    const stack = new Stack(new App(), 'Stack');
    const v = new PropValidator(stack);
    v.integerInRange('n', Lazy.number({ produce: () => -1 }), 1, 2);
    v.matches('s', Lazy.string({ produce: () => 'x' }), /^y$/, 'y');
    v.matches('t', undefined, /^y$/, 'y');
    v.integerInRange('u', undefined, 1, 2);
    expect(v.hasProblems).toBe(false);
    expect(() => v.throwIfInvalid()).not.toThrow();
  });

  test('describes values readably', () => {
    expect(describeValue('a')).toBe('"a"');
    expect(describeValue(['1', 2])).toBe('["1", 2]');
    expect(describeValue(undefined)).toBe('undefined');
  });
});
