// Keyboard-wedge barcode scanners "type" a code much faster than a person and end it
// with Enter. ScanBurst is the pure detector, fed with keys and their timestamps (ms);
// the Till screen feeds it from a document-level keydown listener.

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
	return el instanceof HTMLElement && el.isContentEditable;
}
