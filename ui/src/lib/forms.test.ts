import { describe, expect, it } from 'vitest';
import { ApiFailure } from './api';
import {
	describeProblem,
	fieldOf,
	FormProblem,
	isoCode,
	need,
	numberText,
	optionalText,
	parseLatitude,
	parseLongitude,
	requireText
} from './forms';

describe('parseLatitude / parseLongitude', () => {
	it('treats empty text as "not given"', () => {
		expect(parseLatitude('')).toEqual({ ok: true, value: null });
		expect(parseLatitude('   ')).toEqual({ ok: true, value: null });
	});

	it('accepts dot and comma decimals and signs', () => {
		expect(parseLatitude('55.6050')).toEqual({ ok: true, value: 55.605 });
		expect(parseLatitude(' 55,605 ')).toEqual({ ok: true, value: 55.605 });
		expect(parseLongitude('-13')).toEqual({ ok: true, value: -13 });
		expect(parseLongitude('+180')).toEqual({ ok: true, value: 180 });
		expect(parseLatitude('.5')).toEqual({ ok: true, value: 0.5 });
	});

	it('rejects text that is not a number with a clear message', () => {
		for (const bad of ['abc', '55.6N', '1e3', '55.6.1', 'NaN', 'Infinity', '-', '1,000.5']) {
			const r = parseLatitude(bad);
			expect(r.ok, bad).toBe(false);
			if (!r.ok) {
				expect(describeProblem('en', r.problem)).toBe('Latitude must be a number, e.g. 55.6050.');
				expect(describeProblem('sv', r.problem)).toBe('Latitud måste vara ett tal, t.ex. 55.6050.');
			}
		}
	});

	it('rejects out-of-range values naming the range', () => {
		const lat = parseLatitude('90.5');
		expect(lat.ok).toBe(false);
		if (!lat.ok) expect(describeProblem('en', lat.problem)).toBe('Latitude must be between -90 and 90.');
		const lon = parseLongitude('-181');
		expect(lon.ok).toBe(false);
		if (!lon.ok) expect(describeProblem('en', lon.problem)).toBe('Longitude must be between -180 and 180.');
		expect(parseLatitude('-90')).toEqual({ ok: true, value: -90 });
	});
});

describe('need / fieldOf', () => {
	it('returns the value or throws a FormProblem naming the field', () => {
		expect(need(parseLatitude('1'), 'latitude', 'en')).toBe(1);
		let thrown: unknown;
		try {
			need(parseLatitude('x'), 'latitude', 'en');
		} catch (e) {
			thrown = e;
		}
		expect(thrown).toBeInstanceOf(FormProblem);
		expect((thrown as Error).message).toBe('Latitude must be a number, e.g. 55.6050.');
		expect(fieldOf(thrown)).toBe('latitude');
	});

	it('reads the field of a backend error too', () => {
		expect(fieldOf(new ApiFailure({ code: 'validation', message: 'bad', field: 'country' }))).toBe('country');
		expect(fieldOf(new Error('x'))).toBeNull();
	});
});

describe('small text helpers', () => {
	it('requireText', () => {
		expect(requireText('  /dev/ttyUSB0 ', 'pos.terminalPort')).toEqual({ ok: true, value: '/dev/ttyUSB0' });
		const r = requireText('  ', 'pos.terminalPort');
		expect(r.ok).toBe(false);
		if (!r.ok) expect(describeProblem('en', r.problem)).toBe('Terminal serial port is required.');
	});

	it('optionalText, isoCode, numberText', () => {
		expect(optionalText('  ')).toBeNull();
		expect(optionalText(null)).toBeNull();
		expect(optionalText(' SE556 ')).toBe('SE556');
		expect(isoCode(' se ')).toBe('SE');
		expect(numberText(null)).toBe('');
		expect(numberText(55.605)).toBe('55.605');
	});
});
