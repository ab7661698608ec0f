import { describe, expect, it, vi } from 'vitest';
import { ApiFailure, errorMessage, type DiscountInput, type ManagerApproval, type LineView, type SaleView, type TenderView } from '$lib/api';
import { setUiLanguage } from '$lib/i18n';
import { POLL_MS, TillState, type TillApi } from './state.svelte';

function line(id: number, sku: string): LineView {
	return {
		id,
		lineNo: id,
		sku,
		name: sku,
		unit: 'each',
		quantity: '1',
		unitPrice: '10.00',
		priceOverridden: false,
		catalogPrice: '10.00',
		vatRate: '12',
		discount: null,
		discountAmount: '0.00',
		total: '10.00'
	};
}

function sale(over: Partial<SaleView> = {}): SaleView {
	return {
		id: 1,
		kind: 'sale',
		status: 'open',
		currency: 'SEK',
		storeName: 'Malmö C',
		posName: 'Till 1',
		cashierName: 'cashier',
		customerRef: null,
		receiptNo: null,
		receiptCode: null,
		originalReceiptCode: null,
		lines: [],
		orderDiscount: null,
		loyaltyDiscount: null,
		subtotal: '0.00',
		discountTotal: '0.00',
		total: '0.00',
		vat: [],
		tenders: [],
		paid: '0.00',
		remaining: '0.00',
		cashDue: '0.00',
		rounding: '0.00',
		change: '0.00',
		createdAt: '2026-01-01T10:00:00Z',
		completedAt: null,
		...over
	};
}

function tender(id: number, amount: string, status: TenderView['status'] = 'approved'): TenderView {
	return { id, method: 'cash', amount, status, reference: `KS-1-1-${id}`, prompt: null };
}

const refused = (message: string) => new ApiFailure({ code: 'validation', message, field: null });
const needsManager = (message: string) => new ApiFailure({ code: 'approval_required', message, field: null });
const MANAGER: ManagerApproval = { name: 'manager', pin: '1234' };

/** An in-memory till backend: one open sale; every call not given here fails the test. */
function fake(over: Partial<TillApi> = {}): TillApi {
	let current = sale();
	const missing = (name: string) => () => Promise.reject(new Error(`unexpected call ${name}`));
	const base: Partial<TillApi> = {
		currentShift: async () => null,
		currentSale: async () => current,
		tillPaymentProviders: async () => [],
		addItem: async (code: string) => {
			if (code === 'NOPE') throw refused('no product with code NOPE');
			current = { ...current, lines: [...current.lines, line(current.lines.length + 1, code)] };
			return current;
		},
		receiptPreview: async (id: number) => ({
			saleId: id,
			receiptNo: 1,
			notAReceipt: true,
			marking: 'PREVIEW - NOT A RECEIPT',
			text: `receipt of sale ${id}`
		})
	};
	return new Proxy({ ...base, ...over } as TillApi, {
		get: (target, name: string) => (target as Record<string, unknown>)[name] ?? missing(name)
	});
}

