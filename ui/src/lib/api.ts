// The only module that talks to the backend. Every command result is unwrapped:
// `ok` gives the data, `error` throws an ApiFailure carrying the backend's ApiError.
// Pages therefore write `const stores = await api.listStores()` inside try/catch.
import { commands } from '$lib/bindings';
import type { ApiError, ErrorCode } from '$lib/bindings';

/** The shape tauri-specta's generated commands resolve to. */
export type Result<T, E> = { status: 'ok'; data: T } | { status: 'error'; error: E };

export type * from '$lib/bindings';

const ERROR_CODES: readonly ErrorCode[] = [
	'validation',
	'not_found',
	'conflict',
	'forbidden',
	'unauthenticated',
	'auth_failed',
	'locked',
	'approval_required',
	'not_sale_owner',
	'database',
	'internal'
];

/** An Error that carries the backend's structured ApiError. */
export class ApiFailure extends Error {
	readonly apiError: ApiError;

	constructor(apiError: ApiError) {
		super(apiError.message);
		this.name = 'ApiFailure';
		this.apiError = apiError;
	}

	get code(): ErrorCode {
		return this.apiError.code;
	}

	get field(): string | null {
		return this.apiError.field;
	}
}

/**
 * Turns whatever arrived in the error branch into a well-formed ApiError.
 * Tauri itself rejects with a plain string for e.g. an unknown command or bad
 * arguments; those become code "internal" with the string as message.
 */
export function toApiError(raw: unknown): ApiError {
	if (raw !== null && typeof raw === 'object') {
		const r = raw as Record<string, unknown>;
		if (typeof r.message === 'string' && r.message !== '') {
			const code =
				typeof r.code === 'string' && (ERROR_CODES as readonly string[]).includes(r.code)
					? (r.code as ErrorCode)
					: 'internal';
			const field = typeof r.field === 'string' ? r.field : null;
			return { code, message: r.message, field };
		}
		try {
			return { code: 'internal', message: JSON.stringify(raw), field: null };
		} catch {
			return { code: 'internal', message: String(raw), field: null };
		}
	}
	if (typeof raw === 'string' && raw !== '') {
		return { code: 'internal', message: raw, field: null };
	}
	return { code: 'internal', message: 'unknown error', field: null };
}

type Listener = (failure: ApiFailure) => void;
const listeners = new Set<Listener>();

/** Called for every ApiFailure (used to drop back to the login screen on "unauthenticated"). */
export function onApiFailure(listener: Listener): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}

/** Unwraps a tauri-specta Result, throwing ApiFailure on the error branch. */
export async function unwrap<T>(result: Promise<Result<T, ApiError>> | Result<T, ApiError>): Promise<T> {
	const r = await result;
	if (r.status === 'ok') return r.data;
	const failure = new ApiFailure(toApiError(r.error));
	for (const l of listeners) l(failure);
	throw failure;
}

/** Human-readable text for anything caught from an api call. */
export function errorMessage(e: unknown): string {
	if (e instanceof ApiFailure) return e.apiError.message;
	if (e instanceof Error) return e.message || e.name;
	if (typeof e === 'string') return e;
	return toApiError(e).message;
}

/** The ApiError's offending field, if the backend named one. */
export function errorField(e: unknown): string | null {
	return e instanceof ApiFailure ? e.apiError.field : null;
}

type Commands = typeof commands;
type Unwrapped<F> = F extends (...args: infer A) => Promise<Result<infer T, ApiError>>
	? (...args: A) => Promise<T>
	: never;

/** `commands` with every method unwrapped. */
export type Api = { [K in keyof Commands]: Unwrapped<Commands[K]> };

export const api: Api = Object.fromEntries(
	Object.entries(commands).map(([name, fn]) => [
		name,
		(...args: unknown[]) =>
			unwrap((fn as (...a: unknown[]) => Promise<Result<unknown, ApiError>>)(...args))
	])
) as Api;
