// @ts-expect-error: the UI has no Node types; vitest runs this file in Node.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeError, ERROR_CODES, errorKey, fieldLabel, joinErrorText, splitErrorText } from './errors';
import { en } from './i18n/en';
import { sv } from './i18n/sv';

/** The ErrorCode union exactly as the generated bindings declare it. */
function codesInBindings(): string[] {
	const source: string = readFileSync(new URL('./bindings.ts', import.meta.url), 'utf8');
	// Comments first: a doc comment on a code may hold a ';' of its own.
	const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '');
	const declaration = /export type ErrorCode =([\s\S]*?);/.exec(withoutComments);
	if (!declaration) throw new Error('bindings.ts declares no ErrorCode');
	return [...declaration[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]).sort();
}

/** Every field name kassa-app puts into an error, read from its sources. */
function fieldsNamedByTheBackend(): string[] {
	const dir = new URL('../../../crates/kassa-app/src/', import.meta.url);
	const patterns = [
		/validation\(\s*"([A-Za-z]+)"/g,
		/validate::\w+\(\s*"([A-Za-z]+)"/g,
		/parse_amount\(\s*"([A-Za-z]+)"/g,
		/parse_percent\(\s*[\w.]+,\s*"([A-Za-z]+)"/g,
		/coded\(\s*ErrorCode::\w+,\s*Some\("([A-Za-z]+)"\)/g
	];
	const names = new Set<string>();
	for (const file of (readdirSync(dir) as string[]).filter((f) => f.endsWith('.rs'))) {
		const source: string = readFileSync(new URL(file, dir), 'utf8');
		for (const p of patterns) for (const m of source.matchAll(p)) names.add(m[1]);
	}
	return [...names].sort();
}

describe('error codes', () => {
	it('are the ones the bindings declare', () => {
		expect([...ERROR_CODES].sort()).toEqual(codesInBindings());
	});

	it.each(codesInBindings())('%s has a text in English and in Swedish', (code) => {
		const key = `error.${code}`;
		expect(Object.keys(en)).toContain(key);
		expect(Object.keys(sv)).toContain(key);
	});

	it('every field the backend names has a label in both languages', () => {
		const fields = fieldsNamedByTheBackend();
		expect(fields.length).toBeGreaterThan(10);
		const missing = fields.filter((f) => !(`errorField.${f}` in en) || !(`errorField.${f}` in sv));
		expect(missing).toEqual([]);
	});
});

describe('describeError', () => {
	const shift = { code: 'no_open_shift', message: "no shift is open on 'Kassa 1'; open a shift first", field: null } as const;

	it('speaks the user’s language and keeps the backend message as detail', () => {
		expect(describeError('sv', shift)).toEqual({ text: sv[errorKey('no_open_shift')], detail: shift.message });
		expect(describeError('en', shift)).toEqual({ text: en[errorKey('no_open_shift')], detail: shift.message });
	});

	it('names the field in the sentence, and shows the expected number form', () => {
		const e = { code: 'invalid_number', message: "float: '12.50' is not an amount…", field: 'float' } as const;
		expect(describeError('sv', e).text).toBe('Talet i växelkassan kunde inte läsas exakt. Skriv det igen, t.ex. 1\u00a0234,50.');
		expect(describeError('en', e).text).toBe('The number in the float could not be read exactly. Retype it, e.g. 1,234.50.');
		const v = { code: 'validation', message: 'A reason must not be empty', field: 'reason' } as const;
		expect(describeError('sv', v).text).toBe('Uppgiften godtogs inte. Kontrollera orsaken och försök igen.');
		expect(describeError('sv', { ...v, field: null }).text).toBe(sv['error.validationNoField']);
	});

	it('falls back to a neutral label for a field it does not know', () => {
		expect(fieldLabel('sv', 'somethingNew')).toBe(sv['errorField.unknown']);
		expect(fieldLabel('en', null)).toBe(en['errorField.unknown']);
	});

	it('splits back into text and detail', () => {
		const text = describeError('sv', shift);
		expect(splitErrorText(joinErrorText(text))).toEqual(text);
		expect(splitErrorText('plain')).toEqual({ text: 'plain', detail: null });
	});
});
