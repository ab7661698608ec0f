import { describe, expect, it, vi } from 'vitest';
import { api, ApiFailure, errorMessage, errorField, onApiFailure, toApiError, unwrap, type Result } from './api';
import { commands, type ApiError } from './bindings';

const err = (e: unknown) => ({ status: 'error', error: e }) as Result<never, ApiError>;

describe('unwrap', () => {
	it('returns the data of an ok result', async () => {
		await expect(unwrap({ status: 'ok', data: [1, 2] })).resolves.toEqual([1, 2]);
		await expect(unwrap(Promise.resolve({ status: 'ok' as const, data: null }))).resolves.toBeNull();
	});

	it('throws an ApiFailure carrying the ApiError', async () => {
		const apiError: ApiError = { code: 'locked', message: 'Locked until 12:30', field: null };
		const p = unwrap(err(apiError));
		await expect(p).rejects.toBeInstanceOf(ApiFailure);
		await expect(p).rejects.toBeInstanceOf(Error);
		const failure = await p.catch((e: unknown) => e as ApiFailure);
		expect(failure.apiError).toEqual(apiError);
		expect(failure.message).toBe('Locked until 12:30');
		expect(failure.code).toBe('locked');
		// The text is the code's, in the UI language; the backend's message follows as detail.
		expect(errorMessage(failure)).toBe('Too many wrong PINs: this user is locked for a while.\nLocked until 12:30');
	});

	it('keeps the offending field', async () => {
		const failure = await unwrap(err({ code: 'validation', message: 'Latitude out of range', field: 'latitude' })).catch(
			(e: unknown) => e
		);
		expect(errorField(failure)).toBe('latitude');
	});

	it('normalises a plain string error from Tauri itself', async () => {
		const failure = await unwrap(err('command list_storez not found')).catch((e: unknown) => e as ApiFailure);
		expect(failure.apiError).toEqual({ code: 'internal', message: 'command list_storez not found', field: null });
	});

	it('tells listeners, e.g. about an ended session', async () => {
		const seen = vi.fn();
		const off = onApiFailure(seen);
		await unwrap(err({ code: 'unauthenticated', message: 'Please sign in', field: null })).catch(() => {});
		off();
		await unwrap(err({ code: 'unauthenticated', message: 'again', field: null })).catch(() => {});
		expect(seen).toHaveBeenCalledTimes(1);
		expect(seen.mock.calls[0][0].code).toBe('unauthenticated');
	});
});

describe('toApiError', () => {
	it('keeps a well-formed ApiError', () => {
		expect(toApiError({ code: 'conflict', message: 'Name taken', field: 'name' })).toEqual({
			code: 'conflict',
			message: 'Name taken',
			field: 'name'
		});
	});

	it('maps an unknown code to internal', () => {
		expect(toApiError({ code: 'teapot', message: 'short and stout' }).code).toBe('internal');
	});

	it('never produces an empty message', () => {
		expect(toApiError(undefined).message).not.toBe('');
		expect(toApiError('').message).not.toBe('');
		expect(toApiError({ weird: true }).message).toBe('{"weird":true}');
	});
});

describe('errorMessage', () => {
	it('handles plain errors and strings', () => {
		expect(errorMessage(new TypeError('window is not defined'))).toBe('window is not defined');
		expect(errorMessage('boom')).toBe('boom');
		expect(errorField(new Error('x'))).toBeNull();
	});
});

describe('api', () => {
	it('wraps every generated command', () => {
		expect(Object.keys(api).sort()).toEqual(Object.keys(commands).sort());
	});

	it('lets a transport failure through as a plain Error (no Tauri here)', async () => {
		const p = api.appStatus();
		await expect(p).rejects.toBeInstanceOf(Error);
		await expect(p).rejects.not.toBeInstanceOf(ApiFailure);
	});
});
