// The till's state in one place: the shift, the open sale, the last completed sale and its
// receipt, the open dialog, and the one backend call in flight. The components under
// src/lib/till/ only show this state and call its methods, so a new tender (a provider, a
// terminal) is a new method here and a new component, not a longer page.
import { tick } from 'svelte';
import {
	api as realApi,
	ApiFailure,
	errorMessage,
	type Api,
	type ManagerApproval,
	type DiscountInput,
	type LineView,
	type SaleView,
	type Provider,
	type ShiftView,
	type TenderMethod,
	type TenderView,
	type VoucherView
} from '$lib/api';
import { t, fmtAmount } from '$lib/i18n';

/** The backend calls the till makes (the in-memory fake of the unit tests implements these). */
export type TillApi = Pick<
	Api,
	| 'currentShift'
	| 'currentSale'
	| 'openShift'
	| 'addItem'
	| 'removeLine'
	| 'parkSale'
	| 'parkedSales'
	| 'recallSale'
	| 'payCash'
	| 'startCardPayment'
	| 'setLineQuantity'
	| 'setLineDiscount'
	| 'setOrderDiscount'
	| 'overridePrice'
	| 'setCustomerRef'
	| 'voidSale'
	| 'confirmCardPayment'
	| 'cancelCardPayment'
	| 'resolveUnknownPayment'
	| 'receiptPreview'
	| 'tillPaymentProviders'
	| 'startSwipPayment'
	| 'startVourityPayment'
	| 'payByTerminal'
	| 'pollPayment'
	| 'answerPaymentQuestion'
	| 'cancelPayment'
	| 'startFlexitiPayment'
	| 'lookUpVoucher'
	| 'payWithVoucher'
	| 'registerLoyaltyBarcode'
	| 'applySwipLoyalty'
	| 'paySwipOrderAtTill'
	| 'removeLoyaltyDiscount'
	| 'reconcilePayment'
>;

/** The providers with a key at the till. */
export type TillProvider = Extract<Provider, 'swip' | 'vourity'>;

/**
 * Tenders whose outcome a provider knows: asked again under the same reference
 * (reconcile_payment) when it is unknown, never settled by hand.
 */
const PROVIDER_METHODS: readonly TenderMethod[] = ['swip', 'vourity', 'flexiti', 'card_terminal'];

export function isProviderTender(x: TenderView | null | undefined): boolean {
	return !!x && PROVIDER_METHODS.includes(x.method);
}

/** The provider's name for a provider tender; a till method's own name otherwise. */
export function providerName(method: TenderMethod): string {
	return method === 'swip' || method === 'vourity' || method === 'flexiti' ? t(`provider.${method}`) : t(`tender.${method}`);
}

/** How often a pending provider payment is asked about (the backend expects about once a second). */
export const POLL_MS = 1000;

export type DialogKind =
	| 'cash'
	| 'cardAmount'
	| 'quantity'
	| 'lineDiscount'
	| 'orderDiscount'
	| 'override'
	| 'customer'
	| 'recall'
	| 'void'
	| 'voucher'
	| 'loyalty'
	| 'flexiti';

/** Dialogs that act on the selected line and make no sense without one. */
const LINE_DIALOGS: readonly DialogKind[] = ['quantity', 'lineDiscount', 'override'];

/** The approved cash tenders of a sale: taken (positive) or handed back (`back`, shown without the sign). */
export function cashAmounts(s: SaleView | null, back: boolean): string[] {
	return (s?.tenders ?? [])
		.filter((x) => x.method === 'cash' && x.status === 'approved' && x.amount.startsWith('-') === back)
		.map((x) => (back ? x.amount.slice(1) : x.amount));
}