describe('TillState', () => {
	it('selects the line a scan added, and leaves the sale alone for an empty code', async () => {
		const till = new TillState(fake());
		await till.load();
		expect(await till.addCode('  A-1 ')).toBe(true);
		expect(await till.addCode('A-2')).toBe(true);
		expect(till.line?.sku).toBe('A-2');
		till.moveSelection(-1);
		expect(till.line?.sku).toBe('A-1');
		till.moveSelection(-1);
		expect(till.line?.sku).toBe('A-1');
		expect(await till.addCode('   ')).toBe(false);
		expect(till.sale?.lines.length).toBe(2);
	});

	it('shows a refused scan on the page and keeps the sale as it was', async () => {
		const till = new TillState(fake());
		await till.load();
		await till.addCode('A-1');
		expect(await till.addCode('NOPE')).toBe(false);
		expect(till.error).toBe(errorMessage(refused('no product with code NOPE')));
		expect(till.sale?.lines.map((l) => l.sku)).toEqual(['A-1']);
	});

	it('runs one button call at a time', async () => {
		let release: () => void = () => {};
		const gate = new Promise<void>((r) => (release = r));
		const till = new TillState(
			fake({
				parkSale: async () => {
					await gate;
					return sale({ status: 'parked' });
				}
			})
		);
		await till.load();
		await till.addCode('A-1');
		const parking = till.park();
		expect(till.busy).toBe(true);
		expect(till.open('cash')).toBe(true);
		expect(await till.payCash('10')).toBe(false);
		release();
		await parking;
		expect(till.busy).toBe(false);
	});

	it('queues a scan that arrives while another call is in flight, so no scan is lost', async () => {
		const gates: Array<() => void> = [];
		let current = sale();
		const till = new TillState(
			fake({
				currentSale: async () => current,
				addItem: async (code: string) => {
					await new Promise<void>((r) => gates.push(r));
					current = { ...current, lines: [...current.lines, line(current.lines.length + 1, code)] };
					return current;
				}
			})
		);
		await till.load();
		const first = till.addCode('A-1');
		const second = till.addCode('A-2');
		const third = till.addCode('A-3');
		// Let each call through as it is made, in order: one in flight at a time.
		for (let i = 0; i < 3; i++) {
			await vi.waitFor(() => expect(gates.length).toBe(i + 1));
			expect(till.busy).toBe(true);
			gates[i]();
		}
		expect(await Promise.all([first, second, third])).toEqual([true, true, true]);
		expect(till.sale?.lines.map((l) => l.sku)).toEqual(['A-1', 'A-2', 'A-3']);
		expect(till.line?.sku).toBe('A-3');
	});

	it('opens line dialogs only with a line, and nothing while a payment is unknown', async () => {
		const till = new TillState(fake());
		await till.load();
		expect(till.open('quantity')).toBe(false);
		expect(till.open('orderDiscount')).toBe(true);
		await till.closeDialog();
		await till.addCode('A-1');
		expect(till.open('quantity')).toBe(true);
		await till.closeDialog();
		till.show(sale({ status: 'unknown', lines: [line(1, 'A-1')], tenders: [tender(1, '10.00', 'unknown')] }));
		expect(till.blocked).toBe(true);
		expect(till.unknownTender?.id).toBe(1);
		expect(till.open('cash')).toBe(false);
		expect(till.dialog).toBeNull();
	});

	it('keeps a refused dialog open with its error, and closes it when the call succeeds', async () => {
		let answer: () => Promise<SaleView> = () => Promise.reject(refused('tendered is less than due'));
		const till = new TillState(fake({ payCash: () => answer() }));
		await till.load();
		await till.addCode('A-1');
		till.open('cash');
		expect(await till.payCash('5')).toBe(false);
		expect(till.dialog).toBe('cash');
		expect(till.dialogError).toBe(errorMessage(refused('tendered is less than due')));
		expect(till.error).toBeNull();

		answer = async () => sale({ status: 'completed', receiptNo: 7, change: '0.00', lines: [line(1, 'A-1')] });
		expect(await till.payCash('10')).toBe(true);
		expect(till.dialog).toBeNull();
		expect(till.sale).toBeNull();
		expect(till.completed?.receiptNo).toBe(7);
		expect(till.receipt).toBe('receipt of sale 1');
		expect(till.receiptNotAReceipt).toBe(true);
		// The next scan starts a new sale and clears the last one's change.
		await till.addCode('A-2');
		expect(till.completed).toBeNull();
	});

	it('tells the cashier what cash to hand back after a void', async () => {
		setUiLanguage('en');
		const till = new TillState(
			fake({
				voidSale: async () =>
					sale({ status: 'voided', tenders: [tender(1, '20.00'), tender(2, '-20.00')] })
			})
		);
		await till.load();
		await till.addCode('A-1');
		till.show(sale({ lines: [line(1, 'A-1')], tenders: [tender(1, '20.00')] }));
		expect(till.cashTaken).toEqual(['20.00']);
		till.open('void');
		expect(await till.voidSale()).toBe(true);
		expect(till.sale).toBeNull();
		expect(till.notice).toContain('20.00');
		expect(till.notice).toContain('SEK');
	});

	it('shows a failed receipt preview after a completed payment as what it is, not as a failed payment', async () => {
		setUiLanguage('en');
		const till = new TillState(
			fake({
				payCash: async () => sale({ status: 'completed', receiptNo: 8, change: '5.00', lines: [line(1, 'A-1')] }),
				receiptPreview: () => Promise.reject(refused('the printer width is unknown'))
			})
		);
		await till.load();
		await till.addCode('A-1');
		till.open('cash');
		expect(await till.payCash('15')).toBe(true);
		expect(till.dialog).toBeNull();
		expect(till.dialogError).toBeNull();
		expect(till.error).toBeNull();
		expect(till.completed?.receiptNo).toBe(8);
		expect(till.completed?.change).toBe('5.00');
		expect(till.receipt).toBeNull();
		expect(till.receiptError).toContain('the printer width is unknown');
		await till.addCode('A-2');
		expect(till.receiptError).toBeNull();
	});
	it('asks for a manager when a discount is over the limit, and sends the same discount again with the approval', async () => {
		const calls: Array<{ discount: DiscountInput | null; approval: ManagerApproval | null }> = [];
		const till = new TillState(
			fake({
				setLineDiscount: async (_sale, _line, discount, approval) => {
					calls.push({ discount, approval });
					if (!approval) throw needsManager('the discount is over the store limit');
					return sale({ lines: [{ ...line(1, 'A-1'), discount, discountAmount: '5.00', total: '5.00' }] });
				}
			})
		);
		await till.load();
		await till.addCode('A-1');
		till.open('lineDiscount');
		expect(till.approvalAsked).toBe(false);
		// Fields left over from before are not sent until the backend asks for them.
		expect(await till.setLineDiscount({ percent: '50' }, { name: '', pin: '' })).toBe(false);
		expect(till.approvalAsked).toBe(true);
		expect(till.dialog).toBe('lineDiscount');
		expect(till.dialogError).not.toBeNull();
		expect(await till.setLineDiscount({ percent: '50' }, { name: ' manager ', pin: '1234' })).toBe(true);
		expect(calls).toEqual([
			{ discount: { percent: '50' }, approval: null },
			{ discount: { percent: '50' }, approval: MANAGER }
		]);
		expect(till.dialog).toBeNull();
		expect(till.line?.total).toBe('5.00');
		// The next dialog starts without the manager's fields.
		till.open('orderDiscount');
		expect(till.approvalAsked).toBe(false);
	});

	it('sends an order discount again with the approval once the backend asks for one', async () => {
		const approvals: Array<ManagerApproval | null> = [];
		const till = new TillState(
			fake({
				setOrderDiscount: async (_sale, _discount, approval) => {
					approvals.push(approval);
					if (!approval) throw needsManager('the discount is over the store limit');
					return sale({ lines: [line(1, 'A-1')], discountTotal: '4.00', total: '6.00' });
				}
			})
		);
		await till.load();
		await till.addCode('A-1');
		till.open('orderDiscount');
		expect(await till.setOrderDiscount({ amount: '4.00' }, MANAGER)).toBe(false);
		expect(till.approvalAsked).toBe(true);
		expect(await till.setOrderDiscount({ amount: '4.00' }, MANAGER)).toBe(true);
		expect(approvals).toEqual([null, MANAGER]);
		expect(till.sale?.total).toBe('6.00');
	});

	it('resolves a lost card payment as approved with a manager once the backend asks for one', async () => {
		const calls: Array<{ approved: boolean; approval: ManagerApproval | null }> = [];
		const till = new TillState(
			fake({
				resolveUnknownPayment: async (_tender, approved, approval) => {
					calls.push({ approved, approval });
					if (approved && !approval) throw needsManager('marking it approved needs a manager');
					return sale({ status: 'completed', receiptNo: 9, lines: [line(1, 'A-1')] });
				}
			})
		);
		await till.load();
		till.show(sale({ status: 'unknown', lines: [line(1, 'A-1')], tenders: [tender(1, '10.00', 'unknown')] }));
		expect(await till.resolve(true, MANAGER)).toBe(false);
		expect(till.approvalAsked).toBe(true);
		expect(till.error).not.toBeNull();
		expect(till.blocked).toBe(true);
		expect(await till.resolve(true, MANAGER)).toBe(true);
		expect(calls).toEqual([
			{ approved: true, approval: null },
			{ approved: true, approval: MANAGER }
		]);
		expect(till.approvalAsked).toBe(false);
		expect(till.completed?.receiptNo).toBe(9);
	});

	it('sends a manager approval with a void that hands cash back, unless a manager voids', async () => {
		setUiLanguage('en');
		const approvals: Array<ManagerApproval | null> = [];
		const voidSale = async (_id: number, approval: ManagerApproval | null) => {
			approvals.push(approval);
			return sale({ status: 'voided', tenders: [tender(1, '1234.50'), tender(2, '-1234.50')] });
		};
		const cashier = new TillState(fake({ voidSale }));
		cashier.show(sale({ lines: [line(1, 'A-1')], tenders: [tender(1, '1234.50')] }));
		expect(cashier.voidNeedsApproval).toBe(true);
		cashier.open('void');
		expect(await cashier.voidSale({ name: ' manager ', pin: '1234' })).toBe(true);
		expect(cashier.notice).toContain('1,234.50');

		// A manager's own void approves handing the cash back.
		const manager = new TillState(fake({ voidSale }), undefined, () => true);
		manager.show(sale({ lines: [line(1, 'A-1')], tenders: [tender(1, '1234.50')] }));
		expect(manager.voidNeedsApproval).toBe(false);
		expect(await manager.voidSale({ name: 'manager', pin: '1234' })).toBe(true);

		// No cash taken: nothing to approve.
		const empty = new TillState(fake({ voidSale: async (_id, approval) => (approvals.push(approval), sale({ status: 'voided' })) }));
		empty.show(sale({ lines: [line(1, 'A-1')] }));
		expect(empty.voidNeedsApproval).toBe(false);
		expect(await empty.voidSale({ name: 'manager', pin: '1234' })).toBe(true);
		expect(approvals).toEqual([MANAGER, null, null]);
	});

	it('writes the amounts of a void notice as the UI language does', async () => {
		setUiLanguage('sv');
		const till = new TillState(fake({ voidSale: async () => sale({ status: 'voided', tenders: [tender(1, '20.00'), tender(2, '-20.00')] }) }));
		till.show(sale({ lines: [line(1, 'A-1')], tenders: [tender(1, '20.00')] }));
		expect(await till.voidSale(MANAGER)).toBe(true);
		expect(till.notice).toContain('20,00');
		setUiLanguage('en');
	});
});

