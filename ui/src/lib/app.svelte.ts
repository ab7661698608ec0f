// Application-wide state: the backend's AppStatus (session, binding, language), what the
// signed-in user may do (from the backend, never from role rules of our own), and the lock.
import { api, ApiFailure, errorMessage, onApiFailure, type AppStatus, type Permissions, type Role } from '$lib/api';
import { setUiLanguage, t } from '$lib/i18n';
import { DEFAULT_COLUMNS, columnsFor } from '$lib/printer';

class AppState {
	status = $state<AppStatus | null>(null);
	/** Set when appStatus() itself failed: the start screen shows it instead of a blank page. */
	startError = $state<string | null>(null);
	loading = $state(true);

	session = $derived(this.status?.session ?? null);
	role = $derived<Role | null>(this.status?.session?.role ?? null);
	/** What the signed-in user may do, as the backend computed it from their role. */
	permissions = $state<Permissions | null>(null);
	can = $derived<Permissions>(this.session && this.permissions ? this.permissions : NOTHING);
	/** Minutes without input before the till locks (the backend's setting). */
	idleLockMinutes = $state(5);
	/** The user whose session the lock ended: the lock screen offers their PIN first. */
	lockedBy = $state<string | null>(null);

	/** (Re)reads AppStatus, and the session's permissions and idle lock, from the backend. */
	async refresh(): Promise<void> {
		try {
			const status = await api.appStatus();
			if (status.session) {
				const [permissions, idle] = await Promise.all([api.sessionPermissions(), api.idleLockMinutes()]);
				this.permissions = permissions;
				this.idleLockMinutes = idle;
				this.lockedBy = null;
			} else {
				this.permissions = null;
			}
			this.apply(status);
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

	/**
	 * Locks the screen: the backend session ends, so nothing can be done in this user's
	 * name until a PIN is entered again. Their open sale stays theirs in the database.
	 */
	async lock(): Promise<void> {
		const name = this.session?.name ?? null;
		if (name === null) return;
		try {
			await api.logout();
		} finally {
			this.lockedBy = name;
			await this.refresh();
			this.lockedBy = name;
		}
	}
}

const NOTHING: Permissions = {
	sell: false,
	printCopies: false,
	manageCatalog: false,
	manageOrganisation: false,
	bindInstallation: false,
	manageUsers: false,
	readAudit: false,
	changeSettings: false,
	manageProviders: false
};

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
