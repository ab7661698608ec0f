import { describe, expect, it } from 'vitest';
import { ScanBurst } from './scanner';

function type(burst: ScanBurst, text: string, start: number, gap: number): number {
	let t = start;
	for (const ch of text) {
		expect(burst.feed(ch, t)).toBeNull();
		t += gap;
	}
	return t;
}

describe('ScanBurst', () => {
	it('returns a code typed at scanner speed and ended with Enter', () => {
		const b = new ScanBurst();
		const t = type(b, '7350012000019', 1000, 5);
		expect(b.feed('Enter', t)).toBe('7350012000019');
	});

	it('ignores slow, human typing', () => {
		const b = new ScanBurst();
		const t = type(b, '12345', 1000, 200);
		expect(b.feed('Enter', t)).toBeNull();
	});

	it('ignores an Enter that comes long after the last key', () => {
		const b = new ScanBurst();
		const t = type(b, '123456', 0, 5);
		expect(b.feed('Enter', t + 500)).toBeNull();
	});

	it('starts a new burst after a pause, dropping the earlier keys', () => {
		const b = new ScanBurst();
		type(b, 'ab', 0, 5);
		const t = type(b, '98765', 1000, 10);
		expect(b.feed('Enter', t)).toBe('98765');
	});

	it('rejects codes shorter than the minimum', () => {
		const b = new ScanBurst();
		const t = type(b, '12', 0, 5);
		expect(b.feed('Enter', t)).toBeNull();
	});

	it('reads two scans in a row', () => {
		const b = new ScanBurst();
		let t = type(b, '11112222', 0, 3);
		expect(b.feed('Enter', t)).toBe('11112222');
		t = type(b, '33334444', t + 100, 3);
		expect(b.feed('Enter', t)).toBe('33334444');
	});

	it('a non-character key breaks the burst; Shift does not', () => {
		const b = new ScanBurst();
		let t = type(b, 'abc', 0, 5);
		b.feed('Shift', t);
		t = type(b, 'D', t, 5);
		expect(b.feed('Enter', t)).toBe('abcD');
		t = type(b, 'abcd', t + 100, 5);
		b.feed('ArrowLeft', t);
		expect(b.feed('Enter', t + 5)).toBeNull();
	});

	it('reports whether it is collecting', () => {
		const b = new ScanBurst({ maxGapMs: 30, minLength: 3 });
		expect(b.collecting(0)).toBe(false);
		b.feed('1', 0);
		expect(b.collecting(10)).toBe(true);
		expect(b.collecting(100)).toBe(false);
	});
});
