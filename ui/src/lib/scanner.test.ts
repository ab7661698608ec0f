import { describe, expect, it } from 'vitest';
import { ScanBurst, ScanCatcher } from './scanner';

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

/** A text field as the browser keeps it: keydown first, then (unless prevented) the character lands. */
class Field extends EventTarget {
	tagName = 'INPUT';
	value: string;
	inputs = 0;
	constructor(value = '') {
		super();
		this.value = value;
		this.addEventListener('input', () => this.inputs++);
	}
}

type Key = { key: string; timeStamp: number; altKey: boolean; ctrlKey: boolean; metaKey: boolean; prevented: boolean; stopped: boolean; preventDefault(): void; stopPropagation(): void };

function key(k: string, timeStamp: number): Key {
	return {
		key: k,
		timeStamp,
		altKey: false,
		ctrlKey: false,
		metaKey: false,
		prevented: false,
		stopped: false,
		preventDefault() {
			this.prevented = true;
		},
		stopPropagation() {
			this.stopped = true;
		}
	};
}

/** Types `text` then Enter into `field` through the catcher, `gap` ms apart; returns what it caught and the Enter. */
function typeInto(catcher: ScanCatcher, field: Field | null, text: string, start: number, gap: number) {
	let t = start;
	const caught: string[] = [];
	for (const ch of text) {
		const e = key(ch, t);
		const code = catcher.keydown(e, field as unknown as Element);
		if (code !== null) caught.push(code);
		if (!e.prevented && field) field.value += ch;
		t += gap;
	}
	const enter = key('Enter', t);
	const code = catcher.keydown(enter, field as unknown as Element);
	if (code !== null) caught.push(code);
	return { caught, enter };
}

describe('ScanCatcher', () => {
	it('takes a burst typed into a focused search box as a scan and gives the box its text back', () => {
		const catcher = new ScanCatcher();
		const search = new Field('kaf');
		const { caught, enter } = typeInto(catcher, search, '7350012000011', 1000, 5);
		expect(caught).toEqual(['7350012000011']);
		// The Enter belongs to the scan: it must not pick a search result or submit a form.
		expect(enter.prevented).toBe(true);
		expect(enter.stopped).toBe(true);
		expect(search.value).toBe('kaf');
		expect(search.inputs).toBeGreaterThan(0);
	});

	it('leaves a burst into a field that takes codes itself to that field, first key included', () => {
		const catcher = new ScanCatcher();
		const code = new Field();
		(code as unknown as { hasAttribute(name: string): boolean }).hasAttribute = (name) => name === 'data-takes-scans';
		// The first key comes late, so a burst would begin at the second one.
		const first = key('7', 0);
		catcher.keydown(first, code as unknown as Element);
		code.value = '7';
		const { caught, enter } = typeInto(catcher, code, '350012000011', 400, 5);
		expect(caught).toEqual([]);
		expect(enter.prevented).toBe(false);
		expect(code.inputs).toBe(0);
	});

	it('takes a burst with no field focused', () => {
		const catcher = new ScanCatcher();
		const { caught, enter } = typeInto(catcher, null, '7350012000011', 0, 5);
		expect(caught).toEqual(['7350012000011']);
		expect(enter.prevented).toBe(true);
	});

	it('leaves slow typing and its Enter to the focused field', () => {
		const catcher = new ScanCatcher();
		const search = new Field();
		const { caught, enter } = typeInto(catcher, search, 'kaffe', 0, 150);
		expect(caught).toEqual([]);
		expect(enter.prevented).toBe(false);
		expect(enter.stopped).toBe(false);
		expect(search.value).toBe('kaffe');
		expect(search.inputs).toBe(0);
	});

	it('keeps what was typed slowly before a burst in the same field', () => {
		const catcher = new ScanCatcher();
		const code = new Field();
		let t = typeInto(catcher, code, 'ab', 0, 300).enter.timeStamp;
		code.value = 'ab';
		const { caught } = typeInto(catcher, code, '4006381333931', t + 300, 4);
		expect(caught).toEqual(['4006381333931']);
		expect(code.value).toBe('ab');
		t += 1000;
		expect(typeInto(catcher, code, '12', t, 4).caught).toEqual([]);
	});

	it('ignores keys typed with Ctrl, Alt or Meta', () => {
		const catcher = new ScanCatcher();
		const e = key('a', 0);
		e.ctrlKey = true;
		expect(catcher.keydown(e, null)).toBeNull();
		expect(e.prevented).toBe(false);
	});
});
