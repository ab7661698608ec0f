// Turns an AuditEntry's before/after JSON snapshots into readable rows.

export type DiffRow = { field: string; before: string | null; after: string | null };

/** Bookkeeping fields that change on every write and would only add noise. */
const NOISE = new Set(['updatedAt']);

function parse(json: string | null): { ok: true; value: unknown } | { ok: false } {
	if (json === null || json === '') return { ok: true, value: null };
	try {
		return { ok: true, value: JSON.parse(json) };
	} catch {
		return { ok: false };
	}
}

function isRecord(v: unknown): v is Record<string, unknown> {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A compact human-readable rendering of a JSON value; null/undefined -> null. */
export function formatValue(v: unknown): string | null {
	if (v === null || v === undefined) return null;
	if (typeof v === 'string') return v;
	if (typeof v === 'number' || typeof v === 'boolean') return String(v);
	if (Array.isArray(v)) {
		if (v.length === 0) return '[]';
		return v.map((item) => formatValue(item) ?? 'null').join('; ');
	}
	if (isRecord(v)) {
		// {provider, externalId} pairs read best as "droppay: ABC".
		const keys = Object.keys(v);
		if (keys.length === 2 && typeof v.provider === 'string' && 'externalId' in v) {
			return `${v.provider}: ${formatValue(v.externalId) ?? ''}`;
		}
		return keys.map((k) => `${k}: ${formatValue(v[k]) ?? 'null'}`).join(', ');
	}
	return String(v);
}

function same(a: unknown, b: unknown): boolean {
	return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
	if (Array.isArray(v)) return v.map(canonical);
	if (isRecord(v)) {
		const out: Record<string, unknown> = {};
		for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
		return out;
	}
	return v === undefined ? null : v;
}

/**
 * Changed fields between two JSON snapshots. A create (before null) lists every
 * field of `after`; a delete (after null) every field of `before`. Snapshots that
 * are not JSON objects are shown whole under the field name "".
 */
export function auditDiff(before: string | null, after: string | null): DiffRow[] {
	const b = parse(before);
	const a = parse(after);
	if (!b.ok || !a.ok || !(b.value === null || isRecord(b.value)) || !(a.value === null || isRecord(a.value))) {
		if (before === after) return [];
		return [
			{
				field: '',
				before: b.ok ? formatValue(b.value) : before,
				after: a.ok ? formatValue(a.value) : after
			}
		];
	}
	const bo = (b.value ?? {}) as Record<string, unknown>;
	const ao = (a.value ?? {}) as Record<string, unknown>;
	const keys = [...Object.keys(ao), ...Object.keys(bo).filter((k) => !(k in ao))];
	const rows: DiffRow[] = [];
	for (const k of keys) {
		if (NOISE.has(k)) continue;
		if (same(bo[k], ao[k])) continue;
		rows.push({ field: k, before: formatValue(bo[k]), after: formatValue(ao[k]) });
	}
	return rows;
}
