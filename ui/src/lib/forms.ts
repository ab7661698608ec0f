// Pure helpers that turn form text into the typed values the backend expects.
// They never duplicate business rules (the backend validates names, codes, PINs);
// they only parse what the UI must convert, e.g. "55,605" -> 55.605.
import { ApiFailure } from '$lib/api';
import { translate, type Lang, type MessageKey, type Params } from '$lib/i18n/translate';

export type Problem = { key: MessageKey; label: MessageKey; params?: Params };
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export function describeProblem(lang: Lang, p: Problem): string {
	return translate(lang, p.key, { ...p.params, field: translate(lang, p.label) });
}

/** A form error found before anything is sent; `field` matches the DTO field name. */
export class FieldError extends Error {
	readonly field: string;

	constructor(field: string, message: string) {
		super(message);
		this.name = 'FieldError';
		this.field = field;
	}
}

/** Thrown by `need` when a field cannot be parsed. */
export class FormProblem extends FieldError {
	readonly problem: Problem;

	constructor(field: string, problem: Problem, lang: Lang) {
		super(field, describeProblem(lang, problem));
		this.name = 'FormProblem';
		this.problem = problem;
	}
}

export function need<T>(parsed: Parsed<T>, field: string, lang: Lang): T {
	if (parsed.ok) return parsed.value;
	throw new FormProblem(field, parsed.problem, lang);
}

/** The field an error is about (client-side FormProblem or backend ApiError.field). */
export function fieldOf(e: unknown): string | null {
	if (e instanceof FieldError) return e.field;
	if (e instanceof ApiFailure) return e.apiError.field;
	return null;
}

const DECIMAL = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/;

export type NumberRule = { label: MessageKey; min: number; max: number; example: string };

/** Empty text -> null; otherwise a decimal number (dot or comma) within [min, max]. */
export function parseOptionalNumber(text: string, rule: NumberRule): Parsed<number | null> {
	const s = text.trim().replace(/\s+/g, '');
	if (s === '') return { ok: true, value: null };
	if (!DECIMAL.test(s)) {
		return { ok: false, problem: { key: 'validation.number', label: rule.label, params: { example: rule.example } } };
	}
	const n = Number(s.replace(',', '.'));
	if (!Number.isFinite(n)) {
		return { ok: false, problem: { key: 'validation.number', label: rule.label, params: { example: rule.example } } };
	}
	if (n < rule.min || n > rule.max) {
		return {
			ok: false,
			problem: { key: 'validation.range', label: rule.label, params: { min: rule.min, max: rule.max } }
		};
	}
	return { ok: true, value: n };
}

export function parseLatitude(text: string): Parsed<number | null> {
	return parseOptionalNumber(text, { label: 'stores.latitude', min: -90, max: 90, example: '55.6050' });
}

export function parseLongitude(text: string): Parsed<number | null> {
	return parseOptionalNumber(text, { label: 'stores.longitude', min: -180, max: 180, example: '13.0038' });
}

/** Non-empty trimmed text, or a "required" problem. */
export function requireText(text: string, label: MessageKey): Parsed<string> {
	const s = text.trim();
	if (s === '') return { ok: false, problem: { key: 'validation.required', label } };
	return { ok: true, value: s };
}

/** Trimmed text, or null when empty (for optional fields such as VAT number). */
export function optionalText(text: string | null | undefined): string | null {
	const s = (text ?? '').trim();
	return s === '' ? null : s;
}

/** ISO codes are sent upper case: " se " -> "SE". */
export function isoCode(text: string): string {
	return text.trim().toUpperCase();
}

/** Number -> text for an input (null -> ""). */
export function numberText(n: number | null | undefined): string {
	return n === null || n === undefined ? '' : String(n);
}
