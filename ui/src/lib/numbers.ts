// Numbers as a person reads them, in the UI language: the one formatter the screens use
// for amounts and quantities the backend sent. The backend sends exact decimal strings
// ("1234.50", already at the currency's minor units); this only re-punctuates their
// digits, so nothing is ever rounded or turned into a float. It writes what
// kassa-app's `numbers::format_amount` writes for the same language.
import type { Lang } from '$lib/i18n/translate';

type Notation = { decimal: string; group: string };

const NOTATIONS: Record<Lang, Notation> = {
	en: { decimal: '.', group: ',' },
	// CLDR's Swedish: decimal comma, thousands split by a no-break space.
	sv: { decimal: ',', group: '\u00a0' }
};

const CANONICAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function punctuate(lang: Lang, text: string, group: boolean): string {
	const m = CANONICAL.exec(text.trim());
	// Anything not in the backend's canonical form is shown as it came, never guessed at.
	if (!m) return text;
	const [, sign, integer, fraction] = m;
	const n = NOTATIONS[lang];
	const grouped = group ? integer.replace(/\B(?=(\d{3})+(?!\d))/g, n.group) : integer;
	const negative = sign && /[1-9]/.test(integer + (fraction ?? '')) ? '-' : '';
	return negative + grouped + (fraction !== undefined ? n.decimal + fraction : '');
}

/** An amount from the backend ("1234.50") in the UI language: "1 234,50" in Swedish. */
export function formatAmount(lang: Lang, amount: string | null | undefined): string {
	if (amount === null || amount === undefined) return '';
	return punctuate(lang, amount, true);
}

/** A quantity or weight ("0.350"), ungrouped as it would be typed: "0,350" in Swedish. */
export function formatQuantity(lang: Lang, quantity: string | null | undefined): string {
	if (quantity === null || quantity === undefined) return '';
	return punctuate(lang, quantity, false);
}