/** A pending provider tender with what its provider asks the cashier. */
function providerTender(id: number, method: TenderView['method'], prompt: TenderView['prompt'], status: TenderView['status'] = 'pending'): TenderView {
	return { id, method, amount: '10.00', status, reference: `KS-1-1-${id}`, prompt };
}

const QUESTION = { id: 'action-1', text: 'Signature ok?', answers: ['accepted', 'rejected'] };

function paying(t: TenderView): SaleView {
	return sale({ status: 'paying', lines: [line(1, 'A-1')], tenders: [t] });
}

function gated<T>(): { wait: Promise<T>; open: (value: T) => void } {
	let open: (value: T) => void = () => {};
	const wait = new Promise<T>((r) => (open = r));
	return { wait, open };
}

describe('TillState with payment providers', () => {
	it('offers the keys of the providers the till has set up, and starts the payment for all that remains', async () => {
		const started: Array<[string, number, string | null]> = [];
		const till = new TillState(
			fake({
				tillPaymentProviders: async () => ['vourity', 'flexiti'],
				startSwipPayment: async (id, amount) => (started.push(['swip', id, amount]), paying(providerTender(5, 'swip', null))),
				startVourityPayment: async (id, amount) => (
					started.push(['vourity', id, amount]), paying(providerTender(5, 'vourity', { message: 'Insert card', question: null, qr: null, statusLines: [] }))
				)
			})
		);
		await till.load();
		expect(till.providers).toEqual(['vourity']);
		await till.addCode('A-1');
		await till.payProvider('swip');
		expect(started).toEqual([]);
		await till.payProvider('vourity');
		expect(started).toEqual([['vourity', 1, null]]);
		expect(till.providerTender?.id).toBe(5);
		expect(till.cardTender).toBeNull();
		expect(till.editable).toBe(false);
	});

	it('polls one call at a time and shows the completed sale when the provider says it is paid', async () => {
		const polls: number[] = [];
		let answer = gated<SaleView>();
		const till = new TillState(
			fake({
				pollPayment: (id) => {
					polls.push(id);
					return answer.wait;
				}
			})
		);
		till.show(paying(providerTender(5, 'swip', { message: null, question: null, qr: 'SESSION-1', statusLines: [] })));
		const first = till.poll();
		await till.poll();
		expect(polls).toEqual([5]);
		answer.open(paying(providerTender(5, 'swip', { message: 'Waiting', question: null, qr: 'SESSION-1', statusLines: [] })));
		await first;
		expect(till.providerTender?.prompt?.message).toBe('Waiting');

		answer = gated<SaleView>();
		const second = till.poll();
		answer.open(sale({ status: 'completed', receiptNo: 12, lines: [line(1, 'A-1')], tenders: [providerTender(5, 'swip', null, 'approved')] }));
		await second;
		expect(polls).toEqual([5, 5]);
		expect(till.completed?.receiptNo).toBe(12);
		expect(till.receipt).toBe('receipt of sale 1');
		expect(till.providerTender).toBeNull();
		await till.poll();
		expect(polls).toEqual([5, 5]);
	});

	it('times each poll from the end of the last, and stops when told', async () => {
		vi.useFakeTimers();
		try {
			let calls = 0;
			let answer = gated<SaleView>();
			const pending = paying(providerTender(5, 'swip', { message: null, question: null, qr: 'S', statusLines: [] }));
			const till = new TillState(fake({ pollPayment: () => (calls++, answer.wait) }));
			till.show(pending);
			const stop = till.pollEvery();
			await vi.advanceTimersByTimeAsync(POLL_MS - 1);
			expect(calls).toBe(0);
			await vi.advanceTimersByTimeAsync(1);
			expect(calls).toBe(1);
			// A slow provider: no second poll while the first is unanswered.
			await vi.advanceTimersByTimeAsync(5 * POLL_MS);
			expect(calls).toBe(1);
			answer.open(pending);
			answer = gated<SaleView>();
			await vi.advanceTimersByTimeAsync(POLL_MS);
			expect(calls).toBe(2);
			answer.open(pending);
			stop();
			await vi.advanceTimersByTimeAsync(10 * POLL_MS);
			expect(calls).toBe(2);
		} finally {
			vi.useRealTimers();
		}
	});

	it('sends the cashier\'s answer after the poll in flight, and only to the question still asked', async () => {
		const asked = paying(providerTender(5, 'vourity', { message: 'Check the signature', question: QUESTION, qr: null, statusLines: [] }));
		const answers: Array<[number, string, string]> = [];
		let poll = gated<SaleView>();
		const till = new TillState(
			fake({
				pollPayment: () => poll.wait,
				answerPaymentQuestion: async (id, question, answer) => {
					answers.push([id, question, answer]);
					return paying(providerTender(5, 'vourity', { message: 'Approve on the terminal', question: null, qr: null, statusLines: [] }));
				}
			})
		);
		till.show(asked);
		const polling = till.poll();
		const answering = till.answerQuestion('action-1', 'accepted');
		await Promise.resolve();
		expect(answers).toEqual([]);
		// No new poll starts while the cashier's answer waits.
		await till.poll();
		poll.open(asked);
		await polling;
		expect(await answering).toBe(true);
		expect(answers).toEqual([[5, 'action-1', 'accepted']]);
		expect(till.providerTender?.prompt?.question).toBeNull();

		// A poll that replaced the question drops an answer to the old one.
		till.show(asked);
		poll = gated<SaleView>();
		const replacing = till.poll();
		const late = till.answerQuestion('action-1', 'rejected');
		poll.open(paying(providerTender(5, 'vourity', { message: null, question: { ...QUESTION, id: 'action-2' }, qr: null, statusLines: [] })));
		await replacing;
		expect(await late).toBe(false);
		expect(answers).toHaveLength(1);
	});

	it('shows a failed poll as its error with the sale as it is now, and clears it after a good poll', async () => {
		const pending = paying(providerTender(5, 'swip', { message: null, question: null, qr: 'S', statusLines: [] }));
		let fail = true;
		const failure = new ApiFailure({ code: 'provider_failed', message: 'SWiP answered 503', field: null });
		const till = new TillState(
			fake({
				currentSale: async () => pending,
				pollPayment: async () => {
					if (fail) throw failure;
					return pending;
				}
			})
		);
		till.show(pending);
		await till.poll();
		expect(till.error).toBe(errorMessage(failure));
		expect(till.providerTender?.id).toBe(5);
		fail = false;
		await till.poll();
		expect(till.error).toBeNull();
	});

	it('says when the provider declined, and the sale is open again for another tender', async () => {
		const till = new TillState(
			fake({ pollPayment: async () => sale({ lines: [line(1, 'A-1')], tenders: [providerTender(5, 'vourity', null, 'declined')] }) })
		);
		till.show(paying(providerTender(5, 'vourity', { message: 'Insert card', question: null, qr: null, statusLines: [] })));
		await till.poll();
		expect(till.notice).toBe('Vourity declined the payment. Take it another way.');
		expect(till.providerTender).toBeNull();
		expect(till.editable).toBe(true);
	});

	it('cancels through the provider, not the card terminal', async () => {
		const cancelled: number[] = [];
		const till = new TillState(
			fake({
				cancelPayment: async (id) => (cancelled.push(id), sale({ lines: [line(1, 'A-1')], tenders: [providerTender(5, 'swip', null, 'cancelled')] }))
			})
		);
		till.show(paying(providerTender(5, 'swip', { message: null, question: null, qr: 'S', statusLines: [] })));
		await till.cancelCard();
		expect(cancelled).toEqual([]);
		expect(await till.cancelProvider()).toBe(true);
		expect(cancelled).toEqual([5]);
		expect(till.notice).toBe('The SWiP payment was cancelled.');
	});

	it('reconciles an unknown provider payment with the provider and settles only the card terminal by hand', async () => {
		const reconciled: number[] = [];
		let outcome = sale({ status: 'unknown', lines: [line(1, 'A-1')], tenders: [providerTender(5, 'swip', null, 'unknown')] });
		const till = new TillState(
			fake({
				reconcilePayment: async (id) => (reconciled.push(id), outcome),
				resolveUnknownPayment: async () => sale({ status: 'completed', receiptNo: 3, lines: [line(1, 'A-1')] })
			})
		);
		till.show(outcome);
		expect(await till.resolve(true, MANAGER)).toBe(false);
		expect(await till.reconcile()).toBe(true);
		expect(till.blocked).toBe(true);
		expect(till.notice).toBe('SWiP cannot say yet what became of the payment. Reconcile again in a moment.');
		outcome = sale({ status: 'completed', receiptNo: 4, lines: [line(1, 'A-1')], tenders: [providerTender(5, 'swip', null, 'approved')] });
		expect(await till.reconcile()).toBe(true);
		expect(reconciled).toEqual([5, 5]);
		expect(till.completed?.receiptNo).toBe(4);
		expect(till.notice).toBeNull();

		till.show(sale({ status: 'unknown', lines: [line(1, 'A-1')], tenders: [tender(1, '10.00', 'unknown')].map((x) => ({ ...x, method: 'external_card' as const })) }));
		expect(await till.reconcile()).toBe(false);
		expect(reconciled).toEqual([5, 5]);
		expect(await till.resolve(false)).toBe(true);
	});
});

