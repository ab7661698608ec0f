// Pure helpers for the till's product search and the refund screen's receiptless return.
import type { ReturnItemInput, StorePrice } from '$lib/bindings';

/** The shortest query the till searches for. */
export const MIN_QUERY = 2;

/** The trimmed query when it is long enough to search for, else null. */
export function searchQuery(raw: string): string | null {
	const q = raw.trim();
	return q.length >= MIN_QUERY ? q : null;
}

/**
 * The next highlighted index in a list of `length` items after Up (-1) or Down (+1).
 * -1 means nothing highlighted; Down from nothing picks the first, Up from nothing the last.
 * The highlight stops at either end rather than wrapping.
 */
export function moveIndex(current: number, delta: number, length: number): number {
	if (length <= 0) return -1;
	if (current < 0 || current >= length) return delta < 0 ? length - 1 : 0;
	return Math.min(length - 1, Math.max(0, current + delta));
}

/** The product's price in the given store, or null when it has none there (or no store is known). */
export function priceIn(prices: StorePrice[], storeId: number | null | undefined): StorePrice | null {
	if (storeId === null || storeId === undefined) return null;
	return prices.find((p) => p.storeId === storeId) ?? null;
}

export type ReturnRow = { code: string; quantity: string };

/** The filled-in return rows as the backend's items: empty codes dropped, empty quantity = null (one). */
export function returnItems(rows: ReturnRow[]): ReturnItemInput[] {
	return rows
		.map((r) => ({ code: r.code.trim(), quantity: r.quantity.trim() }))
		.filter((r) => r.code !== '')
		.map((r) => ({ code: r.code, quantity: r.quantity === '' ? null : r.quantity }));
}
