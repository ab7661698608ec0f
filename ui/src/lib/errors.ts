// What an error says to the person at the screen, in their language. The backend's
// ErrorCode (and the field it names) picks the text; the backend's own English message is
// kept only as the detail, shown smaller under it.
import type { ApiError, ErrorCode } from '$lib/bindings';
import { isMessageKey, translate, type Lang, type MessageKey } from '$lib/i18n/translate';
import { formatAmount, formatQuantity } from '$lib/numbers';

// A Record, so the type check fails when bindings gain a code this list lacks.
const CODES: Record<ErrorCode, true> = {
	validation: true,
	not_found: true,
	conflict: true,
	forbidden: true,
	unauthenticated: true,
	auth_failed: true,
	locked: true,
	approval_required: true,
	not_sale_owner: true,
	database: true,
	restore_refused: true,
	internal: true,
	invalid_number: true,
	unknown_product: true,
	no_open_shift: true,
	payment_unresolved: true,
	till_unavailable: true,
	currency_mismatch: true,
	other_store: true,
	provider_failed: true,
	provider_credentials_rejected: true,
	payment_refused: true,
	registration_unknown: true,
	external_id_taken: true,
	terminal_failed: true
};

export const ERROR_CODES: readonly ErrorCode[] = Object.keys(CODES) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
	return Object.prototype.hasOwnProperty.call(CODES, code);
}

/** The text of an error code. */
export function errorKey(code: ErrorCode): MessageKey {
	return `error.${code}` as MessageKey;
}

/** How the field the backend named is called in a sentence ("the float", "växelkassan"). */
export function fieldLabel(lang: Lang, field: string | null): string {
	const key = `errorField.${field ?? 'unknown'}`;
	return translate(lang, isMessageKey(key) ? key : 'errorField.unknown');
}

/** The expected form of a number in that field, written in the UI language. */
function example(lang: Lang, field: string | null): string {
	return field === 'quantity' ? formatQuantity(lang, '0.350') : formatAmount(lang, '1234.50');
}

export type ErrorText = { text: string; detail: string | null };

export function describeError(lang: Lang, error: ApiError): ErrorText {
	const code = isErrorCode(error.code) ? error.code : 'internal';
	let text: string;
	if (code === 'validation' && !error.field) {
		text = translate(lang, 'error.validationNoField');
	} else {
		text = translate(lang, errorKey(code), {
			field: fieldLabel(lang, error.field),
			example: example(lang, error.field)
		});
	}
	const detail = error.message.trim();
	return { text, detail: detail && detail !== text ? detail : null };
}

/** Joins text and detail into the one string pages keep; `Alert` splits it again. */
export const DETAIL_SEPARATOR = '\n';

export function joinErrorText({ text, detail }: ErrorText): string {
	return detail ? `${text}${DETAIL_SEPARATOR}${detail}` : text;
}

export function splitErrorText(message: string): ErrorText {
	const at = message.indexOf(DETAIL_SEPARATOR);
	if (at < 0) return { text: message, detail: null };
	return { text: message.slice(0, at), detail: message.slice(at + DETAIL_SEPARATOR.length) };
}