describe('TillState with a Venue Manager shop', () => {
	const voucher = (over: Partial<import('$lib/api').VoucherView> = {}): import('$lib/api').VoucherView => ({
		code: 'GIFT-1',
		valid: true,
		message: null,
		value: '200.00',
		currency: 'SEK',
		covers: '40.00',
		forfeited: '160.00',
		...over
	});

	it('offers vouchers only with a shop, and redeems only the code looked up, accepting the loss it showed', async () => {
		const redeemed: Array<[number, string, boolean]> = [];
		const till = new TillState(
			fake({
				tillPaymentProviders: async () => ['venue_manager'],
				lookUpVoucher: async (_id, code) => voucher({ code }),
				payWithVoucher: async (id, code, accept) => (redeemed.push([id, code, accept]), sale({ status: 'completed' }))
			})
		);
		await till.load();
		expect(till.shop).toBe(true);
		expect(till.providers).toEqual([]);
		await till.addCode('A-1');
		expect(till.open('voucher')).toBe(true);
		// Nothing is redeemed before a look-up, nor for another code than the one looked up.
		expect(await till.payVoucher('GIFT-1')).toBe(false);
		await till.lookUpVoucher(' GIFT-1 ');
		expect(till.voucher?.forfeited).toBe('160.00');
		expect(await till.payVoucher('OTHER')).toBe(false);
		expect(redeemed).toEqual([]);
		expect(await till.payVoucher('GIFT-1')).toBe(true);
		expect(redeemed).toEqual([[1, 'GIFT-1', true]]);
		expect(till.dialog).toBeNull();
	});

	it('does not accept a loss the voucher does not have, and never redeems an invalid one', async () => {
		const redeemed: boolean[] = [];
		const till = new TillState(
			fake({
				tillPaymentProviders: async () => ['venue_manager'],
				lookUpVoucher: async (_id, code) =>
					code === 'OLD' ? voucher({ code, valid: false, message: 'expired', covers: null, forfeited: null }) : voucher({ code, forfeited: null }),
				payWithVoucher: async (_id, _code, accept) => (redeemed.push(accept), sale())
			})
		);
		await till.load();
		await till.addCode('A-1');
		till.open('voucher');
		await till.lookUpVoucher('OLD');
		expect(await till.payVoucher('OLD')).toBe(false);
		await till.lookUpVoucher('SMALL');
		expect(await till.payVoucher('SMALL')).toBe(true);
		expect(redeemed).toEqual([false]);
	});

	it('shows a refused look-up in the dialog, and without a shop opens neither dialog', async () => {
		const till = new TillState(
			fake({
				tillPaymentProviders: async () => ['venue_manager'],
				lookUpVoucher: async () => {
					throw refused('Venue Manager knows no voucher code "NOPE"');
				}
			})
		);
		await till.load();
		await till.addCode('A-1');
		till.open('voucher');
		await till.lookUpVoucher('NOPE');
		expect(till.voucher).toBeNull();
		expect(till.dialogError).toBe(errorMessage(refused('Venue Manager knows no voucher code "NOPE"')));

		const bare = new TillState(fake());
		await bare.load();
		await bare.addCode('A-1');
		expect(bare.open('voucher')).toBe(false);
		expect(bare.open('loyalty')).toBe(false);
	});

	it('registers a loyalty barcode and says how many points it gave', async () => {
		setUiLanguage('en');
		const till = new TillState(
			fake({
				tillPaymentProviders: async () => ['venue_manager'],
				registerLoyaltyBarcode: async (code) => {
					if (code === 'USED') throw refused('loyalty barcode "USED" has already been used');
					return { code, points: '25' };
				}
			})
		);
		await till.load();
		await till.addCode('A-1');
		till.open('loyalty');
		expect(await till.registerLoyalty('USED')).toBe(false);
		expect(till.dialog).toBe('loyalty');
		expect(await till.registerLoyalty(' LOYAL-1 ')).toBe(true);
		expect(till.notice).toContain('25');
		expect(till.dialog).toBeNull();
	});
});

