import { describe, expect, it } from 'vitest';
import { formatAmount, formatQuantity } from './numbers';

describe('formatAmount', () => {
	it('writes Swedish with a decimal comma and no-break-space groups', () => {
		expect(formatAmount('sv', '1234567.50')).toBe('1\u00a0234\u00a0567,50');
		expect(formatAmount('sv', '12.50')).toBe('12,50');
		expect(formatAmount('sv', '-0.05')).toBe('-0,05');
		expect(formatAmount('sv', '100.00')).toBe('100,00');
	});

	it('writes English with a decimal point and comma groups', () => {
		expect(formatAmount('en', '1234567.50')).toBe('1,234,567.50');
		expect(formatAmount('en', '999.99')).toBe('999.99');
	});

	it('keeps the minor units the backend sent, digit for digit', () => {
		// Digits without decimals (a count) stay without.
		expect(formatAmount('en', '1234')).toBe('1,234');
		// Far beyond a float's precision: still exact.
		expect(formatAmount('en', '79228162514264337593543950335.00')).toBe('79,228,162,514,264,337,593,543,950,335.00');
	});

	it('never shows a negative zero, and leaves non-canonical text alone', () => {
		expect(formatAmount('sv', '-0.00')).toBe('0,00');
		expect(formatAmount('sv', '12,50')).toBe('12,50');
		expect(formatAmount('en', 'n/a')).toBe('n/a');
		expect(formatAmount('en', null)).toBe('');
	});
});

describe('formatQuantity', () => {
	it('is not grouped', () => {
		expect(formatQuantity('sv', '0.350')).toBe('0,350');
		expect(formatQuantity('en', '1234')).toBe('1234');
	});
});

describe('fmtAmount', () => {
	it('follows the UI language', async () => {
		const { fmtAmount, setUiLanguage } = await import('$lib/i18n/state.svelte');
		setUiLanguage('sv');
		expect(fmtAmount('1234.50')).toBe('1\u00a0234,50');
		setUiLanguage('en');
		expect(fmtAmount('1234.50')).toBe('1,234.50');
	});
});
