// The current language as reactive state. Reading it inside a template or $derived
// makes the text re-render when the language changes.
import { translate, formatDateTime, type Lang, type MessageKey, type Params } from './translate';
import { formatAmount } from '$lib/numbers';

const current = $state<{ lang: Lang }>({ lang: 'en' });

export function getLanguage(): Lang {
	return current.lang;
}

export function setUiLanguage(lang: Lang): void {
	current.lang = lang;
	if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

export function t(key: MessageKey, params?: Params): string {
	return translate(current.lang, key, params);
}

export function fmtDateTime(iso: string | null | undefined): string {
	return formatDateTime(current.lang, iso);
}

/** An amount from the backend ("1234.50") as the UI language writes it ("1 234,50"). */
export function fmtAmount(amount: string | null | undefined): string {
	return formatAmount(current.lang, amount);
}
