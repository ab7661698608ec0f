// When the till has been left alone long enough to lock. Pure: fed with event times (ms)
// by the signed-in frame, so the unit tests move time instead of waiting.

export class IdleClock {
	#last: number;
	#limitMs: number;

	constructor(limitMinutes: number, now: number) {
		this.#limitMs = limitMinutes * 60_000;
		this.#last = now;
	}

	/** A key, click, touch or pointer movement at `now`. */
	touch(now: number): void {
		if (now > this.#last) this.#last = now;
	}

	/** Whether nothing happened for the whole limit up to `now`. */
	expired(now: number): boolean {
		return now - this.#last >= this.#limitMs;
	}

	/** Milliseconds left before the lock at `now` (0 once expired). */
	remaining(now: number): number {
		return Math.max(0, this.#limitMs - (now - this.#last));
	}
}
