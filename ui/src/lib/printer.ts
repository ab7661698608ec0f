// The receipt width of this till's printer (32, 42 or 48 characters), for previews.
import type { PosDevice } from '$lib/bindings';

export const DEFAULT_COLUMNS = 42;
const WIDTHS = [32, 42, 48];

/** The printer width of device `posId`, or 42 when it has no (valid) printer. */
export function columnsFor(devices: readonly PosDevice[], posId: number | null | undefined): number {
	const columns = devices.find((d) => d.id === posId)?.printer?.columns;
	return columns !== undefined && WIDTHS.includes(columns) ? columns : DEFAULT_COLUMNS;
}