export class TillState {
	shift = $state<ShiftView | null>(null);
	sale = $state<SaleView | null>(null);
	/** The sale just completed, shown with its change until the next scan. */
	completed = $state<SaleView | null>(null);
	/** The completed sale's receipt on screen: a preview (`receipt_preview`), never a receipt. */
	receipt = $state<string | null>(null);
	/** The backend marked the text on screen as not a receipt (always, for a preview). */
	receiptNotAReceipt = $state(false);
	/** Why the completed sale's receipt preview could not be shown: the sale itself is paid. */
	receiptError = $state<string | null>(null);
	parked = $state<SaleView[]>([]);
	loading = $state(true);
	error = $state<string | null>(null);
	notice = $state<string | null>(null);
	busy = $state(false);
	selectedLine = $state<number | null>(null);
	dialog = $state<DialogKind | null>(null);
	dialogError = $state<string | null>(null);
	/**
	 * Set when the backend answered approval_required (a discount over the store's limit, a
	 * lost card payment marked approved): the manager's fields appear and the same request
	 * is sent again with them. Cleared when a dialog opens and when a resolve succeeds.
	 */
	approvalAsked = $state(false);

	/** The line that quantity, discount and price keys act on: the selected one, else the last. */
	line = $derived<LineView | null>(
		this.sale?.lines.find((l) => l.id === this.selectedLine) ?? this.sale?.lines[this.sale.lines.length - 1] ?? null
	);
	pendingTender = $derived<TenderView | null>(this.sale?.tenders.find((x) => x.status === 'pending') ?? null);
	/** A pending payment on the stand-alone terminal, answered by the cashier. */
	cardTender = $derived<TenderView | null>(this.pendingTender?.method === 'external_card' ? this.pendingTender : null);
	/** A pending payment a provider answers: polled while it lasts. */
	providerTender = $derived<TenderView | null>(isProviderTender(this.pendingTender) ? this.pendingTender : null);
	/** The providers this till takes payments through (its SWiP and Vourity keys). */
	providers = $state<TillProvider[]>([]);
	/** The till has a Venue Manager shop: voucher codes pay, loyalty barcodes count. */
	shop = $state(false);
	/** The till finances through Flexiti (a till selling in CAD with a Flexiti account). */
	financing = $state(false);
	/** The voucher code the voucher dialog looked up, before it is redeemed. */
	voucher = $state<VoucherView | null>(null);
	unknownTender = $derived<TenderView | null>(this.sale?.tenders.find((x) => x.status === 'unknown') ?? null);
	/** An unknown card outcome: nothing else may happen until it is resolved. */
	blocked = $derived(this.sale?.status === 'unknown');
	editable = $derived(this.sale?.status === 'open' && !this.busy);
	hasLines = $derived((this.sale?.lines.length ?? 0) > 0);
	cashTaken = $derived(cashAmounts(this.sale, false));

	readonly #api: TillApi;
	readonly #columns: () => Promise<number>;
	readonly #managerSignedIn: () => boolean;

	/**
	 * Voiding hands cash already taken back, which needs a manager's approval; a manager
	 * voiding approves it themselves (as the backend decides).
	 */
	get voidNeedsApproval(): boolean {
		return this.cashTaken.length > 0 && !this.#managerSignedIn();
	}

	/**
	 * `columns`: the receipt width of the bound till's printer. `managerSignedIn`: whether
	 * the signed-in user is a manager, whose own void approves handing cash back.
	 */
	constructor(
		api: TillApi = realApi,
		columns: () => Promise<number> = async () => 42,
		managerSignedIn: () => boolean = () => false
	) {
		this.#api = api;
		this.#columns = columns;
		this.#managerSignedIn = managerSignedIn;
	}

