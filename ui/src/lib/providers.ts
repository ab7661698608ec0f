// Words for what a provider's Test connection ended in. The backend's message names the
// provider and the detail (the status, the error the provider sent); the code picks the
// sentence that says what to do about it.
import type { ConnectionTest, ConnectionTestCode } from '$lib/bindings';
import { t, type MessageKey } from '$lib/i18n';

// A Record, so the type check fails when the backend gains a code this list lacks.
const TEXT: Record<ConnectionTestCode, MessageKey> = {
	ok: 'providers.code.ok',
	settings_missing: 'providers.code.settings_missing',
	provider_dns: 'providers.code.provider_dns',
	provider_unreachable: 'providers.code.provider_unreachable',
	provider_tls: 'providers.code.provider_tls',
	provider_timeout: 'providers.code.provider_timeout',
	provider_answer_lost: 'providers.code.provider_answer_lost',
	provider_request_failed: 'providers.code.provider_request_failed',
	provider_error: 'providers.code.provider_error',
	provider_unauthorized: 'providers.code.provider_unauthorized',
	provider_forbidden: 'providers.code.provider_forbidden',
	provider_not_found: 'providers.code.provider_not_found',
	provider_rate_limited: 'providers.code.provider_rate_limited',
	provider_status: 'providers.code.provider_status',
	provider_malformed: 'providers.code.provider_malformed',
	provider_contradiction: 'providers.code.provider_contradiction',
	provider_refused: 'providers.code.provider_refused'
};

export const CONNECTION_TEST_CODES = Object.keys(TEXT) as ConnectionTestCode[];

export function connectionTestKey(code: ConnectionTestCode): MessageKey {
	return TEXT[code];
}

/** The sentence for the outcome, then the backend's detail. */
export function connectionTestText(test: ConnectionTest): string {
	return `${t(connectionTestKey(test.code))} (${test.message})`;
}
