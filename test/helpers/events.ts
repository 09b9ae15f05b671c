// Builds attack events for detector tests; time is whatever the test says it is.
import type { AttackEvent } from '../../src/model/event.js';

export const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);

export function event(overrides: Partial<AttackEvent> & Pick<AttackEvent, 'attacker'>): AttackEvent {
  return {
    time: T0,
    kind: 'register',
    victim: null,
    userAgent: null,
    user: null,
    rule: 'test.rule',
    source: 'test',
    stream: 'message',
    ...overrides,
  };
}
