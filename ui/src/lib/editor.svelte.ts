// The create/edit form of a list page (brands, stores, POS devices, users): which row is
// being edited, the form's values, the error and the field it is about, and where focus
// goes back to when the form closes. Pages keep only their fields and their API calls.
import { tick } from 'svelte';
import { errorMessage } from '$lib/api';
import { fieldOf } from '$lib/forms';

export class FormEditor<Item, Values> {
	isOpen = $state(false);
	editing = $state<Item | null>(null);
	values: Values;
	error = $state<string | null>(null);
	field = $state<string | null>(null);
	saving = $state(false);
	#opener: HTMLElement | null = null;
	readonly #fallbackFocusId: string;

	/** `fallbackFocusId`: the element focused on close when the opener is gone (e.g. "store-new"). */
	constructor(initial: Values, fallbackFocusId: string) {
		this.values = $state(initial);
		this.#fallbackFocusId = fallbackFocusId;
	}

	open(item: Item | null, values: Values): void {
		// `globalThis` keeps the class usable outside a browser (the unit tests run in Node).
		const active = globalThis.document?.activeElement;
		this.#opener = typeof HTMLElement !== 'undefined' && active instanceof HTMLElement ? active : null;
		this.editing = item;
		this.values = values;
		this.error = null;
		this.field = null;
		this.isOpen = true;
	}

	async close(): Promise<void> {
		this.isOpen = false;
		await tick();
		const opener = this.#opener;
		(opener?.isConnected ? opener : globalThis.document?.getElementById(this.#fallbackFocusId))?.focus();
	}

	/**
	 * Runs `save` for the submitted form, one submission at a time. A failure stays in the
	 * form, next to the field it names; on success the form closes. Returns whether it saved.
	 */
	async submit(e: SubmitEvent, save: () => Promise<void>): Promise<boolean> {
		e.preventDefault();
		if (this.saving) return false;
		this.saving = true;
		this.error = null;
		this.field = null;
		try {
			await save();
		} catch (err) {
			this.error = errorMessage(err);
			this.field = fieldOf(err);
			return false;
		} finally {
			this.saving = false;
		}
		await this.close();
		return true;
	}

	/** `aria-invalid` for a control: set when the last error is about `field`. */
	invalid = (field: string): 'true' | undefined => (this.field === field ? 'true' : undefined);
}
