import { describe, expect, it } from 'vitest';
import { moveIndex, priceIn, returnItems, searchQuery } from './search';

describe('searchQuery', () => {
	it('needs two characters after trimming', () => {
		expect(searchQuery('')).toBeNull();
		expect(searchQuery(' a ')).toBeNull();
		expect(searchQuery(' ab ')).toBe('ab');
	});
});

describe('moveIndex', () => {
	it('is -1 for an empty list', () => {
		expect(moveIndex(-1, 1, 0)).toBe(-1);
		expect(moveIndex(3, -1, 0)).toBe(-1);
	});
	it('enters the list from nothing', () => {
		expect(moveIndex(-1, 1, 3)).toBe(0);
		expect(moveIndex(-1, -1, 3)).toBe(2);
	});
	it('moves and stops at the ends', () => {
		expect(moveIndex(0, 1, 3)).toBe(1);
		expect(moveIndex(2, 1, 3)).toBe(2);
		expect(moveIndex(1, -1, 3)).toBe(0);
		expect(moveIndex(0, -1, 3)).toBe(0);
	});
	it('recovers from an index past a shrunk list', () => {
		expect(moveIndex(5, 1, 2)).toBe(0);
		expect(moveIndex(5, -1, 2)).toBe(1);
	});
});

describe('priceIn', () => {
	const prices = [
		{ storeId: 1, price: '10.00', currency: 'SEK' },
		{ storeId: 2, price: '12.00', currency: 'EUR' }
	];
	it('finds the store price', () => {
		expect(priceIn(prices, 2)?.price).toBe('12.00');
	});
	it('is null without a store or a price there', () => {
		expect(priceIn(prices, null)).toBeNull();
		expect(priceIn(prices, undefined)).toBeNull();
		expect(priceIn(prices, 3)).toBeNull();
	});
});

describe('returnItems', () => {
	it('drops empty codes and sends empty quantities as null', () => {
		expect(
			returnItems([
				{ code: ' 123 ', quantity: '' },
				{ code: '', quantity: '2' },
				{ code: 'SKU-1', quantity: ' 2.5 ' }
			])
		).toEqual([
			{ code: '123', quantity: null },
			{ code: 'SKU-1', quantity: '2.5' }
		]);
	});
});
