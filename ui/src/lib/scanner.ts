// Keyboard-wedge barcode scanners "type" a code much faster than a person and end it
// with Enter. ScanBurst is the pure detector, fed with keys and their timestamps (ms).
// ScanCatcher applies it to keydown events wherever focus is, and the Till screen feeds it
// from a window-level listener in the capture phase, before any field sees the keys.

export type ScanOptions = {
	/** Longest pause between two keys of one scan. */
	maxGapMs: number;
	/** Shortest code accepted as a scan. */
	minLength: number;
};

export const DEFAULT_SCAN: ScanOptions = { maxGapMs: 50, minLength: 4 };

export class ScanBurst {
	private chars = '';
	private last = Number.NEGATIVE_INFINITY;
	private readonly opts: ScanOptions;

	constructor(opts: ScanOptions = DEFAULT_SCAN) {
		this.opts = opts;
	}

	/** True while keys of a (possible) scan are being collected at `time`. */
	collecting(time: number): boolean {
		return this.chars.length > 0 && time - this.last <= this.opts.maxGapMs;
	}

	/**
	 * Feeds one key (`KeyboardEvent.key`). Returns the code when Enter ends a quick burst of
	 * at least `minLength` characters; otherwise null. Slow keys start a new burst.
	 */
	feed(key: string, time: number): string | null {
		if (key === 'Shift') return null;
		const fresh = time - this.last <= this.opts.maxGapMs;
		if (key === 'Enter') {
			const code = fresh && this.chars.length >= this.opts.minLength ? this.chars : null;
			this.reset();
			return code;
		}
		if (key.length !== 1) {
			this.reset();
			return null;
		}
		if (!fresh) this.chars = '';
		this.chars += key;
		this.last = time;
		return null;
	}

	reset(): void {
		this.chars = '';
		this.last = Number.NEGATIVE_INFINITY;
	}
}

/** Whether keys typed now belong to a form field rather than to the scanner. */
export function isTypingTarget(el: Element | null): boolean {
	if (!el) return false;
	const tag = el.tagName.toLowerCase();
	if (tag === 'input' || tag === 'textarea' || tag === 'select') return true;
	return typeof HTMLElement !== 'undefined' && el instanceof HTMLElement && el.isContentEditable;
}

/** What ScanCatcher needs of a keydown event. */
export type ScanKey = Pick<KeyboardEvent, 'key' | 'timeStamp' | 'altKey' | 'ctrlKey' | 'metaKey' | 'preventDefault' | 'stopPropagation'>;

/** A text field whose value a scanner's keys may have changed. */
type TextField = EventTarget & { value: string };

function textFieldOf(el: Element | null): TextField | null {
	const tag = el?.tagName?.toLowerCase();
	return tag === 'input' || tag === 'textarea' ? (el as unknown as TextField) : null;
}

/**
 * A scan lands in the sale whatever has focus. A person's typing is left alone, but a
 * burst is taken from the focused field: its ending Enter never reaches the field (so it
 * picks no stale search result and submits no form), and the field gets back the text it
 * held before the burst began, announced with an `input` event so bound state follows.
 */
export class ScanCatcher {
	readonly #burst: ScanBurst;
	#field: TextField | null = null;
	#before = '';

	constructor(opts: ScanOptions = DEFAULT_SCAN) {
		this.#burst = new ScanBurst(opts);
	}

	/** Feeds one keydown seen while `focused` has focus; returns the code when it ends a scan. */
	keydown(e: ScanKey, focused: Element | null): string | null {
		// A field that takes codes itself (the till's code entry) submits all of its text on
		// Enter. Catching there could only lose what was typed before a burst began (a slow
		// first key makes the burst start at the second), so such a field keeps its keys.
		if (e.altKey || e.ctrlKey || e.metaKey || focused?.hasAttribute?.('data-takes-scans')) {
			this.reset();
			return null;
		}
		const now = e.timeStamp || performance.now();
		const wasCollecting = this.#burst.collecting(now);
		if (!wasCollecting && e.key.length === 1) {
			// Keydown comes before the character lands: this is the field's text before the burst.
			this.#field = textFieldOf(focused);
			this.#before = this.#field?.value ?? '';
		}
		const code = this.#burst.feed(e.key, now);
		if (code !== null) {
			e.preventDefault();
			e.stopPropagation();
			const field = this.#field;
			if (field && field.value !== this.#before) {
				field.value = this.#before;
				field.dispatchEvent(new Event('input', { bubbles: true }));
			}
			this.reset();
			return code;
		}
		// A short quick burst ended by Enter with nothing focused is no scan, and no command either.
		if (e.key === 'Enter' && wasCollecting && !isTypingTarget(focused)) e.preventDefault();
		return null;
	}

	reset(): void {
		this.#burst.reset();
		this.#field = null;
		this.#before = '';
	}
}
