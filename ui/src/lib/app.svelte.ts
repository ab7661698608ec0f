// Application-wide state: the backend's AppStatus (session, binding, language).
import { api, ApiFailure, errorMessage, onApiFailure, type AppStatus, type Role } from '$lib/api';
import { setUiLanguage, t } from '$lib/i18n';
import { DEFAULT_COLUMNS, columnsFor } from '$lib/printer';

class AppState {
	status = $state<AppStatus | null>(null);
	/** Set when appStatus() itself failed: the start screen shows it instead of a blank page. */
	startError = $state<string | null>(null);
	loading = $state(true);

	session = $derived(this.status?.session ?? null);
	role = $derived<Role | null>(this.status?.session?.role ?? null);
	isManager = $derived(this.role === 'manager');
	canAudit = $derived(this.role === 'manager' || this.role === 'accountant');

	/** (Re)reads AppStatus from the backend. */
	async refresh(): Promise<void> {
		try {
			this.apply(await api.appStatus());
			this.startError = null;
		} catch (e) {
			this.startError =
				e instanceof ApiFailure
					? t('app.startFailed', { message: errorMessage(e) })
					: t('app.backendUnavailable', { message: errorMessage(e) });
		} finally {
			this.loading = false;
		}
	}

	apply(status: AppStatus): void {
		this.status = status;
		setUiLanguage(status.language);
	}
}

export const app = new AppState();

// A command answered "unauthenticated" (e.g. the session ended): re-read the
// status so the login screen appears instead of a page full of errors.
onApiFailure((failure) => {
	if (failure.code === 'unauthenticated' && app.session) void app.refresh();
});

/** The bound till's receipt printer width (looked up once per session; 42 when unknown). */
let columnsCache: { posId: number; columns: number } | null = null;
export async function receiptColumns(): Promise<number> {
	const bound = app.status?.boundDevice;
	if (!bound) return DEFAULT_COLUMNS;
	if (columnsCache?.posId === bound.posId) return columnsCache.columns;
	try {
		const devices = await api.listPosDevices(bound.storeId, false);
		columnsCache = { posId: bound.posId, columns: columnsFor(devices, bound.posId) };
		return columnsCache.columns;
	} catch {
		return DEFAULT_COLUMNS;
	}
}