describe('TillState with SWiP loyalty', () => {
	it('asks SWiP for its discount only where the till has SWiP, says when there is none, and takes it off again', async () => {
		setUiLanguage('en');
		const asked: number[] = [];
		const removed: number[] = [];
		let discount = true;
		const discounted = () =>
			sale({
				lines: [line(1, 'A-1')],
				total: '9.00',
				discountTotal: '1.00',
				loyaltyDiscount: discount ? { provider: 'swip', program: 'Discount for all customers', amount: '1.00' } : null
			});
		const till = new TillState(
			fake({
				tillPaymentProviders: async () => ['swip'],
				applySwipLoyalty: async (id) => (asked.push(id), discounted()),
				removeLoyaltyDiscount: async (id) => (removed.push(id), sale({ lines: [line(1, 'A-1')], total: '10.00' }))
			})
		);
		await till.load();
		await till.addCode('A-1');
		expect(till.swipLoyalty).toBe(true);
		expect(till.unpaid).toBe(true);
		await till.applySwipLoyalty();
		expect(asked).toEqual([1]);
		expect(till.sale?.loyaltyDiscount?.amount).toBe('1.00');
		expect(till.notice).toBeNull();
		await till.removeLoyaltyDiscount();
		expect(removed).toEqual([1]);
		expect(till.sale?.loyaltyDiscount).toBeNull();

		discount = false;
		await till.applySwipLoyalty();
		expect(till.notice).toBe('SWiP gives no loyalty discount on this basket.');

		// Once a payment is taken the amount due is fixed: no call is made.
		till.show(sale({ lines: [line(1, 'A-1')], tenders: [tender(3, '5.00')] }));
		expect(till.unpaid).toBe(false);

		const bare = new TillState(fake());
		await bare.load();
		await bare.addCode('A-1');
		expect(bare.swipLoyalty).toBe(false);
		await bare.applySwipLoyalty();
	});
});

