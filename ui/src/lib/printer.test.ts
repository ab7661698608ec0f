import { describe, expect, it } from 'vitest';
import type { PosDevice } from '$lib/bindings';
import { columnsFor } from './printer';

const device = (id: number, columns: number | null): PosDevice =>
	({ id, printer: columns === null ? null : { port: '/dev/ttyUSB0', baudRate: 9600, columns } }) as PosDevice;

describe('columnsFor', () => {
	it('uses the bound device’s printer width', () => {
		expect(columnsFor([device(1, 32), device(2, 48)], 2)).toBe(48);
	});
	it('falls back to 42 without a printer, an unknown device or an odd width', () => {
		expect(columnsFor([device(1, null)], 1)).toBe(42);
		expect(columnsFor([device(1, 32)], 7)).toBe(42);
		expect(columnsFor([device(1, 40)], 1)).toBe(42);
		expect(columnsFor([], null)).toBe(42);
	});
});
