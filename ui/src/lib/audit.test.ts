import { describe, expect, it } from 'vitest';
import { auditDiff, formatValue } from './audit';

describe('auditDiff', () => {
	it('lists only changed fields of an update, ignoring updatedAt', () => {
		const before = JSON.stringify({ name: 'Till 1', status: 'ENABLED', updatedAt: 'a', storeId: 1 });
		const after = JSON.stringify({ name: 'Till 1', status: 'DISABLED', updatedAt: 'b', storeId: 1 });
		expect(auditDiff(before, after)).toEqual([{ field: 'status', before: 'ENABLED', after: 'DISABLED' }]);
	});

	it('shows every non-null field of a create', () => {
		const after = JSON.stringify({ name: 'Till 1', terminal: null, deviceType: 'till' });
		expect(auditDiff(null, after)).toEqual([
			{ field: 'name', before: null, after: 'Till 1' },
			{ field: 'deviceType', before: null, after: 'till' }
		]);
	});

	it('shows removed fields of a delete', () => {
		expect(auditDiff('{"name":"Till 1"}', null)).toEqual([{ field: 'name', before: 'Till 1', after: null }]);
	});

	it('compares nested values regardless of key order', () => {
		const before = JSON.stringify({ terminal: { port: '/dev/ttyUSB0', baudRate: 9600 } });
		const after = JSON.stringify({ terminal: { baudRate: 9600, port: '/dev/ttyUSB0' } });
		expect(auditDiff(before, after)).toEqual([]);
	});

	it('renders nested values readably', () => {
		const before = JSON.stringify({ externalIds: [] });
		const after = JSON.stringify({
			externalIds: [
				{ provider: 'droppay', externalId: 'DP-1' },
				{ provider: 'swip', externalId: 'S-9' }
			]
		});
		expect(auditDiff(before, after)).toEqual([
			{ field: 'externalIds', before: '[]', after: 'droppay: DP-1; swip: S-9' }
		]);
	});

	it('falls back to raw text for snapshots that are not JSON objects', () => {
		expect(auditDiff('not json', '{"a":1}')).toEqual([{ field: '', before: 'not json', after: 'a: 1' }]);
		expect(auditDiff('"x"', '"y"')).toEqual([{ field: '', before: 'x', after: 'y' }]);
		expect(auditDiff(null, null)).toEqual([]);
	});
});

describe('formatValue', () => {
	it('formats scalars and objects', () => {
		expect(formatValue(null)).toBeNull();
		expect(formatValue(true)).toBe('true');
		expect(formatValue(42)).toBe('42');
		expect(formatValue({ port: 'COM3', baudRate: 19200, columns: 42 })).toBe('port: COM3, baudRate: 19200, columns: 42');
	});
});
