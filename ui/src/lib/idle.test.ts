import { describe, expect, it } from 'vitest';
import { IdleClock } from './idle';

describe('IdleClock', () => {
	it('expires after the limit with no activity, and not a millisecond before', () => {
		const idle = new IdleClock(5, 1_000);
		expect(idle.expired(1_000 + 5 * 60_000 - 1)).toBe(false);
		expect(idle.remaining(1_000 + 5 * 60_000 - 1)).toBe(1);
		expect(idle.expired(1_000 + 5 * 60_000)).toBe(true);
		expect(idle.remaining(1_000 + 6 * 60_000)).toBe(0);
	});

	it('starts over at every touch', () => {
		const idle = new IdleClock(1, 0);
		idle.touch(50_000);
		expect(idle.expired(60_000)).toBe(false);
		expect(idle.expired(110_000)).toBe(true);
	});

	it('ignores a touch stamped earlier than the last one', () => {
		const idle = new IdleClock(1, 0);
		idle.touch(30_000);
		idle.touch(10_000);
		expect(idle.expired(89_999)).toBe(false);
		expect(idle.expired(90_000)).toBe(true);
	});
});
