import { describe, expect, it } from 'vitest';
import { en } from './en';
import { sv } from './sv';
import { dictionaries, formatDateTime, interpolate, isMessageKey, placeholders, translate } from './translate';

describe('dictionaries', () => {
	const langs = Object.keys(dictionaries) as (keyof typeof dictionaries)[];

	it('has English and Swedish', () => {
		expect(langs.sort()).toEqual(['en', 'sv']);
	});

	it('have identical key sets', () => {
		const enKeys = Object.keys(en).sort();
		expect(Object.keys(sv).sort()).toEqual(enKeys);
	});

	it.each(langs)('%s has no empty strings', (lang) => {
		const empty = Object.entries(dictionaries[lang]).filter(([, v]) => typeof v !== 'string' || v.trim() === '');
		expect(empty).toEqual([]);
	});

	it('use the same placeholders in both languages', () => {
		const mismatched = Object.keys(en).filter((k) => {
			const key = k as keyof typeof en;
			return placeholders(en[key]).join() !== placeholders(sv[key]).join();
		});
		expect(mismatched).toEqual([]);
	});

	it('has an entry for every enum value the UI translates', () => {
		const needed = [
			...['manager', 'cashier', 'accountant'].map((r) => `role.${r}`),
			...['REAL', 'VIRTUAL'].map((p) => `place.${p}`),
			...['ENABLED', 'DISABLED'].map((s) => `status.${s}`),
			...['till', 'self_checkout', 'mobile'].map((d) => `deviceType.${d}`),
			...['droppay', 'vourity', 'swip', 'flexiti', 'venue_manager'].map((p) => `provider.${p}`),
			...['create', 'update', 'enable', 'disable', 'delete', 'role', 'pin_reset', 'activate', 'deactivate', 'bind'].map(
				(a) => `action.${a}`
			),
			...['en', 'sv'].map((l) => `language.${l}`)
		];
		expect(needed.filter((k) => !isMessageKey(k))).toEqual([]);
	});
});

describe('interpolate / translate', () => {
	it('replaces placeholders', () => {
		expect(interpolate('{a} and {b}', { a: 1, b: 'two' })).toBe('1 and two');
	});

	it('leaves unknown placeholders visible', () => {
		expect(interpolate('hello {who}', {})).toBe('hello {who}');
	});

	it('translates per language', () => {
		expect(translate('en', 'nav.stores')).toBe('Stores');
		expect(translate('sv', 'nav.stores')).toBe('Butiker');
		expect(translate('sv', 'pos.created', { name: 'Kassa 1' })).toBe('Enheten ”Kassa 1” har skapats.');
	});

	it('knows which keys exist', () => {
		expect(isMessageKey('action.create')).toBe(true);
		expect(isMessageKey('action.explode')).toBe(false);
		expect(isMessageKey('toString')).toBe(false);
	});
});

describe('formatDateTime', () => {
	it('formats RFC 3339 and passes through garbage', () => {
		expect(formatDateTime('en', '2025-03-01T12:30:00Z')).toMatch(/2025/);
		expect(formatDateTime('sv', '2025-03-01T12:30:00Z')).toMatch(/2025/);
		expect(formatDateTime('en', 'not a date')).toBe('not a date');
		expect(formatDateTime('en', null)).toBe('');
	});
});