describe('TillState with a SWiP order paid at the till', () => {
	it('closes the SWiP order for cash and says how much cash to take; only for SWiP', async () => {
		setUiLanguage('en');
		const closed: number[] = [];
		const till = new TillState(
			fake({
				paySwipOrderAtTill: async (id) => (
					closed.push(id), sale({ lines: [line(1, 'A-1')], cashDue: '168.00', tenders: [providerTender(5, 'swip', null, 'cancelled')] })
				)
			})
		);
		till.show(paying(providerTender(5, 'swip', { message: null, question: null, qr: 'S', statusLines: [] })));
		expect(await till.payProviderAtTill()).toBe(true);
		expect(closed).toEqual([5]);
		expect(till.sale?.status).toBe('open');
		expect(till.notice).toContain('168.00');

		till.show(paying(providerTender(6, 'vourity', { message: 'Insert card', question: null, qr: null, statusLines: [] })));
		expect(await till.payProviderAtTill()).toBe(false);
		expect(closed).toEqual([5]);
	});
});

describe('TillState with an unknown voucher redemption', () => {
	it('asks Venue Manager again first, and leaves the by-hand answer for a manager', async () => {
		const reconciled: number[] = [];
		const unknown: TenderView = { id: 8, method: 'voucher', amount: '40.00', status: 'unknown', reference: 'KS-1-1-1', prompt: null };
		const till = new TillState(
			fake({
				reconcilePayment: async (id) => (reconciled.push(id), sale({ status: 'unknown', tenders: [unknown] }))
			})
		);
		till.show(sale({ status: 'unknown', tenders: [unknown] }));
		expect(await till.reconcile()).toBe(true);
		expect(reconciled).toEqual([8]);
		expect(till.blocked).toBe(true);
		expect(till.notice).not.toBeNull();
	});
});