	/** The manager's approval from the fields, once the backend has asked for one. */
	#asked(approval: ManagerApproval | null): ManagerApproval | null {
		return this.approvalAsked && approval ? { name: approval.name.trim(), pin: approval.pin } : null;
	}

	async load(): Promise<void> {
		this.loading = true;
		try {
			this.shift = await this.#api.currentShift();
			this.sale = await this.#api.currentSale();
			const providers = await this.#api.tillPaymentProviders();
			this.providers = providers.filter((p): p is TillProvider => p === 'swip' || p === 'vourity');
			this.shop = providers.includes('venue_manager');
			this.financing = providers.includes('flexiti');
			this.error = null;
		} catch (e) {
			this.error = errorMessage(e);
		} finally {
			this.loading = false;
		}
	}

	/**
	 * Runs one backend call that answers with the sale, and shows what came back. A failure
	 * goes to the dialog when one is open (`inDialog`), else to the page. Returns whether
	 * the call succeeded.
	 */
	run(work: () => Promise<SaleView>, inDialog = false): Promise<boolean> {
		if (this.busy) return Promise.resolve(false);
		const call = this.#call(work, inDialog);
		this.#inFlight = call;
		return call;
	}

	/** The call `run` started last; settles after `busy` is false again. */
	#inFlight: Promise<unknown> = Promise.resolve();
	/** Scans wait here for each other and for any call in flight. */
	#scans: Promise<unknown> = Promise.resolve();

	async #call(work: () => Promise<SaleView>, inDialog: boolean): Promise<boolean> {
		this.busy = true;
		if (inDialog) this.dialogError = null;
		else this.error = null;
		this.notice = null;
		try {
			const s = await work();
			this.show(s);
			if (s.status === 'completed') await this.loadReceipt(s);
			return true;
		} catch (e) {
			// Only the call itself can fail here; a failed preview is handled in loadReceipt.
			if (e instanceof ApiFailure && e.code === 'approval_required') this.approvalAsked = true;
			if (inDialog) this.dialogError = errorMessage(e);
			else this.error = errorMessage(e);
			return false;
		} finally {
			this.busy = false;
		}
	}

	show(s: SaleView): void {
		if (s.status === 'completed') {
			this.completed = s;
			this.sale = null;
			this.selectedLine = null;
			this.receipt = null;
			this.receiptNotAReceipt = false;
			this.receiptError = null;
		} else if (s.status === 'open' || s.status === 'paying' || s.status === 'unknown') {
			this.sale = s;
			if (this.selectedLine !== null && !s.lines.some((l) => l.id === this.selectedLine)) this.selectedLine = null;
		} else {
			this.sale = null;
			this.selectedLine = null;
		}
	}

	/**
	 * The completed sale's receipt preview. The payment has succeeded by now, so a failure
	 * here must not read as a failed payment: it is shown beside the change, not as an error.
	 */
	async loadReceipt(s: SaleView): Promise<void> {
		this.receiptError = null;
		try {
			const preview = await this.#api.receiptPreview(s.id, await this.#columns());
			this.receipt = preview.text;
			this.receiptNotAReceipt = preview.notAReceipt;
		} catch (e) {
			this.receipt = null;
			this.receiptNotAReceipt = false;
			this.receiptError = t('till.receiptFailed', { message: errorMessage(e) });
		}
	}

	/**
	 * Adds a scanned or typed code. Unlike a button, a scan is never dropped because
	 * another call is in flight: it waits its turn, and scans land in the order they came.
	 */
	addCode(raw: string): Promise<boolean> {
		const c = raw.trim();
		if (!c) return Promise.resolve(false);
		const added = this.#scans.then(async () => {
			while (this.busy) await this.#inFlight;
			return this.#addNow(c);
		});
		this.#scans = added;
		return added;
	}

	async #addNow(c: string): Promise<boolean> {
		this.completed = null;
		this.receipt = null;
		this.receiptNotAReceipt = false;
		this.receiptError = null;
		const ok = await this.run(() => this.#api.addItem(c, null));
		if (ok && this.sale) this.selectedLine = this.sale.lines[this.sale.lines.length - 1]?.id ?? null;
		return ok;
	}

	async openShift(float: string): Promise<boolean> {
		if (this.busy) return false;
		this.busy = true;
		this.error = null;
		try {
			this.shift = await this.#api.openShift(float.trim());
			this.notice = t('till.shiftOpened');
			this.sale = await this.#api.currentSale();
			return true;
		} catch (err) {
			this.error = errorMessage(err);
			return false;
		} finally {
			this.busy = false;
		}
	}

	/** Opens a dialog when it applies now (a sale, a line, nothing unresolved). */
	open(kind: DialogKind): boolean {
		if (this.blocked) return false;
		if (kind !== 'recall' && !this.sale) return false;
		if (LINE_DIALOGS.includes(kind) && !this.line) return false;
		if ((kind === 'voucher' || kind === 'loyalty') && !this.shop) return false;
		if (kind === 'flexiti' && !this.financing) return false;
		this.dialogError = null;
		this.approvalAsked = false;
		this.voucher = null;
		if (kind === 'recall') void this.loadParked();
		this.dialog = kind;
		return true;
	}

	async closeDialog(): Promise<void> {
		this.dialog = null;
		// A dialog's request for a manager ends with it.
		this.approvalAsked = false;
		await tick();
	}

	async loadParked(): Promise<void> {
		try {
			this.parked = await this.#api.parkedSales();
		} catch (e) {
			this.dialogError = errorMessage(e);
		}
	}

	async recall(id: number): Promise<void> {
		if (await this.run(() => this.#api.recallSale(id), true)) await this.closeDialog();
	}

	/** F8: parks a sale with lines, otherwise offers the parked ones. */
	parkOrRecall(): void {
		if (this.hasLines) void this.park();
		else this.open('recall');
	}

	async park(): Promise<void> {
		const s = this.sale;
		if (!s || this.blocked) return;
		if (await this.run(() => this.#api.parkSale(s.id))) this.notice = t('till.parked');
	}

	async removeLine(l: LineView): Promise<void> {
		const s = this.sale;
		if (s) await this.run(() => this.#api.removeLine(s.id, l.id));
	}

	/** F5: all that remains on the card terminal. */
	async payCard(): Promise<void> {
		const s = this.sale;
		if (!s || this.blocked || s.status !== 'open') return;
		await this.run(() => this.#api.startCardPayment(s.id, null));
	}

	async settleCard(approved: boolean): Promise<void> {
		const tender = this.cardTender;
		if (tender) await this.run(() => this.#api.confirmCardPayment(tender.id, approved));
	}

	async cancelCard(): Promise<void> {
		const tender = this.cardTender;
		if (tender) await this.run(() => this.#api.cancelCardPayment(tender.id));
	}

	/**
	 * Says what happened to a payment whose outcome is unknown. Marking it approved may need
	 * a manager: the backend then answers approval_required, the fields appear
	 * (`approvalAsked`), and the next call sends `approval` from them.
	 */
	async resolve(approved: boolean, approval: ManagerApproval | null = null): Promise<boolean> {
		const tender = this.unknownTender;
		// A provider's payment is reconciled with the provider, never settled by hand.
		if (!tender || isProviderTender(tender)) return false;
		const given = approved ? this.#asked(approval) : null;
		const ok = await this.run(() => this.#api.resolveUnknownPayment(tender.id, approved, given));
		if (ok) this.approvalAsked = false;
		return ok;
	}

	/** All that remains through a provider: SWiP shows its QR code, Vourity's terminal takes the card. */
	async payProvider(provider: TillProvider): Promise<void> {
		const s = this.sale;
		if (!s || this.blocked || s.status !== 'open' || !this.providers.includes(provider)) return;
		const start = provider === 'swip' ? this.#api.startSwipPayment : this.#api.startVourityPayment;
		await this.run(() => start(s.id, null));
	}

	/** A payment is running on the integrated card terminal (its call has not returned yet). */
	terminalRunning = $state(false);

	/**
	 * All that remains on the integrated card terminal. The call returns when the terminal
	 * has ended the payment; meanwhile the sale is read again so that its pending tender,
	 * and with it the terminal's messages and Cancel, show up (the panel then polls).
	 */
	async payTerminal(): Promise<void> {
		const s = this.sale;
		if (!s || this.blocked || s.status !== 'open' || this.terminalRunning || this.busy) return;
		this.terminalRunning = true;
		this.error = null;
		this.notice = null;
		const watch = setInterval(() => {
			if (this.providerTender) return;
			void this.#api
				.currentSale()
				.then((now) => {
					if (now && this.terminalRunning) this.show(now);
				})
				.catch(() => {});
		}, POLL_MS);
		try {
			const done = await this.#api.payByTerminal(s.id, null);
			this.show(done);
			const tender = done.tenders.filter((x) => x.method === 'card_terminal').at(-1);
			if (tender) this.#noticeIfEnded(tender, done);
			if (done.status === 'completed') await this.loadReceipt(done);
		} catch (e) {
			this.error = errorMessage(e);
			try {
				const now = await this.#api.currentSale();
				if (now) this.show(now);
			} catch {
				// The error above already says what went wrong.
			}
		} finally {
			clearInterval(watch);
			this.terminalRunning = false;
		}
	}

	/** The poll in flight, if any: user calls on the same payment wait for it. */
	#polling: Promise<void> | null = null;
	/** User calls waiting for that poll; no new poll starts before they have run. */
	#waiting = 0;
	/** The page's error came from a poll, so the next good poll may clear it. */
	#pollFailed = false;

	/**
	 * Asks the provider once where the pending payment is. Never two at a time, and never
	 * beside a cashier's call: the provider's answers are stored in order.
	 */
	poll(): Promise<void> {
		const tender = this.providerTender;
		if (!tender || this.busy || this.#polling || this.#waiting > 0) return Promise.resolve();
		const polling = this.#pollNow(tender).finally(() => (this.#polling = null));
		this.#polling = polling;
		return polling;
	}

	async #pollNow(tender: TenderView): Promise<void> {
		try {
			const s = await this.#api.pollPayment(tender.id);
			if (this.#pollFailed) this.error = null;
			this.#pollFailed = false;
			this.show(s);
			this.#noticeIfEnded(tender, s);
			if (s.status === 'completed') await this.loadReceipt(s);
		} catch (e) {
			this.error = errorMessage(e);
			this.#pollFailed = true;
			// A refusal may have ended the payment: show the sale as it is now.
			try {
				const now = await this.#api.currentSale();
				if (now) this.show(now);
			} catch {
				// The error above already says what went wrong.
			}
		}
	}

	/** Tells the cashier when the provider ended the payment without money. */
	#noticeIfEnded(tender: TenderView, s: SaleView): void {
		const ended = s.tenders.find((x) => x.id === tender.id);
		if (ended?.status === 'declined') this.notice = t('till.providerDeclined', { provider: providerName(tender.method) });
		else if (ended?.status === 'cancelled') this.notice = t('till.providerCancelled', { provider: providerName(tender.method) });
	}

	/**
	 * Polls every `everyMs` until the returned function is called (the panel going away):
	 * the next poll is timed from the end of the last, so they never overlap.
	 */
	pollEvery(everyMs: number = POLL_MS): () => void {
		let stopped = false;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const next = () => {
			if (!stopped) timer = setTimeout(tick, everyMs);
		};
		const tick = () => void this.poll().then(next);
		next();
		return () => {
			stopped = true;
			clearTimeout(timer);
		};
	}

	/** Runs a cashier's call on the pending provider payment once a poll in flight is done. */
	async #afterPoll(
		work: (tender: TenderView) => Promise<SaleView>,
		applies: (tender: TenderView) => boolean = () => true
	): Promise<boolean> {
		this.#waiting++;
		try {
			await this.#polling;
		} finally {
			this.#waiting--;
		}
		// The poll may have ended the payment, or changed what it asks, meanwhile.
		const tender = this.providerTender;
		if (!tender || !applies(tender)) return false;
		let after: SaleView | null = null;
		const ok = await this.run(async () => (after = await work(tender)));
		if (after) this.#noticeIfEnded(tender, after);
		return ok;
	}

	/** The cashier's answer to the question the pending payment asks (a Vourity terminal's action request). */
	answerQuestion(questionId: string, answer: string): Promise<boolean> {
		return this.#afterPoll(
			(tender) => this.#api.answerPaymentQuestion(tender.id, questionId, answer),
			(tender) => tender.prompt?.question?.id === questionId
		);
	}

	/** Gives up on the pending provider payment; what the customer paid already is kept. */
	cancelProvider(): Promise<boolean> {
		return this.#afterPoll((tender) => this.#api.cancelPayment(tender.id));
	}

	/**
	 * The customer took SWiP's loyalty in the app but pays cash at the till: SWiP's order is
	 * closed with the cash amount and the sale waits for the cash.
	 */
	async payProviderAtTill(): Promise<boolean> {
		const ok = await this.#afterPoll(
			(tender) => this.#api.paySwipOrderAtTill(tender.id),
			(tender) => tender.method === 'swip'
		);
		if (ok && this.sale?.status === 'open') this.notice = t('till.swipPaidAtTill', { amount: fmtAmount(this.sale.cashDue), currency: this.sale.currency });
		return ok;
	}

	/** The unknown payment is a provider's: asks it again under the same reference. */
	async reconcile(): Promise<boolean> {
		const tender = this.unknownTender;
		if (!tender || !(isProviderTender(tender) || tender.method === 'voucher')) return false;
		const ok = await this.run(() => this.#api.reconcilePayment(tender.id));
		if (ok && this.blocked) this.notice = t('till.stillUnknown', { provider: providerName(tender.method) });
		return ok;
	}

	/** Arrow keys: moves the selected line by `delta`, staying within the sale. */
	moveSelection(delta: number): void {
		const lines = this.sale?.lines ?? [];
		if (lines.length === 0) return;
		const ids = lines.map((l) => l.id);
		const at = this.line ? ids.indexOf(this.line.id) : ids.length - 1;
		this.selectedLine = ids[Math.min(ids.length - 1, Math.max(0, at + delta))];
	}

	/** Runs a dialog's call on the open sale; the dialog closes when it succeeds. */
	async #inDialog(work: (s: SaleView) => Promise<SaleView>): Promise<boolean> {
		const s = this.sale;
		if (!s) return false;
		const ok = await this.run(() => work(s), true);
		if (ok) await this.closeDialog();
		return ok;
	}

	/** Runs a dialog's call on the selected line of the open sale. */
	#onLine(work: (s: SaleView, l: LineView) => Promise<SaleView>): Promise<boolean> {
		const l = this.line;
		return l ? this.#inDialog((s) => work(s, l)) : Promise.resolve(false);
	}

	payCash(tendered: string): Promise<boolean> {
		return this.#inDialog((s) => this.#api.payCash(s.id, tendered.trim()));
	}

	/**
	 * Looks a voucher code up without redeeming it: what it is worth, what it pays and what
	 * would be lost. The dialog shows it before the cashier redeems.
	 */
	async lookUpVoucher(code: string): Promise<void> {
		const s = this.sale;
		if (!s || this.busy) return;
		this.busy = true;
		try {
			this.voucher = await this.#api.lookUpVoucher(s.id, code.trim());
			this.dialogError = null;
		} catch (e) {
			this.voucher = null;
			this.dialogError = errorMessage(e);
		} finally {
			this.busy = false;
		}
	}

	/**
	 * Redeems the voucher just looked up. A voucher worth more than is due is redeemed only
	 * after the dialog showed what is lost: the backend refuses it otherwise.
	 */
	payVoucher(code: string): Promise<boolean> {
		const v = this.voucher;
		if (!v || v.code !== code.trim() || !v.valid) return Promise.resolve(false);
		return this.#inDialog((s) => this.#api.payWithVoucher(s.id, v.code, v.forfeited !== null));
	}

	/**
	 * Finances what is left (or `amount` of it) on the customer's Flexiti account: authorized
	 * and captured, or one purchase by account number. Flexiti answers at once.
	 */
	payFlexiti(account: string, purchase: boolean, amount: string): Promise<boolean> {
		const number = account.trim();
		if (!number || !this.financing) return Promise.resolve(false);
		return this.#inDialog((s) =>
			this.#api.startFlexitiPayment(s.id, number, amount.trim() || null, purchase ? 'purchase' : 'authorize_and_capture')
		);
	}

	/**
	 * SWiP's loyalty programs can take a discount off the basket: the till has a SWiP key.
	 * Only before anything is paid, as the backend also insists.
	 */
	get swipLoyalty(): boolean {
		return this.providers.includes('swip');
	}

	/** Nothing is paid or being paid yet: the amount due may still change. */
	get unpaid(): boolean {
		return !(this.sale?.tenders ?? []).some((x) => x.status === 'approved' || x.status === 'pending' || x.status === 'unknown');
	}

	/** Asks SWiP for its loyalty discount on the basket; says so when SWiP gives none. */
	async applySwipLoyalty(): Promise<void> {
		const s = this.sale;
		if (!s || this.blocked || s.status !== 'open' || !this.swipLoyalty) return;
		const ok = await this.run(() => this.#api.applySwipLoyalty(s.id));
		if (ok && this.sale && !this.sale.loyaltyDiscount) this.notice = t('till.swipLoyaltyNone');
	}

	/** Takes the loyalty discount off the basket again. */
	async removeLoyaltyDiscount(): Promise<void> {
		const s = this.sale;
		if (!s || this.blocked || s.status !== 'open' || !s.loyaltyDiscount) return;
		await this.run(() => this.#api.removeLoyaltyDiscount(s.id));
	}

	/** Registers a scanned loyalty barcode with the shop; the points show as a notice. */
	async registerLoyalty(code: string): Promise<boolean> {
		if (this.busy) return false;
		this.busy = true;
		try {
			const usage = await this.#api.registerLoyaltyBarcode(code.trim());
			this.notice = t('till.loyaltyRegistered', { points: usage.points });
			this.dialogError = null;
			await this.closeDialog();
			return true;
		} catch (e) {
			this.dialogError = errorMessage(e);
			return false;
		} finally {
			this.busy = false;
		}
	}

	/** Part of a split payment: the rest stays due for another tender. */
	payCardPart(amount: string): Promise<boolean> {
		return this.#inDialog((s) => this.#api.startCardPayment(s.id, amount.trim()));
	}

	setQuantity(quantity: string): Promise<boolean> {
		return this.#onLine((s, l) => this.#api.setLineQuantity(s.id, l.id, quantity.trim()));
	}

	/**
	 * A discount over the store's limit needs a manager: the backend answers
	 * approval_required, the dialog shows the manager's fields (`approvalAsked`), and the
	 * same discount is sent again with `approval` from them.
	 */
	setLineDiscount(discount: DiscountInput | null, approval: ManagerApproval | null = null): Promise<boolean> {
		const given = this.#asked(approval);
		return this.#onLine((s, l) => this.#api.setLineDiscount(s.id, l.id, discount, given));
	}

	/** As setLineDiscount, for the whole sale. */
	setOrderDiscount(discount: DiscountInput | null, approval: ManagerApproval | null = null): Promise<boolean> {
		const given = this.#asked(approval);
		return this.#inDialog((s) => this.#api.setOrderDiscount(s.id, discount, given));
	}

	overridePrice(price: string, approval: ManagerApproval): Promise<boolean> {
		return this.#onLine((s, l) => this.#api.overridePrice(s.id, l.id, price.trim(), approval));
	}

	setCustomerRef(ref: string): Promise<boolean> {
		return this.#inDialog((s) => this.#api.setCustomerRef(s.id, ref.trim() || null));
	}

	/**
	 * Voids the open sale. Handing cash already taken back needs a manager's approval
	 * (`voidNeedsApproval`): `approval` from the dialog's fields is sent then, else none.
	 */
	async voidSale(approval: ManagerApproval | null = null): Promise<boolean> {
		const currency = this.sale?.currency ?? '';
		const given =
			approval && (this.voidNeedsApproval || this.approvalAsked) ? { name: approval.name.trim(), pin: approval.pin } : null;
		let voided: SaleView | null = null;
		const ok = await this.#inDialog(async (s) => (voided = await this.#api.voidSale(s.id, given)));
		// The void records cash already taken as handed back: tell the cashier.
		const back = cashAmounts(voided, true);
		if (ok)
			this.notice = back.length
				? t('till.voidedGiveBack', { amounts: back.map((a) => fmtAmount(a)).join(' + '), currency })
				: t('till.voided');
		return ok;
	}
}
