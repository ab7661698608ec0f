// Pure translation helpers (no Svelte state), unit-tested in i18n.test.ts.
import { en, type MessageKey } from './en';
import { sv } from './sv';

export type { MessageKey };
export type Lang = 'en' | 'sv';
export type Params = Record<string, string | number>;

export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, sv };

export function isMessageKey(key: string): key is MessageKey {
	return Object.prototype.hasOwnProperty.call(en, key);
}

/** Replaces {name} placeholders; unknown placeholders are left visible so they get noticed. */
export function interpolate(template: string, params?: Params): string {
	if (!params) return template;
	return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
		Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole
	);
}

export function translate(lang: Lang, key: MessageKey, params?: Params): string {
	const template = dictionaries[lang][key] ?? en[key] ?? key;
	return interpolate(template, params);
}

/** Placeholder names used in a template, e.g. "{a} and {b}" -> ["a", "b"]. */
export function placeholders(template: string): string[] {
	return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

const LOCALES: Record<Lang, string> = { en: 'en-GB', sv: 'sv-SE' };

export function formatDateTime(lang: Lang, iso: string | null | undefined): string {
	if (!iso) return '';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}