describe('TillState with Flexiti financing', () => {
	it('offers financing only where the till finances, and sends the account, the amount and the mode', async () => {
		const calls: Array<[number, string, string | null, string]> = [];
		const till = new TillState(
			fake({
				tillPaymentProviders: async () => ['flexiti'],
				// Part financed: the sale stays open for the rest.
				startFlexitiPayment: async (id, account, amount, mode) => (calls.push([id, account, amount, mode]), sale({ lines: [line(1, 'A-1')] }))
			})
		);
		await till.load();
		expect(till.financing).toBe(true);
		expect(till.providers).toEqual([]);
		await till.addCode('A-1');
		expect(till.open('flexiti')).toBe(true);
		expect(await till.payFlexiti('   ', false, '')).toBe(false);
		expect(await till.payFlexiti(' 12341234 ', true, ' ')).toBe(true);
		expect(calls).toEqual([[1, '12341234', null, 'purchase']]);
		expect(till.dialog).toBeNull();
		expect(till.open('flexiti')).toBe(true);
		await till.payFlexiti('12341234', false, '20.00');
		expect(calls[1]).toEqual([1, '12341234', '20.00', 'authorize_and_capture']);

		const elsewhere = new TillState(fake());
		await elsewhere.load();
		await elsewhere.addCode('A-1');
		expect(elsewhere.open('flexiti')).toBe(false);
	});
});
