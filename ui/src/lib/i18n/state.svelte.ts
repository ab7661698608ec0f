// The current language as reactive state. Reading it inside a template or $derived
// makes the text re-render when the language changes.
import { translate, formatDateTime, type Lang, type MessageKey, type Params } from './translate';

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
